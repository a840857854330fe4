//! The input kinds of docs/design.md §1 as Rust types. Unknown fields are rejected
//! everywhere: a typo in a self-service request must fail the pull request,
//! not silently drop a quota.
//!
//! Field docs double as the descriptions of the generated JSON Schemas (and
//! of the Backstage form), so they are written for the estate author.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::names::{
    Date, GitHubHandle, Glob, InterfaceName, LabelKey, LabelValue, MacAddress, Name, PortName,
    RoleName, SlackChannel, Subject,
};
use super::quantity::Quantity;

/// The one `apiVersion` of every kprov input object.
pub const API_VERSION: &str = "kprov.dev/v1alpha1";

/// Claim kinds kprov makes itself, served by its built-in compositions; an
/// estate's Composition of one of these kinds overrides the built-in and
/// needs no Definition.
pub const BUILTIN_CLAIM_KINDS: &[&str] = &[
    "Namespace",
    "Volume",
    "VirtualMachine",
    "NetworkAttachment",
    "FluxSync",
];

/// Labels of an object or of the namespaces below it.
pub type Labels = BTreeMap<LabelKey, LabelValue>;
/// Annotations of an object or of the namespaces below it.
pub type Annotations = BTreeMap<LabelKey, String>;

/// An input object: `apiVersion`, `kind`, `metadata` and a kind-specific `spec`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Object<S> {
    /// Always `kprov.dev/v1alpha1`.
    pub api_version: String,
    /// The kind of object.
    pub kind: String,
    /// Name, and the object's own labels and annotations.
    pub metadata: Metadata,
    /// The kind-specific content.
    pub spec: S,
}

/// Identity of an input object.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Metadata {
    /// Unique name among objects of this kind in the estate (DNS-1123 label).
    pub name: Name,
    /// Labels of this input object (not propagated; use `spec.labels` for that).
    #[schemars(extend("propertyNames" = {"format": "label-key"}))]
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Labels,
    /// Annotations of this input object (not propagated).
    #[schemars(extend("propertyNames" = {"format": "label-key"}))]
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: Annotations,
}

/// Pod Security Standards level, from loosest to strictest.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PodSecurity {
    /// Unrestricted.
    Privileged,
    /// Prevents known privilege escalations.
    Baseline,
    /// Current pod hardening best practices.
    Restricted,
}

/// Who may reach a namespace over the network, from loosest to strictest.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Isolation {
    /// No default-deny policy.
    None,
    /// Ingress from namespaces of the same tenant subtree.
    Tenant,
    /// Ingress only from the namespace itself.
    Namespace,
}

// ---------------------------------------------------------------- Estate

/// Spec of the one `Estate` object, at the root of the estate repository.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct EstateSpec {
    /// Output directory, relative to the estate root (default `clusters`).
    pub output: Option<String>,
    /// Kubernetes minor version the clusters run, e.g. `"1.32"`.
    pub kubernetes_version: Option<String>,
    /// Default Pod Security level of every namespace (default `baseline`).
    pub pod_security: Option<PodSecurity>,
    /// Default network isolation of every namespace.
    pub network: Option<EstateNetwork>,
    /// Monthly cost per unit, for reports.
    pub rates: Option<Rates>,
    /// GitHub handles of owners; when set, `kprov render` writes
    /// `.github/CODEOWNERS` and `kprov diff` checks it.
    pub github: Option<GitHub>,
    /// Backstage Software Template for new projects; when set, `kprov
    /// render` writes `backstage/template.yaml` and `kprov diff` checks it.
    pub backstage: Option<Backstage>,
    /// ClusterRoles that tenants' and projects' `roleBindings` may name
    /// (globs; default `admin`, `edit`, `view`). `cluster-admin` and
    /// `system:*` roles are never allowed, whatever this says.
    pub allowed_roles: Option<Vec<Glob>>,
    /// Namespaces that belong to the platform: no project may create them.
    pub namespaces: Option<EstateNamespaces>,
    /// How each cluster's objects are cut into Flux Kustomizations, and
    /// who hears when a request's objects are applied.
    pub delivery: Option<Delivery>,
    /// Levels of the built-in lints by id (`kprov lints`): `off` drops a
    /// lint's findings, `warn` and `error` report them at that severity.
    /// A lint not named keeps its own severities.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lints: BTreeMap<String, LintLevel>,
}

/// What becomes of a lint's findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum LintLevel {
    /// Not reported.
    Off,
    /// Reported as warnings: they never fail a command.
    Warn,
    /// Reported as errors: they fail every command that compiles.
    Error,
}

/// One lint silenced in one project's file, and why.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Suppression {
    /// Id of the lint (`kprov lints`).
    pub lint: String,
    /// Why its findings do not apply to this project; reviewers read it.
    #[schemars(regex(pattern = r"\S"))]
    pub reason: String,
}

/// Delivery through Flux: the units a cluster's objects are applied in.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Delivery {
    /// `cluster` (default): the cluster's directory is one build, applied
    /// by the Kustomization that reconciles it. `tenant` or `project`: the
    /// cluster's directory holds one Flux Kustomization pair (`<unit>-config`,
    /// then `<unit>-apps`) per tenant or project, in `flux-system`, so each
    /// unit builds, applies and fails on its own.
    #[serde(default)]
    pub units: DeliveryUnits,
    /// Announce each request's objects (namespaces, quotas, volumes, VMs)
    /// as its units apply them, to the channels of projects whose `notify`
    /// names a provider type listed here. Needs `units: tenant` or
    /// `project`.
    pub announce: Option<Announce>,
}

/// What one Flux Kustomization of a cluster applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DeliveryUnits {
    /// Everything on the cluster, in one build.
    #[default]
    Cluster,
    /// The projects of one tenant (the project's own `spec.tenant`).
    Tenant,
    /// One project.
    Project,
}

/// The notification providers announcements go through. Each names a
/// Secret in `flux-system`, held by the platform: under Flux's
/// multi-tenancy lockdown an Alert may only watch Kustomizations, and use
/// a Provider and Secret, of its own namespace.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("minProperties" = 1))]
#[non_exhaustive]
pub struct Announce {
    /// Slack through a bot token (`token` key): one Secret serves every
    /// project's `notify.slack.channel`.
    pub slack: Option<AnnounceTarget>,
    /// Microsoft Teams, through one webhook (`address` key).
    pub msteams: Option<AnnounceTarget>,
    /// Any HTTP endpoint (`address` key); events carry the project and
    /// cluster in their metadata, for a relay to route them.
    pub generic: Option<AnnounceTarget>,
}

/// A Secret in `flux-system` that a Provider posts with.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AnnounceTarget {
    /// Secret name, in `flux-system`.
    pub secret_ref: Name,
}

impl Announce {
    /// The Secret of a Flux provider type, if the estate announces through it.
    pub fn secret_of(&self, provider: &str) -> Option<&Name> {
        match provider {
            "slack" => self.slack.as_ref(),
            "msteams" => self.msteams.as_ref(),
            "generic" => self.generic.as_ref(),
            _ => None,
        }
        .map(|t| &t.secret_ref)
    }
}

/// The estate's own namespaces.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct EstateNamespaces {
    /// Globs of namespaces no project may use, besides the ones kprov
    /// always reserves (`default`, `kube-*`, `*-system`, `kubevirt`, `cdi`,
    /// `cert-manager`, `openshift`, `openshift-*`): e.g. `vm-images`, where
    /// the platform keeps golden VM disks its policies trust.
    #[serde(default)]
    pub reserved: Vec<Glob>,
}

/// Where the Backstage template opens its pull requests, and who owns it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Backstage {
    /// Backstage entity that owns the template, e.g. `group:default/platform-admins`.
    #[schemars(length(min = 1))]
    pub owner: String,
    /// The estate repository on GitHub, `<owner>/<name>`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$"))]
    pub repository: String,
    /// GitHub host (default `github.com`).
    #[schemars(regex(pattern = r"^[a-z0-9.-]+(:[0-9]+)?$"))]
    pub host: Option<String>,
}

/// How tenant owners map to GitHub, for `.github/CODEOWNERS`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct GitHub {
    /// GitHub organisation: a `group:<name>` owner without an entry in
    /// `handles` becomes the team `@<org>/<name>`.
    pub org: Option<LabelValue>,
    /// GitHub handle (`@user`, `@org/team` or an e-mail address) of owner
    /// subjects, e.g. `user:alice@acme.example: "@alice"`.
    #[serde(default)]
    #[schemars(extend("propertyNames" = {"format": "subject"}))]
    pub handles: BTreeMap<Subject, GitHubHandle>,
}

impl GitHub {
    /// The GitHub handle of an owner: its entry in `handles`, or for a group
    /// the team of `org`. Users need an entry (a cluster user name is not a
    /// GitHub login) and service accounts cannot review.
    pub fn handle(&self, subject: &Subject) -> Option<String> {
        if let Some(handle) = self.handles.get(subject) {
            return Some(handle.to_string());
        }
        match (subject, &self.org) {
            (Subject::Group(group), Some(org)) => Some(format!("@{org}/{group}")),
            _ => None,
        }
    }
}

/// Estate-wide network defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct EstateNetwork {
    /// Default isolation: `namespace`, `tenant` or `none` (default `namespace`).
    pub isolation: Option<Isolation>,
}

/// Monthly cost per unit of allocated quota.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Rates {
    /// Cost per CPU core per month.
    pub cpu: Option<Quantity>,
    /// Cost per GiB of memory per month.
    pub memory: Option<Quantity>,
    /// Cost per GiB of storage per month, by storage tier name.
    #[serde(default)]
    #[schemars(extend("propertyNames" = {"format": "dns1123-label"}))]
    pub storage: BTreeMap<Name, Quantity>,
}

// ---------------------------------------------------------------- Cluster

/// Spec of a `Cluster`: one Kubernetes cluster, one output directory.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ClusterSpec {
    /// Environment this cluster serves (`dev`, `staging`, `prod`, …); project environments are placed by it.
    pub environment: Name,
    /// Region, e.g. `us-east-1`.
    pub region: Option<String>,
    /// Site or rack, e.g. `rack-a`.
    pub site: Option<String>,
    /// Whether KubeVirt runs here; VirtualMachines may only be placed on clusters with `kubevirt: true`.
    #[serde(default)]
    pub kubevirt: bool,
    /// Control plane shape.
    pub control_plane: Option<ControlPlane>,
    /// Allocatable capacity of the cluster.
    pub capacity: Option<Capacity>,
    /// Factor by which the sum of quotas may exceed capacity.
    pub overcommit: Option<Overcommit>,
    /// Storage tiers offered by this cluster.
    pub storage: Option<ClusterStorage>,
    /// `flux bootstrap --path=<output>/<cluster>` has written `flux-system/`
    /// into this cluster's output directory: kprov lists it in the cluster's
    /// kustomization, so Flux keeps reconciling its own components from Git,
    /// and leaves its files to Flux. Set it once the bootstrap has run.
    #[serde(default)]
    pub flux_bootstrap: bool,
    /// Layer-2 networks of the nodes that VMs may attach to through Multus,
    /// by the name VMs use (`multus: <name>`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("propertyNames" = {"format": "dns1123-label"}))]
    pub networks: BTreeMap<Name, ClusterNetwork>,
    /// What VMs may ask of this cluster's nodes beyond their instancetype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm: Option<ClusterVm>,
}

/// A Linux bridge on every node, optionally one VLAN of it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ClusterNetwork {
    /// The node's Linux bridge, e.g. `br-vlan100`.
    pub bridge: InterfaceName,
    /// VLAN ID the CNI bridge plugin tags the VM's port with (untagged when absent).
    #[schemars(range(min = 1, max = 4094))]
    pub vlan: Option<u16>,
}

/// Node features a cluster offers VMs; what is not listed is refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ClusterVm {
    /// Nodes run the CPU manager's static policy, so VMs may pin dedicated CPUs.
    #[serde(default)]
    pub dedicated_cpus: bool,
    /// Hugepage sizes the nodes reserve for VM memory.
    #[serde(default)]
    pub hugepages: Vec<PageSize>,
}

/// A hugepage size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub enum PageSize {
    /// 2 MiB pages.
    #[serde(rename = "2Mi")]
    Mi2,
    /// 1 GiB pages.
    #[serde(rename = "1Gi")]
    Gi1,
}

impl PageSize {
    /// As KubeVirt's `memory.hugepages.pageSize` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            PageSize::Mi2 => "2Mi",
            PageSize::Gi1 => "1Gi",
        }
    }
}

/// Control plane shape of a cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ControlPlane {
    /// Number of etcd members (odd, at least 3 in production: quorum is ⌊n/2⌋+1).
    pub etcd_members: u32,
}

/// Allocatable capacity of a cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Capacity {
    /// CPU cores.
    pub cpu: Option<Quantity>,
    /// Memory.
    pub memory: Option<Quantity>,
    /// Storage.
    pub storage: Option<Quantity>,
}

/// Overcommit factors (exact decimals, e.g. `4` or `1.5`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Overcommit {
    /// CPU quota may reach capacity × this factor.
    pub cpu: Option<Quantity>,
    /// Memory quota may reach capacity × this factor.
    pub memory: Option<Quantity>,
}

/// Storage tiers of a cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ClusterStorage {
    /// Tier used when a volume or disk names none.
    pub default: Option<Name>,
    /// Tiers by name.
    #[schemars(extend("propertyNames" = {"format": "dns1123-label"}))]
    pub tiers: BTreeMap<Name, StorageTier>,
}

/// How one storage tier is provisioned.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct StorageTier {
    /// StorageClass of the PersistentVolumeClaims of this tier.
    pub storage_class: Name,
    /// Access modes of the claims, e.g. `[ReadWriteMany]`.
    #[schemars(length(min = 1))]
    pub access_modes: Vec<AccessMode>,
    /// `Filesystem` (default) or `Block`.
    #[serde(default)]
    pub volume_mode: VolumeMode,
}

/// PersistentVolume access mode.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[non_exhaustive]
pub enum AccessMode {
    /// Read-write by one node.
    ReadWriteOnce,
    /// Read-only by many nodes.
    ReadOnlyMany,
    /// Read-write by many nodes (needed for live migration).
    ReadWriteMany,
    /// Read-write by one pod.
    ReadWriteOncePod,
}

/// PersistentVolume volume mode.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[non_exhaustive]
pub enum VolumeMode {
    /// A mounted filesystem.
    #[default]
    Filesystem,
    /// A raw block device.
    Block,
}

// ---------------------------------------------------------------- Tenant

/// Spec of a `Tenant`: a node of the hierarchy (organisation, department, team).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct TenantSpec {
    /// Parent tenant; absent on a root tenant.
    pub parent: Option<Name>,
    /// Subjects bound to `admin` in every namespace below (additive down the tree).
    #[serde(default)]
    pub owners: Vec<Subject>,
    /// Cost center of every namespace below (nearest wins).
    pub cost_center: Option<LabelValue>,
    /// Labels put on every namespace below (nearest wins; `kprov.dev/` keys are reserved).
    #[schemars(extend("propertyNames" = {"format": "label-key"}))]
    #[serde(default)]
    pub labels: Labels,
    /// Annotations put on every namespace below (nearest wins).
    #[schemars(extend("propertyNames" = {"format": "label-key"}))]
    #[serde(default)]
    pub annotations: Annotations,
    /// Pod Security level; a root tenant replaces the estate's default,
    /// any other may only tighten what it inherits.
    pub pod_security: Option<PodSecurity>,
    /// Network isolation; a root tenant replaces the estate's default,
    /// any other may only tighten what it inherits.
    pub network: Option<Network>,
    /// Role bindings put in every namespace below (additive).
    #[serde(default)]
    pub role_bindings: Vec<RoleBinding>,
    /// Budget for the whole subtree, by environment name.
    #[serde(default)]
    #[schemars(extend("propertyNames" = {"format": "dns1123-label"}))]
    pub quota: BTreeMap<Name, Quota>,
    /// LimitRange container defaults (nearest wins).
    pub limits: Option<Limits>,
    /// Globs of clusters projects below may use; a child may narrow, never widen.
    pub allowed_clusters: Option<Vec<Glob>>,
    /// Globs of storage tiers projects below may use.
    pub allowed_storage_tiers: Option<Vec<Glob>>,
    /// Globs of instancetypes VMs below may use, e.g. `u1.*`.
    pub allowed_instancetypes: Option<Vec<Glob>>,
    /// Globs of the SAN volumes VMs below may attach in place, by address:
    /// `iscsi://<portal>/<iqn>/<lun>` or `nfs://<server><path>`, e.g.
    /// `nfs://nas-1.acme.example/exports/erp/*`. Refusing by default: a
    /// SAN volume is allowed only when a tenant on the chain lists it, and
    /// every list on the chain must match.
    pub allowed_san_volumes: Option<Vec<Glob>>,
}

/// Network policy of a tenant or project.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Network {
    /// `namespace` (strictest), `tenant` or `none`.
    pub isolation: Option<Isolation>,
    /// Tenants whose namespaces may also connect.
    #[serde(default)]
    pub allow_from: Vec<AllowFrom>,
}

/// A peer allowed to connect.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AllowFrom {
    /// Every namespace of this tenant's subtree.
    pub tenant: Name,
}

/// A ClusterRole bound to subjects.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct RoleBinding {
    /// Name of the ClusterRole, e.g. `view`, `edit`; one of the estate's
    /// `allowedRoles`.
    pub role: RoleName,
    /// Who gets it.
    #[schemars(length(min = 1))]
    pub subjects: Vec<Subject>,
}

/// Resource quota of a namespace, or a tenant's budget for one environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Quota {
    /// CPU requests (`requests.cpu`).
    pub cpu: Option<Quantity>,
    /// Memory requests (`requests.memory`).
    pub memory: Option<Quantity>,
    /// Storage requests (`requests.storage`).
    pub storage: Option<Quantity>,
    /// Number of pods (`pods`).
    pub pods: Option<Quantity>,
    /// CPU limits (`limits.cpu`).
    pub limits_cpu: Option<Quantity>,
    /// Memory limits (`limits.memory`).
    pub limits_memory: Option<Quantity>,
    /// Further `ResourceQuota.spec.hard` entries, copied verbatim (e.g. `count/virtualmachines.kubevirt.io`).
    #[serde(default)]
    pub extra: BTreeMap<String, Quantity>,
}

/// LimitRange container defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Limits {
    /// Default limits of a container.
    pub default: Option<Resources>,
    /// Default requests of a container.
    pub default_request: Option<Resources>,
    /// Maximum per container.
    pub max: Option<Resources>,
    /// Minimum per container.
    pub min: Option<Resources>,
}

/// CPU and memory amounts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Resources {
    /// CPU, e.g. `500m`.
    pub cpu: Option<Quantity>,
    /// Memory, e.g. `512Mi`.
    pub memory: Option<Quantity>,
}

// ---------------------------------------------------------------- Project

/// Spec of a `Project`: one self-service request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProjectSpec {
    /// Tenant the project belongs to.
    pub tenant: Name,
    /// Subjects bound to `admin` in the project's namespaces.
    #[serde(default)]
    pub owners: Vec<Subject>,
    /// What the project is for.
    pub description: Option<String>,
    /// Date after which the project should be reviewed or removed (YYYY-MM-DD).
    pub expires: Option<Date>,
    /// Cost center, overriding the tenant's.
    pub cost_center: Option<LabelValue>,
    /// Labels of the project's namespaces (nearest wins; `kprov.dev/` keys are reserved).
    #[schemars(extend("propertyNames" = {"format": "label-key"}))]
    #[serde(default)]
    pub labels: Labels,
    /// Annotations of the project's namespaces.
    #[schemars(extend("propertyNames" = {"format": "label-key"}))]
    #[serde(default)]
    pub annotations: Annotations,
    /// Pod Security level; may only tighten what the tenants set.
    pub pod_security: Option<PodSecurity>,
    /// Network isolation; may only tighten what the tenants set.
    pub network: Option<Network>,
    /// Additional role bindings in the project's namespaces.
    #[serde(default)]
    pub role_bindings: Vec<RoleBinding>,
    /// LimitRange container defaults, overriding the tenant's.
    pub limits: Option<Limits>,
    /// Environments the project runs in; one namespace per environment and cluster.
    #[schemars(length(min = 1))]
    pub environments: Vec<Environment>,
    /// Flux pulls the project's own manifests from this Git repository.
    pub sync: Option<Sync>,
    /// PersistentVolumeClaims in every namespace of the project.
    #[serde(default)]
    pub volumes: Vec<Volume>,
    /// KubeVirt VirtualMachines in every namespace of the project.
    #[serde(default)]
    pub virtual_machines: Vec<VirtualMachine>,
    /// Claims served by the estate's compositions.
    #[serde(default)]
    pub resources: Vec<Claim>,
    /// Flux notification-controller alerts for the project's deployments.
    pub notify: Option<Notify>,
    /// Lints whose findings in this project's file are not reported, each
    /// with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppress: Vec<Suppression>,
}

/// One environment of a project.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Environment {
    /// Environment name; every cluster listed must serve it.
    pub name: Name,
    /// Clusters to create the namespace on.
    #[schemars(length(min = 1))]
    pub clusters: Vec<Name>,
    /// Namespace name (default `<project>-<environment>`).
    pub namespace: Option<Name>,
    /// ResourceQuota of each of the environment's namespaces.
    pub quota: Option<Quota>,
}

/// Flux sync of the project's own manifests.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Sync {
    /// Git repository to pull.
    pub git: GitSource,
}

/// A Git repository for Flux.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct GitSource {
    /// Repository URL (`https://` or `ssh://`).
    pub url: String,
    /// Branch to follow (default `main`).
    pub branch: Option<String>,
    /// Path inside the repository; `{environment}` and `{cluster}` are substituted.
    pub path: Option<String>,
    /// Secret with credentials, in the project's namespace.
    pub secret_ref: Option<Name>,
}

/// A PersistentVolumeClaim.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Volume {
    /// Claim name.
    pub name: Name,
    /// Requested size, e.g. `50Gi`.
    pub size: Quantity,
    /// Storage tier (default: the cluster's default tier).
    pub tier: Option<Name>,
    /// Only in these environments (default: all).
    pub environments: Option<Vec<Name>>,
}

/// A KubeVirt VirtualMachine.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct VirtualMachine {
    /// VM name.
    pub name: Name,
    /// Cluster instancetype, e.g. `u1.large` (KubeVirt common-instancetypes).
    pub instancetype: String,
    /// Cluster preference, e.g. `rhel.9`, `ubuntu`, `windows.2k22`.
    pub preference: Option<String>,
    /// Where the root disk image comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// Root disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<Disk>,
    /// Every disk of the VM, instead of `image` and `disk`: images, blank
    /// disks and volumes kept in place on the SAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub disks: Option<Vec<VmDisk>>,
    /// NICs, in the order the guest sees them (default: one on the pod network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub networks: Option<Vec<VmNetwork>>,
    /// Firmware (default: the preference's, else BIOS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<Firmware>,
    /// A persistent TPM 2.0 device (BitLocker, measured boot); its state survives restarts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tpm: bool,
    /// Pin each vCPU to a dedicated host CPU (and the emulator thread to one more); the cluster must allow it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dedicated_cpus: bool,
    /// Back guest memory with hugepages of this size; the cluster must offer it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hugepages: Option<PageSize>,
    /// Whether the VM runs (default true).
    pub running: Option<bool>,
    /// Ports exposed through a Service.
    #[serde(default)]
    pub ports: Vec<Port>,
    /// Only in these environments (default: all).
    pub environments: Option<Vec<Name>>,
    /// East/West failover on the shared SAN: the VM runs on `active` and
    /// is rendered halted on `standby`, attached to the same SAN volumes,
    /// and nowhere else; failing over is changing `active`. Every disk must
    /// be a SAN volume.
    pub failover: Option<Failover>,
}

/// Which of two clusters runs a VM whose disks stay on the SAN.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Failover {
    /// The cluster the VM runs on.
    pub active: Name,
    /// The cluster it is rendered halted on, ready to take over.
    pub standby: Name,
}

impl ProjectSpec {
    /// The VMs rendered in the project's namespace of `environment` on
    /// `cluster`, with their index: those of the environment, and of a
    /// failover VM only on its two clusters.
    pub fn machines_in<'s>(
        &'s self,
        environment: &'s Name,
        cluster: &'s str,
    ) -> impl Iterator<Item = (usize, &'s VirtualMachine)> + 's {
        self.virtual_machines
            .iter()
            .enumerate()
            .filter(move |(_, vm)| {
                vm.environments
                    .as_ref()
                    .is_none_or(|e| e.contains(environment))
                    && vm.placed_on(cluster)
            })
    }
}

impl VirtualMachine {
    /// Whether the VM is rendered on `cluster` at all: a failover VM only
    /// on its two clusters.
    pub fn placed_on(&self, cluster: &str) -> bool {
        self.failover
            .as_ref()
            .is_none_or(|f| f.active.as_str() == cluster || f.standby.as_str() == cluster)
    }

    /// Whether the VM runs on `cluster` (a failover VM is halted on its
    /// standby).
    pub fn runs_on(&self, cluster: &str) -> bool {
        self.running.unwrap_or(true)
            && self
                .failover
                .as_ref()
                .is_none_or(|f| f.standby.as_str() != cluster)
    }
}

/// One disk of a VM as the later stages see it, whichever form the input
/// used; `pointer` is where it is, relative to the VM.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct VmDiskRef<'a> {
    /// Disk name (`root` for the `image` + `disk` form).
    pub name: &'a str,
    /// Requested size.
    pub size: &'a Quantity,
    /// Storage tier, when named.
    pub tier: Option<&'a Name>,
    /// Where the data comes from.
    pub source: DiskSourceRef<'a>,
    /// JSON pointer of the disk, relative to the VM.
    pub pointer: &'static str,
    /// Index in `disks`, for the `disks` form.
    pub index: Option<usize>,
}

impl VmDiskRef<'_> {
    /// JSON pointer of the disk relative to the VM.
    pub fn at(&self) -> String {
        match self.index {
            Some(i) => format!("/disks/{i}"),
            None => self.pointer.to_owned(),
        }
    }

    /// Whether the disk is provisioned from a storage tier (not a SAN volume).
    pub fn uses_tier(&self) -> bool {
        !matches!(self.source, DiskSourceRef::San(_))
    }
}

/// Where a disk's data comes from.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum DiskSourceRef<'a> {
    /// An image imported or cloned into a new volume.
    Image(&'a Image),
    /// An empty new volume.
    Blank,
    /// A volume kept in place on the SAN.
    San(&'a SanVolume),
}

impl VirtualMachine {
    /// Every disk, in order; empty when the VM has neither form (an error
    /// the model check reports).
    pub fn all_disks(&self) -> Vec<VmDiskRef<'_>> {
        if let Some(disks) = &self.disks {
            return disks
                .iter()
                .enumerate()
                .map(|(i, d)| VmDiskRef {
                    name: d.name.as_str(),
                    size: &d.size,
                    tier: d.tier.as_ref(),
                    source: match &d.source {
                        DiskSource::Image(image) => DiskSourceRef::Image(image),
                        DiskSource::Blank => DiskSourceRef::Blank,
                        DiskSource::San(san) => DiskSourceRef::San(san),
                    },
                    pointer: "",
                    index: Some(i),
                })
                .collect();
        }
        match (&self.image, &self.disk) {
            (Some(image), Some(disk)) => vec![VmDiskRef {
                name: "root",
                size: &disk.size,
                tier: disk.tier.as_ref(),
                source: DiskSourceRef::Image(image),
                pointer: "/disk",
                index: None,
            }],
            _ => Vec::new(),
        }
    }
}

/// Source of a VM's root disk: exactly one of `registry`, `http`, `pvc`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("minProperties" = 1, "maxProperties" = 1))]
#[non_exhaustive]
pub struct Image {
    /// Container disk image, e.g. `docker://registry.example.com/vm/rhel9:9.4`.
    pub registry: Option<String>,
    /// HTTP(S) URL of a disk image.
    pub http: Option<String>,
    /// Existing PersistentVolumeClaim to clone.
    pub pvc: Option<PvcRef>,
}

/// A PersistentVolumeClaim in some namespace.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PvcRef {
    /// Namespace of the claim.
    pub namespace: Name,
    /// Name of the claim.
    pub name: Name,
}

/// A VM's root disk.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Disk {
    /// Size, e.g. `60Gi`.
    pub size: Quantity,
    /// Storage tier (default: the cluster's default tier).
    pub tier: Option<Name>,
}

/// One disk of a VM.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct VmDisk {
    /// Disk name, unique in the VM, e.g. `root` or `data`.
    pub name: Name,
    /// Size, e.g. `60Gi`; for a SAN volume, the volume's size.
    pub size: Quantity,
    /// Storage tier of an image or blank disk (default: the cluster's default tier); a SAN volume has none.
    pub tier: Option<Name>,
    /// Bus the guest sees: `virtio` (default for disks), `sata` (default for CD-ROMs) or `scsi`.
    pub bus: Option<DiskBus>,
    /// Boot order, 1 first; disks without one are not booted from.
    #[schemars(range(min = 1))]
    pub boot_order: Option<u32>,
    /// A read-only CD-ROM drive (bus `sata` or `scsi`), e.g. an installer ISO.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cdrom: bool,
    /// Where the data comes from: exactly one of `image`, `blank`, `san`.
    #[schemars(with = "DiskSourceFields")]
    pub source: DiskSource,
}

/// Where a disk's data comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "DiskSourceFields", into = "DiskSourceFields")]
#[non_exhaustive]
pub enum DiskSource {
    /// A registry or HTTP image imported, or a PersistentVolumeClaim cloned, into a new volume.
    Image(Image),
    /// An empty new volume.
    Blank,
    /// A volume kept in place on the SAN.
    San(SanVolume),
}

/// The input shape of [`DiskSource`]; the schema makes it exactly one.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("minProperties" = 1, "maxProperties" = 1))]
#[non_exhaustive]
pub struct DiskSourceFields {
    /// Import a registry or HTTP image, or clone a PersistentVolumeClaim, into a new volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// An empty new volume: `blank: {}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blank: Option<Blank>,
    /// A volume kept in place on the SAN; its data is not copied.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<SanFields>")]
    pub san: Option<SanVolume>,
}

impl TryFrom<DiskSourceFields> for DiskSource {
    type Error = &'static str;
    fn try_from(f: DiskSourceFields) -> Result<Self, Self::Error> {
        match (f.image, f.blank, f.san) {
            (Some(image), None, None) => Ok(DiskSource::Image(image)),
            (None, Some(_), None) => Ok(DiskSource::Blank),
            (None, None, Some(san)) => Ok(DiskSource::San(san)),
            _ => Err("set exactly one of `image`, `blank`, `san`"),
        }
    }
}

impl From<DiskSource> for DiskSourceFields {
    fn from(s: DiskSource) -> Self {
        let mut f = DiskSourceFields {
            image: None,
            blank: None,
            san: None,
        };
        match s {
            DiskSource::Image(image) => f.image = Some(image),
            DiskSource::Blank => f.blank = Some(Blank {}),
            DiskSource::San(san) => f.san = Some(san),
        }
        f
    }
}

/// An empty disk.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Blank {}

/// A volume on the shared SAN, attached where it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "SanFields", into = "SanFields")]
#[non_exhaustive]
pub enum SanVolume {
    /// An iSCSI LUN, attached as a raw block device.
    Iscsi(Iscsi),
    /// An NFS export holding the disk as `disk.img`.
    Nfs(Nfs),
}

impl SanVolume {
    /// The address tenants' `allowedSanVolumes` globs match:
    /// `iscsi://<portal>/<iqn>/<lun>` or `nfs://<server><path>`.
    pub fn address(&self) -> String {
        match self {
            SanVolume::Iscsi(i) => iscsi_address(&i.target_portal, &i.iqn, i.lun),
            SanVolume::Nfs(n) => nfs_address(&n.server, &n.path),
        }
    }

    /// The one access mode of the volume's PersistentVolume. The in-tree
    /// iSCSI plugin attaches a LUN to one node only; an NFS export mounts
    /// on every node.
    pub fn access_mode(&self) -> AccessMode {
        match self {
            SanVolume::Iscsi(_) => AccessMode::ReadWriteOnce,
            SanVolume::Nfs(_) => AccessMode::ReadWriteMany,
        }
    }

    /// A LUN is the guest's raw disk, so it is a block device: as a
    /// filesystem volume kubelet would format an unrecognised one. An NFS
    /// export is a directory, where KubeVirt looks for `disk.img`.
    pub fn volume_mode(&self) -> VolumeMode {
        match self {
            SanVolume::Iscsi(_) => VolumeMode::Block,
            SanVolume::Nfs(_) => VolumeMode::Filesystem,
        }
    }
}

/// The address of an iSCSI LUN, as [`SanVolume::address`] writes it.
pub fn iscsi_address(portal: &str, iqn: &str, lun: impl std::fmt::Display) -> String {
    format!("iscsi://{portal}/{iqn}/{lun}")
}

/// The address of an NFS export, as [`SanVolume::address`] writes it.
pub fn nfs_address(server: &str, path: &str) -> String {
    format!("nfs://{server}{path}")
}

/// The input shape of [`SanVolume`]; the schema makes it exactly one.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("minProperties" = 1, "maxProperties" = 1))]
#[non_exhaustive]
pub struct SanFields {
    /// An iSCSI LUN, attached as a raw block device (ReadWriteOnce).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iscsi: Option<Iscsi>,
    /// An NFS export whose directory holds the disk as a raw `disk.img` (ReadWriteMany).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nfs: Option<Nfs>,
}

impl TryFrom<SanFields> for SanVolume {
    type Error = &'static str;
    fn try_from(f: SanFields) -> Result<Self, Self::Error> {
        match (f.iscsi, f.nfs) {
            (Some(iscsi), None) => Ok(SanVolume::Iscsi(iscsi)),
            (None, Some(nfs)) => Ok(SanVolume::Nfs(nfs)),
            _ => Err("set exactly one of `iscsi`, `nfs`"),
        }
    }
}

impl From<SanVolume> for SanFields {
    fn from(s: SanVolume) -> Self {
        match s {
            SanVolume::Iscsi(iscsi) => SanFields {
                iscsi: Some(iscsi),
                nfs: None,
            },
            SanVolume::Nfs(nfs) => SanFields {
                iscsi: None,
                nfs: Some(nfs),
            },
        }
    }
}

/// An iSCSI LUN.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Iscsi {
    /// Target portal, `host` or `host:port`, e.g. `10.0.40.10:3260`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9.:\[\]-]+$"))]
    pub target_portal: String,
    /// Target IQN, e.g. `iqn.2001-05.com.example:storage.vm`.
    #[schemars(regex(pattern = r"^(iqn|eui|naa)\.[^\s]+$"))]
    pub iqn: String,
    /// LUN number.
    #[schemars(range(max = 16383))]
    pub lun: u32,
}

/// An NFS export.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Nfs {
    /// NFS server, host name or address.
    #[schemars(regex(pattern = r"^[A-Za-z0-9.:\[\]-]+$"))]
    pub server: String,
    /// Exported path, absolute, without `.` or `..` segments (a tenant's
    /// `allowedSanVolumes` glob must mean the directory it names).
    #[schemars(regex(pattern = r"^/([A-Za-z0-9_~+@%,:=-][A-Za-z0-9._~+@%,:=-]*/?)*$"))]
    pub path: String,
}

/// Disk bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DiskBus {
    /// Paravirtualized (needs guest drivers; Windows needs virtio-win).
    Virtio,
    /// SATA: what a guest without virtio drivers boots from.
    Sata,
    /// SCSI (virtio-scsi).
    Scsi,
}

/// One NIC of a VM: exactly one of `pod` and `multus`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("oneOf" = [{"required": ["pod"]}, {"required": ["multus"]}]))]
#[non_exhaustive]
pub struct VmNetwork {
    /// NIC name, unique in the VM, e.g. `default` or `backend`.
    pub name: Name,
    /// The pod network, through masquerade (NAT): `pod: {}`. At most one NIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<PodNetwork>,
    /// A layer-2 network the cluster declares in `spec.networks`, bridged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multus: Option<Name>,
    /// NIC model: `virtio` (default), `e1000`, `e1000e` or `rtl8139`.
    pub model: Option<NicModel>,
    /// MAC address (default: one KubeVirt picks); keep the old one so guest licences and DHCP leases survive the move.
    pub mac_address: Option<MacAddress>,
}

/// The pod network.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PodNetwork {}

/// NIC model the guest sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum NicModel {
    /// Paravirtualized.
    Virtio,
    /// Intel 82540EM.
    E1000,
    /// Intel 82574.
    E1000e,
    /// Realtek 8139.
    Rtl8139,
}

/// Firmware of a VM.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Firmware {
    /// `bios` or `uefi`.
    #[serde(rename = "type")]
    pub kind: FirmwareKind,
    /// UEFI Secure Boot (needs `type: uefi`).
    #[serde(default)]
    pub secure_boot: bool,
}

/// Firmware type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum FirmwareKind {
    /// SeaBIOS.
    Bios,
    /// OVMF.
    Uefi,
}

/// A port of a VM's Service.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Port {
    /// Port name, e.g. `ssh`.
    pub name: PortName,
    /// Port number.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// `TCP` (default), `UDP` or `SCTP`.
    pub protocol: Option<Protocol>,
}

/// Transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub enum Protocol {
    /// TCP.
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
    /// SCTP.
    #[serde(rename = "SCTP")]
    Sctp,
}

/// A claim of a kind served by an estate Composition.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Claim {
    /// Claim kind, as a Definition declares it, e.g. `PostgresDatabase`.
    pub kind: String,
    /// Claim name.
    pub name: Name,
    /// Composition to use, where several serve the kind.
    pub composition: Option<Name>,
    /// Claim parameters, checked against the Definition's schema.
    #[serde(default)]
    pub spec: serde_json::Map<String, serde_json::Value>,
    /// Only in these environments (default: all).
    pub environments: Option<Vec<Name>>,
}

/// Where the project's deployment events are sent: one Flux
/// notification-controller Provider and Alert per target, watching the
/// project's Flux sync (so `spec.sync` is required).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("minProperties" = 1))]
#[non_exhaustive]
pub struct Notify {
    /// A Slack channel, through an incoming webhook.
    pub slack: Option<SlackTarget>,
    /// A Microsoft Teams channel, through an incoming webhook.
    pub msteams: Option<WebhookTarget>,
    /// Any HTTP endpoint that accepts Flux events as JSON.
    pub generic: Option<WebhookTarget>,
}

/// A Slack channel and the webhook that posts to it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SlackTarget {
    /// Channel, e.g. `#checkout`.
    pub channel: SlackChannel,
    /// Secret in the project's namespace whose `address` key holds the webhook URL.
    pub secret_ref: Name,
}

/// A webhook endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookTarget {
    /// Secret in the project's namespace whose `address` key holds the webhook URL.
    pub secret_ref: Name,
}

impl Notify {
    /// The targets that are set, as (Flux provider type, channel, secret).
    pub fn targets(&self) -> Vec<(&'static str, Option<&SlackChannel>, &Name)> {
        let mut targets = Vec::new();
        if let Some(t) = &self.slack {
            targets.push(("slack", Some(&t.channel), &t.secret_ref));
        }
        if let Some(t) = &self.msteams {
            targets.push(("msteams", None, &t.secret_ref));
        }
        if let Some(t) = &self.generic {
            targets.push(("generic", None, &t.secret_ref));
        }
        targets
    }
}

// ---------------------------------------------------------------- Compositions

/// Spec of a `Definition`: a claim kind and its parameters' JSON Schema.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct DefinitionSpec {
    /// Claim kind, e.g. `PostgresDatabase`.
    #[schemars(regex(pattern = r"^[A-Z][A-Za-z0-9]*$"))]
    pub kind: String,
    /// JSON Schema (draft-07) of the claim's `spec`.
    pub schema: serde_json::Map<String, serde_json::Value>,
    /// Whether compositions of this kind may emit cluster-scoped objects.
    #[serde(default)]
    pub cluster_scoped: bool,
    /// Composition used when a claim names none and several serve the kind.
    pub default_composition: Option<Name>,
}

/// Spec of a `Composition`: how one claim becomes Kubernetes objects.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct CompositionSpec {
    /// Claim kind this composition serves.
    #[schemars(regex(pattern = r"^[A-Z][A-Za-z0-9]*$"))]
    pub kind: String,
    /// Template steps, rendered in order.
    #[schemars(length(min = 1))]
    pub pipeline: Vec<Step>,
}

/// One step of a composition pipeline: exactly one of `template`, `inline`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("minProperties" = 2, "maxProperties" = 2))]
#[non_exhaustive]
pub struct Step {
    /// Step name.
    pub step: Name,
    /// Template file, relative to the Composition's file.
    pub template: Option<String>,
    /// Template text.
    pub inline: Option<String>,
}
