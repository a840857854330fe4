//! Shell completions and man pages generated from the clap definition. The
//! committed copies (`completions/`, `man/`) are what packagers install;
//! `cargo xtask cli-docs` rewrites them and a test fails while they are stale.

use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::cli::Cli;

/// The shells whose completions are committed.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// The completion script of `shell`.
pub fn completions(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kprov", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The man page of `kprov` itself, as committed.
pub fn man_page() -> String {
    man_pages()
        .into_iter()
        .find(|(name, _)| name == "kprov.1")
        .map(|(_, text)| text)
        .unwrap_or_default()
}

fn render(command: clap::Command) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    // A subcommand has no version of its own; the page says kprov's.
    let _ = clap_mangen::Man::new(command)
        .source(concat!("kprov ", env!("CARGO_PKG_VERSION")))
        .render(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Every man page: `kprov.1`, then one per visible subcommand
/// (`kprov-validate.1`, `kprov-import-libvirt.1`), as `man kprov-validate`
/// finds them.
pub fn man_pages() -> Vec<(String, String)> {
    fn walk(command: clap::Command, out: &mut Vec<(String, String)>) {
        let name = command
            .get_display_name()
            .unwrap_or(command.get_name())
            .to_owned();
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub.clone(), out);
        }
        out.push((format!("{name}.1"), render(command)));
    }
    // Built, subcommands carry their display names (`kprov-validate`); the
    // `help` subcommand has no page of its own.
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    walk(command, &mut pages);
    pages.sort();
    pages
}

/// Every generated file, relative to `crates/kprov-cli/`.
pub fn committed_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = SHELLS
        .iter()
        .map(|&shell| {
            let extension = match shell {
                Shell::Zsh => "zsh",
                Shell::Fish => "fish",
                _ => "bash",
            };
            (format!("completions/kprov.{extension}"), completions(shell))
        })
        .collect();
    files.extend(
        man_pages()
            .into_iter()
            .map(|(name, text)| (format!("man/{name}"), text)),
    );
    files
}
