//! The dashboard (`vmodem run --web`) against a modem on a pty: its
//! guard refuses what it must, and a real browser (Debian's chromium,
//! headless, driven through the DevTools protocol by
//! scripts/browser/dashboard.py) sees the charts move, clicks "reset" and
//! sees the modem leave and rejoin the bus.

use crate::harness::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A vmodem on a pty with its dashboard on `web` (port 0: any); the URL
/// it printed.
struct Dashboard {
    child: Child,
    url: String,
    port: u16,
    _dir: TempDir,
    events: PathBuf,
}

impl Dashboard {
    fn start(tag: &str, web: &str) -> Dashboard {
        Self::start_with(tag, web, &["--transport", "pty", "--link", "qmi"])
    }

    /// `vmodem run ARGS --web WEB --events …`, in a scratch directory.
    fn start_with(tag: &str, web: &str, args: &[&str]) -> Dashboard {
        let dir = tempdir(tag);
        let events = dir.path().join("events.jsonl");
        let mut child = Command::new(env!("CARGO_BIN_EXE_vmodem"))
            .arg("run")
            .args(args)
            .args(["--web", web, "--events"])
            .arg(&events)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vmodem");
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("vmodem: dashboard ") {
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("vmodem printed no dashboard URL");
        let port = url
            .split("://")
            .nth(1)
            .and_then(|r| r.split(['/', '?']).next())
            .and_then(|hp| hp.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {url}"));
        Dashboard {
            child,
            url,
            port,
            _dir: dir,
            events,
        }
    }

    /// One HTTP/1.1 request over loopback; the status code and body.
    fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\nconnection: close\r\ncontent-length: {}\r\n",
            self.port,
            body.len()
        );
        for (k, v) in headers {
            req += &format!("{k}: {v}\r\n");
        }
        req += "\r\n";
        req += body;
        s.write_all(req.as_bytes()).unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let code = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("not HTTP: {text}"));
        (code, text)
    }

    fn status(&self, token: Option<&str>) -> serde_json::Value {
        self.status_of(1, token)
    }

    fn status_of(&self, n: u32, token: Option<&str>) -> serde_json::Value {
        let h: Vec<(&str, &str)> = token.map(|t| ("x-vmodem-token", t)).into_iter().collect();
        let (code, text) = self.http("GET", &format!("/api/modems/{n}/status"), &h, "");
        assert_eq!(code, 200, "{text}");
        let body = text.split("\r\n\r\n").nth(1).unwrap();
        serde_json::from_str(body).unwrap()
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const RESET: &str = r#"{"fault":"reset","down-ms":300}"#;

#[test]
fn unauthenticated_posts_from_another_origin_are_refused() {
    // Off loopback (bound to every address, reached over loopback here):
    // the token is required, and the Origin checked besides.
    let d = Dashboard::start("web-guard", "0.0.0.0:0");
    let token = d
        .url
        .split("token=")
        .nth(1)
        .expect("a token in the URL")
        .to_string();
    assert_eq!(token.len(), 32, "{}", d.url);
    let json = ("content-type", "application/json");
    let evil = ("origin", "http://evil.example");
    let (code, text) = d.http("POST", "/api/modems/1/fault", &[json, evil], RESET);
    assert_eq!(code, 403, "no token, foreign origin: {text}");
    let own_origin = format!("http://127.0.0.1:{}", d.port);
    let own = ("origin", own_origin.as_str());
    let (code, _) = d.http("POST", "/api/modems/1/fault", &[json, own], RESET);
    assert_eq!(code, 403, "no token");
    let tok = ("x-vmodem-token", token.as_str());
    let (code, _) = d.http("POST", "/api/modems/1/fault", &[json, evil, tok], RESET);
    assert_eq!(code, 403, "token, but a foreign origin");
    let (code, _) = d.http("GET", "/api/modems/1/status", &[], "");
    assert_eq!(code, 403, "reading needs the token too");
    assert_eq!(
        d.status(Some(&token))["status"]["resets"],
        0,
        "a refused POST fired nothing"
    );
    let (code, text) = d.http("POST", "/api/modems/1/fault", &[json, own, tok], RESET);
    assert_eq!(code, 200, "{text}");
    wait_until(Duration::from_secs(5), || {
        d.status(Some(&token))["status"]["resets"] == 1
    })
    .expect("the accepted reset happened");
}

#[test]
fn on_loopback_a_foreign_origin_or_host_is_refused() {
    let d = Dashboard::start("web-loopback", "127.0.0.1:0");
    assert!(!d.url.contains("token"), "{}", d.url);
    let json = ("content-type", "application/json");
    let (code, _) = d.http(
        "POST",
        "/api/modems/1/fault",
        &[json, ("origin", "http://evil.example")],
        RESET,
    );
    assert_eq!(code, 403);
    // A form post cannot say it is JSON: refused before anything fires.
    let own_origin = format!("http://127.0.0.1:{}", d.port);
    let form = ("content-type", "text/plain");
    let (code, _) = d.http(
        "POST",
        "/api/modems/1/fault",
        &[form, ("origin", &own_origin)],
        RESET,
    );
    assert_eq!(code, 415);
    let (code, _) = d.http("GET", "/api/modems/1/fault", &[], "");
    assert_eq!(code, 405, "faults are POSTs only");
    let (code, _) = d.http("POST", "/api/modems/9/fault", &[json], RESET);
    assert_eq!(code, 404);
    let (code, _) = d.http(
        "POST",
        "/api/modems/1/fault",
        &[json],
        r#"{"fault":"meltdown"}"#,
    );
    assert_eq!(code, 400);
    assert_eq!(d.status(None)["status"]["resets"], 0);
}

#[test]
fn event_streams_are_bounded() {
    let d = Dashboard::start("web-streams", "127.0.0.1:0");
    let open = |d: &Dashboard| {
        let mut s = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let req = format!(
            "GET /api/modems/1/events HTTP/1.1\r\nhost: 127.0.0.1:{}\r\n\r\n",
            d.port
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut head = [0u8; 12];
        s.read_exact(&mut head).unwrap();
        (s, String::from_utf8_lossy(&head).to_string())
    };
    // The limit is 16 streams (docs/dashboard.md): all served, then refused.
    let streams: Vec<_> = (0..16).map(|_| open(&d)).collect();
    for (_, head) in &streams {
        assert_eq!(head, "HTTP/1.1 200", "{head}");
    }
    assert_eq!(open(&d).1, "HTTP/1.1 503");
    drop(streams);
    // A closed stream gives its place back.
    wait_until(Duration::from_secs(5), || open(&d).1 == "HTTP/1.1 200")
        .expect("a stream again once the others closed");
}

#[test]
fn each_modem_of_a_fleet_has_its_own_panel_and_buttons() {
    let d = Dashboard::start_with(
        "web-fleet",
        "127.0.0.1:0",
        &[
            "--transport",
            "usbip",
            "--listen",
            "127.0.0.1:0",
            "--modems",
            "3",
        ],
    );
    let (code, text) = d.http("GET", "/api/fleet", &[], "");
    assert_eq!(code, 200);
    assert!(text.ends_with(r#"{"modems":3}"#), "{text}");
    let json = ("content-type", "application/json");
    let (code, text) = d.http(
        "POST",
        "/api/modems/2/fault",
        &[json],
        r#"{"fault":"sim-remove"}"#,
    );
    assert_eq!(code, 200, "{text}");
    wait_until(Duration::from_secs(5), || {
        d.status_of(2, None)["status"]["sim"] == "absent"
    })
    .expect("modem 2 lost its SIM");
    for n in [1, 3] {
        assert_ne!(d.status_of(n, None)["status"]["sim"], "absent", "modem {n}");
    }
    let (code, _) = d.http("GET", "/api/modems/4/status", &[], "");
    assert_eq!(code, 404);
    let (code, _) = d.http("GET", "/api/modems/0/status", &[], "");
    assert_eq!(code, 404);
}

/// Where the browser test keeps its screenshot: under target/, for CI.
fn artefacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn browser_python() -> PathBuf {
    let py = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("browser-venv/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/browser/venv.sh (scripts/test.sh does)",
        py.display()
    );
    py
}

#[test]
fn a_browser_sees_the_supply_and_resets_the_modem() {
    require_tool("chromium", "chromium");
    let python = browser_python();
    let d = Dashboard::start("web-browser", "127.0.0.1:0");
    let shot = artefacts().join("dashboard.png");
    let _ = std::fs::remove_file(&shot);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/browser/dashboard.py");
    let out = Command::new(python)
        .arg(script)
        .arg(&d.url)
        .arg(&shot)
        .output()
        .expect("run the browser script");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "browser script failed:\n{stderr}");
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    println!("browser saw: {seen}");
    assert_eq!(seen["canvases"], 2, "{seen}");
    assert!(
        seen["samples_later"].as_u64() > seen["samples_first"].as_u64(),
        "{seen}"
    );
    assert_eq!(seen["usb_before"], "on-bus", "{seen}");
    assert!(
        seen["left"]
            .as_str()
            .is_some_and(|l| l.contains("left-bus")),
        "{seen}"
    );
    assert!(
        seen["returned"]
            .as_str()
            .is_some_and(|l| l.contains("application")),
        "{seen}"
    );
    assert_eq!(seen["fault_result"], "reset: ok", "{seen}");
    let markers = seen["markers"].as_array().unwrap();
    assert!(
        markers
            .iter()
            .any(|m| m.as_str().is_some_and(|m| m.starts_with("reset #1"))),
        "{seen}"
    );
    // The event log agrees: a reset from the control path, off the bus, back.
    let log = std::fs::read_to_string(&d.events).unwrap();
    let after: Vec<&str> = log
        .lines()
        .skip_while(|l| !(l.contains("\"source\":\"control\"") && l.contains("\"reset\"")))
        .collect();
    assert!(
        after.iter().any(|l| l.contains("\"event\":\"left-bus\"")),
        "{log}"
    );
    assert!(
        after
            .iter()
            .any(|l| l.contains("\"event\":\"returned-to-bus\"")),
        "{log}"
    );
    not_blank(&shot);
}

/// A screenshot with a picture in it: the page's many colours, not one.
fn not_blank(path: &Path) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert!(info.width >= 800 && info.height >= 600, "{info:?}");
    let px = info.color_type.samples();
    let mut colours = std::collections::HashSet::new();
    let mut background = 0usize;
    let first = &buf[..px];
    for p in buf[..info.buffer_size()].chunks(px) {
        colours.insert(p.to_vec());
        background += usize::from(p == first);
    }
    let total = (info.width * info.height) as usize;
    assert!(colours.len() > 50, "{} colours only: blank?", colours.len());
    assert!(background < total * 95 / 100, "one colour covers the page");
}
