//! Escalation from a project file: the refusals themselves are estates under
//! `fixtures/invalid/` (messages snapshotted by `tests/cli.rs`, refusal
//! checked by `every_invalid_fixture_is_refused_without_touching_anything`).
//! Here each boundary is checked from the other side: what a project may
//! still do right beside what it may not, so a rule cannot grow to refuse
//! the ordinary request.

use super::*;

/// Append `extra` to the project of a valid estate (and `estate` to its
/// kprov.yaml), then validate: exit code and stderr.
fn validate_with(name: &str, estate: &str, extra: &str) -> (Option<i32>, String) {
    validate_appending(
        name,
        &[("kprov.yaml", estate), ("projects/shop.yaml", extra)],
    )
}

/// Append text to files of a valid estate, then validate: exit code and
/// stderr.
fn validate_appending(name: &str, appends: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = base(name);
    for (path, text) in appends {
        let path = dir.join(path);
        let before = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{before}{text}")).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_kprov"))
        .arg("validate")
        .arg(&dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_ok((code, stderr): (Option<i32>, String)) {
    assert_eq!(code, Some(0), "{stderr}");
}

fn assert_refused_with((code, stderr): (Option<i32>, String), expected: &str) {
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(expected), "expected {expected}:\n{stderr}");
}

#[test]
fn roles_come_from_the_estate_allow_list() {
    let bind = |role: &str| {
        format!("  roleBindings:\n    - {{role: \"{role}\", subjects: [group:team]}}\n")
    };
    assert_ok(validate_with("roles", "", &bind("edit")));
    assert_refused_with(
        validate_with("roles", "", &bind("acme:db-reader")),
        "[role-not-allowed]",
    );
    let estate = "  allowedRoles: [view, \"acme:*\"]\n";
    assert_ok(validate_with("roles", estate, &bind("acme:db-reader")));
    assert_refused_with(
        validate_with("roles", estate, &bind("edit")),
        "[role-not-allowed]",
    );
    // Never, whatever the allow-list says.
    let everything = "  allowedRoles: [\"*\"]\n";
    for role in [
        "cluster-admin",
        "CLUSTER-ADMIN",
        "system:node",
        "System:Masters",
    ] {
        assert_refused_with(
            validate_with("roles", everything, &bind(role)),
            "is never bound by kprov",
        );
    }
}

#[test]
fn a_project_names_its_own_namespaces_only() {
    let namespace = |ns: &str| {
        // The project's file ends inside its prod environment.
        format!("      namespace: {ns}\n")
    };
    let dir_estate = "  namespaces: {reserved: [\"shop-golden\"]}\n";
    for ns in ["shop", "shop-live", "shop-prod-2"] {
        assert_ok(validate_with("namespaces", dir_estate, &namespace(ns)));
    }
    for ns in [
        "shop-golden",
        "vm-images",
        "cert-manager",
        "istio-system",
        "kube-public",
        "default",
        "shopping",
    ] {
        assert_refused_with(
            validate_with("namespaces", dir_estate, &namespace(ns)),
            "[reserved-namespace]",
        );
    }
}

#[test]
fn project_labels_add_but_neither_steer_controllers_nor_override_tenants() {
    let labels = |key: &str| format!("  labels: {{\"{key}\": x}}\n");
    for key in ["team", "app.kubernetes.io/part-of", "acme.example/tier"] {
        assert_ok(validate_with("labels", "", &labels(key)));
    }
    for key in [
        "config.kubernetes.io/local-config",
        "kustomize.toolkit.fluxcd.io/reconcile",
        "helm.toolkit.fluxcd.io/driftDetection",
        "argocd.argoproj.io/sync-options",
        "kubernetes.io/metadata.name",
        "kprov.dev/tenant",
        "shop.tree.kprov.dev/depth",
    ] {
        assert_refused_with(
            validate_with("labels", "", &labels(key)),
            "[reserved-label]",
        );
    }
}

#[test]
fn quantities_are_never_negative_and_zero_is_fine() {
    let quota = |cpu: &str| format!("  volumes:\n    - {{name: data, size: \"{cpu}\"}}\n");
    assert_ok(validate_with("quantities", "", &quota("0")));
    assert_ok(validate_with("quantities", "", &quota("1Gi")));
    for bad in ["-1Gi", "-0.5", "-1e3"] {
        assert_refused_with(validate_with("quantities", "", &quota(bad)), "is negative");
    }
}

#[test]
fn a_project_file_holds_only_projects() {
    let cluster = "---\napiVersion: kprov.dev/v1alpha1\nkind: Cluster\nmetadata: {name: rogue}\nspec: {environment: dev}\n";
    assert_refused_with(
        validate_with("kinds", "", cluster),
        "[kind-not-allowed-here]",
    );
    let second_project = "---\napiVersion: kprov.dev/v1alpha1\nkind: Project\nmetadata: {name: shop-two}\nspec:\n  tenant: team\n  environments: [{name: dev, clusters: [dev-1]}]\n";
    assert_ok(validate_with("kinds", "", second_project));

    let dir = base("policy-in-projects");
    std::fs::write(dir.join("projects/allow.rego"), "package main\n").unwrap();
    let stderr = assert_refused(&dir, true);
    assert!(stderr.contains("projects/allow.rego:1:1:"), "{stderr}");
}

#[test]
fn output_may_not_overlap_input() {
    for output in ["projects", "policies/out", ".git", "kprov.yaml", "platform"] {
        let (code, stderr) = validate_with("output-overlap", &format!("  output: {output}\n"), "");
        assert_eq!(code, Some(2), "{output}: {stderr}");
        assert!(stderr.contains("[invalid-output]"), "{output}: {stderr}");
    }
    assert_ok(validate_with(
        "output-overlap",
        "  output: deploy/clusters\n",
        "",
    ));
}

/// A SAN volume already holds some team's data: a project attaches only the
/// volumes its tenants list, by a path that means what the list says.
#[test]
fn a_project_attaches_only_the_san_volumes_its_tenants_list() {
    let vm = |path: &str| {
        format!(
            "  virtualMachines:\n    - name: db\n      instancetype: u1.small\n      environments: [dev]\n      disks:\n        - {{name: data, size: 10Gi, source: {{san: {{nfs: {{server: nas-1, path: \"{path}\"}}}}}}}}\n"
        )
    };
    let validate = |name: &str, tenant: &str, path: &str| {
        validate_appending(
            name,
            &[
                ("platform/tenants/team.yaml", tenant),
                ("projects/shop.yaml", &vm(path)),
            ],
        )
    };
    let listed = "  allowedSanVolumes: [\"nfs://nas-1/exports/team/*\"]\n";
    assert_refused_with(
        validate("san-unlisted", "", "/exports/team/db"),
        "no tenant above project `shop` lists SAN volumes",
    );
    assert_ok(validate("san-listed", listed, "/exports/team/db"));
    assert_refused_with(
        validate("san-other", listed, "/exports/hr/payroll"),
        "is not allowed by tenant `team`",
    );
    // `..` would walk out of the listed directory while the glob matched.
    assert_refused_with(
        validate("san-dotdot", listed, "/exports/team/../hr/payroll"),
        "spec.virtualMachines[0].disks[0].source.san.nfs.path",
    );
}

/// The estate's pod security and isolation are defaults a root tenant may
/// replace; a project file under tenants that set nothing still cannot
/// loosen them.
#[test]
fn a_project_never_loosens_the_estate_default() {
    assert_refused_with(
        validate_with("loosen-default", "", "  podSecurity: privileged\n"),
        "the estate default, which only a root tenant may replace",
    );
    assert_refused_with(
        validate_with(
            "loosen-isolation",
            "  network: {isolation: namespace}\n",
            "  network: {isolation: none}\n",
        ),
        "[loosened]",
    );
    assert_ok(validate_with(
        "tighten-default",
        "",
        "  podSecurity: restricted\n",
    ));
}

/// A project may silence a warning in its own file, with a reason; an error
/// stays an error (relaxing it is the platform's, in kprov.yaml), or a
/// request could wave through its own expiry or a VM its quota cannot hold.
#[test]
fn a_project_silences_warnings_but_not_errors() {
    let vm = "  virtualMachines:\n    - {name: big, instancetype: u1.2xlarge, environments: [dev], image: {http: \"https://images.example.com/a.img\"}, disk: {size: 10Gi}}\n";
    let suppress = "  suppress:\n    - {lint: vm-fits-quota, reason: we know}\n";
    let (code, stderr) = validate_with("suppress-error", "", &format!("{vm}{suppress}"));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("[vm-fits-quota]"), "{stderr}");
    assert!(
        stderr.contains("a project can only silence warnings"),
        "{stderr}"
    );
    // The platform can.
    assert_ok(validate_with(
        "level-off",
        "  lints: {vm-fits-quota: \"off\"}\n",
        vm,
    ));
}
