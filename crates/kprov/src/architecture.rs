//! The architecture invariants of `ARCHITECTURE.md`, checked on the source
//! text: data flows one way through the stages, only `load` and `output`
//! touch the file system, and only `compose` knows about templates.

use std::path::{Path, PathBuf};

/// Each top-level module with its rank: a module may name modules of its
/// own rank or below, never above. The crate root (`lib.rs`) drives the
/// stages and may name them all.
const RANKS: &[(&str, u8)] = &[
    // Foundations every stage uses.
    ("diagnostic", 0),
    ("yaml", 0),
    ("test_support", 0),
    // The stages, in the order data flows through them.
    ("load", 1),
    ("model", 2),
    ("hierarchy", 3),
    ("compose", 4),
    ("lint", 5),
    ("conformance", 5),
    ("upstream_schemas", 5),
    ("policy", 5),
    ("emit", 6),
    ("output", 7),
    ("diff", 8),
    // Views of a compiled estate, and the golden-test command.
    ("report", 9),
    ("codeowners", 9),
    ("backstage", 9),
    ("import", 9),
    ("golden", 10),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every source file of the library with the top-level module it belongs
/// to, without its unit tests (tests may reach anywhere).
fn production_sources() -> Vec<(String, PathBuf, String)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(src()).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(src()).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "architecture" {
            continue; // this file: tests only
        }
        let text = std::fs::read_to_string(path).unwrap();
        let production = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => text[..at].to_owned(),
            None => text,
        };
        out.push((top, path.to_owned(), production));
    }
    out
}

fn rank(module: &str) -> Option<u8> {
    RANKS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// The modules of this crate that `text` names through `crate::…`.
fn named_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::{c, d}}`: the first name of every item at
            // the group's own level.
            let (mut depth, mut items) = (0usize, vec![String::new()]);
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(String::new()),
                    c if depth == 0 => items.last_mut().unwrap().push(c),
                    _ => {}
                }
            }
            out.extend(
                items
                    .iter()
                    .map(|item| item.trim().split("::").next().unwrap_or("").to_owned()),
            );
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out.retain(|m| rank(m).is_some());
    out
}

/// Imports that run against the stage order, as `file: module → named`.
fn back_edges(sources: &[(String, PathBuf, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (module, path, text) in sources {
        let Some(own) = rank(module) else {
            continue; // lib.rs, the driver
        };
        for named in named_modules(text) {
            if rank(&named).is_some_and(|r| r > own) {
                found.push(format!("{}: {module} → {named}", path.display()));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn every_module_has_a_rank() {
    let unranked: Vec<String> = production_sources()
        .into_iter()
        .map(|(module, _, _)| module)
        .filter(|m| m != "lib" && rank(m).is_none())
        .collect();
    assert!(
        unranked.is_empty(),
        "give these modules a place in RANKS: {unranked:?}"
    );
}

#[test]
fn data_flows_one_way_through_the_stages() {
    let edges = back_edges(&production_sources());
    assert!(
        edges.is_empty(),
        "imports against the stage order:\n{}",
        edges.join("\n")
    );
}

#[test]
fn a_back_edge_is_caught() {
    let sources = vec![
        (
            "load".to_owned(),
            PathBuf::from("load.rs"),
            "use crate::compose::Composed;".to_owned(),
        ),
        (
            "model".to_owned(),
            PathBuf::from("model/check.rs"),
            "use crate::{diagnostic::Diagnostic, hierarchy::Hierarchy};".to_owned(),
        ),
        (
            "emit".to_owned(),
            PathBuf::from("emit.rs"),
            "let x = crate::compose::builtin::FILES; use crate::yaml;".to_owned(),
        ),
        (
            "hierarchy".to_owned(),
            PathBuf::from("hierarchy/tree.rs"),
            "use crate::{model::{Model, Name}, emit::HEADER};".to_owned(),
        ),
    ];
    assert_eq!(
        back_edges(&sources),
        [
            "hierarchy/tree.rs: hierarchy → emit",
            "load.rs: load → compose",
            "model/check.rs: model → hierarchy"
        ]
    );
}

/// Only `load` reads and only `output` writes: every other stage is a
/// function from data to data.
#[test]
fn only_load_and_output_touch_the_file_system() {
    let touching: Vec<String> = production_sources()
        .into_iter()
        .filter(|(module, _, _)| !matches!(module.as_str(), "load" | "output" | "lib"))
        .filter(|(_, _, text)| {
            text.contains("std::fs") || text.contains("fs::") || text.contains("File::")
        })
        .map(|(_, path, _)| path.display().to_string())
        .collect();
    assert!(touching.is_empty(), "file system access in {touching:?}");
}

/// Templates are compose's business: nothing else links minijinja.
#[test]
fn only_compose_knows_about_templates() {
    let knowing: Vec<String> = production_sources()
        .into_iter()
        .filter(|(module, _, text)| module != "compose" && text.contains("minijinja"))
        .map(|(_, path, _)| path.display().to_string())
        .collect();
    assert!(knowing.is_empty(), "minijinja outside compose: {knowing:?}");
}

/// Templates, policies and schemas reach the stages after the model through
/// `Model::files`: none of them takes the loader's `Sources`.
#[test]
fn no_stage_after_the_model_reads_sources() {
    let model = rank("model").unwrap_or_default();
    let reading: Vec<String> = production_sources()
        .into_iter()
        .filter(|(module, _, text)| {
            let names_sources = text.match_indices("Sources").any(|(at, _)| {
                !text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
            });
            rank(module).is_some_and(|r| r > model) && names_sources
        })
        .map(|(_, path, _)| path.display().to_string())
        .collect();
    assert!(
        reading.is_empty(),
        "`Sources` after the model in {reading:?}"
    );
}

/// Making a module public makes it API: `lib.rs`'s public modules are the
/// ones ARCHITECTURE.md lists, so the map and the surface change together.
#[test]
fn the_public_modules_are_the_listed_ones() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let public: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod ")?.strip_suffix(';'))
        .collect();
    let map = std::fs::read_to_string(src().join("../../../ARCHITECTURE.md")).unwrap();
    let (_, listed) = map
        .split_once("Public modules: ")
        .expect("ARCHITECTURE.md lists the public modules");
    let listed: Vec<&str> = listed[..listed.find('.').unwrap_or_default()]
        .split(',')
        .map(|module| module.trim().trim_matches('`'))
        .collect();
    assert_eq!(public, listed);
}
