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
//! let (model, diagnostics) = kprov::model::build(&sources);
//! print!("{}", kprov::diagnostic::render_text(&diagnostics));
//! assert!(model.estate.is_some());
//! # Ok::<(), kprov::load::LoadError>(())
//! ```
#![deny(missing_docs)]

pub mod diagnostic;
pub mod load;
pub mod model;
pub mod schema;
pub mod yaml;

pub use diagnostic::Diagnostic;
