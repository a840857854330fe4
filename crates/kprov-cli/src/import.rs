//! `kprov import libvirt`: reads the domain files and the estate, lets the
//! library convert, checks the estate still compiles with the VMs in it,
//! and only then writes the project file.

use std::path::{Path, PathBuf};

use kprov_cli::cli::{ImportReport, LibvirtArgs};

use kprov::diagnostic::{self, Code, Diagnostic};
use kprov::import::{self, ImportConfig, libvirt};

use crate::exit;

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
                    eprint!("{}", crate::diagnostics_text(&[d]));
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
        eprint!("{}", crate::diagnostics_text(&compiled.diagnostics));
        eprintln!("the estate has errors: fix them before importing; nothing written");
        return Ok(exit::ERRORS);
    }
    let imported = libvirt::convert(&files, &config, &compiled.model);
    if !imported.diagnostics.is_empty() {
        eprint!("{}", crate::diagnostics_text(&imported.diagnostics));
        eprintln!("nothing written");
        return Ok(exit::ERRORS);
    }

    let relative = format!("{}/{}.yaml", kprov::model::PROJECTS_DIR, config.project);
    let project_path = args.estate.join(&relative);
    let refuse = |message: String| {
        let refused = Diagnostic::error(Code::ImportRefused, None, message);
        eprint!("{}", crate::diagnostics_text(&[refused]));
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
            eprint!("{}", crate::diagnostics_text(&after.diagnostics));
            eprintln!("the estate would not compile with the imported VMs; nothing written");
            return Ok(exit::ERRORS);
        }
        std::mem::forget(after);
        if let Some(dir) = project_path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let staged = project_path.with_extension("yaml.kprov-import");
        std::fs::write(&staged, text)?;
        std::fs::rename(&staged, &project_path)?;
        say!(
            "{}: {} VMs written",
            project_path.display(),
            imported.vms.len()
        );
    } else {
        say!("no VM to write; nothing written");
    }
    std::mem::forget(compiled);

    let report = match args.report {
        ImportReport::Text => import::report::text(&imported),
        ImportReport::Markdown => import::report::markdown(&imported),
        ImportReport::Json => import::report::json(&imported),
    };
    let mut out = crate::stdout();
    std::io::Write::write_all(&mut out, report.as_bytes())?;
    Ok(if imported.clean() && text.is_some() {
        exit::OK
    } else {
        exit::FAILED
    })
}
