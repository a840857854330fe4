//! `cargo xtask bench [--scale S]... [--runs N] [--work DIR] [--kprov BIN]`:
//! whole-command timings of the release `kprov` on generated estates.
//!
//! For every scale it generates the estate (`gen_estate`), renders it once
//! to warm the caches and measure the output, then runs N rounds of, in
//! this order (so noise spreads over every command alike):
//!
//! - `kprov render` into an empty output directory (the previous tree is
//!   moved aside, not deleted: see [`set_aside`]),
//! - `kprov render` over the up-to-date tree,
//! - `kprov validate` (load and the whole in-memory compile, no writes),
//! - `kprov diff` on the clean tree (exit 0),
//! - `kprov diff` after a one-project change (a label; exit 1, change reverted after),
//! - `cp -r` of the rendered tree, the I/O reference of the same run.
//!
//! It prints min / median / max wall time of each, the ratios the targets of
//! issue 8 are stated in, peak RSS (`wait4` rusage of the child), and the
//! output's size, as markdown tables on stdout. Progress goes to stderr.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::gen_estate;

const USAGE: &str = "usage: cargo xtask bench [--scale S]... [--runs N] [--work DIR] [--kprov BIN]\n\n  \
    --scale S    estate scale, repeatable (default: 0.25 0.5 1 2 4)\n  \
    --runs N     rounds per scale (default 5)\n  \
    --work DIR   scratch directory (default: $TMPDIR/kprov-bench)\n  \
    --kprov BIN  use this kprov binary instead of building the release one";

/// Commands of one round, in order.
const COMMANDS: [&str; 6] = [
    "render (empty output)",
    "render (up to date)",
    "validate (in-memory compile)",
    "diff (clean)",
    "diff (one project changed)",
    "cp -r (output tree)",
];
const RENDER_EMPTY: usize = 0;
const CP: usize = 5;

/// The flags both benchmarks take; `None` fields were not given.
pub(crate) struct Args {
    pub(crate) scales: Vec<f64>,
    pub(crate) runs: Option<usize>,
    pub(crate) work: Option<PathBuf>,
    pub(crate) kprov: Option<PathBuf>,
}

/// Parse `--scale S`, `--runs N`, `--work DIR`, `--kprov BIN` (also as
/// `--flag=value`); `None` after printing `usage` for `--help`.
pub(crate) fn parse_args(args: &[String], usage: &str) -> anyhow::Result<Option<Args>> {
    let mut parsed = Args {
        scales: Vec::new(),
        runs: None,
        work: None,
        kprov: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_owned())),
            None => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .with_context(|| format!("{flag} needs a value\n\n{usage}"))
        };
        match flag {
            "--scale" => {
                let v = value()?;
                parsed.scales.push(
                    v.parse()
                        .ok()
                        .filter(|s: &f64| s.is_finite() && *s > 0.0)
                        .with_context(|| format!("--scale {v}: expected a positive number"))?,
                );
            }
            "--runs" => {
                let v = value()?;
                parsed.runs = Some(
                    v.parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .with_context(|| format!("--runs {v}: expected a positive integer"))?,
                );
            }
            "--work" => parsed.work = Some(PathBuf::from(value()?)),
            "--kprov" => parsed.kprov = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                println!("{usage}");
                return Ok(None);
            }
            other => bail!("unknown argument `{other}`\n\n{usage}"),
        }
    }
    Ok(Some(parsed))
}

pub fn cli(args: &[String], repo: &Path) -> anyhow::Result<()> {
    let Some(Args {
        mut scales,
        runs,
        work,
        kprov,
    }) = parse_args(args, USAGE)?
    else {
        return Ok(());
    };
    let runs = runs.unwrap_or(5);
    let work = work.unwrap_or_else(|| std::env::temp_dir().join("kprov-bench"));
    if scales.is_empty() {
        scales = vec![0.25, 0.5, 1.0, 2.0, 4.0];
    }
    let kprov = match kprov {
        Some(k) => k,
        None => build_release(repo)?,
    };
    // A scratch directory left by an earlier run is moved aside and deleted
    // at the end, like every tree a round replaces.
    let mut aside = Vec::new();
    if work.exists() {
        let name = work.file_name().map_or_else(
            || "kprov-bench".into(),
            |n| n.to_string_lossy().into_owned(),
        );
        let stale = work.with_file_name(format!("{name}.stale-{}", std::process::id()));
        fs::rename(&work, &stale).with_context(|| format!("moving {} aside", work.display()))?;
        aside.push(stale);
    }
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let work = work.canonicalize()?;

    let mut results = Vec::new();
    for &scale in &scales {
        results.push(bench_scale(&kprov, &work, scale, runs, &mut aside)?);
    }
    print!("{}", report(&results, runs));
    eprintln!("removing the {} trees set aside", aside.len());
    for path in &aside {
        remove(path)?;
    }
    Ok(())
}

/// Move `path` (if it exists) to a fresh name in `dir` instead of deleting
/// it; [`cli`] deletes everything set aside once the timings are done.
///
/// Why not delete: ext4 without a journal (this machine's disk) will not
/// reuse an inode freed within the last `vm.dirty_expire_centisecs` (30 s)
/// and checks every candidate while it allocates, so a render right after
/// deleting its own output measured that search, not kprov. A CI checkout
/// has no recently deleted tree either.
pub(crate) fn set_aside(path: &Path, dir: &Path, aside: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if path.exists() {
        let to = dir.join(format!("aside-{}", aside.len()));
        fs::rename(path, &to).with_context(|| format!("moving {} aside", path.display()))?;
        aside.push(to);
    }
    Ok(())
}

/// `cargo build --release -p kprov-cli`, then the binary's path.
pub(crate) fn build_release(repo: &Path) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("building the release kprov …");
    let status = Command::new(&cargo)
        .current_dir(repo)
        .args(["build", "--release", "--quiet", "-p", "kprov-cli"])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release -p kprov-cli failed");
    }
    let meta = Command::new(&cargo)
        .current_dir(repo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("running cargo metadata")?;
    let text = String::from_utf8_lossy(&meta.stdout);
    let key = "\"target_directory\":\"";
    let start = text
        .find(key)
        .context("no target_directory in cargo metadata")?
        + key.len();
    let end = text[start..]
        .find('"')
        .context("malformed cargo metadata")?
        + start;
    let bin = PathBuf::from(text[start..end].replace("\\\\", "\\"))
        .join("release")
        .join(format!("kprov{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        bail!("{}: not built", bin.display());
    }
    Ok(bin)
}

// ------------------------------------------------------------------ running

pub(crate) struct Outcome {
    pub(crate) wall: Duration,
    /// Peak resident set of the child, KiB.
    max_rss_kib: Option<u64>,
    pub(crate) code: i32,
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
mod sys {
    /// `struct rusage` on 64-bit Linux: two timevals, then 14 longs.
    #[repr(C)]
    pub struct Rusage {
        pub utime: [i64; 2],
        pub stime: [i64; 2],
        pub maxrss: i64,
        pub rest: [i64; 13],
    }
    unsafe extern "C" {
        pub fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
    }

    /// Wait for `pid`; its exit code (or 128 + signal) and peak RSS in KiB.
    pub fn wait(pid: u32) -> std::io::Result<(i32, u64)> {
        let mut status = 0i32;
        let mut usage = Rusage {
            utime: [0; 2],
            stime: [0; 2],
            maxrss: 0,
            rest: [0; 13],
        };
        loop {
            // SAFETY: valid pointers to locals; `pid` is our own unwaited child.
            let r = unsafe { wait4(pid as i32, &mut status, 0, &mut usage) };
            if r == pid as i32 {
                break;
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
        let code = if status & 0x7f == 0 {
            (status >> 8) & 0xff
        } else {
            128 + (status & 0x7f)
        };
        Ok((code, usage.maxrss.max(0) as u64))
    }
}

pub(crate) fn run(cmd: &mut Command, stderr_to: &Path) -> anyhow::Result<Outcome> {
    let err = fs::File::create(stderr_to)?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(err));
    let start = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("spawning {cmd:?}"))?;
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    {
        let _ = &mut child;
        let (code, rss) = sys::wait(child.id())?;
        let wall = start.elapsed();
        Ok(Outcome {
            wall,
            max_rss_kib: Some(rss),
            code,
        })
    }
    #[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
    {
        let status = child.wait()?;
        Ok(Outcome {
            wall: start.elapsed(),
            max_rss_kib: None,
            code: status.code().unwrap_or(128),
        })
    }
}

fn sync() {
    let _ = Command::new("sync").status();
}

pub(crate) fn remove(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        fs::remove_dir_all(path).with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}

// ------------------------------------------------------------------ one scale

struct ScaleResult {
    scale: f64,
    gen_seconds: f64,
    summary: gen_estate::Summary,
    /// `kprov validate`'s own count line, e.g. `56 clusters, …, 98000 objects`.
    counts: String,
    files: usize,
    bytes: u64,
    objects: usize,
    /// Wall seconds per command and run.
    times: Vec<Vec<f64>>,
    /// Peak RSS per command, KiB.
    rss: Vec<Option<u64>>,
}

fn bench_scale(
    kprov: &Path,
    work: &Path,
    scale: f64,
    runs: usize,
    aside: &mut Vec<PathBuf>,
) -> anyhow::Result<ScaleResult> {
    let dir = work.join(format!("scale-{scale}"));
    let estate = dir.join("estate");
    let output = estate.join("clusters");
    let copy = dir.join("copy");
    let log = dir.join("stderr.txt");
    fs::create_dir_all(&dir)?;

    eprintln!("scale {scale}: generating {}", estate.display());
    let start = Instant::now();
    let summary = gen_estate::generate(&estate, scale)
        .map_err(|e| anyhow::anyhow!("{}: {e}", estate.display()))?;
    let gen_seconds = start.elapsed().as_secs_f64();

    // The project the "one project changed" diff edits: the first by name.
    let mut projects: Vec<PathBuf> = fs::read_dir(estate.join("projects"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    projects.sort();
    let changed = projects.first().context("no projects generated")?.clone();
    let original = fs::read_to_string(&changed)?;
    let marker = "app.kubernetes.io/part-of: ";
    let at = original
        .find(marker)
        .context("changed project has no part-of label")?
        + marker.len();
    let edited = format!("{}bench-{}", &original[..at], &original[at..]);

    let kp = |sub: &str| {
        let mut c = Command::new(kprov);
        c.arg(sub).arg(&estate);
        c
    };
    let check = |o: &Outcome, what: &str, want: i32| -> anyhow::Result<()> {
        if o.code != want {
            let err = fs::read_to_string(&log).unwrap_or_default();
            let tail: String = err.lines().take(20).collect::<Vec<_>>().join("\n");
            bail!(
                "scale {scale}: {what} exited {} (expected {want}):\n{tail}",
                o.code
            );
        }
        Ok(())
    };

    // Warm-up: validate (its count line), render (the output to measure).
    let o = run(&mut kp("validate"), &log)?;
    check(&o, "kprov validate", 0)?;
    let counts = fs::read_to_string(&log)?
        .lines()
        .rev()
        .find_map(|l| {
            let open = l.rfind('(')?;
            let close = l.rfind(')')?;
            l.contains("valid").then(|| l[open + 1..close].to_owned())
        })
        .unwrap_or_default();
    set_aside(&output, &dir, aside)?;
    let o = run(&mut kp("render"), &log)?;
    check(&o, "kprov render", 0)?;
    let (files, bytes, objects) = measure(&output)?;

    let mut times = vec![Vec::new(); COMMANDS.len()];
    let mut rss: Vec<Option<u64>> = vec![None; COMMANDS.len()];
    let mut record = |i: usize, o: &Outcome| {
        times[i].push(o.wall.as_secs_f64());
        if let Some(k) = o.max_rss_kib {
            rss[i] = Some(rss[i].map_or(k, |r: u64| r.max(k)));
        }
    };
    for round in 0..runs {
        eprintln!("scale {scale}: round {}/{runs}", round + 1);
        set_aside(&output, &dir, aside)?;
        for leftover in [".kprov-clusters.tmp", ".kprov-clusters.old"] {
            set_aside(&estate.join(leftover), &dir, aside)?;
        }
        sync();
        let o = run(&mut kp("render"), &log)?;
        check(&o, COMMANDS[0], 0)?;
        record(0, &o);

        let o = run(&mut kp("render"), &log)?;
        check(&o, COMMANDS[1], 0)?;
        record(1, &o);

        let o = run(&mut kp("validate"), &log)?;
        check(&o, COMMANDS[2], 0)?;
        record(2, &o);

        let o = run(&mut kp("diff"), &log)?;
        check(&o, COMMANDS[3], 0)?;
        record(3, &o);

        fs::write(&changed, &edited)?;
        let o = run(&mut kp("diff"), &log);
        fs::write(&changed, &original)?;
        let o = o?;
        check(&o, COMMANDS[4], 1)?;
        record(4, &o);

        set_aside(&copy, &dir, aside)?;
        sync();
        let o = run(Command::new("cp").arg("-r").arg(&output).arg(&copy), &log)?;
        check(&o, COMMANDS[5], 0)?;
        record(5, &o);
    }
    set_aside(&copy, &dir, aside)?;
    Ok(ScaleResult {
        scale,
        gen_seconds,
        summary,
        counts,
        files,
        bytes,
        objects,
        times,
        rss,
    })
}

/// Files, bytes and objects (top-level `kind:` lines outside the `kustomization.yaml`s) under `dir`.
fn measure(dir: &Path) -> anyhow::Result<(usize, u64, usize)> {
    let (mut files, mut bytes, mut objects) = (0, 0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let entry = entry?;
            let ty = entry.file_type()?;
            if ty.is_dir() {
                stack.push(entry.path());
            } else if ty.is_file() {
                let text = fs::read(entry.path())?;
                files += 1;
                bytes += text.len() as u64;
                if entry.file_name() != "kustomization.yaml" {
                    objects += text
                        .split(|b| *b == b'\n')
                        .filter(|l| l.starts_with(b"kind: "))
                        .count();
                }
            }
        }
    }
    Ok((files, bytes, objects))
}

// ------------------------------------------------------------------ report

fn stats(xs: &[f64]) -> (f64, f64, f64) {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (v[0], median, v[n - 1])
}

fn report(results: &[ScaleResult], runs: usize) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n### Whole commands (release kprov, {runs} interleaved runs each, wall seconds)\n"
    );
    let _ = writeln!(
        s,
        "| scale | command | min | median | max | min ÷ best `cp -r` | median ÷ median render (empty) | peak RSS MiB |"
    );
    let _ = writeln!(s, "|---:|---|---:|---:|---:|---:|---:|---:|");
    for r in results {
        let (cp_min, _, _) = stats(&r.times[CP]);
        let (_, render_med, _) = stats(&r.times[RENDER_EMPTY]);
        for (i, name) in COMMANDS.iter().enumerate() {
            let (min, med, max) = stats(&r.times[i]);
            let rss = r.rss[i].map_or("–".to_owned(), |k| format!("{:.0}", k as f64 / 1024.0));
            let vs_cp = if i == CP {
                "1.00".to_owned()
            } else {
                format!("{:.2}", min / cp_min)
            };
            let _ = writeln!(
                s,
                "| {} | {name} | {min:.3} | {med:.3} | {max:.3} | {vs_cp} | {:.2} | {rss} |",
                r.scale,
                med / render_med
            );
        }
    }
    let _ = writeln!(s, "\n### Estates and output\n");
    let _ = writeln!(
        s,
        "| scale | tenants (levels) | projects | VMs | claims | kprov validate counts | output files | output MB | output objects | gen-estate s |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|");
    for r in results {
        let g = &r.summary;
        let _ = writeln!(
            s,
            "| {} | {} ({}) | {} | {} | {} | {} | {} | {:.1} | {} | {:.2} |",
            r.scale,
            g.tenants,
            g.levels,
            g.projects,
            g.vms,
            g.claims,
            r.counts,
            r.files,
            r.bytes as f64 / 1e6,
            r.objects,
            r.gen_seconds
        );
    }
    if let Some(base) = results.iter().find(|r| r.scale == 1.0)
        && results.len() > 1
    {
        let _ = writeln!(
            s,
            "\n### Scaling (median ÷ median at scale 1; linear would equal the scale)\n"
        );
        let mut head = String::from("| command |");
        let mut rule = String::from("|---|");
        for r in results {
            let _ = write!(head, " {}× |", r.scale);
            rule.push_str("---:|");
        }
        let _ = writeln!(s, "{head}\n{rule}");
        for (i, name) in COMMANDS.iter().enumerate() {
            let (_, b, _) = stats(&base.times[i]);
            let mut row = format!("| {name} |");
            for r in results {
                let (_, m, _) = stats(&r.times[i]);
                let _ = write!(row, " {:.2} |", m / b);
            }
            let _ = writeln!(s, "{row}");
        }
    }
    s
}
