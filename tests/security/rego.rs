//! See main.rs for the promises every case checks.

#[allow(unused_imports)]
use super::*;
