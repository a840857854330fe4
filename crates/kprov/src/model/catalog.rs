//! The KubeVirt common-instancetypes and common-preferences that kprov knows
//! by name (kubevirt/common-instancetypes, the series kprov supports: u1, o1,
//! cx1, m1, n1). A VM naming anything else is a typo until proven otherwise;
//! the sizes feed the quota checks of later stages.

use super::Quantity;

/// One cluster-wide instancetype: its name and what a VM of it consumes.
#[derive(Debug, Clone, Copy)]
pub struct Instancetype {
    /// `series.size`, e.g. `u1.large`.
    pub name: &'static str,
    /// Guest vCPUs.
    pub cpus: u32,
    /// Guest memory, as a Kubernetes quantity.
    pub memory: &'static str,
}

impl Instancetype {
    /// Guest memory as an exact quantity.
    pub fn memory(&self) -> Quantity {
        // The table below is made of literals that are valid quantities (tested).
        Quantity::parse(self.memory).unwrap_or_else(|_| Quantity::zero())
    }

    /// The series, `u1` of `u1.large`.
    pub fn series(&self) -> &'static str {
        self.name.split('.').next().unwrap_or(self.name)
    }

    /// `memory.overcommitPercent` of the series: the launcher pod of an
    /// `o1` VM requests half its guest memory.
    pub fn overcommit_percent(&self) -> u32 {
        if self.series() == "o1" { 50 } else { 0 }
    }

    /// `cpu.dedicatedCPUPlacement` and `isolateEmulatorThread`, both set by
    /// the `cx1` and `n1` series.
    pub fn dedicated_cpus(&self) -> bool {
        matches!(self.series(), "cx1" | "n1")
    }

    /// `memory.hugepages.pageSize` of the series, if it backs the guest
    /// with hugepages.
    pub fn hugepages(&self) -> Option<&'static str> {
        match self.series() {
            "cx1" => Some("2Mi"),
            "n1" => Some("1Gi"),
            _ => None,
        }
    }
}

macro_rules! table {
    ($($name:literal => $cpus:literal, $mem:literal;)*) => {
        &[$(Instancetype { name: $name, cpus: $cpus, memory: $mem }),*]
    };
}

/// Every known instancetype, sorted by name.
pub const INSTANCETYPES: &[Instancetype] = table! {
    "cx1.2xlarge" => 8, "16Gi";
    "cx1.4xlarge" => 16, "32Gi";
    "cx1.8xlarge" => 32, "64Gi";
    "cx1.large" => 2, "4Gi";
    "cx1.medium" => 1, "2Gi";
    "cx1.xlarge" => 4, "8Gi";
    "m1.2xlarge" => 8, "64Gi";
    "m1.4xlarge" => 16, "128Gi";
    "m1.8xlarge" => 32, "256Gi";
    "m1.large" => 2, "16Gi";
    "m1.xlarge" => 4, "32Gi";
    "n1.2xlarge" => 16, "32Gi";
    "n1.4xlarge" => 32, "64Gi";
    "n1.8xlarge" => 64, "128Gi";
    "n1.large" => 4, "8Gi";
    "n1.medium" => 4, "4Gi";
    "n1.xlarge" => 8, "16Gi";
    "o1.2xlarge" => 8, "32Gi";
    "o1.4xlarge" => 16, "64Gi";
    "o1.8xlarge" => 32, "128Gi";
    "o1.large" => 2, "8Gi";
    "o1.medium" => 1, "4Gi";
    "o1.micro" => 1, "1Gi";
    "o1.nano" => 1, "512Mi";
    "o1.small" => 1, "2Gi";
    "o1.xlarge" => 4, "16Gi";
    "u1.2xlarge" => 8, "32Gi";
    "u1.2xmedium" => 2, "4Gi";
    "u1.4xlarge" => 16, "64Gi";
    "u1.8xlarge" => 32, "128Gi";
    "u1.large" => 2, "8Gi";
    "u1.medium" => 1, "4Gi";
    "u1.micro" => 1, "1Gi";
    "u1.nano" => 1, "512Mi";
    "u1.small" => 1, "2Gi";
    "u1.xlarge" => 4, "16Gi";
};

/// Every known cluster preference, sorted.
pub const PREFERENCES: &[&str] = &[
    "alpine",
    "centos.stream10",
    "centos.stream10.desktop",
    "centos.stream9",
    "centos.stream9.desktop",
    "centos.stream9.dpdk",
    "cirros",
    "fedora",
    "fedora.arm64",
    "opensuse.leap",
    "opensuse.tumbleweed",
    "rhel.10",
    "rhel.10.arm64",
    "rhel.7",
    "rhel.7.desktop",
    "rhel.8",
    "rhel.8.desktop",
    "rhel.8.dpdk",
    "rhel.9",
    "rhel.9.arm64",
    "rhel.9.desktop",
    "rhel.9.dpdk",
    "rhel.9.realtime",
    "sles",
    "ubuntu",
    "windows.10",
    "windows.10.virtio",
    "windows.11",
    "windows.11.virtio",
    "windows.2k16",
    "windows.2k16.virtio",
    "windows.2k19",
    "windows.2k19.virtio",
    "windows.2k22",
    "windows.2k22.virtio",
    "windows.2k25",
    "windows.2k25.virtio",
];

/// Look an instancetype up by name.
pub fn instancetype(name: &str) -> Option<&'static Instancetype> {
    INSTANCETYPES
        .binary_search_by(|t| t.name.cmp(name))
        .ok()
        .map(|i| &INSTANCETYPES[i])
}

/// Whether `name` is a known cluster preference.
pub fn is_preference(name: &str) -> bool {
    PREFERENCES.binary_search(&name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search_and_quantities_parse() {
        assert!(INSTANCETYPES.windows(2).all(|w| w[0].name < w[1].name));
        assert!(PREFERENCES.windows(2).all(|w| w[0] < w[1]));
        for t in INSTANCETYPES {
            assert!(Quantity::parse(t.memory).is_ok(), "{}", t.name);
        }
        assert_eq!(instancetype("u1.large").unwrap().cpus, 2);
        assert!(instancetype("u1.huge").is_none());
        assert!(is_preference("rhel.9"));
    }
}
