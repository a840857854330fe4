//! The built-in compositions, embedded from `compositions/` of the kprov
//! repository so the binary is self-contained.

/// Names of the built-in compositions, which kprov invokes itself.
pub const NAMESPACE: &str = "namespace";
/// See [`NAMESPACE`].
pub const VOLUME: &str = "volume";
/// See [`NAMESPACE`].
pub const VIRTUAL_MACHINE: &str = "virtual-machine";
/// See [`NAMESPACE`].
pub const NETWORK_ATTACHMENT: &str = "network-attachment";
/// See [`NAMESPACE`].
pub const FLUX_SYNC: &str = "flux-sync";

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../embedded/", $path)))),*]
    };
}

/// Every embedded file: path relative to the kprov repository, and contents.
pub const FILES: &[(&str, &str)] = embed![
    "compositions/flux-sync/composition.yaml",
    "compositions/flux-sync/sync.yaml.j2",
    "compositions/namespace/composition.yaml",
    "compositions/namespace/namespace.yaml.j2",
    "compositions/namespace/network.yaml.j2",
    "compositions/namespace/quota.yaml.j2",
    "compositions/namespace/rbac.yaml.j2",
    "compositions/network-attachment/composition.yaml",
    "compositions/network-attachment/nad.yaml.j2",
    "compositions/virtual-machine/composition.yaml",
    "compositions/virtual-machine/san.yaml.j2",
    "compositions/virtual-machine/service.yaml.j2",
    "compositions/virtual-machine/vm.yaml.j2",
    "compositions/volume/composition.yaml",
    "compositions/volume/pvc.yaml.j2",
];

/// The embedded file at `path`, if any.
pub fn file(path: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
}
