//! See main.rs for the promises every case checks. Policies are the one
//! place an estate runs code: a policy must not hold up or exhaust the CI
//! machine, nor make findings that differ between runs.

use super::*;

/// A valid estate with one more policy, `policies/p.rego`.
fn with_policy(name: &str, policy: &str) -> PathBuf {
    let dir = base(name);
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::write(dir.join("policies/p.rego"), policy).unwrap();
    dir
}

/// The address space `kprov render` gets below: a small multiple of what it
/// needs, far below what the runaways below would take unbounded.
const ADDRESS_SPACE: u64 = 4 << 30;

/// Run `kprov render` with its address space capped, so that a policy that
/// allocates without bound makes it fail (allocation failure aborts the
/// process) instead of exhausting the machine; check it refuses cleanly in
/// a generous time. Returns stderr.
fn refused_within_bounds(estate: &Path) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kprov"));
    command.arg("render").arg(estate);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec only setrlimit runs, which is
        // async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: ADDRESS_SPACE,
                    rlim_max: ADDRESS_SPACE,
                };
                match libc::setrlimit(libc::RLIMIT_AS, &limit) {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                }
            });
        }
    }
    let start = std::time::Instant::now();
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // A sanity bound on a runaway, not a timing: the bounds stop it in
    // seconds, and unbounded it ran until killed.
    assert!(start.elapsed().as_secs() < 120, "{stderr}");
    // The other checks, on a run without the cap.
    assert_eq!(assert_refused(estate, true), stderr);
    stderr
}

#[test]
fn a_range_of_two_billion_is_refused_at_the_call() {
    let dir = with_policy(
        "rego-range",
        "package main\n\ndeny contains msg if {\n  some i in numbers.range(1, 2000000000)\n  i < 0\n  msg := \"never\"\n}\n",
    );
    let stderr = refused_within_bounds(&dir);
    assert!(
        stderr.contains("policies/p.rego:4:26: `numbers.range` would make 2000000000 numbers"),
        "{stderr}"
    );
    assert!(stderr.contains("[policy-limit]"), "{stderr}");
}

#[test]
fn a_runaway_loop_is_stopped_at_its_rule() {
    // Ten billion iterations, on each object the rule sees.
    let dir = with_policy(
        "rego-loop",
        "package main\n\ndeny contains msg if {\n  input.kind == \"ResourceQuota\"\n  n := count([[i, j] | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000)])\n  msg := sprintf(\"%d\", [n])\n}\n",
    );
    let stderr = refused_within_bounds(&dir);
    assert!(
        stderr.contains("policies/p.rego:3:1: policy ran too long"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("[policy-limit]").count(), 1, "{stderr}");
}

#[test]
fn a_function_that_calls_itself_is_refused_not_a_stack_overflow() {
    let dir = with_policy(
        "rego-recursion",
        "package main\n\ndepth(x) := n if { n := depth(x + 1) + 1 }\n\ndeny contains msg if {\n  msg := sprintf(\"%d\", [depth(0)])\n}\n",
    );
    let stderr = refused_within_bounds(&dir);
    assert!(
        stderr.contains("policies/p.rego:3:1: function `depth` calls itself"),
        "{stderr}"
    );
}

#[test]
fn rules_that_depend_on_each_other_are_refused() {
    let dir = with_policy(
        "rego-cycle",
        "package main\n\na if b\n\nb if a\n\ndeny contains \"x\" if a\n",
    );
    let stderr = refused_within_bounds(&dir);
    assert!(stderr.contains("recursion detected"), "{stderr}");
}

#[test]
fn nondeterministic_builtins_are_refused_by_name() {
    for (statement, name) in [
        ("x := rand.intn(\"seed\", 100)", "rand.intn"),
        ("x := time.now_ns()", "time.now_ns"),
    ] {
        let dir = with_policy(
            "rego-nondeterministic",
            &format!(
                "package main\n\n# {name} in a comment is no call\ndeny contains msg if {{\n  {statement}\n  msg := sprintf(\"%v\", [x])\n}}\n"
            ),
        );
        let stderr = assert_refused(&dir, true);
        assert!(
            stderr.contains(&format!(
                "policies/p.rego:5:8: policy calls `{name}`, which reads"
            )),
            "{stderr}"
        );
        assert_eq!(
            stderr.matches("[policy-nondeterministic]").count(),
            1,
            "{stderr}"
        );
    }
}
