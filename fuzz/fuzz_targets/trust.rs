//! Fuzz the trust boundary between a project file and what Flux applies: a
//! project's file name and its namespaces' labels and annotations are
//! written by any team, and end up in generated files that a YAML reader
//! (kustomize, Flux) applies with cluster-admin, and in `.github/CODEOWNERS`.
//!
//! The fuzz bytes choose the project file's path and the keys and values of
//! `spec.labels` and `spec.annotations`, favouring the characters that break
//! out of a comment, a scalar or a line: line breaks of every kind, control
//! characters, noncharacters, `#`, spaces, `..`. The rest of the estate is
//! fixed and valid. When kprov compiles it without errors, nothing in the
//! output may carry the fuzzed text anywhere but into a quoted value:
//!
//! - every generated file and CODEOWNERS holds only characters a YAML 1.2
//!   reader accepts;
//! - no comment line holds a line break other than the LF that ends it;
//! - each `# Source:` header names only files of the estate;
//! - every YAML document parses, and every object lands in one of the
//!   project's namespaces (or is cluster-scoped);
//! - every CODEOWNERS rule is `<path> <owner>…`.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const ESTATE: &str = include_str!("../../fixtures/invalid/typo-field/kprov.yaml");
const CLUSTERS: &str = include_str!("../../fixtures/invalid/typo-field/platform/clusters.yaml");
const ORG: &str = include_str!("../../fixtures/invalid/typo-field/platform/tenants/org.yaml");
const TEAM: &str = include_str!("../../fixtures/invalid/typo-field/platform/tenants/team.yaml");
const SHOP: &str = include_str!("../../fixtures/invalid/typo-field/projects/shop.yaml");

/// Characters that end or escape something somewhere: drawn far more often
/// than a uniform choice of code point would.
const PICKS: &[char] = &[
    '\n',
    '\r',
    '\u{85}',
    '\u{2028}',
    '\u{2029}',
    '\t',
    '\0',
    '\u{7}',
    '\u{1b}',
    '\u{7f}',
    '\u{80}',
    '\u{9f}',
    '\u{a0}',
    '\u{feff}',
    '\u{fffe}',
    '\u{ffff}',
    '\u{d7ff}',
    '\u{e000}',
    '\u{10ffff}',
    '#',
    ' ',
    '.',
    '/',
    '\\',
    ':',
    '-',
    '"',
    '\'',
    ',',
    '{',
    '}',
    '[',
    ']',
    '&',
    '*',
    '!',
    '|',
    '>',
    '%',
    '@',
    '`',
    '?',
    '=',
    'a',
    'b',
    'z',
    '0',
    'é',
];

/// A string from the fuzz bytes.
fn text(u: &mut Unstructured) -> Result<String> {
    let len = u.int_in_range(0..=24)?;
    let mut out = String::new();
    for _ in 0..len {
        let pick: u8 = u.arbitrary()?;
        let c = match usize::from(pick) < PICKS.len() * 3 {
            true => PICKS[usize::from(pick) % PICKS.len()],
            false => char::from_u32(u.arbitrary::<u32>()? % 0x11_0000).unwrap_or('x'),
        };
        out.push(c);
    }
    Ok(out)
}

/// `s` as a YAML double-quoted scalar that reads back as exactly `s`: every
/// character outside printable ASCII escaped.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xffff => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08X}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

/// A flow mapping of fuzzed keys and values.
fn mapping(u: &mut Unstructured) -> Result<String> {
    let n = u.int_in_range(0..=3)?;
    let mut fields = Vec::new();
    for _ in 0..n {
        fields.push(format!("{}: {}", quoted(&text(u)?), quoted(&text(u)?)));
    }
    Ok(format!("{{{}}}", fields.join(", ")))
}

/// The project file's path: a name made of the fuzz bytes, mostly where
/// projects live and mostly with the extension kprov reads.
fn path(u: &mut Unstructured) -> Result<String> {
    let prefix = *u.choose(&["projects/", "projects/", "", "projects/../", "projects/x/"])?;
    let name = match text(u)? {
        name if name.is_empty() => "shop".to_owned(),
        name => name,
    };
    let suffix = *u.choose(&[".yaml", ".yaml", ".yml", ""])?;
    Ok(format!("{prefix}{name}{suffix}"))
}

fn estate(u: &mut Unstructured) -> Result<Vec<(String, String)>> {
    let project = format!(
        "{}  labels: {}\n  annotations: {}\n",
        SHOP.replace("ownerz:", "owners:"),
        mapping(u)?,
        mapping(u)?
    );
    Ok(vec![
        // CODEOWNERS is only written for an estate with `spec.github`.
        (
            "kprov.yaml".into(),
            format!("{ESTATE}  github: {{org: acme}}\n"),
        ),
        ("platform/clusters.yaml".into(), CLUSTERS.into()),
        ("platform/tenants/org.yaml".into(), ORG.into()),
        ("platform/tenants/team.yaml".into(), TEAM.into()),
        (path(u)?, project),
    ])
}

/// Whether a YAML 1.2 reader accepts `c` in a stream (its printable set).
fn yaml_printable(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | ' '..='~' | '\u{85}'
        | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
        && c != '\u{feff}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Every character is YAML-printable, and no comment line holds a line
/// break but the LF that ends it.
fn check_text(name: &str, contents: &str) {
    if let Some(c) = contents.chars().find(|&c| !yaml_printable(c)) {
        panic!("{name}: character {c:?} a YAML reader refuses\n{contents}");
    }
    for line in contents.split('\n') {
        if line.trim_start().starts_with('#') {
            assert!(
                !line.chars().any(is_break),
                "{name}: a comment line holds a line break: {line:?}"
            );
        }
    }
}

/// Whether `list` is some of `paths` joined by `, `.
fn names_only(list: &str, paths: &[&str]) -> bool {
    list.is_empty()
        || paths.iter().any(|p| match list.strip_prefix(p) {
            Some("") => true,
            Some(rest) => rest
                .strip_prefix(", ")
                .is_some_and(|rest| !rest.is_empty() && names_only(rest, paths)),
            None => false,
        })
}

/// A CODEOWNERS rule: a path (escapes `\x` taken as one character, no
/// whitespace), then owners, each one space before it, each `@…` or an
/// e-mail address.
fn check_codeowners_line(line: &str) {
    let mut chars = line.chars();
    let mut path = String::new();
    let mut rest = "";
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => path.push(escaped),
                None => panic!("CODEOWNERS: a rule ends in `\\`: {line:?}"),
            },
            ' ' => {
                rest = chars.as_str();
                break;
            }
            c => {
                assert!(
                    !c.is_whitespace(),
                    "CODEOWNERS: whitespace in a path: {line:?}"
                );
                path.push(c);
            }
        }
    }
    assert!(
        path == "*" || path.starts_with('/'),
        "CODEOWNERS: a rule's path is not a path: {line:?}"
    );
    if !rest.is_empty() {
        for owner in rest.split(' ') {
            assert!(
                owner.starts_with('@') || owner.contains('@'),
                "CODEOWNERS: {owner:?} is not an owner in {line:?}"
            );
            assert!(
                !owner.chars().any(char::is_whitespace),
                "CODEOWNERS: whitespace in an owner: {line:?}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(files) = estate(&mut u) else { return };
    let sources = kprov::load::Sources::from_memory(files);
    let compiled = kprov::compile(&sources, &kprov::Config::default());
    if kprov::diagnostic::has_errors(&compiled.diagnostics) {
        return;
    }
    let (Some(files), Some(hierarchy)) = (&compiled.files, &compiled.hierarchy) else {
        return;
    };
    let paths: Vec<&str> = sources.files.iter().map(|f| f.path.as_str()).collect();
    let namespaces: Vec<&str> = hierarchy
        .namespaces
        .values()
        .map(|ns| ns.name.as_str())
        .collect();
    for file in files {
        check_text(&file.path, &file.contents);
        for line in file.contents.split('\n') {
            if let Some(list) = line.strip_prefix("# Source: ") {
                assert!(
                    names_only(list, &paths),
                    "{}: `# Source:` names a file that is not in the estate: {list:?}\n{}",
                    file.path,
                    file.contents
                );
            }
        }
        let stream = kprov::yaml::parse_stream(&file.contents, kprov::yaml::Limits::default());
        assert!(
            stream.errors.is_empty(),
            "{}: does not parse: {:?}\n{}",
            file.path,
            stream.errors,
            file.contents
        );
        for document in &stream.documents {
            if let Some(namespace) = document.value.pointer("/metadata/namespace") {
                assert!(
                    namespace.as_str().is_some_and(|n| namespaces.contains(&n)),
                    "{}: an object in namespace {namespace}, not one of the project's {namespaces:?}\n{}",
                    file.path,
                    file.contents
                );
            }
        }
    }
    if let Some(codeowners) = &compiled.codeowners {
        check_text(".github/CODEOWNERS", codeowners);
        for line in codeowners.lines() {
            if !line.is_empty() && !line.starts_with('#') {
                check_codeowners_line(line);
            }
        }
    }
});
