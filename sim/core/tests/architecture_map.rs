//! docs/architecture.md is a newcomer's map of the tree: every top-level
//! module of the engine (`sim/core/src/`) and every module of the binary
//! (`sim/vmodem/src/` and its `transport/`) must be named in it, in
//! backticks, as `name/` (a folder) or `name.rs` (a file).

use std::path::{Path, PathBuf};

fn entries(dir: &Path, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.expect("dir entry");
            let name = e.file_name().into_string().expect("UTF-8 name");
            match e.path().is_dir() {
                true => format!("{prefix}{name}/"),
                false => format!("{prefix}{name}"),
            }
        })
        .filter(|n| n.ends_with('/') || n.ends_with(".rs"))
        .filter(|n| !n.ends_with("lib.rs") && !n.ends_with("mod.rs"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_module_is_on_the_map() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).expect("read the map");
    let mut modules = entries(&root.join("sim/core/src"), "");
    modules.extend(entries(&root.join("sim/vmodem/src"), ""));
    modules.extend(entries(
        &root.join("sim/vmodem/src/transport"),
        "transport/",
    ));
    let missing: Vec<&String> = modules
        .iter()
        .filter(|m| !doc.contains(&format!("`{m}")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/architecture.md does not name: {missing:?}"
    );
}
