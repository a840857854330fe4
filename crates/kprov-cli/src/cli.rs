//! kprov's command line as clap types. It lives in the library target so
//! that `cargo xtask cli-docs` and the tests generate the shell completions
//! and man pages from the very definition the binary parses.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Compile a Kubernetes platform estate into deterministic per-cluster manifests.
#[derive(Debug, Parser)]
#[command(name = "kprov", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No warnings, progress or summary lines on standard error; errors
    /// still print, and the exit status is the same.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Colour the `error` and `warning` words and the codes of diagnostics:
    /// `auto` when standard error is a terminal and `NO_COLOR` is unset or empty.
    #[arg(long, value_enum, value_name = "WHEN", global = true, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

/// When to colour diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// When standard error is a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load the estate and check schemas, references and placements.
    ///
    /// Exit status: 0 when valid, 2 when any error was found.
    Validate {
        /// Estate root (the directory holding kprov.yaml).
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        options: CompileOptions,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Compile the estate and write the output tree (`spec.output`, default `clusters/`).
    ///
    /// Atomic; removes stale generated files; carries over files and empty
    /// directories kprov did not generate, and refuses when the tree holds
    /// links, pipes, sockets or devices. Waits for another render or diff
    /// of the same estate to finish. Exit status: 0 written, 2 errors.
    Render {
        /// Estate root.
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        options: CompileOptions,
        /// Only render clusters matching this glob (repeatable); others are left as they are.
        #[arg(long = "cluster", value_name = "GLOB")]
        clusters: Vec<String>,
    },
    /// Compile in memory and compare with the committed output tree.
    ///
    /// Anything in the output tree kprov did not generate is drift too.
    /// Exit status: 0 no drift, 1 drift, 2 errors.
    #[command(visible_alias = "check")]
    Diff {
        /// Estate root.
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        options: CompileOptions,
        /// Report format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Only compare clusters matching this glob (repeatable).
        #[arg(long = "cluster", value_name = "GLOB")]
        clusters: Vec<String>,
        /// Counts and the changes grouped by field only: no object lists,
        /// no file diffs (text and markdown).
        #[arg(long)]
        stat: bool,
    },
    /// Quota allocated per cluster, tenant and cost center against capacity
    /// and budget, with the monthly cost from the Estate's `rates`.
    ///
    /// With `--base`, the monthly cost against another checkout of the
    /// estate instead: each project and cluster whose cost changed, before
    /// and after, and the total. A base that does not compile is said so in
    /// the output, not an error. Exit status: 0, 2 errors.
    Report {
        /// Estate root.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Compare the monthly cost with the estate in this directory (e.g.
        /// a checkout of the pull request's base branch).
        #[arg(long, value_name = "DIR")]
        base: Option<PathBuf>,
    },
    /// List the built-in lints with their ids and what they check.
    ///
    /// kprov.yaml's `spec.lints` sets a lint's level (`off`, `warn`,
    /// `error`) by its id; a project's `spec.suppress` silences one in its
    /// own file, with a reason. Exit status: 0.
    Lints,
    /// Show the tenant hierarchy with budget, allocation and headroom per environment.
    ///
    /// Exit status: 0 printed, 2 errors.
    Tree {
        /// Estate root.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TreeFormat::Text)]
        format: TreeFormat,
    },
    /// Scaffold a working estate repository: kprov.yaml, a cluster per
    /// environment, two tenants, an example project, a Rego policy, the CI
    /// workflow, the Backstage template and CODEOWNERS; then render it.
    ///
    /// In an existing repository, a file of the scaffold that is already
    /// there is kept (and said so), unless `--force`; nothing else is ever
    /// touched, and nothing is written through a symbolic link. Exit status:
    /// 0 written and rendered, 2 errors (nothing written, or the estate does
    /// not compile).
    Init {
        /// Directory of the new estate (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Replace the scaffold's files that are already there with the
        /// scaffold's version (files only; never anything the scaffold does
        /// not have).
        #[arg(long)]
        force: bool,
    },
    /// Print the `.github/CODEOWNERS` the estate generates: each project file
    /// routed to its nearest tenant's owners, platform files to the root
    /// tenants' owners (needs `spec.github` in kprov.yaml; `render` writes it).
    ///
    /// Exit status: 0 printed, 2 errors.
    Codeowners {
        /// Estate root.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Show every effective value of one namespace and the file:line that
    /// set it, or what a diagnostic code means and what to do about it.
    ///
    /// Exit status: 0 printed, 2 errors (the estate's, an unknown namespace
    /// or code).
    Explain {
        /// `<cluster>/<namespace>`, e.g. `cluster-us-east-1-prod/checkout-prod`,
        /// or a diagnostic code, e.g. `over-budget`.
        #[arg(required_unless_present = "codes")]
        target: Option<String>,
        /// Estate root.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// List every diagnostic code with what it means.
        #[arg(long, conflicts_with = "target")]
        codes: bool,
    },
    /// Run the golden tests of compositions: every `tests/<case>/claim.yaml`
    /// beside a Composition renders and is compared with `expected.yaml`.
    ///
    /// Exit status: 0 all passed, 1 any failed, 2 errors.
    Test {
        /// Estate root, or a composition's directory inside one.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Rewrite `expected.yaml` with what the composition renders now.
        #[arg(long)]
        update: bool,
    },
    /// Bring machines from elsewhere into a project of the estate.
    ///
    /// Exit status: 0 everything converted cleanly, 1 some converted with
    /// warnings or were blocked, 2 unusable input: nothing written.
    Import {
        #[command(subcommand)]
        source: ImportSource,
    },
    /// Print the JSON Schema (draft-07) of an input kind, or of all kinds.
    ///
    /// Exit status: 0 printed, 2 an unknown kind, or with `--backstage` an
    /// estate without an Estate.
    Schema {
        /// Estate, Cluster, Tenant, Project, Definition or Composition (any case).
        kind: Option<String>,
        /// Print the Backstage form of a Project instead: the template's
        /// `parameters`, a draft-07 subset with enums filled from the estate in DIR.
        #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = ".")]
        backstage: Option<PathBuf>,
    },
    /// Print the shell completion script for SHELL (`kprov completions bash`).
    ///
    /// Exit status: 0.
    #[command(hide = true)]
    Completions {
        /// The shell the script is for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print kprov's man page (roff), e.g. `kprov man | man -l -`.
    ///
    /// Exit status: 0.
    #[command(hide = true)]
    Man,
}

#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// Convert `virsh dumpxml` output into VirtualMachines of
    /// `projects/<PROJECT>.yaml` (a new project, or appended to an existing
    /// one without changing the rest of the file), and report per domain how
    /// it moves.
    ///
    /// Exit status: 0 every domain converted cleanly, 1 some converted with
    /// warnings or were blocked (blocked ones are not written), 2 unusable
    /// input (malformed or hostile XML, bad flags, unknown tenant or
    /// cluster, a name already taken): nothing written.
    Libvirt(LibvirtArgs),
    /// Size a project skeleton for OpenVZ containers (`/etc/vz/conf/<CTID>.conf`):
    /// a namespace with their CPUs, memory and disk as quota and a volume for
    /// each one's data in a new `projects/<PROJECT>.yaml`. Containers are not
    /// converted into VMs: the report marks each a containerization
    /// candidate and says what to build and move by hand.
    ///
    /// Exit status: 0 every container is a candidate without warnings, 1
    /// some have warnings or are blocked (no CPU, memory or disk limit; not
    /// written), 2 unusable input (a config kprov cannot read, bad flags,
    /// unknown tenant or cluster, an existing project): nothing written.
    Openvz(OpenvzArgs),
}

/// Options shared by the commands that compile the estate.
#[derive(Debug, Clone, clap::Args)]
pub struct CompileOptions {
    /// Date (YYYY-MM-DD) for the `project-expired` lint; without it, expiry is not checked.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// Do not validate rendered objects against the upstream schemas.
    #[arg(long)]
    pub no_validate: bool,
    /// Objects of kinds with no schema are errors, not warnings.
    #[arg(long)]
    pub strict_kinds: bool,
}

impl CompileOptions {
    pub fn config(&self) -> anyhow::Result<kprov::Config> {
        let today = match &self.today {
            Some(d) => Some(
                d.parse()
                    .map_err(|e: String| anyhow::anyhow!("--today: {e}"))?,
            ),
            None => None,
        };
        let mut config = kprov::Config::default();
        config.lints.today = today;
        config.conformance.skip = self.no_validate;
        config.conformance.strict_kinds = self.strict_kinds;
        Ok(config)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Aligned tables.
    Text,
    /// Tables for a pull-request comment.
    Markdown,
    /// Machine-readable report.
    Json,
    /// One CSV with a `table` column.
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Per-cluster object lists and unified diffs.
    Text,
    /// Machine-readable drift (the diagnostics when the estate has errors).
    Json,
    /// A pull-request comment with a collapsible section per cluster.
    Markdown,
    /// GitHub Actions annotations: one per drifted file and per diagnostic.
    Github,
    /// A SARIF 2.1.0 log: one result per drifted file and per diagnostic.
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Lines of `file:line:col: path: message`.
    Text,
    /// A JSON document: the diagnostics and their counts.
    Json,
    /// GitHub Actions annotations on the files, then the counts.
    Github,
    /// A SARIF 2.1.0 log, for code scanning.
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TreeFormat {
    /// An indented tree.
    Text,
    /// Tenants with budgets, children and projects.
    Json,
    /// A Mermaid flowchart, for pull-request comments and READMEs.
    Mermaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Lines of `file:line:col: path: message`.
    Text,
    /// JSON.
    Json,
}

impl Command {
    /// The estate root a command reads, for the commands that read one.
    pub fn estate_root(&mut self) -> Option<&mut PathBuf> {
        match self {
            Command::Validate { dir, .. }
            | Command::Render { dir, .. }
            | Command::Diff { dir, .. }
            | Command::Report { dir, .. }
            | Command::Tree { dir, .. }
            | Command::Codeowners { dir, .. }
            | Command::Explain { dir, .. } => Some(dir),
            Command::Test { path, .. } => Some(path),
            Command::Schema { backstage, .. } => backstage.as_mut(),
            Command::Import {
                source: ImportSource::Libvirt(args),
            } => Some(&mut args.estate),
            Command::Import {
                source: ImportSource::Openvz(args),
            } => Some(&mut args.estate),
            Command::Lints | Command::Init { .. } | Command::Completions { .. } | Command::Man => {
                None
            }
        }
    }
}

/// Report formats of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportReport {
    /// One block per VM, then totals.
    Text,
    /// A table and a section per VM, for a pull request.
    Markdown,
    /// Machine-readable, camelCase keys.
    Json,
    /// One row per VM or container, then the capacity tables (RFC 4180).
    Csv,
}

/// The flags of `kprov import libvirt`.
#[derive(Debug, Clone, clap::Args)]
pub struct LibvirtArgs {
    /// Estate root.
    #[arg(long, default_value = ".")]
    pub estate: PathBuf,
    /// Tenant of the project (for a new project).
    #[arg(long, required_unless_present = "mapping")]
    pub tenant: Option<String>,
    /// Project the VMs go into: `projects/<PROJECT>.yaml`, created if missing.
    #[arg(long, required_unless_present = "mapping")]
    pub project: Option<String>,
    /// Environment of the project the VMs run in.
    #[arg(long, required_unless_present = "mapping")]
    pub environment: Option<String>,
    /// Cluster of that environment.
    #[arg(long, required_unless_present = "mapping")]
    pub cluster: Option<String>,
    /// Owner of a new project, e.g. `group:erp-admins` (repeatable; required for a new project).
    #[arg(long = "owner", value_name = "SUBJECT")]
    pub owners: Vec<String>,
    /// YAML rules sending each domain, by a glob on its name, to a tenant, project, environment and clusters (first match wins); instead of the four flags above.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["tenant", "project", "environment", "cluster", "owners"]
    )]
    pub mapping: Option<PathBuf>,
    /// Base URL the disk images are served from: an image file becomes `<URL>/<file name>`.
    #[arg(long, value_name = "URL")]
    pub image_url: Option<String>,
    /// CSV of disk sizes, `domain,target,size` (a quantity or bytes); `virsh dumpxml` has none.
    #[arg(long, value_name = "FILE")]
    pub sizes: Option<PathBuf>,
    /// Report format, on standard output.
    #[arg(long, value_enum, default_value_t = ImportReport::Text)]
    pub report: ImportReport,
    /// `virsh dumpxml` output: files, or directories whose `*.xml` are read in name order.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub inputs: Vec<PathBuf>,
}

/// The flags of `kprov import openvz`.
#[derive(Debug, Clone, clap::Args)]
pub struct OpenvzArgs {
    /// Estate root.
    #[arg(long, default_value = ".")]
    pub estate: PathBuf,
    /// Tenant of the new project.
    #[arg(long)]
    pub tenant: String,
    /// The new project: `projects/<PROJECT>.yaml`, which must not exist.
    #[arg(long)]
    pub project: String,
    /// Environment the containers' workloads run in.
    #[arg(long)]
    pub environment: String,
    /// Cluster of that environment.
    #[arg(long)]
    pub cluster: String,
    /// Owner of the new project, e.g. `group:web-admins` (repeatable; required).
    #[arg(long = "owner", value_name = "SUBJECT")]
    pub owners: Vec<String>,
    /// Report format, on standard output.
    #[arg(long, value_enum, default_value_t = ImportReport::Text)]
    pub report: ImportReport,
    /// Container configs (`/etc/vz/conf/<CTID>.conf`): files, or directories whose `*.conf` are read in name order.
    #[arg(required = true, value_name = "CONF|DIR")]
    pub inputs: Vec<PathBuf>,
}
