//! Per-stage benchmarks (issue 8): `cargo bench -p kprov`.
//!
//! Generates the synthetic estate of `cargo xtask gen-estate` (scale 1, or
//! `KPROV_BENCH_SCALE`) into a temporary directory once, runs the pipeline
//! once to get every stage's input, then times each stage on its own:
//! load (`read_estate`), model, hierarchy, compose, emit, diff (against the
//! rendered files as the tree on disk: clean, and with one file changed),
//! and the whole in-memory compile (load → bytes of every output file).
//! Whole commands, with I/O, are timed by `cargo xtask bench`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::LazyLock;

use divan::Bencher;
use kprov::{compose, diff, emit, hierarchy, load, model};

/// The allocator the `kprov` binary uses, so stage times add up to what the
/// CLI spends (glibc malloc makes compose and emit markedly slower).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The generator itself, shared with `cargo xtask gen-estate` (std only).
#[path = "../../../xtask/src/gen_estate.rs"]
#[allow(dead_code)]
mod gen_estate;

struct Estate {
    dir: PathBuf,
    sources: load::Sources,
    model: model::Model,
    hierarchy: hierarchy::Hierarchy,
    composed: Vec<compose::Composed>,
    files: Vec<emit::OutputFile>,
    /// The rendered files as `read_tree` would return them.
    on_disk: BTreeMap<String, Vec<u8>>,
    /// The same with one namespace file edited.
    on_disk_changed: BTreeMap<String, Vec<u8>>,
}

static ESTATE: LazyLock<Estate> = LazyLock::new(prepare);

fn prepare() -> Estate {
    let scale: f64 = std::env::var("KPROV_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let dir = std::env::temp_dir().join(format!("kprov-bench-stages-{}", std::process::id()));
    let summary = gen_estate::generate(&dir, scale).expect("generating the estate");
    eprintln!(
        "estate (scale {scale}): {} tenants, {} projects, {} namespaces, {} VMs in {}",
        summary.tenants,
        summary.projects,
        summary.namespaces,
        summary.vms,
        dir.display()
    );
    let sources = kprov::read_estate(&dir).expect("loading");
    let (model, d) = model::build(&sources);
    assert!(!kprov::diagnostic::has_errors(&d), "model: {d:?}");
    let (hierarchy, d) = hierarchy::build(&model);
    assert!(!kprov::diagnostic::has_errors(&d), "hierarchy: {d:?}");
    let (composed, d) = compose::build(&model, &hierarchy);
    assert!(!kprov::diagnostic::has_errors(&d), "compose: {d:?}");
    let files = emit::build(&model, &composed);
    let on_disk: BTreeMap<String, Vec<u8>> = files
        .iter()
        .map(|f| (f.path.clone(), f.contents.clone().into_bytes()))
        .collect();
    let mut on_disk_changed = on_disk.clone();
    if let Some((_, bytes)) = on_disk_changed
        .iter_mut()
        .find(|(p, _)| p.contains("/config/") && !p.ends_with("kustomization.yaml"))
    {
        let text = String::from_utf8_lossy(bytes).replacen("pods: ", "pods: 1", 1);
        *bytes = text.into_bytes();
    }
    eprintln!("{} composed objects, {} files", composed.len(), files.len());
    Estate {
        dir,
        sources,
        model,
        hierarchy,
        composed,
        files,
        on_disk,
        on_disk_changed,
    }
}

fn main() {
    LazyLock::force(&ESTATE);
    divan::main();
    let _ = std::fs::remove_dir_all(&ESTATE.dir);
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn load(b: Bencher) {
    let e = &*ESTATE;
    b.bench(|| kprov::read_estate(&e.dir).expect("loading"));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn model(b: Bencher) {
    let e = &*ESTATE;
    b.bench(|| model::build(&e.sources));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn hierarchy(b: Bencher) {
    let e = &*ESTATE;
    b.bench(|| hierarchy::build(&e.model));
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn compose(b: Bencher) {
    let e = &*ESTATE;
    b.bench(|| compose::build(&e.model, &e.hierarchy));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn emit(b: Bencher) {
    let e = &*ESTATE;
    b.bench(|| emit::build(&e.model, &e.composed));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn diff_clean(b: Bencher) {
    let e = &*ESTATE;
    b.bench(|| diff::diff("clusters", &e.files, &e.on_disk, None));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn diff_one_file_changed(b: Bencher) {
    let e = &*ESTATE;
    b.bench(|| diff::diff("clusters", &e.files, &e.on_disk_changed, None));
}

/// Load → bytes of every output file, no writes (target ≤ 1 s at scale 1).
#[divan::bench(sample_count = 3, sample_size = 1)]
fn compile_in_memory(b: Bencher) {
    let e = &*ESTATE;
    b.bench(|| {
        let sources = kprov::read_estate(&e.dir).expect("loading");
        kprov::compile(&sources, &kprov::Config::default())
    });
}
