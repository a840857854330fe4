//! kprov compiles a Kubernetes platform *estate* — clusters, a tenant
//! hierarchy, self-service projects and Crossplane-style compositions — into
//! deterministic per-cluster manifests.
//!
//! # Design
//!
//! One module per stage, data flowing one way:
//!
//! ```text
//! load (I/O) → yaml + schema → model → hierarchy → compose → emit → diff
//! ```
//!
//! Only [`load`] reads the file system; every later stage is a pure function
//! from data to data plus a list of [`Diagnostic`]s, so the compiler embeds in
//! other tools, runs under a fuzzer, and gives byte-identical output for the
//! same input on any machine. No stage stops at the first problem.
//!
//! ```no_run
//! let sources = kprov::load::read_estate("fixtures/acme".as_ref(), &Default::default())?;
//! let checked = kprov::check(&sources);
//! print!("{}", kprov::diagnostic::render_text(&checked.diagnostics));
//! if let Some(hierarchy) = &checked.hierarchy {
//!     print!("{}", kprov::hierarchy::tree_text(hierarchy));
//! }
//! # Ok::<(), kprov::load::LoadError>(())
//! ```
#![deny(missing_docs)]

pub mod diagnostic;
pub mod hierarchy;
pub mod load;
pub mod model;
pub mod schema;
pub mod yaml;

pub use diagnostic::Diagnostic;

/// An estate checked as far as it is sound.
#[derive(Debug)]
pub struct Checked {
    /// Every object that loaded.
    pub model: model::Model,
    /// The resolved hierarchy; `None` when any stage before it, or the
    /// hierarchy rules themselves, found errors.
    pub hierarchy: Option<hierarchy::Hierarchy>,
    /// Every diagnostic of every stage that ran, sorted.
    pub diagnostics: Vec<Diagnostic>,
}

/// Run the checking stages (model, then hierarchy) on loaded sources.
/// Each stage runs only when the ones before it found no errors.
pub fn check(sources: &load::Sources) -> Checked {
    let (model, mut diagnostics) = model::build(sources);
    let mut hierarchy = None;
    if !diagnostic::has_errors(&diagnostics) {
        let (resolved, more) = hierarchy::resolve(&model);
        diagnostics.extend(more);
        diagnostic::sort(&mut diagnostics);
        if !diagnostic::has_errors(&diagnostics) {
            hierarchy = Some(resolved);
        }
    }
    Checked {
        model,
        hierarchy,
        diagnostics,
    }
}
