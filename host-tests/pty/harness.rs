//! Runs a vmodem on a pty and real qmicli against it.
//!
//! With `VMODEM_TRANSPORT=ffs` (the VM tier) the same tests run through the
//! kernel instead: vmodem becomes a USB gadget on dummy_hcd, `qmi_wwan`
//! binds it, and qmicli talks to `/dev/cdc-wdm0`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Vmodem {
    child: Child,
    pub link: PathBuf,
    gadget: bool,
    /// vmodem's log, kept in the VM tier so that failures can show it.
    log: Option<PathBuf>,
    _dir: TempDir,
}

/// The QMI control device the host's cdc-wdm driver creates for the gadget.
const GADGET_QMI_DEVICE: &str = "/dev/cdc-wdm0";

/// True when tests run against the USB gadget rather than a pty.
pub fn gadget_mode() -> bool {
    std::env::var("VMODEM_TRANSPORT").is_ok_and(|t| t == "ffs")
}

/// Appends the running test's name to `$VMODEM_OVER_USB_LOG`, if set: the
/// VM tier counts a test as run over USB only if it is listed there, that
/// is, only if it started a gadget (libtest names each test's thread after
/// the test).
fn record_over_usb() {
    use std::io::Write;
    let Some(path) = std::env::var_os("VMODEM_OVER_USB_LOG") else {
        return;
    };
    let name = std::thread::current().name().unwrap_or("?").to_owned();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("open {path:?}: {e}"));
    writeln!(f, "{name}").unwrap_or_else(|e| panic!("write {path:?}: {e}"));
}

pub use tempfile::TempDir;

/// A fresh directory for one test, removed when the `TempDir` drops.
pub fn tempdir(tag: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("vmodem-test-{tag}-"))
        .tempdir()
        .expect("create a temporary directory")
}

impl Vmodem {
    /// Starts `vmodem run --transport pty` with extra arguments.
    pub fn start(tag: &str, extra: &[&str]) -> Vmodem {
        require_qmicli();
        if gadget_mode() {
            return Self::start_gadget(tag, extra);
        }
        Self::start_pty(tag, extra, Stdio::null())
    }

    /// Starts `vmodem run --transport pty` with what it prints (the port
    /// map) going to `stdout`. A pty always, in the VM tier too.
    pub fn start_pty(tag: &str, extra: &[&str], stdout: impl Into<Stdio>) -> Vmodem {
        require_qmicli();
        let dir = tempdir(tag);
        let link = dir.path().join("qmi");
        let child = Command::new(env!("CARGO_BIN_EXE_vmodem"))
            .args(["run", "--transport", "pty", "--link"])
            .arg(&link)
            .args(extra)
            .stdout(stdout)
            .stderr(Stdio::null())
            .spawn()
            .expect("start vmodem");
        let t0 = Instant::now();
        while !link.exists() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "vmodem did not create {link:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Vmodem {
            child,
            link,
            gadget: false,
            log: None,
            _dir: dir,
        }
    }

    /// Starts `vmodem run --transport pty --composition mbim`: MBIM on the
    /// control pty. Always a pty, in the VM tier too: FunctionFS cannot
    /// carry an MBIM composition.
    pub fn start_mbim(tag: &str, extra: &[&str]) -> Vmodem {
        require_tool("mbimcli", "libmbim-utils");
        let dir = tempdir(tag);
        let link = dir.path().join("mbim");
        let child = Command::new(env!("CARGO_BIN_EXE_vmodem"))
            .args([
                "run",
                "--transport",
                "pty",
                "--composition",
                "mbim",
                "--link",
            ])
            .arg(&link)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vmodem");
        wait_until(Duration::from_secs(10), || link.exists())
            .unwrap_or_else(|_| panic!("vmodem did not create {link:?}"));
        Vmodem {
            child,
            link,
            gadget: false,
            log: None,
            _dir: dir,
        }
    }

    /// Runs `mbimcli -d LINK ARGS`, talking to the device directly (no
    /// mbim-proxy): each run OPENs, sends its command and CLOSEs.
    pub fn mbimcli(&self, args: &[&str]) -> Output {
        let out = Command::new("mbimcli")
            .arg("-d")
            .arg(&self.link)
            .args(args)
            .output()
            .expect("run mbimcli");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Output {
            ok: out.status.success(),
            text,
            args: args.join(" "),
        }
    }

    /// Runs mbimcli and fails the test unless it succeeds.
    pub fn mbim_ok(&self, args: &[&str]) -> String {
        let o = self.mbimcli(args);
        assert!(o.ok, "mbimcli {} failed:\n{}", o.args, o.text);
        o.text
    }

    /// Runs mbimcli and fails the test unless it fails.
    pub fn mbim_fails(&self, args: &[&str]) -> String {
        let o = self.mbimcli(args);
        assert!(!o.ok, "mbimcli {} should have failed:\n{}", o.args, o.text);
        o.text
    }

    /// Polls an mbimcli action until its output contains `needle`.
    pub fn mbim_wait_for(&self, args: &[&str], needle: &str, limit: Duration) -> String {
        let t0 = Instant::now();
        loop {
            let o = self.mbimcli(args);
            if o.ok && o.text.contains(needle) {
                return o.text;
            }
            assert!(
                t0.elapsed() < limit,
                "mbimcli {} never showed {needle:?}; last output:\n{}",
                o.args,
                o.text
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Starts `vmodem run --transport ffs` and waits for the host's driver.
    fn start_gadget(tag: &str, extra: &[&str]) -> Vmodem {
        let link = PathBuf::from(GADGET_QMI_DEVICE);
        wait_until(Duration::from_secs(15), || !link.exists())
            .expect("a previous gadget's cdc-wdm0 did not go away");
        // In the VM tier, keep vmodem's log beside the other results.
        let log_path = std::env::var_os("VM_RESULTS")
            .map(|d| PathBuf::from(d).join(format!("vmodem-{tag}.log")));
        let log = log_path
            .as_ref()
            .and_then(|p| std::fs::File::create(p).ok())
            .map(Stdio::from)
            .unwrap_or_else(Stdio::null);
        let child = Command::new(env!("CARGO_BIN_EXE_vmodem"))
            .args(["run", "--transport", "ffs"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start vmodem");
        wait_until(Duration::from_secs(30), || link.exists())
            .expect("the host never created /dev/cdc-wdm0 for the gadget");
        record_over_usb();
        Vmodem {
            child,
            link,
            gadget: true,
            log: log_path,
            _dir: tempdir(tag),
        }
    }

    /// Runs `qmicli -d LINK --device-open-qmi ARGS`.
    pub fn qmicli(&self, args: &[&str]) -> Output {
        self.qmicli_opened("--device-open-qmi", args)
    }

    /// Runs `qmicli -d LINK OPEN ARGS`: `--device-open-mbim` reaches QMI
    /// through MBIM's QMI service, on an MBIM control pty.
    pub fn qmicli_opened(&self, open: &str, args: &[&str]) -> Output {
        let out = Command::new("qmicli")
            .arg("-d")
            .arg(&self.link)
            .arg(open)
            .args(args)
            .output()
            .expect("run qmicli");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Output {
            ok: out.status.success(),
            text,
            args: args.join(" "),
        }
    }

    /// Runs qmicli and fails the test unless it succeeds.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.qmicli(args);
        assert!(o.ok, "qmicli {} failed:\n{}", o.args, o.text);
        o.text
    }

    /// Runs qmicli and fails the test unless it fails.
    pub fn fails(&self, args: &[&str]) -> String {
        let o = self.qmicli(args);
        assert!(!o.ok, "qmicli {} should have failed:\n{}", o.args, o.text);
        o.text
    }

    /// Polls a qmicli action until its output contains `needle`.
    pub fn wait_for(&self, args: &[&str], needle: &str, limit: Duration) -> String {
        let t0 = Instant::now();
        loop {
            let o = self.qmicli(args);
            if o.ok && o.text.contains(needle) {
                return o.text;
            }
            assert!(
                t0.elapsed() < limit,
                "qmicli {} never showed {needle:?}; last output:\n{}{}",
                o.args,
                o.text,
                self.diagnostics()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The tails of vmodem's log and the kernel log, when the VM tier keeps
    /// them: what a failure over USB needs to be understood.
    fn diagnostics(&self) -> String {
        let Some(log) = &self.log else {
            return String::new();
        };
        let tail = |text: String| {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(25)..].join("\n")
        };
        let vmodem = std::fs::read_to_string(log).unwrap_or_default();
        let kernel = Command::new("dmesg")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        // Where each vmodem thread waits in the kernel, if it is stuck there.
        let mut stacks = String::new();
        let task_dir = PathBuf::from(format!("/proc/{}/task", self.child.id()));
        for task in std::fs::read_dir(task_dir).into_iter().flatten().flatten() {
            let stack = std::fs::read_to_string(task.path().join("stack")).unwrap_or_default();
            stacks.push_str(&format!("task {:?}:\n{stack}", task.file_name()));
        }
        format!(
            "\n--- vmodem log (tail) ---\n{}\n--- kernel log (tail) ---\n{}\n--- vmodem kernel stacks ---\n{stacks}",
            tail(vmodem),
            tail(kernel)
        )
    }

    pub fn unlock(&self) {
        self.ok(&["--uim-verify-pin=PIN1,1234"]);
    }
}

impl Drop for Vmodem {
    fn drop(&mut self) {
        if self.gadget {
            // SIGTERM lets vmodem remove its gadget from configfs.
            let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let exited = wait_until(Duration::from_secs(10), || {
                self.child.try_wait().is_ok_and(|s| s.is_some())
            });
            if exited.is_err() {
                let _ = self.child.kill();
            }
        } else {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Polls `done` every 50 ms until it holds or `limit` passes.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> Result<(), ()> {
    let t0 = Instant::now();
    while !done() {
        if t0.elapsed() > limit {
            return Err(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

pub struct Output {
    pub ok: bool,
    pub text: String,
    pub args: String,
}

/// The pty tier needs the real qmicli; `scripts/test.sh` installs it.
fn require_qmicli() {
    require_tool("qmicli", "libqmi-utils");
}

pub fn require_tool(tool: &str, package: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{tool} is not installed: run scripts/test.sh, which installs {package}"
    );
}

/// Asserts that `text` has a line containing both `key` and `value`.
#[track_caller]
pub fn assert_field(text: &str, key: &str, value: &str) {
    assert!(
        text.lines().any(|l| l.contains(key) && l.contains(value)),
        "expected a line with {key:?} and {value:?} in:\n{text}"
    );
}

/// A check this run cannot make: printed as `SKIP - WHAT` and, when the
/// test script names a log (`VMODEM_SKIP_LOG`), appended to it so that the
/// summary line counts it (libtest captures what a passing test prints).
pub fn skip(what: &str) {
    let line = format!("SKIP - {what}");
    println!("{line}");
    if let Some(path) = std::env::var_os("VMODEM_SKIP_LOG") {
        use std::io::Write;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path);
        if let Ok(mut f) = log {
            // One write per line: O_APPEND keeps concurrent tests' lines whole.
            let _ = f.write_all(format!("{line}\n").as_bytes());
        }
    }
}
