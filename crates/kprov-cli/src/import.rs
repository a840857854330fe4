//! `kprov import libvirt`: reads the domain files and the estate, lets the
//! library convert, checks the estate still compiles with the VMs in it,
//! and only then writes the project file.

use std::path::{Path, PathBuf};

use kprov::diagnostic::{self, Code, Diagnostic};
use kprov::import::{self, ImportConfig, libvirt};

use crate::exit;

/// Report formats of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportReport {
    /// One block per VM, then totals.
    Text,
    /// A table and a section per VM, for a pull request.
    Markdown,
    /// Machine-readable, camelCase keys.
    Json,
    /// One row per VM, then the capacity tables (RFC 4180).
    Csv,
}

/// The flags of `kprov import libvirt`.
#[derive(Debug, Clone, clap::Args)]
pub struct LibvirtArgs {
    /// Estate root.
    #[arg(long, default_value = ".")]
    pub estate: PathBuf,
    /// Tenant of the project (for a new project).
    #[arg(long)]
    tenant: String,
    /// Project the VMs go into: `projects/<PROJECT>.yaml`, created if missing.
    #[arg(long)]
    project: String,
    /// Environment of the project the VMs run in.
    #[arg(long)]
    environment: String,
    /// Cluster of that environment.
    #[arg(long)]
    cluster: String,
    /// Owner of a new project, e.g. `group:erp-admins` (repeatable; required for a new project).
    #[arg(long = "owner", value_name = "SUBJECT")]
    owners: Vec<String>,
    /// Base URL the disk images are served from: an image file becomes `<URL>/<file name>`.
    #[arg(long, value_name = "URL")]
    image_url: Option<String>,
    /// CSV of disk sizes, `domain,target,size` (a quantity or bytes); `virsh dumpxml` has none.
    #[arg(long, value_name = "FILE")]
    sizes: Option<PathBuf>,
    /// Report format, on standard output.
    #[arg(long, value_enum, default_value_t = ImportReport::Text)]
    report: ImportReport,
    /// `virsh dumpxml` output: files, or directories whose `*.xml` are read in name order.
    #[arg(required = true, value_name = "FILE|DIR")]
    inputs: Vec<PathBuf>,
}

fn parse<T: std::str::FromStr<Err = String>>(flag: &str, value: &str) -> anyhow::Result<T> {
    value
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--{flag}: {e}"))
}

fn read_bounded(path: &Path) -> anyhow::Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if meta.len() > libvirt::MAX_BYTES as u64 {
        anyhow::bail!(
            "{}: {} bytes, larger than the {} a domain file may have [libvirt-xml]",
            path.display(),
            meta.len(),
            libvirt::MAX_BYTES
        );
    }
    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Every input file, directories expanded to their `*.xml` sorted by name.
fn input_files(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "xml") && p.is_file())
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

pub fn libvirt(args: &LibvirtArgs) -> anyhow::Result<u8> {
    let owners = args
        .owners
        .iter()
        .map(|o| parse("owner", o))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let sizes = match &args.sizes {
        Some(path) => {
            let text = read_bounded(path)?;
            match libvirt::parse_sizes(&path.display().to_string(), &text) {
                Ok(sizes) => sizes,
                Err(d) => {
                    eprint!("{}", diagnostic::render_text(&[d]));
                    return Ok(exit::ERRORS);
                }
            }
        }
        None => Default::default(),
    };
    let config = ImportConfig {
        tenant: parse("tenant", &args.tenant)?,
        project: parse("project", &args.project)?,
        environment: parse("environment", &args.environment)?,
        cluster: parse("cluster", &args.cluster)?,
        owners,
        image_url: args.image_url.clone(),
        sizes,
    };
    let paths = input_files(&args.inputs)?;
    let mut files = Vec::with_capacity(paths.len());
    for path in &paths {
        files.push((path.display().to_string(), read_bounded(path)?));
    }

    let mut sources = kprov::read_estate(&args.estate)?;
    let compiled = kprov::compile(&sources, &kprov::Config::default());
    if diagnostic::has_errors(&compiled.diagnostics) {
        eprint!("{}", diagnostic::render_text(&compiled.diagnostics));
        eprintln!("the estate has errors: fix them before importing; nothing written");
        return Ok(exit::ERRORS);
    }
    let imported = libvirt::convert(&files, &config, &compiled.model);
    if !imported.diagnostics.is_empty() {
        eprint!("{}", diagnostic::render_text(&imported.diagnostics));
        eprintln!("nothing written");
        return Ok(exit::ERRORS);
    }

    let relative = format!("{}/{}.yaml", kprov::model::PROJECTS_DIR, config.project);
    let project_path = args.estate.join(&relative);
    let refuse = |message: String| {
        let refused = Diagnostic::error(Code::ImportRefused, None, message);
        eprint!("{}", diagnostic::render_text(&[refused]));
        eprintln!("nothing written");
        Ok(exit::ERRORS)
    };
    if let Some(p) = compiled.model.projects.get(&config.project)
        && p.origin.file() != relative
    {
        return refuse(format!(
            "project `{}` is defined in {}, not {relative}",
            config.project,
            p.origin.file()
        ));
    }
    let capacity;
    let text = if imported.vms.is_empty() {
        None
    } else if project_path.exists() {
        let existing = std::fs::read_to_string(&project_path)?;
        let names = import::project::existing_names(&existing);
        if let Some(vm) = imported
            .vms
            .iter()
            .find(|vm| names.iter().any(|n| n == vm.name.as_str()))
        {
            return refuse(format!("{relative} already has a VM named `{}`", vm.name));
        }
        match import::project::append(&existing, &imported.vms) {
            Ok(text) => Some(text),
            Err(e) => return refuse(format!("{relative}: {e}")),
        }
    } else {
        if config.owners.is_empty() {
            return refuse(format!(
                "{relative} is a new project: give its owners with --owner"
            ));
        }
        let read: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
        Some(import::project::new_project(&config, &imported.vms, &read))
    };

    if let Some(text) = &text {
        match sources
            .files
            .binary_search_by(|f| f.path.as_str().cmp(&relative))
        {
            Ok(i) => sources.files[i].text = text.clone(),
            Err(i) => sources.files.insert(
                i,
                kprov::load::SourceFile {
                    path: relative.clone(),
                    text: text.clone(),
                },
            ),
        }
        let after = kprov::compile(&sources, &kprov::Config::default());
        if diagnostic::has_errors(&after.diagnostics) {
            eprint!("{}", diagnostic::render_text(&after.diagnostics));
            eprintln!("the estate would not compile with the imported VMs; nothing written");
            return Ok(exit::ERRORS);
        }
        capacity = landing_capacity(&after, &config);
        std::mem::forget(after);
        if let Some(dir) = project_path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let staged = project_path.with_extension("yaml.kprov-import");
        std::fs::write(&staged, text)?;
        std::fs::rename(&staged, &project_path)?;
        eprintln!(
            "{}: {} VMs written",
            project_path.display(),
            imported.vms.len()
        );
    } else {
        eprintln!("no VM to write; nothing written");
        capacity = landing_capacity(&compiled, &config);
    }
    std::mem::forget(compiled);

    let capacity = capacity.as_ref();
    let report = match args.report {
        ImportReport::Text => import::report::text(&imported, capacity),
        ImportReport::Markdown => import::report::markdown(&imported, capacity),
        ImportReport::Json => import::report::json(&imported, capacity),
        ImportReport::Csv => import::report::csv(&imported, capacity),
    };
    let mut out = crate::stdout();
    std::io::Write::write_all(&mut out, report.as_bytes())?;
    Ok(if imported.clean() && text.is_some() {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// The capacity part of the report, on the estate as it is after the import.
fn landing_capacity(
    compiled: &kprov::Compiled,
    config: &ImportConfig,
) -> Option<kprov::report::Report> {
    let hierarchy = compiled.hierarchy.as_ref()?;
    let tenant = compiled
        .model
        .projects
        .get(&config.project)
        .map_or(&config.tenant, |p| &p.spec.tenant);
    let landing = import::report::Landing {
        tenant: tenant.clone(),
        environment: config.environment.clone(),
        cluster: config.cluster.clone(),
    };
    Some(import::report::capacity(
        &compiled.model,
        hierarchy,
        &[landing],
    ))
}
