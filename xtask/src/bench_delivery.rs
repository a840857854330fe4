//! `cargo xtask bench-delivery [--scale S] [--runs N] [--work DIR] [--kprov BIN]`:
//! what each `spec.delivery.units` mode costs kprov and Flux's consumer.
//!
//! For one generated estate and each mode (`cluster`, `tenant`, `project`)
//! it times `kprov render` into an empty output directory (median of N),
//! then takes the cluster with the most objects and builds, with
//! `kubectl kustomize`, everything Flux builds for it: the cluster's root
//! and, in the split modes, every unit's `config` and `apps` directory. It
//! prints, per mode, the number of units (estate-wide and on that
//! cluster), the largest unit's objects and build time, the root's, and
//! the sum of the cluster's builds, as a markdown table on stdout.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};

use crate::{bench, gen_estate};

const USAGE: &str = "usage: cargo xtask bench-delivery [--scale S] [--runs N] [--work DIR] [--kprov BIN]\n\n  \
    --scale S    estate scale (default 1)\n  \
    --runs N     renders per mode (default 3)\n  \
    --work DIR   scratch directory (default: $TMPDIR/kprov-bench-delivery)\n  \
    --kprov BIN  use this kprov binary instead of building the release one";

const MODES: [&str; 3] = ["cluster", "tenant", "project"];

pub fn cli(args: &[String], repo: &Path) -> anyhow::Result<()> {
    let Some(bench::Args {
        scales,
        runs,
        work,
        kprov,
    }) = bench::parse_args(args, USAGE)?
    else {
        return Ok(());
    };
    let [scale] = scales[..] else {
        if scales.is_empty() {
            return cli_at(1.0, runs, work, kprov, repo);
        }
        bail!("--scale: give one scale\n\n{USAGE}");
    };
    cli_at(scale, runs, work, kprov, repo)
}

fn cli_at(
    scale: f64,
    runs: Option<usize>,
    work: Option<PathBuf>,
    kprov: Option<PathBuf>,
    repo: &Path,
) -> anyhow::Result<()> {
    let runs = runs.unwrap_or(3);
    let work = work.unwrap_or_else(|| std::env::temp_dir().join("kprov-bench-delivery"));
    let kprov = match kprov {
        Some(k) => k,
        None => bench::build_release(repo)?,
    };
    bench::remove(&work)?;
    fs::create_dir_all(&work)?;
    let estate = work.join("estate");
    eprintln!("generating the estate at scale {scale} …");
    gen_estate::generate(&estate, scale)?;
    let kprov_yaml = estate.join("kprov.yaml");
    let base = fs::read_to_string(&kprov_yaml)?;
    let log = work.join("stderr.txt");
    let mut aside = Vec::new();

    println!(
        "| units | render (median of {runs}) | Flux Kustomizations | on the largest cluster | largest unit: objects | largest unit: build | root: objects | root: build | sum of builds, largest cluster |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for mode in MODES {
        let text = base.replacen(
            "\nspec:\n",
            &format!("\nspec:\n  delivery:\n    units: {mode}\n"),
            1,
        );
        fs::write(&kprov_yaml, text)?;
        let output = estate.join("clusters");
        let mut renders = Vec::new();
        for round in 0..runs {
            eprintln!("{mode}: render {}/{runs}", round + 1);
            // Set aside, not deleted: see `bench::set_aside`.
            bench::set_aside(&output, &work, &mut aside)?;
            let outcome = bench::run(Command::new(&kprov).arg("render").arg(&estate), &log)?;
            if outcome.code != 0 {
                bail!(
                    "kprov render exited {}: see {}",
                    outcome.code,
                    log.display()
                );
            }
            renders.push(outcome.wall.as_secs_f64());
        }
        renders.sort_by(f64::total_cmp);
        let render = renders[renders.len() / 2];

        let (largest, _) = clusters_by_objects(&output)?
            .into_iter()
            .max_by_key(|(name, objects)| (*objects, std::cmp::Reverse(name.clone())))
            .context("no cluster rendered")?;
        let cluster = output.join(&largest);
        let units = unit_dirs(&cluster)?;
        // Each cluster's root, plus one per unit directory.
        let kustomizations: usize = fs::read_dir(&output)?
            .map(|e| Ok(1 + unit_dirs(&e?.path())?.len()))
            .sum::<anyhow::Result<usize>>()?;
        eprintln!(
            "{mode}: building {} directories of {largest}",
            units.len() + 1
        );
        let (root_objects, root_seconds) = build(&cluster)?;
        let mut total = root_seconds;
        let mut biggest = (0usize, 0f64);
        for dir in &units {
            let (objects, seconds) = build(dir)?;
            total += seconds;
            if seconds > biggest.1 {
                biggest = (objects, seconds);
            }
        }
        let (unit_objects, unit_seconds) = match mode {
            "cluster" => (root_objects, root_seconds),
            _ => biggest,
        };
        println!(
            "| {mode} | {render:.2} s | {} | {} | {unit_objects} | {unit_seconds:.2} s | {root_objects} | {root_seconds:.2} s | {total:.1} s |",
            kustomizations,
            units.len() + 1,
        );
    }
    fs::write(&kprov_yaml, base)?;
    for path in &aside {
        bench::remove(path)?;
    }
    Ok(())
}

/// Each cluster's name and the number of objects in its layer files.
fn clusters_by_objects(output: &Path) -> anyhow::Result<Vec<(String, usize)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(output)? {
        let entry = entry?;
        let mut objects = 0;
        for file in walk(&entry.path())? {
            let name = file.to_string_lossy();
            if (name.contains("/config/") || name.contains("/apps/"))
                && !name.ends_with("kustomization.yaml")
            {
                objects += documents(&fs::read_to_string(&file)?);
            }
        }
        out.push((entry.file_name().to_string_lossy().into_owned(), objects));
    }
    Ok(out)
}

/// The directories one Flux Kustomization each builds, besides the
/// cluster's root: `units/<unit>/<layer>`.
fn unit_dirs(cluster: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let units = cluster.join("units");
    let mut out = Vec::new();
    if units.is_dir() {
        for unit in fs::read_dir(&units)? {
            for layer in fs::read_dir(unit?.path())? {
                out.push(layer?.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d)? {
            let e = e?;
            if e.file_type()?.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    Ok(out)
}

/// Objects in a YAML stream (documents with a `kind`).
fn documents(text: &str) -> usize {
    text.lines().filter(|l| l.starts_with("kind: ")).count()
}

/// `kubectl kustomize dir`: objects built and wall seconds.
fn build(dir: &Path) -> anyhow::Result<(usize, f64)> {
    let start = Instant::now();
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .context("running kubectl (is it installed?)")?;
    let seconds = start.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "kubectl kustomize {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok((documents(&String::from_utf8_lossy(&out.stdout)), seconds))
}
