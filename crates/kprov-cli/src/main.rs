//! `kprov`: the command-line shell around the kprov library. It parses
//! arguments, calls the library, prints, and maps outcomes to exit codes;
//! all decisions live in the library.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use kprov::diagnostic::{self, Code, Diagnostic};
use kprov::model::schema::Kind;
use kprov_cli::cli::{
    CheckFormat, Cli, ColorWhen, Command, DiffFormat, Format, ImportSource, ReportFormat,
    TreeFormat,
};

/// A line of kprov's own on standard error that is not an error: progress,
/// a summary, a warning. `--quiet` drops it.
macro_rules! say {
    ($($arg:tt)*) => {
        if !$crate::ui().quiet {
            eprintln!($($arg)*);
        }
    };
}

mod import;
mod init;

/// Where a command that compiles shows the estate's diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Show {
    /// Text on stderr.
    Text,
    /// Text on stderr, unless there are errors: then the JSON document on
    /// stdout, as the command's own JSON never comes.
    Json,
    /// Annotations and the counts on stdout.
    Github,
    /// A SARIF log on stdout when there are errors; otherwise the command
    /// puts them in its own log.
    Sarif,
}

impl Show {
    fn json(json: bool) -> Show {
        if json { Show::Json } else { Show::Text }
    }
}

/// How this run talks on standard error, decided once from `--quiet`,
/// `--color` and the environment.
pub(crate) struct Ui {
    pub quiet: bool,
    pub style: diagnostic::TextStyle,
}

static UI: std::sync::OnceLock<Ui> = std::sync::OnceLock::new();

pub(crate) fn ui() -> &'static Ui {
    UI.get_or_init(|| Ui {
        quiet: false,
        style: diagnostic::TextStyle::PLAIN,
    })
}

impl Ui {
    fn of(cli: &Cli) -> Ui {
        let color = match cli.color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            // anstream reads the conventions: `NO_COLOR` (any non-empty
            // value), `CLICOLOR`, `CLICOLOR_FORCE`, `TERM=dumb`, a terminal.
            ColorWhen::Auto => {
                anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
            }
        };
        Ui {
            quiet: cli.quiet,
            style: if color {
                diagnostic::TextStyle::COLORED
            } else {
                diagnostic::TextStyle::PLAIN
            },
        }
    }

    /// `word` in the style of `severity`: the `error` and `warning` of
    /// kprov's own lines, coloured like the diagnostics'.
    pub fn word(&self, severity: diagnostic::Severity, word: &str) -> String {
        let s = self.style.of(severity);
        format!("{s}{word}{s:#}")
    }
}

/// Diagnostics as text for standard error: under `--quiet`, only the errors.
pub(crate) fn diagnostics_text(diagnostics: &[Diagnostic]) -> String {
    let ui = ui();
    if !ui.quiet {
        return diagnostic::render_text_styled(diagnostics, &ui.style);
    }
    let errors: Vec<Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.severity == diagnostic::Severity::Error)
        .cloned()
        .collect();
    diagnostic::render_text_styled(&errors, &ui.style)
}

/// Exit statuses, shared by every command (docs/design.md §5).
pub(crate) mod exit {
    pub const OK: u8 = 0;
    /// Drift (`diff`) or failed golden tests (`test`).
    pub const FAILED: u8 = 1;
    pub const ERRORS: u8 = 2;
}

/// Standard output that ends quietly when the reader goes away: `kprov
/// tree | head` is a normal way to use kprov, not an error. Whatever is
/// written after the pipe closed is dropped, and the command still ends
/// with the status its work earned (a drifted `diff` stays 1, so a
/// pipeline with `pipefail` cannot turn drift into success).
pub(crate) struct Stdout {
    inner: std::io::StdoutLock<'static>,
    closed: bool,
}

pub(crate) fn stdout() -> Stdout {
    Stdout {
        inner: std::io::stdout().lock(),
        closed: false,
    }
}

impl Stdout {
    fn quiet(&mut self, result: std::io::Result<()>) -> std::io::Result<()> {
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.closed {
            let result = self.inner.write_all(buf);
            self.quiet(result)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.quiet(result)
    }
}

impl Drop for Stdout {
    fn drop(&mut self) {
        // Line-buffered bytes still waiting go out here, where a closed
        // pipe is treated like every other write.
        let _ = std::io::Write::flush(self);
    }
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Index of `mi_option_purge_delay` in the `mi_option_e` of mimalloc v3
/// (libmimalloc-sys's default), which the Rust bindings do not name; a unit
/// test checks it against its default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// A run is short and its peak is its size. Returning freed pages to the OS
/// only to fault them back in, and zeroing transparent huge pages on first
/// touch, both cost system time the run never needed
/// (docs/performance.md).
fn tune_allocator() {
    // SAFETY: a process-wide option, set before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // mimalloc's own `allow_thp` option is read once, when it initialises
    // before `main`, and its first arena is already advised for huge pages
    // by then; the process-wide switch applies to every later page fault.
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments only; failure leaves THP as it was.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let _ = UI.set(Ui::of(&cli));
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{}: {e:#}", ui().word(diagnostic::Severity::Error, "error"));
            ExitCode::from(exit::ERRORS)
        }
    }
}

/// The estate a command given `dir` means: `dir` itself when it holds a
/// `kprov.yaml` or is not the working directory, else the nearest directory
/// above the working directory that holds one (as git finds its
/// repository), so kprov works from anywhere inside an estate.
fn discover_estate(dir: &Path) -> Option<PathBuf> {
    if dir != Path::new(".") || dir.join("kprov.yaml").is_file() {
        return None;
    }
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .skip(1)
        .find(|a| a.join("kprov.yaml").is_file())
        .map(Path::to_path_buf)
}

fn run(mut cli: Cli) -> anyhow::Result<u8> {
    if let Some(dir) = cli.command.estate_root()
        && let Some(found) = discover_estate(dir)
    {
        *dir = found;
    }
    match cli.command {
        Command::Validate {
            dir,
            options,
            format,
        } => validate(&dir, &options.config()?, format),
        Command::Render {
            dir,
            options,
            clusters,
        } => render(&dir, &options.config()?, &clusters),
        Command::Diff {
            dir,
            options,
            format,
            clusters,
            stat,
        } => diff(&dir, &options.config()?, format, &clusters, stat),
        Command::Report { dir, format, base } => match base {
            Some(base) => report_delta(&dir, &base, format),
            None => report_command(&dir, format),
        },
        Command::Lints => {
            let mut out = stdout();
            for lint in kprov::lint::LINTS {
                let severity = lint.severity.as_str();
                writeln!(
                    out,
                    "{:<20} {:<8} {}",
                    lint.id(),
                    severity,
                    lint.explanation
                )?;
            }
            Ok(exit::OK)
        }
        Command::Tree { dir, format } => tree(&dir, format),
        Command::Codeowners { dir } => codeowners(&dir),
        Command::Init { dir, force } => {
            let outcome = init::write(&dir, force)?;
            for path in &outcome.kept {
                say!(
                    "{}: kept: already there (`kprov init --force` replaces it)",
                    dir.join(path).display()
                );
            }
            for path in &outcome.replaced {
                say!("{}: replaced", dir.join(path).display());
            }
            say!(
                "{}: {} written, {} kept, {} replaced",
                dir.display(),
                diagnostic::count(outcome.written.len(), "scaffold file"),
                outcome.kept.len(),
                outcome.replaced.len()
            );
            let code = render(&dir, &kprov::Config::default(), &[])?;
            if code == exit::OK {
                say!(
                    "{}: estate created. Next: rename `example` and `example-org` in kprov.yaml, run `kprov render`, commit, and push to GitHub (README.md walks the rest)",
                    dir.display()
                );
            }
            Ok(code)
        }
        Command::Explain {
            target,
            dir,
            format,
            codes,
        } => match target {
            Some(target) => explain(&target, &dir, format),
            None if codes => explain_codes(format),
            None => {
                anyhow::bail!("explain needs <cluster>/<namespace>, a diagnostic code, or --codes")
            }
        },
        Command::Test { path, update } => test(&path, update),
        Command::Import {
            source: ImportSource::Libvirt(args),
        } => import::libvirt(&args),
        Command::Import {
            source: ImportSource::Openvz(args),
        } => import::openvz(&args),
        Command::Schema { kind, backstage } => match backstage {
            Some(dir) => backstage_schema(kind.as_deref(), &dir),
            None => schema(kind.as_deref()),
        },
        Command::Completions { shell } => {
            stdout().write_all(kprov_cli::docs::completions(shell).as_bytes())?;
            Ok(exit::OK)
        }
        Command::Man => {
            stdout().write_all(kprov_cli::docs::man_page().as_bytes())?;
            Ok(exit::OK)
        }
    }
}

/// The compiled estate is never dropped: the process ends right after the
/// command, and freeing a large estate's millions of JSON nodes one by one
/// is a measurable part of a run.
fn compile(
    dir: &std::path::Path,
    config: &kprov::Config,
) -> anyhow::Result<std::mem::ManuallyDrop<kprov::Compiled>> {
    let sources = kprov::read_estate(dir)?;
    let compiled = kprov::compile(&sources, config);
    std::mem::forget(sources);
    Ok(std::mem::ManuallyDrop::new(compiled))
}

/// Compile, print the diagnostics, and hand back the compiled estate only
/// when it has no errors: what every command that compiles does first.
fn compile_clean(
    dir: &std::path::Path,
    config: &kprov::Config,
    show: Show,
) -> anyhow::Result<Option<std::mem::ManuallyDrop<kprov::Compiled>>> {
    let compiled = compile(dir, config)?;
    let diagnostics = &compiled.diagnostics;
    let errors = diagnostic::has_errors(diagnostics);
    let text = match show {
        Show::Text => {
            eprint!("{}", diagnostics_text(diagnostics));
            String::new()
        }
        Show::Json if !errors => {
            eprint!("{}", diagnostics_text(diagnostics));
            String::new()
        }
        Show::Json => diagnostic::render_json(diagnostics),
        Show::Github => github(diagnostics, dir),
        Show::Sarif if errors => diagnostic::render_sarif(diagnostics, &diagnostic::path_base(dir)),
        Show::Sarif => String::new(),
    };
    stdout().write_all(text.as_bytes())?;
    Ok((!errors).then_some(compiled))
}

/// Annotations for `diagnostics`, then their counts on a line of their own.
fn github(diagnostics: &[Diagnostic], dir: &std::path::Path) -> String {
    let mut text = diagnostic::render_github(diagnostics, &diagnostic::path_base(dir));
    if !diagnostics.is_empty() {
        text.push_str(&format!("{}\n", diagnostic::Summary::of(diagnostics)));
    }
    text
}

fn validate(
    dir: &std::path::Path,
    config: &kprov::Config,
    format: CheckFormat,
) -> anyhow::Result<u8> {
    let checked = compile(dir, config)?;
    let diagnostics = &checked.diagnostics;
    let text = match format {
        CheckFormat::Text => {
            eprint!("{}", diagnostics_text(diagnostics));
            String::new()
        }
        CheckFormat::Json => diagnostic::render_json(diagnostics),
        CheckFormat::Github => github(diagnostics, dir),
        CheckFormat::Sarif => diagnostic::render_sarif(diagnostics, &diagnostic::path_base(dir)),
    };
    stdout().write_all(text.as_bytes())?;
    if diagnostic::has_errors(diagnostics) {
        return Ok(exit::ERRORS);
    }
    let model = &checked.model;
    if matches!(format, CheckFormat::Text | CheckFormat::Github) {
        let count = diagnostic::count;
        say!(
            "{}: valid ({}, {}, {}, {}, {})",
            dir.display(),
            count(model.clusters.len(), "cluster"),
            count(model.tenants.len(), "tenant"),
            count(model.projects.len(), "project"),
            count(
                checked.hierarchy.as_ref().map_or(0, |h| h.namespaces.len()),
                "namespace"
            ),
            count(checked.composed.as_ref().map_or(0, Vec::len), "object"),
        );
    }
    Ok(exit::OK)
}

/// Cluster names matching any of `globs`; `None` when no globs were given.
fn select_clusters(
    model: &kprov::model::Model,
    globs: &[String],
) -> anyhow::Result<Option<BTreeSet<String>>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let globs: Vec<kprov::model::Glob> = globs
        .iter()
        .map(|g| g.parse().map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<_>>()?;
    let selected: BTreeSet<String> = model
        .clusters
        .keys()
        .filter(|c| globs.iter().any(|g| g.is_match(c.as_str())))
        .map(|c| c.to_string())
        .collect();
    if selected.is_empty() {
        anyhow::bail!(
            "no cluster matches --cluster {}",
            globs
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(Some(selected))
}

/// Said once on stderr when another run holds the estate's lock.
fn waiting(dir: &std::path::Path) -> impl FnOnce() + '_ {
    move || {
        say!(
            "{}: waiting for another kprov on this estate to finish",
            dir.display()
        );
    }
}

/// What `render` and `diff` start from: the estate compiled without errors,
/// its files, and the clusters `globs` select.
type Selected = (
    std::mem::ManuallyDrop<kprov::Compiled>,
    Option<BTreeSet<String>>,
);

fn compile_selected(
    dir: &std::path::Path,
    config: &kprov::Config,
    globs: &[String],
    show: Show,
) -> anyhow::Result<Option<Selected>> {
    let Some(compiled) = compile_clean(dir, config, show)? else {
        return Ok(None);
    };
    let clusters = select_clusters(&compiled.model, globs)?;
    Ok(compiled.files.is_some().then_some((compiled, clusters)))
}

fn render(dir: &std::path::Path, config: &kprov::Config, globs: &[String]) -> anyhow::Result<u8> {
    let Some((compiled, clusters)) = compile_selected(dir, config, globs, Show::Text)? else {
        return Ok(exit::ERRORS);
    };
    let files = compiled.files.as_deref().unwrap_or_default();
    let output = compiled.model.output_dir();
    let mut config = kprov::output::WriteConfig::default();
    config.clusters = clusters.clone();
    let root_files = compiled.root_files_of(clusters.as_ref());
    let lock = kprov::output::EstateLock::exclusive(dir, waiting(dir))?;
    let root_paths: Vec<&str> = compiled.root_files().iter().map(|(p, _)| *p).collect();
    for leftover in kprov::output::recover(&lock, output, &root_paths)? {
        if leftover.restored {
            say!(
                "{}: left by an interrupted kprov render; restored as {output}",
                leftover.path
            );
        } else {
            say!(
                "{}: left by an interrupted kprov render; removed",
                leftover.path
            );
        }
    }
    let report = kprov::output::publish(&lock, output, files, &root_files, &config)?;
    drop(lock);
    for (path, removed) in &report.root_files {
        let verb = if *removed { "removed" } else { "written" };
        say!("{path}: {verb}");
    }
    let bootstrap = compiled.model.bootstrap_dirs();
    for f in report
        .foreign
        .iter()
        .filter(|f| !kprov::diff::under_any(&f.path, &bootstrap))
    {
        say!(
            "{output}/{}: {}: {} not generated by kprov; carried over (`kprov diff` reports it until it is moved out)",
            f.path,
            ui().word(diagnostic::Severity::Warning, "warning"),
            f.kind.describe()
        );
    }
    if let Some(backup) = &report.backup_left {
        say!(
            "{backup}: {}: could not remove the old tree; the next render will",
            ui().word(diagnostic::Severity::Warning, "warning")
        );
    }
    say!(
        "{output}: {} written, {} unchanged, {} removed",
        report.written,
        report.unchanged,
        report.removed
    );
    Ok(exit::OK)
}

fn diff(
    dir: &std::path::Path,
    config: &kprov::Config,
    format: DiffFormat,
    globs: &[String],
    stat: bool,
) -> anyhow::Result<u8> {
    let mut render = kprov::diff::RenderConfig::default();
    render.stat = stat;
    let show = match format {
        DiffFormat::Text | DiffFormat::Markdown => Show::Text,
        DiffFormat::Json => Show::Json,
        DiffFormat::Github => Show::Github,
        DiffFormat::Sarif => Show::Sarif,
    };
    let Some((compiled, clusters)) = compile_selected(dir, config, globs, show)? else {
        return Ok(exit::ERRORS);
    };
    let files = compiled.files.as_deref().unwrap_or_default();
    let output = compiled.model.output_dir();
    // Shared: a render swapping the tree in meanwhile would show half of it.
    let lock = kprov::output::EstateLock::shared(dir, waiting(dir))?;
    let on_disk = kprov::output::scan_tree(dir, output)?;
    let mut drift = kprov::diff::diff(output, files, &on_disk.files, clusters.as_ref());
    drift.add_foreign(on_disk.others, clusters.as_ref());
    drift.leave_to_owners(&compiled.model.bootstrap_dirs());
    for (path, contents) in compiled.root_files_of(clusters.as_ref()) {
        let committed = kprov::output::read_root_file(dir, path)?;
        drift
            .root_files
            .extend(kprov::diff::root_file(path, contents, committed.as_deref()));
    }
    drop(lock);
    let text = match format {
        DiffFormat::Text => kprov::diff::render_text(&drift, &render),
        DiffFormat::Json => format!("{}\n", serde_json::to_string_pretty(&drift)?),
        DiffFormat::Markdown => kprov::diff::render_markdown(&drift, &render),
        DiffFormat::Github => {
            let base = diagnostic::path_base(dir);
            let drifted = kprov::diff::diagnostics(&drift);
            format!(
                "{}{}\n",
                diagnostic::render_github(&drifted, &base),
                drift.summary()
            )
        }
        DiffFormat::Sarif => {
            // One log: the estate's warnings and the drift.
            let mut all = compiled.diagnostics.clone();
            all.extend(kprov::diff::diagnostics(&drift));
            diagnostic::sort(&mut all);
            diagnostic::render_sarif(&all, &diagnostic::path_base(dir))
        }
    };
    stdout().write_all(text.as_bytes())?;
    Ok(if drift.is_clean() {
        exit::OK
    } else {
        exit::FAILED
    })
}

fn report_command(dir: &std::path::Path, format: ReportFormat) -> anyhow::Result<u8> {
    let show = Show::json(format == ReportFormat::Json);
    let Some(compiled) = compile_clean(dir, &kprov::Config::default(), show)? else {
        return Ok(exit::ERRORS);
    };
    let Some(hierarchy) = &compiled.hierarchy else {
        return Ok(exit::ERRORS);
    };
    let report = kprov::report::build(&compiled.model, hierarchy);
    let text = match format {
        ReportFormat::Text => kprov::report::render_text(&report),
        ReportFormat::Markdown => kprov::report::render_markdown(&report),
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        ReportFormat::Csv => kprov::report::render_csv(&report),
    };
    stdout().write_all(text.as_bytes())?;
    Ok(exit::OK)
}

fn report_delta(
    dir: &std::path::Path,
    base: &std::path::Path,
    format: ReportFormat,
) -> anyhow::Result<u8> {
    let show = Show::json(format == ReportFormat::Json);
    let Some(compiled) = compile_clean(dir, &kprov::Config::default(), show)? else {
        return Ok(exit::ERRORS);
    };
    let Some(hierarchy) = &compiled.hierarchy else {
        return Ok(exit::ERRORS);
    };
    let head = kprov::report::costs(&compiled.model, hierarchy);
    // Only the base's model and hierarchy carry its cost: its rendered
    // objects need not pass the upstream schemas, and its diagnostics are
    // the base branch's business, not this change's.
    let mut config = kprov::Config::default();
    config.conformance.skip = true;
    let sources = kprov::read_estate(base).with_context(|| format!("--base {}", base.display()))?;
    let base_compiled = kprov::compile(&sources, &config);
    std::mem::forget(sources);
    let errors = base_compiled
        .diagnostics
        .iter()
        .filter(|d| d.severity == diagnostic::Severity::Error)
        .count();
    let base_costs = match &base_compiled.hierarchy {
        Some(h) if errors == 0 => {
            kprov::report::Base::Compiled(kprov::report::costs(&base_compiled.model, h))
        }
        _ => {
            // Errors stop the hierarchy, so there is at least one.
            let errors = errors.max(1);
            say!(
                "{}: {}: the base does not compile ({}); there is no cost delta",
                base.display(),
                ui().word(diagnostic::Severity::Warning, "warning"),
                diagnostic::count(errors, "error")
            );
            kprov::report::Base::DoesNotCompile { errors }
        }
    };
    std::mem::forget(base_compiled);
    let delta = kprov::report::delta(&base_costs, &head);
    let text = match format {
        ReportFormat::Text => kprov::report::render_delta_text(&delta),
        ReportFormat::Markdown => kprov::report::render_delta_markdown(&delta),
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&delta)?),
        ReportFormat::Csv => kprov::report::render_delta_csv(&delta),
    };
    stdout().write_all(text.as_bytes())?;
    Ok(exit::OK)
}

fn tree(dir: &std::path::Path, format: TreeFormat) -> anyhow::Result<u8> {
    let show = Show::json(format == TreeFormat::Json);
    let Some(compiled) = compile_clean(dir, &kprov::Config::default(), show)? else {
        return Ok(exit::ERRORS);
    };
    let Some(hierarchy) = &compiled.hierarchy else {
        return Ok(exit::ERRORS);
    };
    let text = match format {
        TreeFormat::Text => kprov::hierarchy::tree_text(hierarchy),
        TreeFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&kprov::hierarchy::tree_json(hierarchy))?
        ),
        TreeFormat::Mermaid => kprov::hierarchy::tree_mermaid(hierarchy),
    };
    stdout().write_all(text.as_bytes())?;
    Ok(exit::OK)
}

fn codeowners(dir: &std::path::Path) -> anyhow::Result<u8> {
    let Some(compiled) = compile_clean(dir, &kprov::Config::default(), Show::Text)? else {
        return Ok(exit::ERRORS);
    };
    let Some(text) = &compiled.codeowners else {
        anyhow::bail!(
            "{}: the estate sets no `spec.github` in kprov.yaml, so kprov does not manage {}; add e.g. `github: {{org: <your-org>}}` to map `group:` owners to teams",
            dir.display(),
            kprov::codeowners::PATH
        );
    };
    stdout().write_all(text.as_bytes())?;
    Ok(exit::OK)
}

fn explain(target: &str, dir: &std::path::Path, format: Format) -> anyhow::Result<u8> {
    // Codes never hold a `/`, and a namespace is always named with its cluster.
    let Some((cluster, namespace)) = target.split_once('/') else {
        return explain_code(target, format);
    };
    let show = Show::json(format == Format::Json);
    let Some(compiled) = compile_clean(dir, &kprov::Config::default(), show)? else {
        return Ok(exit::ERRORS);
    };
    let Some(hierarchy) = &compiled.hierarchy else {
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
    stdout().write_all(text.as_bytes())?;
    Ok(exit::OK)
}

/// The registry's entry of one diagnostic code.
fn explain_code(target: &str, format: Format) -> anyhow::Result<u8> {
    let code: Code = target.parse().map_err(|e| {
        anyhow::anyhow!(
            "{e} (`kprov explain --codes` lists every code; a namespace is named <cluster>/<namespace>, e.g. cluster-us-east-1-prod/checkout-prod)"
        )
    })?;
    let text = match format {
        Format::Text => code.entry(),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&code.registry_entry())?
        ),
    };
    stdout().write_all(text.as_bytes())?;
    Ok(exit::OK)
}

/// Every diagnostic code with its severity and explanation.
fn explain_codes(format: Format) -> anyhow::Result<u8> {
    let text = match format {
        Format::Text => Code::index(),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&kprov::diagnostic::CodeIndex::all())?
        ),
    };
    stdout().write_all(text.as_bytes())?;
    Ok(exit::OK)
}

/// A unified diff of `expected` → `actual`, coloured on a terminal.
fn unified_diff(expected: &str, actual: &str, from: &str, to: &str) -> String {
    use std::io::IsTerminal as _;
    let colour = std::io::stdout().is_terminal();
    let diff = similar::TextDiff::from_lines(expected, actual);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(from, to)
        .to_string();
    if !colour {
        return text;
    }
    text.lines()
        .map(|line| match line.chars().next() {
            Some('+') if !line.starts_with("+++") => format!("\x1b[32m{line}\x1b[0m\n"),
            Some('-') if !line.starts_with("---") => format!("\x1b[31m{line}\x1b[0m\n"),
            Some('@') => format!("\x1b[36m{line}\x1b[0m\n"),
            _ => format!("{line}\n"),
        })
        .collect()
}

fn test(path: &std::path::Path, update: bool) -> anyhow::Result<u8> {
    let (root, under, standalone) = kprov::load::find_estate_root(path)
        .with_context(|| format!("{}: no such directory", path.display()))?;
    let mut config = kprov::golden::Config::default();
    config.update = update;
    config.standalone = standalone;
    let sources = kprov::read_estate(&root)?;
    let (model, diagnostics) = kprov::model::build(&sources);
    let (compositions, diagnostics) = kprov::golden::build(&model, diagnostics, config);
    eprint!("{}", diagnostics_text(&diagnostics));
    if diagnostic::has_errors(&diagnostics) {
        return Ok(exit::ERRORS);
    }
    let files: Vec<String> = model
        .compositions
        .values()
        .map(|c| c.origin.file().to_owned())
        .filter(|f| under.is_empty() || f.starts_with(&format!("{under}/")))
        .collect();
    let (cases, warnings) = kprov::load::read_test_cases(&root, &files);
    eprint!("{}", diagnostics_text(&warnings));
    let results = kprov::golden::run(&compositions, &cases, config);
    for result in &results {
        if let kprov::golden::Verdict::Update(text) = &result.verdict {
            let path = result.expected_path();
            kprov::output::replace_file(&root, &path, text)
                .with_context(|| format!("writing {path}"))?;
        }
    }
    let text = kprov::golden::render_text(&results, |expected, actual, from| {
        unified_diff(expected, actual, from, "rendered")
    });
    stdout().write_all(text.as_bytes())?;
    Ok(if results.iter().all(|r| r.passed()) {
        exit::OK
    } else {
        exit::FAILED
    })
}

fn backstage_schema(kind: Option<&str>, dir: &std::path::Path) -> anyhow::Result<u8> {
    let kind: Kind = kind
        .unwrap_or("project")
        .parse()
        .map_err(anyhow::Error::msg)?;
    if kind != Kind::Project {
        anyhow::bail!(
            "--backstage: only Project has a self-service form, not {}",
            kind.as_str()
        );
    }
    // The form needs the estate's names, not a fully valid estate: a broken
    // project elsewhere must not stop the platform team from updating it.
    let sources = kprov::read_estate(dir)?;
    let (model, diagnostics) = kprov::model::build(&sources);
    eprint!("{}", diagnostics_text(&diagnostics));
    if model.estate.is_none() {
        return Ok(exit::ERRORS);
    }
    let text = serde_json::to_string_pretty(&kprov::backstage::parameters(&model))?;
    writeln!(stdout(), "{text}")?;
    Ok(exit::OK)
}

fn schema(kind: Option<&str>) -> anyhow::Result<u8> {
    let mut out = stdout();
    match kind {
        Some(kind) => {
            let kind: Kind = kind.parse().map_err(anyhow::Error::msg)?;
            let text = serde_json::to_string_pretty(&kprov::model::schema::input_schema(kind))
                .context("serializing schema")?;
            writeln!(out, "{text}")?;
        }
        None => {
            let all: serde_json::Map<String, serde_json::Value> = Kind::ALL
                .iter()
                .map(|&k| (k.as_str().to_owned(), kprov::model::schema::input_schema(k)))
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        }
    }
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    /// The option index is right when the option reads as the default of
    /// the bundled mimalloc v3 (purge delay 1000 ms).
    #[test]
    fn allocator_option_index_matches_mimalloc() {
        // SAFETY: reads a process-wide option.
        let purge = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(purge, 1000);
    }
}
