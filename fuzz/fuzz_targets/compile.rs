//! Fuzz `kprov::compile` on an in-memory estate given as a bundle (files
//! separated by `#### <path>` lines, see `Sources::from_bundle`). The seed
//! corpus holds the fixtures in this form, so mutations start from real
//! estates. Any panic is a bug: bad input must become diagnostics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let sources = kprov::load::Sources::from_bundle(text);
    let compiled = kprov::compile(&sources, &kprov::Config::default());
    let _ = kprov::diagnostic::render_text(&compiled.diagnostics);
    if let (Some(files), Some(hierarchy)) = (&compiled.files, &compiled.hierarchy) {
        // Compiling twice gives the same bytes, and the views do not panic.
        let again = kprov::compile(&sources, &kprov::Config::default());
        assert_eq!(again.files.as_ref(), Some(files));
        let _ = kprov::hierarchy::tree_text(hierarchy);
        let _ = kprov::report::build(&compiled.model, hierarchy);
    }
});
