//! The registry of diagnostic codes: every class of problem kprov reports,
//! with what it means and what to do about it.
//!
//! A code is the stable part of a diagnostic: messages may be reworded, but
//! scripts, CI annotations and people searching for help match on the code,
//! so a code is never renamed or reused for something else. `kprov explain
//! CODE` prints an entry of this registry.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use super::Severity;

/// The severity a code is emitted with, for the registry table.
macro_rules! severity {
    (Error) => {
        Some(Severity::Error)
    };
    (Warning) => {
        Some(Severity::Warning)
    };
    (Either) => {
        None
    };
}

/// One table defines the variants, their strings, severities and texts, so
/// that none of them can be added without the others.
macro_rules! codes {
    ($(
        $variant:ident = $code:literal, $severity:ident,
            $explanation:literal,
            fix: $fix:literal;
    )*) => {
        /// The stable code of a class of problem, printed in brackets at the
        /// end of every diagnostic line and as `code` in JSON output.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $(
                #[doc = $explanation]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in the order of the registry (by the stage that
            /// reports it).
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable string, e.g. `over-budget`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The severity diagnostics with this code have; `None` for the
            /// codes that are an error or a warning depending on the finding
            /// (their explanation says when each).
            pub const fn severity(self) -> Option<Severity> {
                match self {
                    $(Code::$variant => severity!($severity),)*
                }
            }

            /// What a diagnostic with this code means, in one sentence.
            pub const fn explanation(self) -> &'static str {
                match self {
                    $(Code::$variant => $explanation,)*
                }
            }

            /// What to do about it.
            pub const fn fix(self) -> &'static str {
                match self {
                    $(Code::$variant => $fix,)*
                }
            }
        }
    };
}

codes! {
    // ------------------------------------------------------------ load
    Unreadable = "unreadable", Error,
        "kprov could not read a file or directory of the estate (permissions, a file that vanished while kprov read it, an I/O error).",
        fix: "Check that the path in the message exists and is readable by the user running kprov (`ls -l` it), then run kprov again.";
    Symlink = "symlink", Warning,
        "A symbolic link in the estate (or among a composition's test cases) was skipped: kprov reads only regular files inside the estate root, so a link cannot pull in files from elsewhere.",
        fix: "Replace the link with a copy of the file it points to, or delete it if nothing needs it.";
    UnportablePath = "unportable-path", Error,
        "An input file's path has characters kprov does not accept; only letters, digits, `.`, `_` and `-` separated by `/` are read, because generated files and CODEOWNERS quote input paths.",
        fix: "Rename the file as the message suggests (e.g. spaces to `-`) and update anything that refers to it.";
    FileTooLarge = "file-too-large", Error,
        "An input file is larger than the most kprov reads from one file, a bound that keeps a runaway or misplaced file from stalling CI.",
        fix: "Split the file into several (kprov reads every YAML file of the estate), or move data that is not estate input out of the estate.";
    InvalidUtf8 = "invalid-utf8", Error,
        "An input file is not UTF-8: it is UTF-16 (often from a Windows editor) or has an invalid byte at the line and column shown.",
        fix: "Re-encode the file as UTF-8, e.g. `iconv -f UTF-16 -t UTF-8`, or remove the invalid byte.";
    // ------------------------------------------------------------ YAML
    Yaml = "yaml", Error,
        "A file is not well-formed YAML (bad indentation, an unclosed quote or bracket, a tab used for indentation), or is nested or sized beyond what kprov parses.",
        fix: "Fix the YAML at the line and column shown; `yamllint` on the file gives a second opinion.";
    DuplicateKey = "duplicate-key", Error,
        "A mapping sets the same key twice; YAML tools disagree on which value wins, so kprov refuses the file.",
        fix: "Keep one of the two keys (the note shows the first) and merge their values into it.";
    // ------------------------------------------------------------ model
    NotAnObject = "not-an-object", Error,
        "A document in a kprov input file is not a mapping (it is a list, a string or a number).",
        fix: "Make the document a mapping with `apiVersion`, `kind`, `metadata` and `spec`, or move it out of the estate.";
    ApiVersion = "api-version", Error,
        "A document names a `kprov.dev/` apiVersion this kprov does not read.",
        fix: "Set `apiVersion: kprov.dev/v1alpha1`, or use the kprov release the estate was written for.";
    UnknownKind = "unknown-kind", Error,
        "A `kprov.dev/` document has a `kind` kprov does not know.",
        fix: "Use Estate, Cluster, Tenant, Project, Definition or Composition, spelled exactly; the message suggests the closest.";
    MissingField = "missing-field", Error,
        "A document lacks a field its kind requires, e.g. `kind`, `metadata.name` or a required field of its `spec`.",
        fix: "Add the field the message names; `kprov schema KIND` shows which fields each kind requires.";
    UnknownField = "unknown-field", Error,
        "A document sets a field its kind does not have: usually a typo, or a field at the wrong indentation.",
        fix: "Correct the spelling (the message suggests the closest field) or the indentation; `kprov schema KIND` lists the fields.";
    WrongType = "wrong-type", Error,
        "A field holds the wrong type of value, e.g. a list where a mapping belongs, or a number where a string belongs.",
        fix: "Write the value as the type the message names; quote strings that YAML would read as numbers, e.g. `\"1.20\"`.";
    InvalidValue = "invalid-value", Error,
        "A field's value is malformed or out of range: a bad quantity, name, date, glob or subject, or a value outside the allowed set.",
        fix: "Correct the value as the message says, e.g. `500m`, `2` or `1Gi` for a quantity, a lowercase DNS label for a name.";
    DuplicateEstate = "duplicate-estate", Error,
        "The estate has a second Estate object; there is exactly one, in `kprov.yaml`.",
        fix: "Delete the second Estate and move any settings it has into `kprov.yaml` (the note shows the first).";
    NoEstate = "no-estate", Error,
        "No Estate object was found: the directory is not an estate root, or its `kprov.yaml` lacks `kind: Estate`.",
        fix: "Run kprov in the directory holding `kprov.yaml` (or pass that directory as DIR); `kprov init` scaffolds a new estate.";
    KindNotAllowedHere = "kind-not-allowed-here", Error,
        "An object is in a file where its kind may not live: a Cluster, Tenant, Definition or Composition in a project file, which its team reviews alone, or an Estate outside `kprov.yaml`.",
        fix: "Move the object to the platform's files the message names; a team asks the platform to add what it needs.";
    DuplicateName = "duplicate-name", Error,
        "Two objects of one kind share a name, or a project lists the same environment or cluster twice.",
        fix: "Rename or remove one of them; the note shows the first.";
    // ------------------------------------------------------------ references
    UnknownReference = "unknown-reference", Error,
        "A name refers to something the estate does not define: a tenant, parent tenant, cluster, environment, storage tier, claim kind or default composition.",
        fix: "Correct the name (the message suggests the closest) or define the object it refers to.";
    UnknownEnvironment = "unknown-environment", Warning,
        "A tenant budgets an environment that no cluster serves, so that budget constrains nothing.",
        fix: "Correct the environment's name (the message suggests the closest), or remove the budget if the environment is gone.";
    WrongEnvironment = "wrong-environment", Error,
        "A project environment places its namespace on a cluster that serves a different environment.",
        fix: "Pick a cluster of that environment, or list the cluster under the environment it serves.";
    UnknownInstancetype = "unknown-instancetype", Error,
        "A VM names an instancetype that is not one of the KubeVirt common-instancetypes kprov knows (series u1, o1, cx1, m1 and n1).",
        fix: "Use a known instancetype such as `u1.medium`; the message suggests the closest.";
    UnknownPreference = "unknown-preference", Warning,
        "A VM names a preference that is not one of the KubeVirt common preferences, so kprov cannot tell whether the cluster has it.",
        fix: "Make sure the cluster provides that VirtualMachinePreference, or use a common one (the message suggests the closest).";
    UnknownStorageTier = "unknown-storage-tier", Error,
        "A disk or volume asks for a storage tier its cluster does not have, or names none where the cluster has no default tier.",
        fix: "Use one of the cluster's tiers (the message lists them), or ask the platform to add the tier or `storage.default` to the Cluster.";
    UnknownNetwork = "unknown-network", Error,
        "A VM attaches a NIC to a Multus network that a cluster it is placed on does not declare in `spec.networks`.",
        fix: "Use one of the cluster's networks (the message suggests the closest), or ask the platform to declare the bridge in the Cluster's `spec.networks`.";
    VmFeatureUnavailable = "vm-feature-unavailable", Error,
        "A VM asks for dedicated CPUs or a hugepage size that a cluster it is placed on does not offer (`spec.vm` of the Cluster): its pod would never be scheduled.",
        fix: "Remove `dedicatedCpus` or `hugepages` from the VM, place it on a cluster that offers them, or ask the platform to set `spec.vm` on the Cluster once its nodes are prepared.";
    NotifyWithoutSync = "notify-without-sync", Error,
        "A project sets `spec.notify` but no `spec.sync`; notifications report the project's Flux sync, so there would be nothing to report.",
        fix: "Add `spec.sync`, or remove `spec.notify`.";
    NamespaceTooLong = "namespace-too-long", Error,
        "A namespace kprov would create (the project's name plus the environment's suffix) is longer than the 63 characters Kubernetes allows.",
        fix: "Shorten the project's name, or set `namespace:` on the environment to a shorter name.";
    RoleNotAllowed = "role-not-allowed", Error,
        "A project binds a role the estate does not allow: `cluster-admin` and `system:` roles are never bound, and any other must match `spec.allowedRoles` in kprov.yaml.",
        fix: "Use a role the estate allows, or ask the platform to add it to `spec.allowedRoles`.";
    InvalidOutput = "invalid-output", Error,
        "`spec.output` in kprov.yaml is not a usable output directory: it leaves the estate root, or overlaps files kprov reads as input.",
        fix: "Set `spec.output` to a directory of its own inside the estate, e.g. `clusters`.";
    UnitNameTooLong = "unit-name-too-long", Error,
        "A delivery unit's Flux Kustomizations are named `<unit>-config` and `<unit>-apps`, and Flux writes that name into a label of every object it applies: a label value holds at most 63 characters, so a tenant or project named for a unit may have at most 56.",
        fix: "Shorten the tenant's or project's name, or choose other `spec.delivery.units` in kprov.yaml.";
    VmFailover = "vm-failover", Error,
        "A VM's `failover` names a cluster that is not one of its environments', the same cluster twice, or a disk that is not a SAN volume: a failover pair shares its disks on the SAN, so a copied disk would part on the two sides.",
        fix: "Name two different clusters of the VM's environments, and keep every disk on the SAN (`source.san`).";
    SanVolumeShared = "san-volume-shared", Error,
        "Two running VMs attach the same SAN volume (on one cluster or two): both would write the same disk and corrupt it.",
        fix: "Give the VM a `failover` with one active cluster (the other renders it halted), or attach the volume to one VM only.";
    AnnounceNeedsUnits = "announce-needs-units", Error,
        "`spec.delivery.announce` watches the Kustomizations of delivery units, which exist only with `units: tenant` or `units: project`.",
        fix: "Set `spec.delivery.units` to `tenant` or `project`, or remove `announce`.";
    // ------------------------------------------------------------ hierarchy
    TenantCycle = "tenant-cycle", Error,
        "Tenants name each other as parents in a loop, so the loop has no root.",
        fix: "Change `spec.parent` of one tenant in the loop; the notes list every tenant in it.";
    ReservedLabel = "reserved-label", Error,
        "A label or annotation key is in a domain that steers kprov, Kubernetes, kustomize or a GitOps controller (such as `kprov.dev/` or `pod-security.kubernetes.io/`), which tenants and projects may not set.",
        fix: "Use a key under your own domain, e.g. `example.com/team`; pod security and network isolation have kprov fields of their own.";
    NameCollision = "name-collision", Error,
        "A project has the name of a tenant, so its namespaces would carry the tree label that selects that tenant's subtree.",
        fix: "Rename the project (or the tenant).";
    Loosened = "loosened", Error,
        "A tenant or project sets a security setting looser than one a tenant above it sets (pod security, network isolation, or a network peer outside its subtree); below that tenant, a child may only keep or tighten it. The estate's pod security and isolation are defaults, not floors: the first tenant on a chain to set one may set any level.",
        fix: "Remove the setting to inherit it or make it as strict as the inherited one, or ask the owners of the tenant that sets it to allow more.";
    NotAllowed = "not-allowed", Error,
        "A project uses a cluster, instancetype, storage tier or other value that an allow-list of a tenant above it (`allowedClusters`, `allowedInstancetypes`, …) does not match.",
        fix: "Choose a value the allow-list matches, or ask the owners of the tenant the message names to extend it.";
    NamespaceCollision = "namespace-collision", Error,
        "Two projects create the same namespace on the same cluster.",
        fix: "Change the `namespace:` (or the name) of one of the projects; the note shows the other.";
    ReservedNamespace = "reserved-namespace", Error,
        "A project asks for a namespace it may not have: one of the cluster's operators (`kube-*`, `*-system`, …), one the estate reserves in `spec.namespaces.reserved`, or one that does not carry the project's name.",
        fix: "Name the namespace `<project>` or `<project>-<suffix>`.";
    InheritedOverride = "inherited-override", Error,
        "A project changes the value of a label or annotation its tenants set; a project may add keys, not change its tenants'.",
        fix: "Remove the key from the project or use another key; the note shows where the tenant sets it.";
    CostCenterMissing = "cost-center-missing", Warning,
        "A project has no costCenter, neither its own nor on its tenant chain, so its cost cannot be charged back.",
        fix: "Set `spec.costCenter` on the project or on one of its tenants.";
    OverBudget = "over-budget", Error,
        "The quotas allocated below a tenant in one environment add up to more of a resource than the tenant's budget. Each project under the budget is told at its own quota how much is left for it and who can raise the budget; a budget used up by child tenants alone is reported at the budget.",
        fix: "Lower the quotas of the contributors the notes list, or raise the tenant's budget in `spec.quota` (within its parent's).";
    BudgetAboveParent = "budget-above-parent", Error,
        "A tenant budgets more of a resource in an environment than one of its ancestors does.",
        fix: "Lower the tenant's budget to at most the ancestor's, or raise the ancestor's.";
    QuotaUnbounded = "quota-unbounded", Error,
        "A project sets no quota for a resource its tenant budgets in that environment; without a quota its namespace could use any amount.",
        fix: "Add the resource to the `quota` of the project's environment.";
    QuantityOverflow = "quantity-overflow", Error,
        "Adding up the quotas below a tenant overflowed kprov's exact arithmetic: some quantity is absurdly large.",
        fix: "Find the quantity with a typo (a stray exponent or extra digits) below the tenant and correct it.";
    // ------------------------------------------------------------ compose
    BuiltinOverridden = "builtin-overridden", Warning,
        "An estate Composition has the name of one of kprov's built-in compositions and replaces it.",
        fix: "Rename the Composition if it should exist beside the built-in; keep the name only to replace the built-in on purpose.";
    InvalidSchema = "invalid-schema", Error,
        "A Definition's `spec.schema`, or a schema file under `schemas/` of the estate, is not a usable JSON Schema.",
        fix: "Fix the schema at the place shown; it must be valid draft-07 JSON Schema.";
    Template = "template", Error,
        "A composition's template could not be loaded or rendered: a missing template or one outside the estate, a syntax error, an undefined value, or output that is not valid YAML.",
        fix: "Fix the template at the line shown; `kprov test` runs a composition's golden cases after the change.";
    ComposedObject = "composed-object", Error,
        "A composition produced an object kprov refuses: outside the claim's namespace, cluster-scoped without the Definition allowing it, or binding `cluster-admin` or a `system:` role.",
        fix: "Change the composition so its objects stay in the claim's namespace and grant no cluster-wide rights, or set `clusterScoped: true` on the Definition if the platform intends cluster-scoped objects.";
    DuplicateObject = "duplicate-object", Error,
        "Two claims produce the same object (kind, namespace and name) on the same cluster.",
        fix: "Rename one of the claims, or change the name its composition gives the object, so that each object has one source.";
    NoComposition = "no-composition", Error,
        "No Composition renders a claim: none serves its kind, the one named in `composition:` does not, or several do and none is chosen.",
        fix: "Name a composition with `composition:` on the claim, set the Definition's `defaultComposition`, or add a Composition for the kind.";
    InvalidClaim = "invalid-claim", Error,
        "A claim's `spec` does not satisfy the schema of its Definition.",
        fix: "Correct the claim's fields as the message says; the Definition's `spec.schema` says what is accepted.";
    // ------------------------------------------------------------ conformance
    OutputSchema = "output-schema", Error,
        "A rendered object does not validate against the schema of its kind, e.g. a misspelled field in a composition's template.",
        fix: "Fix the composition the message names so that it renders a valid object.";
    UncheckedKind = "unchecked-kind", Either,
        "Rendered objects of a kind kprov has no schema for were not validated: a warning, or an error with `--strict-kinds`.",
        fix: "Add the kind's JSON Schema to the estate at the path the message gives (`schemas/<group>/<version>/<kind>.json`).";
    // ------------------------------------------------------------ lints
    EtcdQuorum = "etcd-quorum", Either,
        "A prod cluster has fewer than 3 etcd members or an even number (error), or does not declare `controlPlane.etcdMembers` (warning); 4 members survive no more losses than 3.",
        fix: "Run an odd number of etcd members, at least 3, and declare it in the Cluster's `spec.controlPlane.etcdMembers`.";
    VmLiveMigration = "vm-live-migration", Either,
        "A VM's disk is not on a ReadWriteMany tier, so the VM cannot live-migrate: an error when its evictionStrategy is LiveMigrate, a warning for a prod VM, which stops when its node drains.",
        fix: "Put the VM's disks on a ReadWriteMany storage tier, or accept that it stops on drain and drop LiveMigrate.";
    VmFitsQuota = "vm-fits-quota", Error,
        "The virt-launcher pods of a namespace's running VMs request more CPU, memory, limits or hugepages than its ResourceQuota allows, so admission refuses the last of them. A launcher pod requests the guest's memory plus KubeVirt's overhead (about 260Mi plus 8Mi per vCPU), and 1/10 CPU per shared vCPU: 16Gi of VMs do not fit a 16Gi quota.",
        fix: "Raise the namespace's quota (leave room for the overhead the message names), use smaller instancetypes, or run fewer VMs there.";
    VmFitsLimitrange = "vm-fits-limitrange", Error,
        "A VM's virt-launcher compute container requests (or is limited to) more CPU or memory than the `max` of its namespace's LimitRange, so admission refuses its pod and the VM never starts; the memory includes KubeVirt's overhead.",
        fix: "Raise the LimitRange `max` in `limits` (tenant or project) above the guest plus overhead the message names, or use a smaller instancetype.";
    PodsFitQuota = "pods-fit-quota", Error,
        "A namespace's objects run more pods than its quota's `pods` (or `count/pods`) allows: each running VM is one virt-launcher pod, a Deployment, StatefulSet or ReplicaSet its replicas, a Job its parallel pods. Admission refuses the pods beyond the quota.",
        fix: "Raise the namespace's `pods` quota, or run fewer replicas or VMs there.";
    StorageFitsQuota = "storage-fits-quota", Error,
        "The claims of a namespace's volumes and VM disks ask for more storage, or more claims, than its ResourceQuota allows, so the cluster refuses the last of them when they are applied.",
        fix: "Raise the namespace's `storage` quota (or the `extra` key per storage class or claim count), make the volumes or disks smaller, or place them in fewer environments.";
    VmNeedsKubevirt = "vm-needs-kubevirt", Error,
        "A VM is placed on a cluster whose Cluster does not say `kubevirt: true`.",
        fix: "Place the project's VMs on a KubeVirt cluster, or set `kubevirt: true` on the Cluster if it runs KubeVirt.";
    ClusterOvercommit = "cluster-overcommit", Either,
        "The quotas on a cluster exceed its capacity × overcommit (error), or use more than 80 % of it (warning).",
        fix: "Move namespaces to another cluster, lower their quotas, or raise the cluster's capacity or `overcommit`.";
    ProjectExpired = "project-expired", Error,
        "A project's `expires` date is before the date given with `--today`.",
        fix: "Renew the project by moving `spec.expires` forward, or remove it.";
    UnknownLint = "unknown-lint", Error,
        "`spec.lints` in kprov.yaml, or a project's `spec.suppress`, names a lint that does not exist.",
        fix: "Use an id that `kprov lints` lists; the message names the closest.";
    // ------------------------------------------------------------ policies
    PolicySyntax = "policy-syntax", Error,
        "A Rego policy does not parse or fails analysis (an unsafe variable, an unknown function, conflicting rules); kprov reads Rego v1.",
        fix: "Fix the policy at the line shown; rules are written `deny contains msg if { … }`.";
    PolicyPackage = "policy-package", Error,
        "A policy declares a package other than `main`, the one kprov evaluates (conftest's default).",
        fix: "Declare `package main`.";
    PolicyNoRules = "policy-no-rules", Warning,
        "A policy declares none of the rules `deny`, `violation` or `warn`, so it never reports anything.",
        fix: "Add a `deny`, `violation` or `warn` rule, or delete the policy.";
    PolicyNondeterministic = "policy-nondeterministic", Error,
        "A policy calls a built-in that reads the clock, randomness, the environment or the network, so its findings could differ between runs and machines.",
        fix: "Put what the policy needs in the estate as data and read it from there.";
    PolicyRecursion = "policy-recursion", Error,
        "A policy function calls itself; Rego does not allow recursion, and evaluating it would never end.",
        fix: "Compute the result without the function calling itself, e.g. with a comprehension or `walk`.";
    PolicyLimit = "policy-limit", Error,
        "A policy went beyond kprov's evaluation bounds: it ran too long on one object or in all, or built a value too large.",
        fix: "Look for a loop without end or an iteration over large data in the rule shown, and iterate over the object's own fields instead.";
    PolicyError = "policy-error", Error,
        "A policy failed while being evaluated on an object, e.g. a type error or rules giving conflicting values.",
        fix: "Fix the rule at the line shown; the note names the first object it failed on.";
    PolicyDeny = "policy-deny", Error,
        "A `deny` or `violation` rule of an estate policy matched a rendered object.",
        fix: "Change the project or composition so that the object satisfies the policy (the message says why), or ask the policy's owners about an exception.";
    PolicyWarn = "policy-warn", Warning,
        "A `warn` rule of an estate policy matched a rendered object.",
        fix: "Read the message and decide; a warning does not fail the command.";
    // ------------------------------------------------------------ CODEOWNERS
    CodeownersUnmapped = "codeowners-unmapped", Warning,
        "A tenant owner has no GitHub handle in `spec.github.handles` (nor an `org` for `group:` owners), so the generated CODEOWNERS leaves it out.",
        fix: "Map the owner in `spec.github.handles` of kprov.yaml, or set `spec.github.org` so that `group:` owners map to teams.";
    // ------------------------------------------------------------ diff
    Drift = "drift", Error,
        "A file of the committed output tree (or CODEOWNERS, or the Backstage template) is not what the specs render: missing, changed, no longer generated, or not generated by kprov at all. Reported by `kprov diff --format github|sarif`.",
        fix: "Run `kprov render` and commit the result; move out of the output tree what kprov did not generate.";
    // ------------------------------------------------------------ import
    LibvirtXml = "libvirt-xml", Error,
        "A file given to `kprov import libvirt` is not usable domain XML: not well-formed, larger or deeper than a domain ever is, not a `<domain>`, or it has a DOCTYPE (which could declare entities that read files or expand without bound); nothing is written.",
        fix: "Give the output of `virsh dumpxml DOMAIN` as it is, one domain per file; fix or remove the file at the line and column shown.";
    ImportRefused = "import-refused", Error,
        "`kprov import` cannot write the VMs: the tenant, cluster or environment is not in the estate, a VM of that name is already in the project, the sizes file is malformed, or the project file cannot be appended to; nothing is written.",
        fix: "Do what the message says (name an existing tenant or cluster, rename or remove the VM, fix the sizes file line), then run the import again.";
    OpenvzConf = "openvz-conf", Error,
        "A file given to `kprov import openvz` is not a config kprov can read: a line that is not `KEY=\"value\"`, an unclosed quote, a shell expansion (`$`, backticks) kprov would have to run, a size it cannot read, or a file larger than a config ever is; nothing is written.",
        fix: "Give the container's `/etc/vz/conf/<CTID>.conf` as vzctl wrote it; fix the line and column shown (write values literally).";
    ImportMapping = "import-mapping", Error,
        "The `--mapping` file of `kprov import` is not a list of rules kprov can use: not YAML, an unknown key, a missing or malformed `match`, `tenant`, `project`, `environment` or `clusters`, a name that is not a DNS label, or two rules that put one project under different tenants, environments or clusters; nothing is written.",
        fix: "Fix the rule at the line shown: each is `{match, tenant, project, environment, clusters, tier?, owners?}`, and rules naming one project agree on its tenant, environment and clusters.";
}

impl Code {
    /// The entry `kprov explain CODE` prints: the code, its severity, what
    /// it means and what to do.
    pub fn entry(self) -> String {
        format!(
            "{} ({})\n  {}\n  fix: {}\n",
            self.as_str(),
            severity_name(self.severity()),
            self.explanation(),
            self.fix()
        )
    }

    /// One line per code with its severity and explanation, for `kprov
    /// explain --codes`.
    pub fn index() -> String {
        let width = Code::ALL
            .iter()
            .map(|c| c.as_str().len())
            .max()
            .unwrap_or(0);
        Code::ALL
            .iter()
            .map(|c| {
                format!(
                    "{:<width$}  {:<16}  {}\n",
                    c.as_str(),
                    severity_name(c.severity()),
                    c.explanation()
                )
            })
            .collect()
    }

    /// The entry as data: what `kprov explain CODE --format json` prints.
    pub fn registry_entry(self) -> CodeEntry {
        CodeEntry {
            code: self,
            severity: self.severity(),
            explanation: self.explanation(),
            fix: self.fix(),
        }
    }
}

/// One entry of the registry: what `kprov explain CODE --format json`
/// prints, and each element of `kprov explain --codes --format json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct CodeEntry {
    /// The code.
    pub code: Code,
    /// The severity it is reported with; `null` when it is either, by
    /// context or by the estate's lint levels.
    pub severity: Option<Severity>,
    /// What it means.
    pub explanation: &'static str,
    /// What to do about it.
    pub fix: &'static str,
}

/// `kprov explain --codes --format json`: every code's entry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct CodeIndex(pub Vec<CodeEntry>);

impl CodeIndex {
    /// Every code, in the registry's order.
    pub fn all() -> Self {
        CodeIndex(Code::ALL.iter().map(|c| c.registry_entry()).collect())
    }
}

fn severity_name(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(severity) => severity.as_str(),
        None => "error or warning",
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for Code {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Code".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        schemars::json_schema!({
            "description": "Stable identifier of the class of problem (`kprov explain --codes` lists them).",
            "type": "string",
            "enum": codes,
        })
    }
}

/// A string that is not a diagnostic code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    /// What was given.
    pub given: String,
    /// The code it most likely meant, if any is close.
    pub suggestion: Option<Code>,
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown diagnostic code `{}`", self.given)?;
        if let Some(code) = self.suggestion {
            write!(f, "; did you mean `{code}`?")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownCode {}

impl FromStr for Code {
    type Err = UnknownCode;

    /// Exactly the stable string; codes are lowercase, and a code written
    /// otherwise is reported with the code it is closest to.
    fn from_str(s: &str) -> Result<Code, UnknownCode> {
        if let Some(&code) = Code::ALL.iter().find(|c| c.as_str() == s) {
            return Ok(code);
        }
        let names: Vec<String> = Code::ALL.iter().map(|c| c.as_str().to_owned()).collect();
        let suggestion = crate::diagnostic::closest(&s.to_ascii_lowercase(), &names)
            .and_then(|name| Code::ALL.iter().copied().find(|c| c.as_str() == name));
        Err(UnknownCode {
            given: s.to_owned(),
            suggestion,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_code_is_unique_kebab_case_and_explained() {
        let mut seen = BTreeSet::new();
        for &code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "`{s}` is listed twice");
            let kebab = !s.is_empty()
                && s.split('-').all(|word| {
                    !word.is_empty()
                        && word
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                });
            assert!(kebab, "`{s}` is not kebab-case");
            for (what, text) in [("explanation", code.explanation()), ("fix", code.fix())] {
                assert!(!text.trim().is_empty(), "{s}: empty {what}");
                assert!(!text.contains('\n'), "{s}: the {what} is one line");
                assert!(text.ends_with('.'), "{s}: the {what} is a sentence");
            }
        }
    }

    #[test]
    fn a_code_reads_writes_and_serializes_as_its_string() {
        for &code in Code::ALL {
            assert_eq!(code.as_str().parse::<Code>(), Ok(code));
            assert_eq!(code.to_string(), code.as_str());
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
    }

    #[test]
    fn an_unknown_code_suggests_the_closest() {
        let e = "overbudget".parse::<Code>().unwrap_err();
        assert_eq!(e.suggestion, Some(Code::OverBudget));
        assert_eq!(
            e.to_string(),
            "unknown diagnostic code `overbudget`; did you mean `over-budget`?"
        );
        assert_eq!(
            "Over-Budget".parse::<Code>().unwrap_err().suggestion,
            Some(Code::OverBudget)
        );
        let e = "zzz".parse::<Code>().unwrap_err();
        assert_eq!(e.suggestion, None);
        assert_eq!(e.to_string(), "unknown diagnostic code `zzz`");
    }

    #[test]
    fn an_entry_says_severity_meaning_and_fix() {
        assert_eq!(
            Code::OverBudget.entry(),
            format!(
                "over-budget (error)\n  {}\n  fix: {}\n",
                Code::OverBudget.explanation(),
                Code::OverBudget.fix()
            )
        );
        assert!(
            Code::EtcdQuorum
                .entry()
                .starts_with("etcd-quorum (error or warning)\n")
        );
        let index = Code::index();
        assert_eq!(index.lines().count(), Code::ALL.len());
        assert!(
            index
                .lines()
                .any(|l| l.starts_with("symlink ") && l.contains(" warning "))
        );
        let json = serde_json::to_value(Code::EtcdQuorum.registry_entry()).unwrap();
        assert_eq!(json["code"], "etcd-quorum");
        assert!(json["severity"].is_null());
        let json = serde_json::to_value(Code::Symlink.registry_entry()).unwrap();
        assert_eq!(json["severity"], "warning");
    }

    /// A variant no call site names is a code kprov never reports: the
    /// registry would document a problem that cannot happen. Every variant
    /// must appear as `Code::Variant` in the library outside this file and
    /// outside its test modules (which sit at the end of their files). The
    /// end-to-end tests check the other half: that each code is actually
    /// reported by some test.
    #[test]
    fn every_code_is_named_at_a_call_site() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut named = BTreeSet::new();
        for entry in walkdir::WalkDir::new(&src) {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "rs")
                || path.ends_with("diagnostic/code.rs")
                || path.ends_with("test_support.rs")
            {
                continue;
            }
            let text = std::fs::read_to_string(path).unwrap();
            let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            for (i, _) in text.match_indices("Code::") {
                let name: String = text[i + "Code::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                named.insert(name);
            }
        }
        let unused: Vec<&str> = Code::ALL
            .iter()
            .filter(|c| !named.contains(&format!("{c:?}")))
            .map(|c| c.as_str())
            .collect();
        assert!(unused.is_empty(), "no call site reports {unused:?}");
    }
}
