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

fn validate(dir: &std::path::Path, format: Format) -> anyhow::Result<u8> {
    let sources = kprov::load::read_estate(dir, &kprov::load::LoadConfig::default())?;
    let (model, diagnostics) = kprov::model::build(&sources);
    report(&diagnostics, format)?;
    if diagnostic::has_errors(&diagnostics) {
        return Ok(exit::ERRORS);
    }
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
