//! Reading an estate from disk: the only stage that touches the file system
//! on the way in. Everything after [`read_estate`] is pure and works on
//! [`Sources`], so it can be fed from memory (tests, fuzzing, a browser).

use std::fs;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::diagnostic::{Code, Diagnostic, Location};

/// An input file, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the estate root, `/`-separated.
    pub path: String,
    /// Contents (valid UTF-8, byte-order mark removed).
    pub text: String,
}

/// Everything the pure stages need from disk.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Sources {
    /// Input files, sorted by path.
    pub files: Vec<SourceFile>,
    /// Problems met while reading (unreadable files, symlinks, oversized files).
    pub diagnostics: Vec<Diagnostic>,
}

impl Sources {
    /// Sources from a bundle: one text holding several files, each starting
    /// with a line `#### <path>`; text before the first such line is
    /// `kprov.yaml`. Used by the fuzzer and for one-file reproductions.
    pub fn from_bundle(text: &str) -> Sources {
        let mut files: Vec<(String, String)> = Vec::new();
        let mut parts = text.split("\n#### ");
        if let Some(first) = parts.next() {
            let first = first.strip_prefix("#### kprov.yaml\n").unwrap_or(first);
            files.push(("kprov.yaml".to_owned(), first.to_owned()));
        }
        for part in parts {
            let (path, contents) = part.split_once('\n').unwrap_or((part, ""));
            files.push((path.trim().to_owned(), contents.to_owned()));
        }
        Sources::from_memory(files)
    }

    /// The file at `path` (relative, `/`-separated), if it was read.
    pub fn file(&self, path: &str) -> Option<&SourceFile> {
        // Linear: only templates are looked up, once each, and `files` is
        // public, so its order is not something to rely on.
        self.files.iter().find(|f| f.path == path)
    }

    /// Sources from in-memory `(path, text)` pairs (paths relative to the
    /// estate root, `/`-separated), as if read from disk: a path
    /// [`read_estate`] would refuse (anything but letters, digits, `.`, `_`
    /// and `-` between the `/`s, or an empty, `.` or `..` part) is dropped
    /// with an error.
    pub fn from_memory<P: Into<String>, T: Into<String>>(
        files: impl IntoIterator<Item = (P, T)>,
    ) -> Sources {
        let mut diagnostics = Vec::new();
        let mut files: Vec<SourceFile> = files
            .into_iter()
            .map(|(path, text)| SourceFile {
                path: path.into(),
                text: text.into(),
            })
            .filter(|file| match refuse_input_path(&file.path) {
                None => true,
                Some(refusal) => {
                    diagnostics.push(refusal);
                    false
                }
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Sources { files, diagnostics }
    }
}

/// How the estate is read. The caller says what makes a file input and
/// which directory is output: both come from the estate's format and its
/// `kprov.yaml`, which this stage does not interpret (see `crate::read_estate`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadConfig {
    /// Input files larger than this are refused (a hostile pull request must
    /// not be able to make CI read gigabytes).
    pub max_file_bytes: u64,
    /// Text every YAML input file contains (the input API version): YAML
    /// files without it are not kprov's and are skipped unparsed.
    pub marker: &'static str,
    /// A directory, relative to the root, that is not walked: the output
    /// tree, whose thousands of generated files are never input.
    pub skip: Option<String>,
}

impl LoadConfig {
    /// Files up to 16 MiB, marked by `marker`, nothing skipped.
    pub fn new(marker: &'static str) -> LoadConfig {
        LoadConfig {
            max_file_bytes: 16 * 1024 * 1024,
            marker,
            skip: None,
        }
    }
}

/// The text of one file of the estate (`path` relative to the root): what
/// must be known of `kprov.yaml` before the walk. Only a regular file of at
/// most `max_bytes` is read; a link (say, to `/dev/zero`), a pipe or a huge
/// file gives `None` here and is reported by the walk like any other input.
pub(crate) fn read_root_text(root: &Path, path: &str, max_bytes: u64) -> Option<String> {
    let full = root.join(path);
    let meta = fs::symlink_metadata(&full).ok()?;
    if !meta.file_type().is_file() || meta.len() > max_bytes {
        return None;
    }
    let mut text = String::new();
    fs::File::open(&full)
        .ok()?
        .take(max_bytes)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// Why an estate could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The root is missing or not a directory.
    #[error("{path}: not a directory (an estate is a directory with a kprov.yaml)")]
    NotADirectory {
        /// The root as given.
        path: PathBuf,
    },
}

/// Whether the relative, `/`-separated `path` is `dir` or lies inside it.
pub(crate) fn is_within(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Refuse an input path that generated text could not quote safely.
///
/// Input paths reach generated text: the `# Source:` comment of every output
/// file and the lines of `.github/CODEOWNERS`. A name holding a line break
/// (any of the four a YAML reader breaks at) would end that comment and turn
/// the rest of the name into YAML, or add a CODEOWNERS line; spaces, `#`, `*`
/// and brackets mean something in CODEOWNERS. So kprov reads input only from
/// paths of the POSIX portable file name characters (letters, digits, `.`,
/// `_`, `-`) separated by `/`, with no empty, `.` or `..` part. The error
/// quotes the path with every unsafe character escaped.
pub(crate) fn refuse_input_path(path: &str) -> Option<Diagnostic> {
    let portable = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let bad_part = path.split('/').find(|part| {
        part.is_empty() || *part == "." || *part == ".." || !part.chars().all(portable)
    });
    let part = bad_part?;
    let shown = path.escape_default().to_string();
    let suggestion: String = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .map(|p| {
            p.chars()
                .map(|c| if portable(c) { c } else { '-' })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/");
    let what = if part.is_empty() || part == "." || part == ".." {
        "has an empty, `.` or `..` part".to_owned()
    } else {
        let c = part.chars().find(|c| !portable(*c)).unwrap_or(' ');
        format!("has `{}`", c.escape_default())
    };
    Some(Diagnostic::error(
        Code::UnportablePath,
        file_location(&shown, 1),
        format!(
            "input file name {what}; kprov reads input only from paths of letters, digits, `.`, `_` and `-` separated by `/`, because generated files and CODEOWNERS quote them. Rename it, e.g. to `{suggestion}`"
        ),
    ))
}

fn file_location(path: &str, line: u32) -> Option<Location> {
    Some(Location::in_file(path, line, 1))
}

/// Read every YAML file under `root` that holds kprov objects, every
/// template (`*.j2`), every Rego policy (`*.rego`) and every JSON Schema
/// under `schemas/`.
///
/// Skips dot-directories and the output directory; does not follow symlinks
/// (they are reported, so nothing outside the estate is ever read). Files
/// without the string `kprov.dev/v1alpha1` are not kprov input and are
/// skipped unparsed, so Helm charts and other YAML in the repository are no
/// concern of ours.
pub fn read_estate(root: &Path, config: &LoadConfig) -> Result<Sources, LoadError> {
    if !root.is_dir() {
        return Err(LoadError::NotADirectory {
            path: root.to_owned(),
        });
    }
    let output = config.skip.as_deref();
    let mut sources = Sources::default();
    let mut candidates = Vec::new();
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            let hidden = e.file_name().to_string_lossy().starts_with('.');
            let is_output =
                e.file_type().is_dir() && output.is_some_and(|o| relative(root, e.path()) == o);
            !(hidden || is_output)
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(|p| relative(root, p)).unwrap_or_default();
                sources.diagnostics.push(Diagnostic::error(
                    Code::Unreadable,
                    file_location(&path, 1),
                    format!(
                        "cannot read: {}",
                        e.io_error()
                            .map_or_else(|| e.to_string(), |io| io.to_string())
                    ),
                ));
                continue;
            }
        };
        let path = relative(root, entry.path());
        if entry.path_is_symlink() {
            sources.diagnostics.push(Diagnostic::warning(
                Code::Symlink,
                file_location(&path, 1),
                "symbolic link not followed: kprov reads only regular files inside the estate",
            ));
            continue;
        }
        let kind = if is_yaml(&path) {
            Input::Yaml
        } else if path.ends_with(".j2")
            || path.ends_with(".rego")
            || (path.starts_with("schemas/") && path.ends_with(".json"))
        {
            Input::Template
        } else {
            continue;
        };
        if !entry.file_type().is_file() {
            continue;
        }
        candidates.push((entry.into_path(), path, kind));
    }
    // Reading is most of loading, and a cold cache makes it I/O-bound:
    // files are read in parallel, results kept in walk order.
    let read: Vec<(Option<SourceFile>, Vec<Diagnostic>)> = candidates
        .par_iter()
        .map(|(full, path, kind)| {
            let mut diagnostics = Vec::new();
            let file = read_input(full, path, *kind, config, &mut diagnostics);
            (file, diagnostics)
        })
        .collect();
    for (file, diagnostics) in read {
        sources.files.extend(file);
        sources.diagnostics.extend(diagnostics);
    }
    sources.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(sources)
}

/// Whether a path names a YAML file.
pub(crate) fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// What an input file is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    /// YAML that may hold kprov objects (read only when it mentions kprov).
    Yaml,
    /// A composition template, a Rego policy or an estate JSON Schema (always read).
    Template,
}

fn read_input(
    full: &Path,
    path: &str,
    kind: Input,
    config: &LoadConfig,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<SourceFile> {
    let marker = config.marker.as_bytes();
    let unreadable = |e: std::io::Error| {
        Diagnostic::error(
            Code::Unreadable,
            file_location(path, 1),
            format!("cannot read: {e}"),
        )
    };
    let mut file = match fs::File::open(full) {
        Ok(f) => f,
        Err(e) => {
            diagnostics.push(unreadable(e));
            return None;
        }
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > config.max_file_bytes {
        // Only an input file is an error; a big unrelated YAML file is not ours.
        let mut head = vec![0; 64 * 1024];
        let n = file.read(&mut head).unwrap_or(0);
        if kind == Input::Template || contains(&head[..n], marker) {
            diagnostics.push(Diagnostic::error(
                Code::FileTooLarge,
                file_location(path, 1),
                format!(
                    "file is {size} bytes; kprov reads input files of at most {} bytes",
                    config.max_file_bytes
                ),
            ));
        }
        return None;
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    if let Err(e) = file.read_to_end(&mut bytes) {
        diagnostics.push(unreadable(e));
        return None;
    }
    if let Some(encoding) = utf16(&bytes) {
        // Skipping it would silently drop a project (or a policy) that an
        // editor saved in the wrong encoding.
        let ours = kind == Input::Template || {
            let wide: Vec<u8> = marker
                .iter()
                .flat_map(|&b| {
                    if encoding == "UTF-16LE" {
                        [b, 0]
                    } else {
                        [0, b]
                    }
                })
                .collect();
            contains(&bytes, &wide)
        };
        if ours {
            diagnostics.push(Diagnostic::error(
                Code::InvalidUtf8,
                file_location(path, 1),
                format!(
                    "file is {encoding}; kprov reads UTF-8 only. Convert it, e.g. `iconv -f {encoding} -t UTF-8`"
                ),
            ));
        }
        return None;
    }
    if kind == Input::Yaml && !contains(&bytes, marker) {
        return None;
    }
    if let Some(refusal) = refuse_input_path(path) {
        diagnostics.push(refusal);
        return None;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(SourceFile {
            path: path.to_owned(),
            text: text.to_owned(),
        }),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let column =
                good.len() - good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
            diagnostics.push(Diagnostic::error(
                Code::InvalidUtf8,
                Some(Location::in_file(
                    path.to_owned(),
                    u32::try_from(line).unwrap_or(u32::MAX),
                    u32::try_from(column).unwrap_or(u32::MAX),
                )),
                "file is not valid UTF-8 (YAML input must be UTF-8)",
            ));
            None
        }
    }
}

/// The UTF-16 encoding a byte-order mark announces, if any.
fn utf16(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, ..] => Some("UTF-16LE"),
        [0xFE, 0xFF, ..] => Some("UTF-16BE"),
        _ => None,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// The files of one golden test case of a composition, as read.
#[derive(Debug, Clone)]
pub struct CaseFiles {
    /// The case directory, relative to the estate root.
    pub dir: String,
    /// Contents of `claim.yaml`.
    pub claim: String,
    /// Contents of `expected.yaml`, if it exists.
    pub expected: Option<String>,
}

/// The estate `path` lies in: `(root, path relative to it, standalone)`.
/// The root is the nearest ancestor of `path` (or `path` itself) holding a
/// `kprov.yaml`; when there is none, `path` is a directory of compositions
/// outside any estate (like kprov's own built-ins): it is then the root, and
/// `standalone` is true.
pub fn find_estate_root(path: &Path) -> std::io::Result<(PathBuf, String, bool)> {
    let path = path.canonicalize()?;
    let root = path.ancestors().find(|d| d.join("kprov.yaml").is_file());
    let standalone = root.is_none();
    let root = root.unwrap_or(&path).to_path_buf();
    let under = relative(&root, &path);
    Ok((root, under, standalone))
}

/// The golden test cases of compositions defined in `composition_files`
/// (paths relative to `root`): every `tests/<case>/claim.yaml` beside them,
/// with warnings. Symbolic links are never followed: a linked `tests`
/// directory, case directory, `claim.yaml` or `expected.yaml` is reported
/// and its case not run, so nothing outside the estate is read, printed or
/// (by `kprov test --update`) overwritten.
pub fn read_test_cases(
    root: &Path,
    composition_files: &[String],
) -> (Vec<(String, CaseFiles)>, Vec<Diagnostic>) {
    let mut cases = Vec::new();
    let mut warnings = Vec::new();
    let mut is_link = |path: &Path| {
        let link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if link {
            warnings.push(Diagnostic::warning(
                Code::Symlink,
                file_location(&relative(root, path), 1),
                "symbolic link not followed: kprov reads only regular files inside the estate; this test case is not run",
            ));
        }
        link
    };
    for file in composition_files {
        let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
        let tests = root.join(dir).join("tests");
        if is_link(&tests) {
            continue;
        }
        let Ok(entries) = fs::read_dir(&tests) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| !is_link(p) && p.is_dir())
            .collect();
        dirs.sort();
        for case in dirs {
            let (claim, expected) = (case.join("claim.yaml"), case.join("expected.yaml"));
            if is_link(&claim) || is_link(&expected) {
                continue;
            }
            let Ok(claim) = fs::read_to_string(claim) else {
                continue;
            };
            cases.push((
                file.clone(),
                CaseFiles {
                    dir: relative(root, &case),
                    claim,
                    expected: fs::read_to_string(expected).ok(),
                },
            ));
        }
    }
    (cases, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_means_the_directory_or_below_it_never_a_name_that_starts_alike() {
        assert!(is_within("projects", "projects"));
        assert!(is_within("projects/shop.yaml", "projects"));
        assert!(is_within("a/b/c", "a/b"));
        assert!(!is_within("projects-old/shop.yaml", "projects"));
        assert!(!is_within("project", "projects"));
        assert!(!is_within("other/projects", "projects"));
    }

    #[test]
    fn only_portable_paths_are_input() {
        for ok in [
            "kprov.yaml",
            "projects/shop-1.yaml",
            "compositions/pg/tests/a_b/claim.yaml",
        ] {
            assert!(refuse_input_path(ok).is_none(), "{ok}");
        }
        for bad in [
            "a b.yaml",
            "x\ny.yaml",
            "x\u{2028}.yaml",
            "../x.yaml",
            "a//b.yaml",
            "ö.yaml",
            "a#b.yaml",
        ] {
            let refusal = refuse_input_path(bad).expect(bad);
            assert!(!refusal.location.unwrap().file.contains('\n'), "{bad}");
        }
    }
}
