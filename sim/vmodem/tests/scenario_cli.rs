//! The command line for scenarios: check, simulate, and ctl against a
//! running pty-transport vmodem (no root needed).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn vmodem(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vmodem"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("vmodem-sc-{}-{name}", std::process::id()))
}

#[test]
fn every_shipped_scenario_passes_check() {
    let mut n = 0;
    for e in std::fs::read_dir(scenarios()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let (ok, out, err) = vmodem(&["scenario", "check", p.to_str().unwrap()]);
            assert!(ok, "{}: {out}{err}", p.display());
            assert!(out.contains(": ok"), "{out}");
            n += 1;
        }
    }
    assert!(n >= 5);
}

#[test]
fn a_bad_scenario_names_file_line_and_column() {
    let p = temp("bad.toml");
    std::fs::write(&p, "seed = 1\n\n[power]\ncable-ohms = -0.5\n").unwrap();
    let (ok, _, err) = vmodem(&["scenario", "check", p.to_str().unwrap()]);
    assert!(!ok);
    let place = format!("{}:4:14:", p.display());
    assert!(err.contains(&place), "expected {place} in {err}");
    // `run` refuses it the same way rather than starting.
    let (ok, _, err) = vmodem(&["run", "--scenario", p.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains(&place), "{err}");
    std::fs::remove_file(p).unwrap();
}

#[test]
fn a_scenario_names_its_profile_relative_to_itself() {
    let dir = temp("rel");
    std::fs::create_dir_all(&dir).unwrap();
    let (_, profile, _) = vmodem(&["profile", "default"]);
    let bad = profile.replace("pin-retries = 3", "pin-retries = \"x\"");
    std::fs::write(dir.join("unit.toml"), bad).unwrap();
    std::fs::write(dir.join("s.toml"), "profile = \"unit.toml\"\n").unwrap();
    let (ok, _, err) = vmodem(&["scenario", "check", dir.join("s.toml").to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("unit.toml:"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn simulate_is_deterministic_and_takes_the_seed() {
    let f = scenarios().join("pin-reset.toml");
    let f = f.to_str().unwrap();
    let (ok, a, err) = vmodem(&["simulate", f, "--for", "1m"]);
    assert!(ok, "{err}");
    let (_, b, _) = vmodem(&["simulate", f, "--for", "1m"]);
    assert_eq!(a, b);
    assert!(a.lines().all(|l| l.starts_with("{\"t-ms\":")), "{a}");
    assert!(a.contains("\"event\":\"fault\""), "{a}");
    let last: u64 = serde_json::from_str::<serde_json::Value>(a.lines().last().unwrap()).unwrap()
        ["t-ms"]
        .as_u64()
        .unwrap();
    assert!(last <= 60_000);
    let seeds: std::collections::BTreeSet<String> = (1..6)
        .map(|s| vmodem(&["simulate", f, "--for", "10s", "--seed", &s.to_string()]).1)
        .collect();
    assert!(seeds.len() > 1);
    let (ok, _, err) = vmodem(&["simulate", f, "--for", "ten minutes"]);
    assert!(!ok);
    assert!(err.contains("duration"), "{err}");
}

/// A `vmodem run` on a pty with a control socket; killed on drop.
struct Running {
    child: Child,
    socket: PathBuf,
    events: PathBuf,
}

impl Running {
    fn start(name: &str) -> Running {
        let socket = temp(&format!("{name}.sock"));
        let events = temp(&format!("{name}.jsonl"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_vmodem"))
            .args(["run", "--control", socket.to_str().unwrap()])
            .args(["--events", events.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Ready once it printed the socket's path.
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while out.read_line(&mut line).unwrap() > 0 && !line.contains("control socket") {}
        assert!(line.contains(socket.to_str().unwrap()), "{line}");
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Running {
            child,
            socket,
            events,
        }
    }

    fn ctl(&self, args: &[&str]) -> (bool, String, String) {
        let mut a = vec!["ctl", "--socket", self.socket.to_str().unwrap()];
        a.extend_from_slice(args);
        vmodem(&a)
    }

    fn raw(&self, line: &str) -> serde_json::Value {
        let mut s = UnixStream::connect(&self.socket).unwrap();
        s.write_all(line.as_bytes()).unwrap();
        s.write_all(b"\n").unwrap();
        let mut reply = String::new();
        BufReader::new(s).read_line(&mut reply).unwrap();
        serde_json::from_str(&reply).unwrap()
    }

    fn status(&self) -> serde_json::Value {
        let (ok, out, err) = self.ctl(&["status"]);
        assert!(ok, "{err}");
        serde_json::from_str(&out).unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.events);
    }
}

#[test]
fn ctl_fires_faults_reads_status_and_survives_bad_requests() {
    let r = Running::start("ctl");
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let meta = std::fs::metadata(&r.socket).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    let s = r.status();
    assert_eq!(s["usb"], "on-bus");
    assert_eq!(s["sim"], "pin-required");
    assert_eq!(s["radio"], "online");
    assert_eq!(s["resets"], 0);

    // Garbage gets an error reply, and the server goes on serving.
    for bad in [
        "nonsense",
        "{\"cmd\":\"explode\"}",
        "{\"cmd\":\"inject\",\"fault\":{\"fault\":\"meltdown\"}}",
    ] {
        let v = r.raw(bad);
        assert_eq!(v["ok"], false, "{bad}: {v}");
        assert!(
            v["error"].as_str().unwrap().starts_with("bad request"),
            "{v}"
        );
    }
    let (ok, _, err) = r.ctl(&["power", "--cable-ohms=-1"]);
    assert!(!ok);
    assert!(err.contains("cable-ohms"), "{err}");

    let (ok, out, err) = r.ctl(&["reset", "--down-ms", "1500"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "ok");
    let s = r.status();
    assert_eq!(s["usb"], "off-bus");
    assert_eq!(s["resets"], 1);
    // While it reboots, a disconnect is refused with the engine's reason.
    let (ok, _, err) = r.ctl(&["disconnect"]);
    assert!(!ok);
    assert!(err.contains("off the bus"), "{err}");

    let log = std::fs::read_to_string(&r.events).unwrap();
    let fault = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["event"] == "fault")
        .expect(&log);
    assert_eq!(fault["source"], "control");
    assert_eq!(fault["fault"]["fault"], "reset");
    assert!(fault["wall-ms"].as_u64().unwrap() > 0);
}

#[test]
fn watch_streams_the_event_log() {
    let r = Running::start("watch");
    let s = UnixStream::connect(&r.socket).unwrap();
    (&s).write_all(b"{\"cmd\":\"watch\"}\n").unwrap();
    let mut rd = BufReader::new(s);
    let mut line = String::new();
    rd.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "{\"ok\":true}");
    // The watcher joined before this reset went in (one queue, in order).
    let (ok, _, err) = r.ctl(&["reset"]);
    assert!(ok, "{err}");
    let mut seen = Vec::new();
    loop {
        line.clear();
        assert!(
            rd.read_line(&mut line).unwrap() > 0,
            "watch ended: {seen:?}"
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        seen.push(v["event"].as_str().unwrap().to_string());
        if v["event"] == "state" && v["state"] == "reset" {
            break;
        }
    }
    assert!(seen.contains(&"fault".to_string()), "{seen:?}");
}
