//! A hostile or careless host against the process's own resources, on
//! loopback: idle USB/IP connections by the thousand, a descriptor limit
//! that makes accept fail, control-socket watchers that never read, and
//! paths that must not be clobbered. Each test asserts that the process is
//! alive, that the next valid request is answered, and that its memory
//! (VmRSS) and descriptors stay bounded. Each finishes in well under 60 s.

use crate::harness::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vmodem_core::usbip::Op;

/// The budget every test here keeps to.
const TEST_BUDGET: Duration = Duration::from_secs(60);

/// A vmodem started under `ulimit -n LIMIT`, killed on drop.
struct Limited {
    child: Child,
    log: std::path::PathBuf,
    _dir: TempDir,
}

impl Drop for Limited {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Limited {
    /// `sh` sets the limit and execs vmodem, so the pid is vmodem's.
    fn start(tag: &str, fd_limit: u32, args: &[&str]) -> Limited {
        Limited::start_in(tempdir(tag), fd_limit, args)
    }

    /// The same with the paths of its arguments in `dir`, kept with it.
    fn start_in(dir: TempDir, fd_limit: u32, args: &[&str]) -> Limited {
        let log = dir.path().join("vmodem.log");
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {fd_limit} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_vmodem"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start vmodem");
        Limited {
            child,
            log,
            _dir: dir,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn assert_alive(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!(
                "vmodem exited ({status}): {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// VmRSS in KiB from /proc/PID/status.
fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// This process needs more descriptors than the server it attacks.
fn raise_own_fd_limit(want: u64) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    if soft < want {
        assert!(
            hard >= want,
            "the hard descriptor limit {hard} is below {want}"
        );
        setrlimit(Resource::RLIMIT_NOFILE, want, hard).unwrap();
    }
}

/// Runs a command that must end by itself; killed (and failed) if not.
fn output_within(cmd: &mut Command, limit: Duration) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ended = wait_until(limit, || child.try_wait().unwrap().is_some());
    if ended.is_err() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    assert!(ended.is_ok(), "{cmd:?} still running after {limit:?}");
    out
}

fn free_addr() -> String {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .to_string()
}

fn wait_listening(addr: &str, server: &mut Limited) {
    wait_until(Duration::from_secs(10), || {
        server.assert_alive();
        TcpStream::connect(addr).is_ok()
    })
    .expect("vmodem listens");
}

/// One operation by a real client, within `limit`: the reply.
fn op_within(addr: &str, req: &Op, limit: Duration) -> Op {
    let t0 = Instant::now();
    let mut t = TcpStream::connect(addr).expect("connect");
    t.set_read_timeout(Some(limit)).unwrap();
    t.write_all(&req.emit()).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Ok((o, _)) = Op::parse(&buf) {
            assert!(
                t0.elapsed() <= limit,
                "answered after {:?}, more than {limit:?}",
                t0.elapsed()
            );
            return o;
        }
        let n = t
            .read(&mut chunk)
            .unwrap_or_else(|e| panic!("no reply within {limit:?}: {e}"));
        assert!(n > 0, "closed before a whole reply");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The device list and an import of 1-1: a real client served.
fn assert_served(addr: &str, limit: Duration) {
    match op_within(addr, &Op::DevlistRequest, limit) {
        Op::DevlistReply(devs) => assert_eq!(devs.len(), 1, "one modem listed"),
        other => panic!("expected a device list, got {other:?}"),
    }
    let import = Op::ImportRequest {
        busid: "1-1".into(),
    };
    match op_within(addr, &import, limit) {
        Op::ImportReply { status, device } => {
            assert_eq!(status, 0, "import accepted");
            assert!(device.is_some());
        }
        other => panic!("expected an import reply, got {other:?}"),
    }
}

#[test]
fn usbip_survives_1100_idle_connections_under_a_1024_descriptor_limit() {
    let t0 = Instant::now();
    raise_own_fd_limit(4096);
    let addr = free_addr();
    let mut s = Limited::start(
        "idle1100",
        1024,
        &["run", "--transport", "usbip", "--listen", &addr],
    );
    wait_listening(&addr, &mut s);
    let (rss0, fds0) = (rss_kib(s.pid()), open_fds(s.pid()));
    let mut idle: Vec<TcpStream> = (0..1100)
        .map(|i| TcpStream::connect(&addr).unwrap_or_else(|e| panic!("connection {i}: {e}")))
        .collect();
    // Let the server accept them all (and close the oldest).
    std::thread::sleep(Duration::from_millis(500));
    s.assert_alive();
    // Served even while the idle ones are still open: the oldest silent
    // connection makes room.
    assert_served(&addr, Duration::from_secs(1));
    let (rss1, fds1) = (rss_kib(s.pid()), open_fds(s.pid()));
    println!("# 1100 idle: VmRSS {rss0} -> {rss1} KiB, fds {fds0} -> {fds1}");
    // At most 256 waiting connections, the imported one, a little slack.
    assert!(
        fds1 <= fds0 + 256 + 8,
        "descriptors bounded: {fds0} -> {fds1}"
    );
    assert!(
        rss1 < rss0 + 16 * 1024,
        "memory bounded: {rss0} -> {rss1} KiB"
    );
    idle.clear();
    s.assert_alive();
    assert_served(&addr, Duration::from_secs(1));
    wait_until(Duration::from_secs(5), || open_fds(s.pid()) <= fds0 + 8)
        .unwrap_or_else(|_| panic!("descriptors back: {fds0} -> {}", open_fds(s.pid())));
    assert!(t0.elapsed() < TEST_BUDGET);
}

#[test]
fn usbip_closes_connections_that_send_no_operation() {
    let t0 = Instant::now();
    let addr = free_addr();
    let mut s = Limited::start(
        "silent",
        1024,
        &["run", "--transport", "usbip", "--listen", &addr],
    );
    wait_listening(&addr, &mut s);
    let mut silent = TcpStream::connect(&addr).unwrap();
    // Half an OP_REQ_DEVLIST header, and then nothing (a slow drip).
    let mut partial = TcpStream::connect(&addr).unwrap();
    partial.write_all(&Op::DevlistRequest.emit()[..4]).unwrap();
    for t in [&mut silent, &mut partial] {
        // The deadline is 5 s; the read gives up well after it.
        t.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
        let mut b = [0u8; 16];
        let n = t.read(&mut b).expect("closed by vmodem before 8 s");
        assert_eq!(n, 0, "closed without a reply");
    }
    assert!(t0.elapsed() < Duration::from_secs(8));
    s.assert_alive();
    assert_served(&addr, Duration::from_secs(1));
}

#[test]
fn usbip_accept_survives_running_out_of_descriptors() {
    let t0 = Instant::now();
    let addr = free_addr();
    // Far below the 256 waiting places: accept itself fails (EMFILE).
    let mut s = Limited::start(
        "emfile",
        48,
        &["run", "--transport", "usbip", "--listen", &addr],
    );
    wait_listening(&addr, &mut s);
    let rss0 = rss_kib(s.pid());
    let idle: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    s.assert_alive();
    // The oldest silent connections give their descriptors back.
    assert_served(&addr, Duration::from_secs(1));
    assert!(open_fds(s.pid()) <= 48);
    drop(idle);
    assert_served(&addr, Duration::from_secs(1));
    s.assert_alive();
    assert!(rss_kib(s.pid()) < rss0 + 16 * 1024);
    let log = s.log();
    let reports = log.matches("USB/IP accept").count();
    assert!(reports >= 1, "the failure is logged: {log}");
    // Rate-limited: about one line a second, not one per failure.
    let secs = t0.elapsed().as_secs() as usize + 1;
    assert!(reports <= secs + 1, "{reports} reports in {secs} s");
    assert!(t0.elapsed() < TEST_BUDGET);
}

/// A control socket request and its reply line.
fn call(sock: &Path, request: &str) -> serde_json::Value {
    let mut s = UnixStream::connect(sock).expect("connect to the control socket");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    writeln!(s, "{request}").unwrap();
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("reply {line:?}: {e}"))
}

fn start_pty_with_control(tag: &str, fd_limit: u32) -> (Limited, std::path::PathBuf) {
    let dir = tempdir(tag);
    let sock = dir.path().join("control.sock");
    let link = dir.path().join("qmi");
    let mut v = Limited::start_in(
        dir,
        fd_limit,
        &[
            "run",
            "--link",
            link.to_str().unwrap(),
            "--control",
            sock.to_str().unwrap(),
        ],
    );
    wait_until(Duration::from_secs(10), || {
        v.assert_alive();
        UnixStream::connect(&sock).is_ok()
    })
    .expect("control socket up");
    (v, sock)
}

#[test]
fn control_watchers_that_never_read_stay_bounded() {
    let t0 = Instant::now();
    let (mut v, sock) = start_pty_with_control("watchers", 1024);
    let (rss0, fds0) = (rss_kib(v.pid()), open_fds(v.pid()));
    let watchers: Vec<UnixStream> = (0..100)
        .map(|_| {
            let mut w = UnixStream::connect(&sock).unwrap();
            writeln!(w, "{{\"cmd\":\"watch\"}}").unwrap();
            w
        })
        .collect();
    // Each fault makes records (the fault, the roaming change) for every
    // watcher: 3,000 of them.
    let mut ctl = UnixStream::connect(&sock).unwrap();
    ctl.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut replies = BufReader::new(ctl.try_clone().unwrap());
    for i in 0..1500 {
        let on = i % 2 == 0;
        writeln!(
            ctl,
            "{{\"cmd\":\"inject\",\"fault\":{{\"fault\":\"roaming\",\"on\":{on}}}}}"
        )
        .unwrap();
        let mut line = String::new();
        replies.read_line(&mut line).unwrap();
        assert!(line.contains("\"ok\":true"), "inject {i}: {line}");
    }
    v.assert_alive();
    let (rss1, fds1) = (rss_kib(v.pid()), open_fds(v.pid()));
    println!(
        "# 100 watchers x 3000 records: VmRSS {rss0} -> {rss1} KiB (+{} KiB), fds {fds0} -> {fds1}",
        rss1.saturating_sub(rss0)
    );
    assert!(
        rss1 < rss0 + 16 * 1024,
        "memory bounded: {rss0} -> {rss1} KiB"
    );
    assert!(fds1 <= fds0 + 101 + 4, "descriptors: {fds0} -> {fds1}");
    assert_eq!(call(&sock, "{\"cmd\":\"status\"}")["ok"], true);

    // A watcher that reads at last learns how much it missed.
    let mut w = BufReader::new(watchers[0].try_clone().unwrap());
    watchers[0]
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut skipped = None;
    let mut poked = false;
    let mut line = String::new();
    while skipped.is_none() {
        line.clear();
        if w.read_line(&mut line).is_err() && !poked {
            // Everything queued was read: the next record brings the
            // lag record in its place.
            poked = true;
            assert_eq!(
                call(
                    &sock,
                    "{\"cmd\":\"inject\",\"fault\":{\"fault\":\"roaming\",\"on\":true}}"
                )["ok"],
                true
            );
            continue;
        }
        assert!(!line.is_empty(), "watch stream ended");
        let r: serde_json::Value = serde_json::from_str(&line).unwrap();
        if r["event"] == "lagged" {
            skipped = r["skipped"].as_u64();
        }
        assert!(t0.elapsed() < TEST_BUDGET, "no lagged record");
    }
    assert!(skipped.unwrap() > 0);
    drop(watchers);
    assert!(t0.elapsed() < TEST_BUDGET);
}

#[test]
fn control_accept_survives_running_out_of_descriptors() {
    let t0 = Instant::now();
    let (mut v, sock) = start_pty_with_control("ctl-emfile", 40);
    let hogs: Vec<UnixStream> = (0..60)
        .filter_map(|_| UnixStream::connect(&sock).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    v.assert_alive();
    drop(hogs);
    // The accept loop is still there once descriptors are free again.
    wait_until(Duration::from_secs(5), || {
        UnixStream::connect(&sock).is_ok_and(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            writeln!(s, "{{\"cmd\":\"status\"}}").is_ok() && {
                let mut line = String::new();
                BufReader::new(s).read_line(&mut line).is_ok() && line.contains("\"ok\":true")
            }
        })
    })
    .unwrap_or_else(|_| panic!("control socket no longer answers: {}", v.log()));
    assert!(
        v.log().contains("control socket accept"),
        "logged: {}",
        v.log()
    );
    assert!(open_fds(v.pid()) <= 40);
    assert!(t0.elapsed() < TEST_BUDGET);
}

#[test]
fn control_and_link_paths_never_clobber_other_files() {
    let dir = tempdir("clobber");
    let keep = dir.path().join("notes.txt");
    std::fs::write(&keep, "mine").unwrap();
    for flag in ["--control", "--link"] {
        let out = output_within(
            Command::new(env!("CARGO_BIN_EXE_vmodem"))
                .args(["run", flag])
                .arg(&keep),
            Duration::from_secs(10),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{flag} on a regular file must fail");
        assert!(err.contains("refusing to replace"), "{flag}: {err}");
        assert_eq!(std::fs::read_to_string(&keep).unwrap(), "mine", "{flag}");
    }
}

#[test]
fn ctl_refuses_a_socket_of_another_user() {
    if !nix::unistd::getuid().is_root() {
        skip("ctl refuses a socket of another user (making one needs root)");
        return;
    }
    let dir = tempdir("foreign");
    let sock = dir.path().join("control.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    std::os::unix::fs::chown(&sock, Some(4242), None).unwrap();
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_vmodem"))
            .args(["ctl", "--socket"])
            .arg(&sock)
            .arg("status"),
        Duration::from_secs(10),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("uid 4242") && err.contains("refusing"),
        "{err}"
    );
}

#[test]
fn bare_control_and_ctl_meet_at_the_default_path() {
    let dir = tempdir("bare-control");
    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    let link = dir.path().join("qmi");
    let mut v = Command::new(env!("CARGO_BIN_EXE_vmodem"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .args(["run", "--link"])
        .arg(&link)
        .arg("--control")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sock = runtime.join("vmodem/control.sock");
    let up = wait_until(Duration::from_secs(10), || sock.exists());
    let status = Command::new(env!("CARGO_BIN_EXE_vmodem"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .args(["ctl", "status"])
        .output()
        .unwrap();
    let _ = v.kill();
    let _ = v.wait();
    up.expect("bare --control opens the default socket");
    assert!(status.status.success(), "{status:?}");
    assert!(String::from_utf8_lossy(&status.stdout).contains("personality"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(runtime.join("vmodem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "owner-only directory");
}
