//! Replays every file of `fuzz/corpus/TARGET/` through the same function
//! the fuzz target runs, so seeds and every crash once found (added to the
//! corpus after the fix) are checked by plain `cargo test`.

use std::path::PathBuf;
use vmodem_core::fuzzing::TARGETS;

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

#[test]
fn every_corpus_file_replays_cleanly() {
    for &(name, run) in TARGETS {
        let dir = corpus_dir(name);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target needs seeds)", dir.display()));
        let mut n = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let r = std::panic::catch_unwind(|| run(&data));
            assert!(r.is_ok(), "{name}: {} fails", path.display());
            n += 1;
        }
        assert!(n > 0, "{name}: empty corpus");
    }
}

#[test]
fn every_target_has_a_fuzz_binary() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for &(name, _) in TARGETS {
        let src = root.join("fuzz_targets").join(format!("{name}.rs"));
        let body =
            std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        assert!(body.contains(&format!("fuzzing::{name}(")), "{name}: body");
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name}: [[bin]]"
        );
    }
}
