//! The library's top-level modules form layers: the `crate::X` paths each one uses (outside
//! comments and `#[cfg(test)]` modules) make no cycle, and none but the language server climbs to
//! the crate root. The
//! order, lowest first, is printed by `cargo test --test it layers -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Modules above the pipeline that call its public entry points (`crate::validate_in`), as the
/// binary does: the language server checks a document as `gfnc check` would.
const ABOVE_THE_ROOT: &[&str] = &["lsp"];

/// The library's top-level modules (the binary's `cli/` and `main.rs` are another crate).
fn top_level_modules(src: &Path) -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(src).expect("src/ exists").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let name = name.strip_suffix(".rs").unwrap_or(&name).to_string();
        if !matches!(name.as_str(), "lib" | "main" | "cli") {
            modules.insert(name);
        }
    }
    modules
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `module -> the modules its code names through crate::X`, and the root items it names.
fn edges(src: &Path) -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let modules = top_level_modules(src);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut root_uses = Vec::new();
    for module in &modules {
        let mut files = Vec::new();
        let dir = src.join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(src.join(format!("{module}.rs")));
        }
        let targets = edges.entry(module.clone()).or_default();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("readable");
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for line in code.lines() {
                let line = line.trim_start();
                if line.starts_with("//") {
                    continue;
                }
                for (at, _) in line.match_indices("crate::") {
                    if line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                        continue; // `gfnc_crate::` and the like
                    }
                    let rest = &line[at + "crate::".len()..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if modules.contains(&name) {
                        if &name != module {
                            targets.insert(name);
                        }
                    } else if !name.is_empty() && !ABOVE_THE_ROOT.contains(&module.as_str()) {
                        root_uses.push(format!("{}: crate::{name}", file.display()));
                    }
                }
            }
        }
    }
    (edges, root_uses)
}

/// The modules in an order where each uses only earlier ones, or the ones left in a cycle.
fn layers(edges: &BTreeMap<String, BTreeSet<String>>) -> Result<Vec<String>, Vec<String>> {
    let mut placed: Vec<String> = Vec::new();
    let mut left: BTreeSet<&String> = edges.keys().collect();
    while !left.is_empty() {
        let ready: Vec<&String> = left
            .iter()
            .copied()
            .filter(|m| edges[*m].iter().all(|t| placed.contains(t)))
            .collect();
        if ready.is_empty() {
            return Err(left.into_iter().cloned().collect());
        }
        for m in ready {
            placed.push(m.clone());
            left.remove(m);
        }
    }
    Ok(placed)
}

#[test]
fn top_level_modules_use_each_other_without_a_cycle() {
    let (edges, root_uses) = edges(&crate::root().join("src"));
    for (module, targets) in &edges {
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        println!("{module} -> {}", targets.join(" "));
    }
    match layers(&edges) {
        Ok(order) => println!("layers, lowest first: {}", order.join(" < ")),
        Err(cycle) => panic!("these modules use each other in a cycle: {cycle:?}"),
    }
    assert!(
        root_uses.is_empty(),
        "modules that climb to the crate root: {root_uses:?}"
    );
}
