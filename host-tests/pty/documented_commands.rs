//! Every `vmodem` command the README and docs/*.md show in a code block,
//! run exactly as written (through `sh`, with this build's `vmodem` first
//! on PATH, in a scratch directory where `scenarios/` is the repository's),
//! in document order, so a documented command can never be broken again.
//!
//! One-shot commands must exit 0. `vmodem run` and `vmodem ctl watch`
//! run until stopped: they pass when they are still running and, for
//! `run`, have said where the modem is, after a moment. `vmodem ctl`
//! commands talk to a `vmodem run --control` started for them. What this
//! machine cannot run (root, a VM, hardware) is listed in `SKIPPED` with
//! the reason, and printed as SKIP; so is a usage synopsis.

use crate::harness::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Commands that cannot run on this tier, as written in the docs (after
/// any `$ ` prompt), with why.
const SKIPPED: &[(&str, &str)] = &[
    (
        "vmodem run --transport ffs --uplink tun:vmup0 &",
        "a USB gadget and a TUN device: root, configfs and a UDC (VM tier: uplink.test.sh)",
    ),
    (
        "sudo vmodem run --transport gadgetfs     # composition 14: its MBIM configuration",
        "a USB gadget through GadgetFS: root, gadgetfs and a UDC (VM tier: gadgetfs.test.sh)",
    ),
];

/// Where a one-shot command must have finished.
const ONE_SHOT_LIMIT: Duration = Duration::from_secs(60);

/// How long a long-running command gets to come up.
const START_LIMIT: Duration = Duration::from_secs(10);

struct Documented {
    file: String,
    line: usize,
    command: String,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The command lines of code blocks (fenced or indented by four spaces)
/// that start `vmodem ` or `cargo run ... -p vmodem --`.
fn documented() -> Vec<Documented> {
    let mut files = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.strip_prefix(repo()).unwrap_or(&f).display().to_string();
        let mut fenced = false;
        for (i, l) in text.lines().enumerate() {
            if l.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if !(fenced || l.starts_with("    ")) {
                continue;
            }
            let t = l.trim();
            let t = t.strip_prefix("$ ").unwrap_or(t);
            let cargo_run = t.starts_with("cargo run ") && t.contains("-p vmodem --");
            if t.starts_with("vmodem ") || t.starts_with("sudo vmodem ") || cargo_run {
                out.push(Documented {
                    file: name.clone(),
                    line: i + 1,
                    command: t.to_string(),
                });
            }
        }
    }
    out
}

/// A usage synopsis: optional parts in brackets or capitalised
/// placeholders, not a command.
fn is_synopsis(cmd: &str) -> bool {
    cmd.contains(" [--")
        || cmd
            .split_whitespace()
            .any(|w| matches!(w, "FILE" | "PATH" | "NAME" | "N" | "ADDR:PORT"))
}

/// `cargo run [--release] -p vmodem -- ARGS` is the binary under test with
/// ARGS: rebuilding it here would only test cargo.
fn as_binary(cmd: &str) -> String {
    match cmd.split_once("-p vmodem -- ") {
        Some((_, args)) if cmd.starts_with("cargo run ") => format!("vmodem {args}"),
        _ => cmd.to_string(),
    }
}

struct Scratch {
    dir: TempDir,
    bin: PathBuf,
    runtime: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempdir("documented");
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_vmodem"), bin.join("vmodem")).unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        std::os::unix::fs::symlink(repo().join("scenarios"), work.join("scenarios")).unwrap();
        std::os::unix::fs::symlink(repo().join("suites"), work.join("suites")).unwrap();
        // `--control` without a path and `vmodem ctl` meet here.
        let runtime = dir.path().join("run");
        std::fs::create_dir(&runtime).unwrap();
        Scratch { dir, bin, runtime }
    }

    fn sh(&self, cmd: &str) -> Command {
        let path = std::env::var("PATH").unwrap_or_default();
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(cmd)
            .current_dir(self.dir.path().join("work"))
            .env("PATH", format!("{}:{path}", self.bin.display()))
            .env("XDG_RUNTIME_DIR", &self.runtime);
        c
    }
}

/// A command that runs until stopped, with its output collected.
struct Running {
    child: Child,
    out: Arc<Mutex<String>>,
}

impl Running {
    fn start(s: &Scratch, cmd: &str) -> Running {
        // `exec`: the pid is vmodem's, so SIGTERM reaches it and it
        // removes its links and socket.
        let mut child = s
            .sh(&format!("exec {cmd}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Arc::new(Mutex::new(String::new()));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                for l in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut o = out.lock().unwrap();
                    o.push_str(&l);
                    o.push('\n');
                }
            });
        }
        Running { child, out }
    }

    fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    /// Still running once `ready` holds for its output.
    fn came_up(&mut self, ready: impl Fn(&str) -> bool) -> Result<(), String> {
        let up = wait_until(START_LIMIT, || {
            self.child.try_wait().unwrap().is_some() || ready(&self.output())
        });
        match self.child.try_wait().unwrap() {
            Some(status) => Err(format!("exited ({status}): {}", self.output())),
            None if up.is_ok() => Ok(()),
            None => Err(format!("not up after {START_LIMIT:?}: {}", self.output())),
        }
    }

    fn stop(mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        if wait_until(Duration::from_secs(5), || {
            self.child.try_wait().unwrap().is_some()
        })
        .is_err()
        {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// `vmodem run` says where the modem is once it serves.
fn run_is_up(out: &str) -> bool {
    out.lines().any(|l| {
        l.starts_with("vmodem: ") && (l.contains(" on /dev/pts/") || l.contains(" on usbip://"))
    })
}

fn one_shot(s: &Scratch, cmd: &str) -> Result<(), String> {
    let mut child = s
        .sh(cmd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ended = wait_until(ONE_SHOT_LIMIT, || child.try_wait().unwrap().is_some());
    if ended.is_err() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match (ended, out.status.success()) {
        (Err(()), _) => Err(format!("still running after {ONE_SHOT_LIMIT:?}: {text}")),
        (Ok(()), false) => Err(format!("{}: {text}", out.status)),
        (Ok(()), true) => Ok(()),
    }
}

#[test]
fn every_documented_command_runs_as_written() {
    if gadget_mode() {
        skip("documented commands (they are checked on the pty tier)");
        return;
    }
    let commands = documented();
    assert!(
        commands.len() >= 20,
        "found only {} commands",
        commands.len()
    );
    let s = Scratch::new();
    // The instance `vmodem ctl` talks to, started at the first one.
    let mut controlled: Option<Running> = None;
    let mut failures = Vec::new();
    let (mut ran, mut skipped) = (0, 0);
    for d in &commands {
        let place = format!("{}:{}", d.file, d.line);
        if let Some((_, why)) = SKIPPED.iter().find(|(c, _)| *c == d.command) {
            skip(&format!("{place}: {} ({why})", d.command));
            skipped += 1;
            continue;
        }
        if is_synopsis(&d.command) {
            skip(&format!("{place}: {} (a usage synopsis)", d.command));
            skipped += 1;
            continue;
        }
        let cmd = as_binary(&d.command);
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let result = match words.get(1..3) {
            Some(["run", ..]) | Some(["ctl", "watch"]) => {
                // A documented `run --control` wants the default socket:
                // the instance started for `ctl` gives it up first.
                if words[1] == "run" && words.contains(&"--control") {
                    if let Some(c) = controlled.take() {
                        c.stop();
                    }
                }
                if words[1] == "ctl" && controlled.is_none() {
                    let mut c = Running::start(&s, "vmodem run --control");
                    c.came_up(run_is_up).expect("vmodem run --control");
                    controlled = Some(c);
                }
                let mut r = Running::start(&s, &cmd);
                let up = if words[1] == "run" {
                    r.came_up(run_is_up)
                } else {
                    // A watcher prints nothing until an event: it must
                    // still be connected after a moment.
                    std::thread::sleep(Duration::from_millis(500));
                    r.came_up(|_| true)
                };
                r.stop();
                up
            }
            Some(["ctl", ..]) => {
                if controlled.is_none() {
                    let mut c = Running::start(&s, "vmodem run --control");
                    c.came_up(run_is_up).expect("vmodem run --control");
                    controlled = Some(c);
                }
                one_shot(&s, &cmd)
            }
            _ => one_shot(&s, &cmd),
        };
        ran += 1;
        match result {
            Ok(()) => println!("ok {place}: {}", d.command),
            Err(e) => {
                println!("FAIL {place}: {}\n  {e}", d.command);
                failures.push(format!("{place}: `{}`: {e}", d.command));
            }
        }
    }
    if let Some(c) = controlled {
        c.stop();
    }
    println!("{ran} documented commands run, {skipped} skipped");
    assert!(
        failures.is_empty(),
        "documented commands fail:\n{}",
        failures.join("\n")
    );
}
