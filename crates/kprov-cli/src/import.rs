//! `kprov import libvirt`: reads the domain files and the estate, lets the
//! library convert, checks the estate still compiles with the VMs in it,
//! and only then writes the project file.

use std::path::{Path, PathBuf};

use kprov_cli::cli::{ImportReport, LibvirtArgs, OpenvzArgs};

use kprov::diagnostic::{self, Code, Diagnostic};
use kprov::import::{self, ImportConfig, libvirt, mapping, openvz};

use crate::exit;

fn parse<T: std::str::FromStr<Err = String>>(flag: &str, value: &str) -> anyhow::Result<T> {
    value
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--{flag}: {e}"))
}

fn read_bounded(path: &Path) -> anyhow::Result<String> {
    read_at_most(path, libvirt::MAX_BYTES, "a domain file", "libvirt-xml")
}

fn read_at_most(path: &Path, max: usize, what: &str, code: &str) -> anyhow::Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if meta.len() > max as u64 {
        anyhow::bail!(
            "{}: {} bytes, larger than the {max} {what} may have [{code}]",
            path.display(),
            meta.len(),
        );
    }
    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Every input file, directories expanded to their `*.xml` sorted by name.
fn input_files(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    input_files_ending(inputs, "xml")
}

fn input_files_ending(inputs: &[PathBuf], extension: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == extension) && p.is_file())
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
    let paths = input_files(&args.inputs)?;
    let mut files = Vec::with_capacity(paths.len());
    for path in &paths {
        files.push((path.display().to_string(), read_bounded(path)?));
    }

    // Each batch is one configuration and the indices of its files; a
    // domain no rule of the mapping matches is reported, not converted.
    let mut batches: Vec<(ImportConfig, Vec<usize>)> = Vec::new();
    let mut unmatched = Vec::new();
    if let Some(path) = &args.mapping {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
        if meta.len() > mapping::MAX_BYTES as u64 {
            let message = format!(
                "{shown}: {} bytes, larger than the {} a mapping file may have",
                meta.len(),
                mapping::MAX_BYTES
            );
            let error = Diagnostic::error(Code::ImportMapping, None, message);
            eprint!("{}", diagnostic::render_text(&[error]));
            return Ok(exit::ERRORS);
        }
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
        let rules = match mapping::parse(&shown, &text) {
            Ok(m) => m,
            Err(errors) => {
                eprint!("{}", diagnostic::render_text(&errors));
                eprintln!("nothing written");
                return Ok(exit::ERRORS);
            }
        };
        let mut unusable = Vec::new();
        let mut by_rule: Vec<Vec<usize>> = vec![Vec::new(); rules.rules.len()];
        for (i, (path, text)) in files.iter().enumerate() {
            let name = match libvirt::parse(path, text) {
                Ok(doc) => libvirt::domain_name(&doc),
                Err(d) => {
                    unusable.push(d);
                    continue;
                }
            };
            match rules.rules.iter().position(|r| r.pattern.is_match(&name)) {
                Some(r) => by_rule[r].push(i),
                None => unmatched.push((i, import::unmatched(path, &name))),
            }
        }
        if !unusable.is_empty() {
            eprint!("{}", diagnostic::render_text(&unusable));
            eprintln!("nothing written");
            return Ok(exit::ERRORS);
        }
        for (rule, indices) in rules.rules.iter().zip(by_rule) {
            if indices.is_empty() {
                continue;
            }
            let (first, more) = rule.clusters.split_first().expect("a rule has clusters");
            let config = ImportConfig {
                tenant: rule.tenant.clone(),
                project: rule.project.clone(),
                environment: rule.environment.clone(),
                cluster: first.clone(),
                more_clusters: more.to_vec(),
                tier: rule.tier.clone(),
                owners: rule.owners.clone(),
                image_url: args.image_url.clone(),
                sizes: sizes.clone(),
            };
            batches.push((config, indices));
        }
    } else {
        let flag = |value: &Option<String>| value.clone().unwrap_or_default();
        let config = ImportConfig {
            image_url: args.image_url.clone(),
            sizes,
            ..flags_config(
                [
                    flag(&args.tenant),
                    flag(&args.project),
                    flag(&args.environment),
                    flag(&args.cluster),
                ],
                &args.owners,
            )?
        };
        batches.push((config, (0..files.len()).collect()));
    }

    let mut sources = kprov::read_estate(&args.estate)?;
    let compiled = kprov::compile(&sources, &kprov::Config::default());
    if diagnostic::has_errors(&compiled.diagnostics) {
        eprint!("{}", crate::diagnostics_text(&compiled.diagnostics));
        eprintln!("the estate has errors: fix them before importing; nothing written");
        return Ok(exit::ERRORS);
    }
    let mut imported = import::Import::default();
    let mut reports = unmatched;
    // Per project: its configuration (the first rule's, owners of all),
    // its VMs and the files they came from.
    let mut projects: Vec<(
        ImportConfig,
        Vec<kprov::model::kinds::VirtualMachine>,
        Vec<String>,
    )> = Vec::new();
    for (config, indices) in &batches {
        let batch: Vec<(String, String)> = indices.iter().map(|&i| files[i].clone()).collect();
        let converted = libvirt::convert(&batch, config, &compiled.model);
        imported.diagnostics.extend(converted.diagnostics);
        reports.extend(indices.iter().copied().zip(converted.domains));
        let at = match projects
            .iter()
            .position(|(c, _, _)| c.project == config.project)
        {
            Some(at) => at,
            None => {
                projects.push((config.clone(), Vec::new(), Vec::new()));
                projects.len() - 1
            }
        };
        let (first, vms, read) = &mut projects[at];
        for owner in &config.owners {
            if !first.owners.contains(owner) {
                first.owners.push(owner.clone());
            }
        }
        imported.vms.extend(converted.vms.iter().cloned());
        vms.extend(converted.vms);
        read.extend(batch.into_iter().map(|(p, _)| p));
    }
    if !imported.diagnostics.is_empty() {
        eprint!("{}", crate::diagnostics_text(&imported.diagnostics));
        eprintln!("nothing written");
        return Ok(exit::ERRORS);
    }
    reports.sort_by_key(|(i, _)| *i);
    imported.domains = reports.into_iter().map(|(_, d)| d).collect();

    let refuse = |message: String| {
        let refused = Diagnostic::error(Code::ImportRefused, None, message);
        eprint!("{}", crate::diagnostics_text(&[refused]));
        eprintln!("nothing written");
        Ok(exit::ERRORS)
    };
    let mut writes = Vec::new();
    for (config, vms, read) in &projects {
        let relative = format!("{}/{}.yaml", kprov::model::PROJECTS_DIR, config.project);
        let project_path = args.estate.join(&relative);
        if let Some(p) = compiled.model.projects.get(&config.project)
            && p.origin.file() != relative
        {
            return refuse(format!(
                "project `{}` is defined in {}, not {relative}",
                config.project,
                p.origin.file()
            ));
        }
        if vms.is_empty() {
            continue;
        }
        let text = if project_path.exists() {
            let existing = std::fs::read_to_string(&project_path)?;
            let names = import::project::existing_names(&existing);
            if let Some(vm) = vms
                .iter()
                .find(|vm| names.iter().any(|n| n == vm.name.as_str()))
            {
                return refuse(format!("{relative} already has a VM named `{}`", vm.name));
            }
            match import::project::append(&existing, vms) {
                Ok(text) => text,
                Err(e) => return refuse(format!("{relative}: {e}")),
            }
        } else {
            if config.owners.is_empty() {
                return refuse(format!(
                    "{relative} is a new project: give its owners with --owner (or `owners` in the mapping)"
                ));
            }
            import::project::new_project(config, vms, read)
        };
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
        writes.push((project_path, text, vms.len()));
    }

    let configs: Vec<&ImportConfig> = projects.iter().map(|(c, _, _)| c).collect();
    let capacity;
    if writes.is_empty() {
        say!("no VM to write; nothing written");
        capacity = landing_capacity(&compiled, &configs);
    } else {
        let after = kprov::compile(&sources, &kprov::Config::default());
        if diagnostic::has_errors(&after.diagnostics) {
            eprint!("{}", crate::diagnostics_text(&after.diagnostics));
            eprintln!("the estate would not compile with the imported VMs; nothing written");
            return Ok(exit::ERRORS);
        }
        capacity = landing_capacity(&after, &configs);
        std::mem::forget(after);
        for (project_path, text, count) in &writes {
            if let Some(dir) = project_path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let staged = project_path.with_extension("yaml.kprov-import");
            std::fs::write(&staged, text)?;
            std::fs::rename(&staged, project_path)?;
            say!("{}: {count} VMs written", project_path.display());
        }
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
    Ok(if imported.clean() && !writes.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// The capacity part of the report, on the estate as it is after the
/// import: every cluster and tenant chain the VMs landed in.
fn landing_capacity(
    compiled: &kprov::Compiled,
    configs: &[&ImportConfig],
) -> Option<kprov::report::Report> {
    let hierarchy = compiled.hierarchy.as_ref()?;
    let mut landings = Vec::new();
    for config in configs {
        let tenant = compiled
            .model
            .projects
            .get(&config.project)
            .map_or(&config.tenant, |p| &p.spec.tenant);
        for cluster in std::iter::once(&config.cluster).chain(&config.more_clusters) {
            landings.push(import::report::Landing {
                tenant: tenant.clone(),
                environment: config.environment.clone(),
                cluster: cluster.clone(),
            });
        }
    }
    Some(import::report::capacity(
        &compiled.model,
        hierarchy,
        &landings,
    ))
}

/// The import's target from `--tenant`, `--project`, `--environment`,
/// `--cluster` and `--owner`, each checked as its flag.
fn flags_config(
    [tenant, project, environment, cluster]: [String; 4],
    owners: &[String],
) -> anyhow::Result<ImportConfig> {
    Ok(ImportConfig {
        tenant: parse("tenant", &tenant)?,
        project: parse("project", &project)?,
        environment: parse("environment", &environment)?,
        cluster: parse("cluster", &cluster)?,
        more_clusters: Vec::new(),
        tier: None,
        owners: owners
            .iter()
            .map(|o| parse("owner", o))
            .collect::<anyhow::Result<Vec<_>>>()?,
        image_url: None,
        sizes: Default::default(),
    })
}

pub fn openvz(args: &OpenvzArgs) -> anyhow::Result<u8> {
    let config = flags_config(
        [
            args.tenant.clone(),
            args.project.clone(),
            args.environment.clone(),
            args.cluster.clone(),
        ],
        &args.owners,
    )?;
    let paths = input_files_ending(&args.inputs, "conf")?;
    let mut files = Vec::with_capacity(paths.len());
    for path in &paths {
        let text = read_at_most(path, openvz::MAX_BYTES, "an OpenVZ config", "openvz-conf")?;
        files.push((path.display().to_string(), text));
    }
    let mut sources = kprov::read_estate(&args.estate)?;
    let compiled = kprov::compile(&sources, &kprov::Config::default());
    if diagnostic::has_errors(&compiled.diagnostics) {
        eprint!("{}", diagnostic::render_text(&compiled.diagnostics));
        eprintln!("the estate has errors: fix them before importing; nothing written");
        return Ok(exit::ERRORS);
    }
    let imported = openvz::convert(&files, &config, &compiled.model);
    if !imported.diagnostics.is_empty() {
        eprint!("{}", diagnostic::render_text(&imported.diagnostics));
        eprintln!("nothing written");
        return Ok(exit::ERRORS);
    }
    let relative = format!("{}/{}.yaml", kprov::model::PROJECTS_DIR, config.project);
    let project_path = args.estate.join(&relative);
    if project_path.exists() {
        let refused = Diagnostic::error(
            Code::ImportRefused,
            None,
            format!("{relative} exists: `kprov import openvz` writes a new project"),
        );
        eprint!("{}", diagnostic::render_text(&[refused]));
        eprintln!("nothing written");
        return Ok(exit::ERRORS);
    }
    let written = !imported.volumes.is_empty();
    let capacity = if written {
        if config.owners.is_empty() {
            let refused = Diagnostic::error(
                Code::ImportRefused,
                None,
                format!("{relative} is a new project: give its owners with --owner"),
            );
            eprint!("{}", diagnostic::render_text(&[refused]));
            eprintln!("nothing written");
            return Ok(exit::ERRORS);
        }
        let read: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
        let text = openvz::new_project(&config, &imported, &read);
        let at = sources
            .files
            .binary_search_by(|f| f.path.as_str().cmp(&relative))
            .unwrap_or_else(|i| i);
        sources.files.insert(
            at,
            kprov::load::SourceFile {
                path: relative.clone(),
                text: text.clone(),
            },
        );
        let after = kprov::compile(&sources, &kprov::Config::default());
        if diagnostic::has_errors(&after.diagnostics) {
            eprint!("{}", diagnostic::render_text(&after.diagnostics));
            eprintln!("the estate would not compile with the imported project; nothing written");
            return Ok(exit::ERRORS);
        }
        let capacity = landing_capacity(&after, &[&config]);
        std::mem::forget(after);
        if let Some(dir) = project_path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let staged = project_path.with_extension("yaml.kprov-import");
        std::fs::write(&staged, &text)?;
        std::fs::rename(&staged, &project_path)?;
        say!(
            "{}: {} volumes written",
            project_path.display(),
            imported.volumes.len()
        );
        capacity
    } else {
        say!("no container to size; nothing written");
        landing_capacity(&compiled, &[&config])
    };
    std::mem::forget(compiled);
    let capacity = capacity.as_ref();
    let report = match args.report {
        ImportReport::Text => import::report::openvz_text(&imported, capacity),
        ImportReport::Markdown => import::report::openvz_markdown(&imported, capacity),
        ImportReport::Json => import::report::openvz_json(&imported, capacity),
        ImportReport::Csv => import::report::openvz_csv(&imported, capacity),
    };
    let mut out = crate::stdout();
    std::io::Write::write_all(&mut out, report.as_bytes())?;
    Ok(if imported.clean() && written {
        exit::OK
    } else {
        exit::FAILED
    })
}
