//! The parts of the `kprov` binary that other programs of the repository
//! need too: its command-line definition, and the completions and man pages
//! generated from it.

pub mod cli;
pub mod docs;
