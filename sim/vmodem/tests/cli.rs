//! The command line: profiles and their errors.

use std::process::Command;

fn vmodem(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vmodem"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("vmodem-cli-{}-{name}", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn default_profile_round_trips_through_check() {
    let (ok, text) = vmodem(&["profile", "default"]);
    assert!(ok);
    let p = temp_file("default.toml", &text);
    let (ok, out) = vmodem(&["profile", "check", p.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains(": ok"), "{out}");
    std::fs::remove_file(p).unwrap();
}

#[test]
fn a_bad_profile_names_file_line_and_column() {
    let (_, text) = vmodem(&["profile", "default"]);
    let bad = text.replace("pin-retries = 3", "pin-retries = \"three\"");
    let p = temp_file("bad.toml", &bad);
    let line = bad
        .lines()
        .position(|l| l.starts_with("pin-retries"))
        .unwrap()
        + 1;
    let (ok, out) = vmodem(&["profile", "check", p.to_str().unwrap()]);
    assert!(!ok);
    let place = format!("{}:{line}:15", p.display());
    assert!(out.contains(&place), "expected {place} in: {out}");
    // `run` refuses it the same way rather than starting.
    let (ok, out2) = vmodem(&["run", "--profile", p.to_str().unwrap()]);
    assert!(!ok);
    assert!(out2.contains(&place), "{out2}");
    std::fs::remove_file(p).unwrap();
}

#[test]
fn a_missing_profile_is_a_clear_error() {
    let (ok, out) = vmodem(&["run", "--profile", "/nonexistent/unit.toml"]);
    assert!(!ok);
    assert!(
        out.contains("cannot read profile /nonexistent/unit.toml"),
        "{out}"
    );
}

#[test]
fn the_default_profile_spells_every_key_in_kebab_case() {
    let (ok, text) = vmodem(&["profile", "default"]);
    assert!(ok);
    let snake: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split('=').next().unwrap().contains('_'))
        .collect();
    assert!(snake.is_empty(), "{snake:?}");
    assert!(text.contains("\ncable-ohms = "), "{text}");
}

#[test]
fn an_old_spelling_loads_with_a_warning_naming_file_line_and_new_spelling() {
    let (_, text) = vmodem(&["profile", "default"]);
    let old = text
        .replace("cable-ohms = ", "cable_ohms = ")
        .replace("pin-retries = ", "pin_retries = ");
    let p = temp_file("old.toml", &old);
    let line_of = |key: &str| old.lines().position(|l| l.starts_with(key)).unwrap() + 1;
    let (ok, out) = vmodem(&["profile", "check", p.to_str().unwrap()]);
    assert!(ok, "{out}");
    for (key, new) in [("pin_retries", "pin-retries"), ("cable_ohms", "cable-ohms")] {
        let want = format!(
            "vmodem: warning: {}:{}:1: `{key}` is the old spelling of `{new}`",
            p.display(),
            line_of(key)
        );
        assert!(out.contains(&want), "expected {want} in: {out}");
    }
    std::fs::remove_file(p).unwrap();
    // The kebab-case file loads without a word.
    let p = temp_file("new.toml", &text);
    let (ok, out) = vmodem(&["profile", "check", p.to_str().unwrap()]);
    assert!(ok && !out.contains("warning"), "{out}");
    std::fs::remove_file(p).unwrap();
}
