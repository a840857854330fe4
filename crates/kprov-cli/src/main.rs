//! `kprov`: the command-line shell around the kprov library. It parses
//! arguments, calls the library, prints, and maps outcomes to exit codes;
//! all decisions live in the library.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use kprov::diagnostic::{self, Diagnostic};
use kprov::schema::Kind;

/// Compile a Kubernetes platform estate into deterministic per-cluster manifests.
#[derive(Debug, Parser)]
#[command(name = "kprov", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load the estate and check schemas, references and placements.
    ///
    /// Exit status: 0 when valid, 2 when any error was found.
    Validate {
        /// Estate root (the directory holding kprov.yaml).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show the tenant hierarchy with budget, allocation and headroom per environment.
    Tree {
        /// Estate root.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show every effective value of one namespace and the file:line that set it.
    Explain {
        /// `<cluster>/<namespace>`, e.g. `cluster-us-east-1-prod/checkout-prod`.
        target: String,
        /// Estate root.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the JSON Schema (draft-07) of an input kind, or of all kinds.
    Schema {
        /// Estate, Cluster, Tenant, Project, Definition or Composition (any case).
        kind: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Lines of `file:line:col: path: message`.
    Text,
    /// A JSON array of diagnostics.
    Json,
}

/// Exit statuses, shared by every command (DESIGN §5).
mod exit {
    pub const OK: u8 = 0;
    pub const ERRORS: u8 = 2;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::ERRORS)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Validate { dir, format } => validate(&dir, format),
        Command::Tree { dir, format } => tree(&dir, format),
        Command::Explain {
            target,
            dir,
            format,
        } => explain(&target, &dir, format),
        Command::Schema { kind } => schema(kind.as_deref()),
    }
}

fn report(diagnostics: &[Diagnostic], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Text => eprint!("{}", diagnostic::render_text(diagnostics)),
        Format::Json => {
            let mut out = std::io::stdout().lock();
            out.write_all(diagnostic::render_json(diagnostics).as_bytes())?;
        }
    }
    Ok(())
}

fn check(dir: &std::path::Path) -> anyhow::Result<kprov::Checked> {
    let sources = kprov::load::read_estate(dir, &kprov::load::LoadConfig::default())?;
    Ok(kprov::check(&sources))
}

fn validate(dir: &std::path::Path, format: Format) -> anyhow::Result<u8> {
    let checked = check(dir)?;
    report(&checked.diagnostics, format)?;
    if checked.hierarchy.is_none() {
        return Ok(exit::ERRORS);
    }
    let model = &checked.model;
    if format == Format::Text {
        eprintln!(
            "{}: valid ({} clusters, {} tenants, {} projects, {} definitions, {} compositions)",
            dir.display(),
            model.clusters.len(),
            model.tenants.len(),
            model.projects.len(),
            model.definitions.len(),
            model.compositions.len(),
        );
    }
    Ok(exit::OK)
}

fn tree(dir: &std::path::Path, format: Format) -> anyhow::Result<u8> {
    let checked = check(dir)?;
    eprint!("{}", diagnostic::render_text(&checked.diagnostics));
    let Some(hierarchy) = checked.hierarchy else {
        return Ok(exit::ERRORS);
    };
    let text = match format {
        Format::Text => kprov::hierarchy::tree_text(&hierarchy),
        Format::Json => format!("{:#}\n", kprov::hierarchy::tree_json(&hierarchy)),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(exit::OK)
}

fn explain(target: &str, dir: &std::path::Path, format: Format) -> anyhow::Result<u8> {
    let Some((cluster, namespace)) = target.split_once('/') else {
        anyhow::bail!(
            "`{target}`: expected <cluster>/<namespace>, e.g. cluster-us-east-1-prod/checkout-prod"
        );
    };
    let checked = check(dir)?;
    eprint!("{}", diagnostic::render_text(&checked.diagnostics));
    let Some(hierarchy) = checked.hierarchy else {
        return Ok(exit::ERRORS);
    };
    let Some(ns) = hierarchy.namespace(cluster, namespace) else {
        let known: Vec<String> = hierarchy
            .namespaces
            .keys()
            .filter(|(c, _)| c.as_str() == cluster)
            .map(|(_, n)| n.to_string())
            .collect();
        if known.is_empty() {
            anyhow::bail!("no namespaces on cluster `{cluster}`");
        }
        anyhow::bail!(
            "no namespace `{namespace}` on cluster `{cluster}`; it has: {}",
            known.join(", ")
        );
    };
    let text = match format {
        Format::Text => kprov::hierarchy::explain_text(ns),
        Format::Json => format!("{}\n", serde_json::to_string_pretty(ns)?),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(exit::OK)
}

fn schema(kind: Option<&str>) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    match kind {
        Some(kind) => {
            let kind: Kind = kind.parse().map_err(anyhow::Error::msg)?;
            let text = serde_json::to_string_pretty(&kprov::schema::input_schema(kind))
                .context("serializing schema")?;
            writeln!(out, "{text}")?;
        }
        None => {
            let all: serde_json::Map<String, serde_json::Value> = Kind::ALL
                .iter()
                .map(|&k| (k.as_str().to_owned(), kprov::schema::input_schema(k)))
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        }
    }
    Ok(exit::OK)
}
