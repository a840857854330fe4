//! Delivery units (docs/design.md §4.3): with `spec.delivery.units:
//! tenant` or `project`, a cluster's root applies one pair of Flux
//! Kustomizations per unit instead of every object, and announcements of
//! what each request's units applied.
//!
//! Every object here lives in `flux-system` and refers only to objects of
//! that namespace (the bootstrap's GitRepository, the kustomize-controller
//! service account, the Providers beside the Alerts), so Flux's
//! multi-tenancy lockdown (`--no-cross-namespace-refs`,
//! `--default-service-account`) accepts them as written.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::compose::{Layer, UNITS_DIR};
use crate::model::kinds::{Announce, DeliveryUnits};
use crate::model::{FLUX_SYSTEM, Model, Name};

/// The file of a cluster's directory that holds its units' Kustomizations.
pub const UNITS_FILE: &str = "units.yaml";

/// What a unit holds on one cluster, as emission found it.
#[derive(Debug, Default)]
pub(super) struct Unit<'c> {
    /// Layers with at least one file.
    pub layers: BTreeSet<Layer>,
    /// `(apiVersion, namespace, name)` of its VirtualMachines: health
    /// checks, so the unit is ready when they are.
    pub machines: BTreeSet<(&'c str, &'c str, &'c str)>,
    /// Namespaces of each project in the unit.
    pub namespaces: BTreeMap<&'c str, BTreeSet<&'c str>>,
}

/// The name of a unit's Kustomization for `layer`.
fn kustomization_name(unit: &str, layer: Layer) -> String {
    format!("{unit}-{}", layer.dir())
}

/// How long a unit may take before Flux calls it failed: the config layer
/// is quick API objects; the apps layer waits for VMs to boot and CDI to
/// import their disks.
fn timeout(layer: Layer) -> &'static str {
    match layer {
        Layer::Config => "5m",
        Layer::Apps => "15m",
    }
}

/// A VM is healthy when it runs and is ready, or is stopped on purpose;
/// failed when KubeVirt says it cannot start. (`printableStatus` values of
/// `VirtualMachinePrintableStatus` in KubeVirt's API.)
const VM_CURRENT: &str =
    "status.?ready.orValue(false) || status.?printableStatus.orValue('') == 'Stopped'";
const VM_FAILED: &str = "status.?printableStatus.orValue('') in ['CrashLoopBackOff', 'ErrorUnschedulable', 'ErrImagePull', 'ImagePullBackOff', 'ErrorPvcNotFound', 'ErrorDataVolumeNotFound', 'DataVolumeError']";

/// The Flux Kustomizations of one unit on `cluster`.
fn unit_objects(output: &str, cluster: &str, name: &str, unit: &Unit<'_>) -> Vec<Value> {
    unit.layers
        .iter()
        .map(|&layer| {
            let mut spec = json!({
                "interval": "10m",
                "retryInterval": "2m",
                "timeout": timeout(layer),
                "path": format!("./{output}/{cluster}/{UNITS_DIR}/{name}/{}", layer.dir()),
                "prune": true,
                // Under the lockdown a Kustomization without one runs as
                // `default` of its namespace, which may do nothing.
                "serviceAccountName": "kustomize-controller",
                "sourceRef": {"kind": "GitRepository", "name": FLUX_SYSTEM},
            });
            match layer {
                // Namespaces, quotas and RBAC are ready as soon as they
                // exist; what lives in them waits for them.
                Layer::Config => spec["wait"] = true.into(),
                Layer::Apps => {
                    if unit.layers.contains(&Layer::Config) {
                        spec["dependsOn"] =
                            json!([{"name": kustomization_name(name, Layer::Config)}]);
                    }
                    // Not `wait`: a claim on a WaitForFirstConsumer class
                    // stays Pending until something mounts it.
                    if !unit.machines.is_empty() {
                        spec["healthChecks"] = unit
                            .machines
                            .iter()
                            .map(|(api, namespace, vm)| {
                                json!({"apiVersion": api, "kind": "VirtualMachine", "name": vm, "namespace": namespace})
                            })
                            .collect();
                        let apis: BTreeSet<&str> = unit.machines.iter().map(|m| m.0).collect();
                        spec["healthCheckExprs"] = apis
                            .into_iter()
                            .map(|api| {
                                json!({"apiVersion": api, "kind": "VirtualMachine", "current": VM_CURRENT, "failed": VM_FAILED})
                            })
                            .collect();
                    }
                }
            }
            json!({
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {
                    "name": kustomization_name(name, layer),
                    "namespace": FLUX_SYSTEM,
                    "labels": {"app.kubernetes.io/managed-by": "kprov", "kprov.dev/unit": name},
                },
                "spec": spec,
            })
        })
        .collect()
}

/// A project's announcements on one cluster: a Provider and an Alert per
/// `notify` target whose provider type the estate announces through,
/// watching the Kustomizations of the project's unit. A tenant's unit
/// applies other projects too: events that name none of this project's
/// namespaces are left out.
fn announcements(
    announce: &Announce,
    model: &Model,
    units: DeliveryUnits,
    cluster: &str,
    project: &Name,
    namespaces: &BTreeSet<&str>,
    unit: &Unit<'_>,
) -> Vec<Value> {
    let (Some(item), Some(unit_name)) =
        (model.projects.get(project), model.unit_of(units, project))
    else {
        return Vec::new();
    };
    let Some(notify) = &item.spec.notify else {
        return Vec::new();
    };
    let sources: Vec<Value> = unit
        .layers
        .iter()
        .map(|&layer| json!({"kind": "Kustomization", "name": kustomization_name(unit_name.as_str(), layer)}))
        .collect();
    let mut out = Vec::new();
    for (provider, channel, _) in notify.targets() {
        let Some(secret) = announce.secret_of(provider) else {
            continue;
        };
        let name = format!("{project}-provisioned-{provider}");
        let mut provider_spec = json!({"type": provider, "secretRef": {"name": secret}});
        if let Some(channel) = channel {
            provider_spec["channel"] = channel.as_str().into();
        }
        if provider == "slack" {
            // A bot token (the Secret's `token`) posts to any channel
            // through Slack's API, where a webhook is bound to one.
            provider_spec["address"] = "https://slack.com/api/chat.postMessage".into();
        }
        let mut alert = json!({
            "providerRef": {"name": name},
            "eventSeverity": "info",
            "eventSources": sources,
            "eventMetadata": {"cluster": cluster, "project": project.as_str()},
        });
        if units == DeliveryUnits::Tenant {
            // Flux names objects `Kind/namespace/name` in its events.
            let alternatives: Vec<&str> = namespaces.iter().copied().collect();
            alert["inclusionList"] = json!([format!("(^|/)({})(/|\\s|$)", alternatives.join("|"))]);
        }
        let metadata = json!({
            "name": name,
            "namespace": FLUX_SYSTEM,
            "labels": {"app.kubernetes.io/managed-by": "kprov", "kprov.dev/project": project.as_str()},
        });
        out.push(json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider", "metadata": metadata, "spec": provider_spec}));
        out.push(json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Alert", "metadata": metadata, "spec": alert}));
    }
    out
}

/// Every object of a cluster's [`UNITS_FILE`], and the projects whose
/// announcements it holds.
pub(super) fn cluster_objects<'m>(
    model: &'m Model,
    cluster: &str,
    units: &BTreeMap<&str, Unit<'_>>,
) -> (Vec<Value>, BTreeSet<&'m Name>) {
    let delivery = model.delivery();
    let output = model.output_dir();
    let mut objects = Vec::new();
    let mut announced = BTreeSet::new();
    for (name, unit) in units {
        objects.extend(unit_objects(output, cluster, name, unit));
        let Some(announce) = &delivery.announce else {
            continue;
        };
        for (project, namespaces) in &unit.namespaces {
            let Some((project, _)) = model.projects.get_key_value(*project) else {
                continue;
            };
            let found = announcements(
                announce,
                model,
                delivery.units,
                cluster,
                project,
                namespaces,
                unit,
            );
            if !found.is_empty() {
                announced.insert(project);
                objects.extend(found);
            }
        }
    }
    (objects, announced)
}
