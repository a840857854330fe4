//! The Backstage Software Template of an estate: the self-service form that
//! asks for a new project, writes `projects/<name>.yaml` from the skeleton
//! next to the template and opens a pull request against the estate
//! repository.
//!
//! The form's parameter schemas are a draft-07 subset that Backstage's form
//! renderer (rjsf with Ajv 8) accepts in strict mode: `type` on every
//! schema, no `format` (Ajv knows none without a plugin), no `$ref`, no
//! `ui:*` keys, no `propertyNames`. Enums come from the estate — tenants,
//! environments, the clusters of each environment, storage tiers,
//! instancetypes — and field descriptions from the model's doc comments (the
//! same text as the committed JSON Schemas), so the form cannot drift from
//! what `kprov validate` accepts. Pure: the model in, text out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::emit::HEADER;
use crate::model::kinds::API_VERSION;
use crate::model::schema::{Kind, input_schema};
use crate::model::{Model, Name, catalog};

/// Where `kprov render` writes the template, relative to the estate root.
pub const PATH: &str = "backstage/template.yaml";

/// The skeleton that `fetch:template` renders, relative to the template.
/// It is not generated (it only maps form values to YAML); `kprov init`
/// writes it.
pub(crate) const SKELETON: &str = "./skeleton";

/// DNS-1123 label, as a pattern for the form (the model checks it with code).
const NAME_PATTERN: &str = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
/// A Kubernetes quantity without exponent forms, which nobody types in a form.
const QUANTITY_PATTERN: &str = "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$";
const SUBJECT_PATTERN: &str = "^(user|group):[^\\s:][^\\s]*$";
const SLACK_PATTERN: &str = "^#[a-z0-9._-]{1,80}$";

/// Descriptions of the Project kind's fields, from its generated schema.
struct Docs(Value);

impl Docs {
    fn new() -> Docs {
        Docs(input_schema(Kind::Project))
    }

    fn of(&self, definition: &str, field: &str) -> String {
        self.0
            .pointer(&format!(
                "/definitions/{definition}/properties/{field}/description"
            ))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }
}

fn string(title: &str, description: String) -> Value {
    json!({"type": "string", "title": title, "description": description})
}

fn with(mut schema: Value, extra: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut schema, extra) {
        a.extend(b);
    }
    schema
}

fn names<'a>(it: impl IntoIterator<Item = &'a Name>) -> Vec<String> {
    it.into_iter()
        .map(Name::to_string)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The form's pages (the template's `spec.parameters`), with enums from
/// the estate. Every page is a JSON Schema of one object; the form submits
/// the union of their properties.
pub fn parameters(model: &Model) -> Value {
    let docs = Docs::new();
    let tenants = names(model.tenants.keys());
    let mut clusters_by_env: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, cluster) in &model.clusters {
        clusters_by_env
            .entry(cluster.spec.environment.to_string())
            .or_default()
            .push(name.to_string());
    }
    let environments: Vec<String> = clusters_by_env.keys().cloned().collect();
    let tiers = names(
        model
            .clusters
            .values()
            .filter_map(|c| c.spec.storage.as_ref())
            .flat_map(|s| s.tiers.keys()),
    );
    let instancetypes: Vec<&str> = catalog::INSTANCETYPES.iter().map(|i| i.name).collect();
    let kubevirt = model.clusters.values().any(|c| c.spec.kubevirt);

    let name = |title: &str, description: String| {
        with(
            string(title, description),
            json!({"pattern": NAME_PATTERN, "maxLength": 63}),
        )
    };
    let quantity = |title: &str, description: String| {
        with(
            string(title, description),
            json!({"pattern": QUANTITY_PATTERN}),
        )
    };
    let env_list = |description: String| {
        json!({
            "type": "array",
            "title": "Only in environments",
            "description": description,
            "uniqueItems": true,
            "items": {"type": "string", "enum": environments},
        })
    };
    let enum_or_free = |title: &str, description: String, values: &[String]| {
        // An empty enum is invalid JSON Schema; an estate without clusters
        // yet gets a free text field.
        if values.is_empty() {
            string(title, description)
        } else {
            with(string(title, description), json!({"enum": values}))
        }
    };

    let project = json!({
        "title": "Project",
        "description": "One self-service request: a namespace per environment and cluster, owned by your team and budgeted by your tenant.",
        "type": "object",
        "required": ["name", "tenant", "owners"],
        "properties": {
            "name": name("Name", docs.of("Metadata", "name")),
            "description": string("Description", docs.of("ProjectSpec", "description")),
            "tenant": enum_or_free("Tenant", docs.of("ProjectSpec", "tenant"), &tenants),
            "owners": {
                "type": "array",
                "title": "Owners",
                "description": format!("{} Write `user:<name>` or `group:<name>`.", docs.of("ProjectSpec", "owners")),
                "minItems": 1,
                "uniqueItems": true,
                "items": {"type": "string", "pattern": SUBJECT_PATTERN},
            },
        },
    });

    // An environment's cluster list; `items` says which names it offers.
    let clusters_field = |items: Value| {
        json!({
            "type": "array",
            "title": "Clusters",
            "description": docs.of("Environment", "clusters"),
            "minItems": 1,
            "uniqueItems": true,
            "items": items,
        })
    };
    // rjsf's dynamic form: the clusters offered depend on the environment
    // chosen, one `oneOf` branch per environment.
    let branches: Vec<Value> = clusters_by_env
        .iter()
        .map(|(env, clusters)| {
            json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "const": env},
                    "clusters": clusters_field(json!({"type": "string", "enum": clusters})),
                },
            })
        })
        .collect();
    // Every resource some tenant budgets must be quoted (`quota-unbounded`),
    // so the form asks for it up front; CPU and memory always.
    let mut quota_required: Vec<&str> = vec!["cpu", "memory"];
    for key in ["storage", "pods"] {
        let budgeted = model.tenants.values().any(|t| {
            t.spec.quota.values().any(|q| match key {
                "storage" => q.storage.is_some(),
                _ => q.pods.is_some(),
            })
        });
        if budgeted {
            quota_required.push(key);
        }
    }
    let mut environment = json!({
        "type": "object",
        "required": ["name", "clusters", "quota"],
        "properties": {
            "name": enum_or_free("Environment", docs.of("Environment", "name"), &environments),
            // Narrowed to the environment's clusters by the branch below.
            "clusters": clusters_field(json!({"type": "string"})),
            "quota": {
                "type": "object",
                "title": "Quota",
                "description": docs.of("Environment", "quota"),
                "required": quota_required,
                "properties": {
                    "cpu": quantity("CPU", docs.of("Quota", "cpu")),
                    "memory": quantity("Memory", docs.of("Quota", "memory")),
                    "storage": quantity("Storage", docs.of("Quota", "storage")),
                    "pods": with(quantity("Pods", docs.of("Quota", "pods")), json!({"pattern": "^[0-9]+$"})),
                },
            },
        },
    });
    if !branches.is_empty() {
        environment["dependencies"] = json!({"name": {"oneOf": branches}});
    }
    let environments_page = json!({
        "title": "Environments",
        "description": "Where the project runs and how much it may use there; your tenant's budget must cover every namespace.",
        "type": "object",
        "required": ["environments"],
        "properties": {
            "environments": {
                "type": "array",
                "title": "Environments",
                "description": docs.of("ProjectSpec", "environments"),
                "minItems": 1,
                "items": environment,
            },
        },
    });

    let tier = enum_or_free("Storage tier", docs.of("Volume", "tier"), &tiers);
    let volume = json!({
        "type": "object",
        "required": ["name", "size"],
        "properties": {
            "name": name("Name", docs.of("Volume", "name")),
            "size": quantity("Size", docs.of("Volume", "size")),
            "tier": tier,
            "environments": env_list(docs.of("Volume", "environments")),
        },
    });
    let vm = json!({
        "type": "object",
        "required": ["name", "instancetype", "image", "disk"],
        "properties": {
            "name": name("Name", docs.of("VirtualMachine", "name")),
            "instancetype": with(string("Instancetype", docs.of("VirtualMachine", "instancetype")), json!({"enum": instancetypes})),
            "preference": with(string("Preference", docs.of("VirtualMachine", "preference")), json!({"enum": catalog::PREFERENCES})),
            "image": {
                "type": "object",
                "title": "Image",
                "description": docs.of("VirtualMachine", "image"),
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {
                    "registry": with(string("Container disk", "Container disk image, e.g. `docker://registry.example.com/vm/rhel9:9.4`.".into()), json!({"pattern": "^docker://[^\\s]+$"})),
                    "http": with(string("Disk image URL", "HTTP(S) URL of a disk image.".into()), json!({"pattern": "^https?://[^\\s]+$"})),
                },
            },
            "disk": {
                "type": "object",
                "title": "Root disk",
                "description": docs.of("VirtualMachine", "disk"),
                "required": ["size"],
                "properties": {
                    "size": quantity("Size", "Size, e.g. `60Gi`.".into()),
                    "tier": enum_or_free("Storage tier", "Storage tier (default: the cluster's default tier).".into(), &tiers),
                },
            },
            "firmware": {
                "type": "object",
                "title": "Firmware",
                "description": docs.of("VirtualMachine", "firmware"),
                "required": ["type"],
                "properties": {
                    "type": {"type": "string", "title": "Type", "enum": ["bios", "uefi"], "default": "bios"},
                    "secureBoot": {"type": "boolean", "title": "Secure Boot", "description": "Verify the boot chain (UEFI only; Windows 11 needs it).", "default": false},
                },
            },
            "tpm": {"type": "boolean", "title": "TPM", "description": docs.of("VirtualMachine", "tpm"), "default": false},
            "running": {"type": "boolean", "title": "Running", "description": docs.of("VirtualMachine", "running"), "default": true},
            "ports": {
                "type": "array",
                "title": "Ports",
                "description": docs.of("VirtualMachine", "ports"),
                "items": {
                    "type": "object",
                    "required": ["name", "port"],
                    "properties": {
                        "name": with(string("Name", "Port name, e.g. `ssh`.".into()), json!({"pattern": "^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$"})),
                        "port": {"type": "integer", "title": "Port", "minimum": 1, "maximum": 65535},
                    },
                },
            },
            "environments": env_list(docs.of("VirtualMachine", "environments")),
        },
    });
    let mut workloads = Map::new();
    workloads.insert(
        "volumes".into(),
        json!({"type": "array", "title": "Volumes", "description": docs.of("ProjectSpec", "volumes"), "items": volume}),
    );
    // An estate without KubeVirt anywhere does not offer VMs at all.
    if kubevirt {
        workloads.insert(
            "virtualMachines".into(),
            json!({"type": "array", "title": "Virtual machines", "description": docs.of("ProjectSpec", "virtualMachines"), "items": vm}),
        );
    }
    let workloads_page = json!({
        "title": "Storage and virtual machines",
        "description": "Optional: persistent volumes and KubeVirt virtual machines in every namespace of the project (or only some environments).",
        "type": "object",
        "properties": workloads,
    });

    let delivery_page = json!({
        "title": "Delivery and notifications",
        "description": "Optional: Flux deploys your own manifests from your repository, and tells a Slack channel when it did (or failed).",
        "type": "object",
        "properties": {
            "sync": {
                "type": "object",
                "title": "Flux sync",
                "description": docs.of("ProjectSpec", "sync"),
                "required": ["url"],
                "properties": {
                    "url": with(string("Repository URL", docs.of("GitSource", "url")), json!({"pattern": "^(https|ssh)://[^\\s]+$"})),
                    "branch": with(string("Branch", docs.of("GitSource", "branch")), json!({"default": "main"})),
                    "path": with(string("Path", docs.of("GitSource", "path")), json!({"default": "./deploy/{environment}"})),
                },
            },
            "slack": {
                "type": "object",
                "title": "Slack",
                "description": format!("{} Needs a Flux sync.", docs.of("Notify", "slack")),
                "required": ["channel", "secretRef"],
                "properties": {
                    "channel": with(string("Channel", docs.of("SlackTarget", "channel")), json!({"pattern": SLACK_PATTERN})),
                    "secretRef": with(name("Webhook secret", docs.of("SlackTarget", "secretRef")), json!({"default": "slack-webhook"})),
                },
            },
        },
    });
    json!([project, environments_page, workloads_page, delivery_page])
}

/// The form fields the skeleton receives, in the step's `values`.
const FIELDS: &[&str] = &[
    "name",
    "description",
    "tenant",
    "owners",
    "environments",
    "volumes",
    "virtualMachines",
    "sync",
    "slack",
];

/// The complete Template (YAML, with kprov's generated-file header), or
/// `None` when the estate sets no `spec.backstage`.
pub(crate) fn template(model: &Model) -> Option<String> {
    let estate = model.estate.as_ref()?;
    let config = estate.spec.backstage.as_ref()?;
    let (owner, repo) = config
        .repository
        .split_once('/')
        .unwrap_or((config.repository.as_str(), ""));
    let host = config.host.as_deref().unwrap_or("github.com");
    let mut values = Map::new();
    // Passed in rather than written in the skeleton: kprov's loader reads
    // every file that names its API, and the skeleton is not valid input.
    values.insert("apiVersion".into(), json!(API_VERSION));
    for field in FIELDS {
        values.insert(
            (*field).into(),
            json!(format!("${{{{ parameters.{field} }}}}")),
        );
    }
    values.insert(
        "requestedBy".into(),
        json!("${{ user.entity.metadata.name }}"),
    );
    let template = json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {
            "name": format!("kprov-project-{}", estate.name()),
            "title": format!("New project on {}", estate.name()),
            "description": "Request namespaces with quotas, volumes and virtual machines on the platform. Opens a pull request against the estate repository; CI validates it and your tenant's owners approve it.",
            "tags": ["kprov", "kubernetes", "self-service"],
        },
        "spec": {
            "owner": config.owner,
            "type": "project",
            "parameters": parameters(model),
            "steps": [
                {
                    "id": "fetch",
                    "name": "Write projects/${{ parameters.name }}.yaml",
                    "action": "fetch:template",
                    "input": {"url": SKELETON, "values": values},
                },
                {
                    "id": "publish",
                    "name": "Open a pull request",
                    "action": "publish:github:pull-request",
                    "input": {
                        "repoUrl": format!("{host}?owner={owner}&repo={repo}"),
                        "branchName": "kprov/project-${{ parameters.name }}",
                        "title": "Project request: ${{ parameters.name }} (tenant ${{ parameters.tenant }})",
                        "description": "${{ parameters.description }}\n\nRequested through Backstage by ${{ user.entity.metadata.name }}. CI runs `kprov validate`, `kprov diff` and `kprov report` and comments the result; run `kprov render` on the branch to commit the rendered `clusters/` tree.",
                    },
                },
            ],
            "output": {
                "links": [
                    {"title": "Pull request", "url": "${{ steps.publish.output.remoteUrl }}"},
                ],
            },
        },
    });
    // Not `emit::object_yaml`: its canonical key order would sort the form's
    // fields alphabetically, and rjsf shows them in key order.
    let body = serde_saphyr::to_string(&template).unwrap_or_default();
    Some(format!(
        "{HEADER}\n# Source: kprov.yaml (spec.backstage), platform/ (tenants, clusters, tiers). Regenerate with `kprov render`.\n{body}"
    ))
}
