//! `cargo xtask bench-import`: `kprov import libvirt` of 700 generated
//! domains (the size of the KVM estate issue 24 moves) into a fresh copy of
//! `tests/import/estate`, then `kprov validate`, each timed over several runs.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// One synthetic domain: sizes, disks and NICs vary with `i`, always the same way.
fn domain(i: usize) -> String {
    let vcpus = 1 + i % 8;
    let memory_mib = 1024 * (1 + i % 24);
    let mut xml = String::new();
    let _ = write!(
        xml,
        "<domain type='kvm'>\n  <name>vm-{i:04}</name>\n  <metadata>\n    <libosinfo:libosinfo xmlns:libosinfo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\">\n      <libosinfo:os id=\"{}\"/>\n    </libosinfo:libosinfo>\n  </metadata>\n  <memory unit='MiB'>{memory_mib}</memory>\n  <vcpu>{vcpus}</vcpu>\n  <os><type arch='x86_64'>hvm</type></os>\n  <devices>\n    <disk type='file' device='disk'>\n      <source file='/var/lib/libvirt/images/vm-{i:04}.qcow2'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n",
        [
            "http://redhat.com/rhel/9.4",
            "http://ubuntu.com/ubuntu/22.04",
            "http://redhat.com/rhel/8.8"
        ][i % 3]
    );
    if i.is_multiple_of(5) {
        let _ = write!(
            xml,
            "    <disk type='block' device='disk'>\n      <source dev='/dev/disk/by-path/ip-192.168.50.5:3260-iscsi-iqn.2010-01.org.example:san.apps-vm{i:04}-lun-0'/>\n      <target dev='vdb' bus='virtio'/>\n    </disk>\n"
        );
    }
    let _ = write!(
        xml,
        "    <interface type='bridge'>\n      <mac address='52:54:00:{:02x}:{:02x}:01'/>\n      <source bridge='br-front'/>\n      <model type='virtio'/>\n    </interface>\n  </devices>\n</domain>\n",
        i / 256,
        i % 256
    );
    xml
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

pub(crate) fn cli(args: &[String], repo: &Path) -> anyhow::Result<()> {
    let mut runs = 5usize;
    let mut count = 700usize;
    let mut kprov: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => runs = it.next().context("--runs N")?.parse()?,
            "--domains" => count = it.next().context("--domains N")?.parse()?,
            "--kprov" => kprov = Some(it.next().context("--kprov PATH")?.into()),
            other => bail!(
                "unknown argument {other}; usage: cargo xtask bench-import [--runs N] [--domains N] [--kprov PATH]"
            ),
        }
    }
    let kprov = match kprov {
        Some(k) => k,
        None => crate::bench::build_release(repo)?,
    };
    let work = std::env::temp_dir().join(format!("kprov-bench-import-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    let xml = work.join("xml");
    fs::create_dir_all(&xml)?;
    let mut sizes = String::from("domain,target,size\n");
    for i in 0..count {
        fs::write(xml.join(format!("vm-{i:04}.xml")), domain(i))?;
        let _ = writeln!(sizes, "vm-{i:04},vda,{}Gi", 20 + i % 60);
        if i.is_multiple_of(5) {
            let _ = writeln!(sizes, "vm-{i:04},vdb,100Gi");
        }
    }
    fs::write(work.join("sizes.csv"), sizes)?;
    let (mut import_s, mut validate_s) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let estate = work.join(format!("estate-{run}"));
        copy_dir(&repo.join("tests/import/estate"), &estate)?;
        let start = Instant::now();
        let out = Command::new(&kprov)
            .args(["import", "libvirt", "--estate"])
            .arg(&estate)
            .args([
                "--tenant",
                "ops",
                "--project",
                "fleet",
                "--environment",
                "prod",
                "--cluster",
                "rack-b",
                "--owner",
                "group:fleet",
                "--image-url",
                "https://images.example.org/vm",
                "--report",
                "json",
                "--sizes",
            ])
            .arg(work.join("sizes.csv"))
            .arg(&xml)
            .output()?;
        import_s.push(start.elapsed().as_secs_f64());
        if out.status.code() != Some(0) {
            bail!("import failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let start = Instant::now();
        let out = Command::new(&kprov).arg("validate").arg(&estate).output()?;
        validate_s.push(start.elapsed().as_secs_f64());
        if !out.status.success() {
            bail!("validate failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let show = |name: &str, mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        println!(
            "{name:<10} min {:.3} s  median {:.3} s  max {:.3} s",
            v[0],
            v[v.len() / 2],
            v[v.len() - 1]
        );
    };
    println!("{count} domains, {runs} runs, {}", kprov.display());
    show("import", import_s);
    show("validate", validate_s);
    let _ = fs::remove_dir_all(&work);
    Ok(())
}
