//! Compile an estate held in memory: no file is read or written.
//!
//! ```text
//! cargo run -p kprov --example in_memory
//! ```

use kprov::load::Sources;

/// A whole estate: settings, one tenant, one cluster, one project.
const ESTATE: [(&str, &str); 3] = [
    (
        "kprov.yaml",
        "\
apiVersion: kprov.dev/v1alpha1
kind: Estate
metadata: {name: demo}
spec: {}
",
    ),
    (
        "platform/shop.yaml",
        "\
apiVersion: kprov.dev/v1alpha1
kind: Tenant
metadata: {name: shop}
spec: {owners: [group:shop], costCenter: CC-1042}
---
apiVersion: kprov.dev/v1alpha1
kind: Cluster
metadata: {name: dev-1}
spec: {environment: dev}
",
    ),
    (
        "projects/web.yaml",
        "\
apiVersion: kprov.dev/v1alpha1
kind: Project
metadata: {name: web}
spec:
  tenant: shop
  environments: [{name: dev, clusters: [dev-1], quota: {cpu: \"2\", memory: 4Gi}}]
",
    ),
];

fn compile() -> kprov::Compiled {
    let sources = Sources::from_memory(ESTATE);
    kprov::compile(&sources, &kprov::Config::default())
}

fn main() {
    let compiled = compile();
    // Warnings come back with the files; errors come back instead of them.
    eprint!("{}", kprov::diagnostic::render_text(&compiled.diagnostics));
    let Some(files) = compiled.files else {
        std::process::exit(2);
    };
    if let Some(hierarchy) = &compiled.hierarchy {
        print!("{}", kprov::hierarchy::tree_text(hierarchy));
    }
    for file in &files {
        println!("{} ({} lines)", file.path, file.contents.lines().count());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_estate_compiles_to_the_projects_namespace_on_its_cluster() {
        let compiled = super::compile();
        assert_eq!(compiled.diagnostics, []);
        let files = compiled.files.unwrap();
        let namespace = files.iter().find(|f| f.path == "dev-1/config/web-dev.yaml");
        assert!(namespace.unwrap().contents.contains("name: web-dev"));
    }
}
