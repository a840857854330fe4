//! Imported VMs into a project file. A new project is written whole; an
//! existing one gets text inserted at the end of its `spec.virtualMachines`
//! (or a new key at the end of `spec`), found from the positions kprov's
//! YAML reader records, so every other byte of the file, comments and
//! layout included, stays as its owners wrote it. The result is parsed
//! again and must be the old document plus the new VMs, or nothing is
//! returned.

use serde_json::{Map, Value, json};

use super::ImportConfig;
use crate::model::kinds::VirtualMachine;
use crate::model::{Quantity, catalog};
use crate::yaml::{self, Pos};

const NANOS: i128 = 1_000_000_000;

/// A VM as the project file writes it: the model's field order, without
/// the fields left at their defaults.
pub(crate) fn vm_value(vm: &VirtualMachine) -> Value {
    let mut value = serde_json::to_value(vm).unwrap_or(Value::Null);
    prune(&mut value);
    value
}

fn prune(value: &mut Value) {
    match value {
        Value::Object(map) => {
            // `false` is every boolean field's default.
            map.retain(|_, v| {
                !v.is_null() && *v != Value::Bool(false) && !v.as_array().is_some_and(Vec::is_empty)
            });
            map.values_mut().for_each(prune);
        }
        Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

/// The VMs as a block sequence at column 0.
pub(crate) fn vm_entries(vms: &[VirtualMachine]) -> String {
    let items: Vec<Value> = vms.iter().map(vm_value).collect();
    serde_saphyr::to_string(&items).unwrap_or_default()
}

/// The quota a new project needs for `vms`: every vCPU (and the emulator
/// thread's CPU of a VM with dedicated CPUs), the guest memory plus what
/// its virt-launcher pod adds (the `vm-fits-quota` lint's own figure, so
/// the project validates), and every disk.
pub fn quota(vms: &[VirtualMachine]) -> Map<String, Value> {
    let (mut cpu, mut memory, mut storage) = (0i128, 0i128, 0i128);
    for vm in vms {
        let Some(t) = catalog::instancetype(&vm.instancetype) else {
            continue;
        };
        cpu += i128::from(t.cpus) + i128::from(vm.dedicated_cpus);
        memory += t.memory().nanos() / NANOS
            + crate::lint::launcher_memory_overhead(t, vm.tpm, vm.dedicated_cpus);
        storage += vm
            .all_disks()
            .iter()
            .map(|d| d.size.nanos() / NANOS)
            .sum::<i128>();
    }
    let mut out = Map::new();
    out.insert("cpu".into(), json!(cpu.to_string()));
    out.insert("memory".into(), json!(bytes(memory)));
    if storage > 0 {
        out.insert("storage".into(), json!(bytes(storage)));
    }
    out
}

fn bytes(n: i128) -> String {
    super::libvirt::bytes_text(u128::try_from(n).unwrap_or(0))
}

/// A new project file holding `vms`, saying where they came from.
pub fn new_project(config: &ImportConfig, vms: &[VirtualMachine], files: &[String]) -> String {
    project_file(
        config,
        "# Imported from libvirt by `kprov import libvirt`: review before merging.\n# Domains read:\n",
        files,
        Value::Object(quota(vms)),
        ("virtualMachines", vms.iter().map(vm_value).collect()),
    )
}

/// A new project file for any import: the `intro` comment (whole lines),
/// the files read, and a Project with one environment on the import's
/// clusters, sized by `quota`, holding `workloads` (`virtualMachines`,
/// `volumes`) after its environments.
pub(crate) fn project_file(
    config: &ImportConfig,
    intro: &str,
    files: &[String],
    quota: Value,
    (key, workloads): (&str, Value),
) -> String {
    let mut header = String::from(intro);
    for file in files {
        header.push_str(&format!("#   {}\n", crate::diagnostic::one_line(file)));
    }
    let mut project = json!({
        "apiVersion": crate::model::kinds::API_VERSION,
        "kind": "Project",
        "metadata": {"name": config.project},
        "spec": {
            "tenant": config.tenant,
            "owners": config.owners,
            "environments": [{
                "name": config.environment,
                "clusters": std::iter::once(&config.cluster)
                    .chain(&config.more_clusters)
                    .collect::<Vec<_>>(),
                "quota": quota,
            }],
        }
    });
    project["spec"][key] = workloads;
    header + &serde_saphyr::to_string(&project).unwrap_or_default()
}

/// The names of the VMs a project file already has.
pub fn existing_names(text: &str) -> Vec<String> {
    let stream = yaml::parse_stream(text, yaml::Limits::default());
    stream
        .documents
        .first()
        .and_then(|d| d.value.pointer("/spec/virtualMachines"))
        .and_then(Value::as_array)
        .map(|vms| {
            vms.iter()
                .filter_map(|v| v["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// `text` (one Project document) with `vms` appended to its
/// `spec.virtualMachines`, every other byte unchanged; or why not.
pub fn append(text: &str, vms: &[VirtualMachine]) -> Result<String, String> {
    let stream = yaml::parse_stream(text, yaml::Limits::default());
    if let Some(e) = stream.errors.first() {
        return Err(format!("{}: {}", e.pos, e.message));
    }
    let [doc] = stream.documents.as_slice() else {
        return Err("the project file must hold exactly one document".to_owned());
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let after = |outside: &dyn Fn(&str) -> bool, from: Pos| {
        doc.locations
            .positions()
            .filter(|(p, pos)| outside(p) && *pos > from)
            .map(|(_, pos)| pos)
            .min()
    };
    let entries = vm_entries(vms);
    let spec = doc.value.get("spec").and_then(Value::as_object);
    let Some(spec) = spec else {
        return Err("the project has no `spec` mapping".to_owned());
    };
    let (insert_line, indent, prefix, replace) = match spec.get("virtualMachines") {
        Some(Value::Array(items)) if !items.is_empty() => {
            let first = doc.locations.value("/spec/virtualMachines/0");
            let key = doc.locations.key("/spec/virtualMachines");
            if first.line == key.line {
                return Err("`spec.virtualMachines` is a flow sequence (`[...]`); write it as a block sequence first".to_owned());
            }
            let line = lines.get(first.line as usize - 1).copied().unwrap_or("");
            let dash: String = line.chars().take(first.col as usize - 1).collect();
            let indent = dash.find('-').filter(|at| dash[..*at].trim().is_empty());
            let Some(indent) = indent else {
                return Err("cannot read the indentation of `spec.virtualMachines`".to_owned());
            };
            let last = doc
                .locations
                .value(&format!("/spec/virtualMachines/{}", items.len() - 1));
            let next = after(
                &|p: &str| !p.starts_with("/spec/virtualMachines/") && p != "/spec/virtualMachines",
                last,
            );
            (end_of(&lines, next, last.line), indent, None, None)
        }
        Some(Value::Array(_)) => {
            let key = doc.locations.key("/spec/virtualMachines");
            let value = doc.locations.value("/spec/virtualMachines");
            let line = lines.get(value.line as usize - 1).copied().unwrap_or("");
            let at: usize = line
                .char_indices()
                .nth(value.col as usize - 1)
                .map_or(line.len(), |(i, _)| i);
            if !line[at..].starts_with("[]") || value.line != key.line {
                return Err("cannot read `spec.virtualMachines`".to_owned());
            }
            let indent = key.col as usize - 1 + 2;
            (
                value.line as usize,
                indent,
                None,
                Some((value.line as usize - 1, at)),
            )
        }
        Some(_) => return Err("`spec.virtualMachines` is not a list".to_owned()),
        None => {
            let Some(first_key) = spec.keys().next() else {
                return Err("`spec` is empty".to_owned());
            };
            let spec_key = doc.locations.key("/spec");
            let child = doc
                .locations
                .key(&format!("/spec/{}", yaml_token(first_key)));
            if child.line == spec_key.line {
                return Err("`spec` is a flow mapping (`{...}`)".to_owned());
            }
            let next = after(
                &|p: &str| !p.starts_with("/spec/") && p != "/spec",
                spec_key,
            );
            let last_in_spec = doc
                .locations
                .positions()
                .filter(|(p, _)| p.starts_with("/spec/"))
                .map(|(_, pos)| pos.line)
                .max()
                .unwrap_or(spec_key.line);
            let indent = child.col as usize - 1;
            (
                end_of(&lines, next, last_in_spec),
                indent + 2,
                Some(format!("{}virtualMachines:\n", " ".repeat(indent))),
                None,
            )
        }
    };
    let pad = " ".repeat(indent);
    let mut block = prefix.unwrap_or_default();
    for line in entries.lines() {
        if line.is_empty() {
            block.push('\n');
        } else {
            block.push_str(&pad);
            block.push_str(line);
            block.push('\n');
        }
    }
    let mut out = String::with_capacity(text.len() + block.len());
    for (i, line) in lines.iter().enumerate() {
        if i == insert_line {
            out.push_str(&block);
        }
        match replace {
            Some((at_line, at)) if at_line == i => {
                let rest = line[at + 2..].trim_end_matches(['\n', '\r']);
                out.push_str(line[..at].trim_end());
                out.push_str(rest);
                out.push('\n');
            }
            _ => out.push_str(line),
        }
        if i + 1 == lines.len() && !line.ends_with('\n') {
            out.push('\n');
        }
    }
    if insert_line >= lines.len() {
        out.push_str(&block);
    }
    check(&doc.value, &out, vms)?;
    Ok(out)
}

/// The index of the line before which to insert: just after the last
/// line of content before `next` (or the end), so that comments and blank
/// lines in front of the next key stay with it.
fn end_of(lines: &[&str], next: Option<Pos>, last_content: u32) -> usize {
    let mut at = next.map_or(lines.len(), |p| p.line as usize - 1);
    while at > last_content as usize {
        let line = lines[at - 1].trim();
        if line.is_empty() || line.starts_with('#') {
            at -= 1;
        } else {
            break;
        }
    }
    at
}

fn yaml_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The appended text must read as the old document plus the VMs.
fn check(old: &Value, text: &str, vms: &[VirtualMachine]) -> Result<(), String> {
    let stream = yaml::parse_stream(text, yaml::Limits::default());
    let mut expected = old.clone();
    let list = expected
        .get_mut("spec")
        .and_then(Value::as_object_mut)
        .map(|spec| {
            spec.entry("virtualMachines")
                .or_insert_with(|| Value::Array(Vec::new()))
        });
    if let Some(Value::Array(list)) = list {
        list.extend(vms.iter().map(vm_value));
    }
    match stream.documents.as_slice() {
        [doc] if stream.errors.is_empty() && same(&doc.value, &expected) => Ok(()),
        _ => Err("could not insert the VMs without changing the rest of the file; add them by hand (`--report json` has them)".to_owned()),
    }
}

/// Equal as data; quantities compare as numbers (the reader keeps `"2"`
/// and `2` apart, the model does not).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (a, b) => a == b || scalar(a) == scalar(b),
    }
}

fn scalar(v: &Value) -> Option<Quantity> {
    match v {
        Value::String(s) => Quantity::parse(s).ok(),
        Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
        _ => None,
    }
}
