//! One run of one case: power the modem on with the case's scenario for
//! its duration, with the host under test beside it, run the probes, and
//! judge the event log.

use super::{RunOptions, Transport};
use crate::transport::composition::{self, Function, Reach};
use anyhow::Context;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vmodem_core::model::Profile;
use vmodem_core::scenario::Scenario;
use vmodem_core::suite::{judge_case, observation, recoveries, Case, Outcome, Recovery, Verdict};

/// A probe that has not finished by then is killed and fails.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
/// Output kept per probe.
const PROBE_OUTPUT: usize = 4096;
/// The host under test gets this long to stop after SIGTERM.
const HOST_GRACE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct ProbeResult {
    pub name: String,
    pub command: String,
    pub exit: Option<i32>,
    pub output: String,
    pub expect_exit: Option<i32>,
}

impl ProbeResult {
    pub fn held(&self) -> Option<bool> {
        self.expect_exit.map(|want| self.exit == Some(want))
    }
}

pub struct RunResult {
    pub seed: u64,
    pub verdicts: Vec<Verdict>,
    pub recoveries: Vec<Recovery>,
    pub probes: Vec<ProbeResult>,
    pub events: PathBuf,
    pub wall: Duration,
}

impl RunResult {
    /// The progress line's verdict.
    pub fn line(&self) -> String {
        let failed: Vec<&Verdict> = self
            .verdicts
            .iter()
            .filter(|v| !v.outcome.acceptable())
            .collect();
        let probes_failed = self
            .probes
            .iter()
            .filter(|p| p.held() == Some(false))
            .count();
        let xfail = self
            .verdicts
            .iter()
            .filter(|v| v.outcome == Outcome::ExpectedFailure)
            .count();
        let mut s = if failed.is_empty() && probes_failed == 0 {
            format!("ok, {} expectations held", self.verdicts.len() - xfail)
        } else {
            let names: Vec<&str> = failed.iter().map(|v| v.name.as_str()).collect();
            format!(
                "FAILED {} of {}: {}",
                failed.len() + probes_failed,
                self.verdicts.len() + self.probes.len(),
                names.join("; ")
            )
        };
        if xfail > 0 {
            s.push_str(&format!(", {xfail} known failures"));
        }
        format!("{s} ({:.1} s)", self.wall.as_secs_f64())
    }
}

pub fn run(
    case: &Case,
    scenario: &Scenario,
    profile: &Profile,
    seed: u64,
    dir: &Path,
    opts: &RunOptions,
) -> anyhow::Result<RunResult> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let events = dir.join("events.jsonl");
    let duration = Duration::from_millis(case.duration_ms);
    let serve = crate::supervise::Options {
        scenario: Some(scenario.clone()),
        events: Some(events.clone()),
        stop_after: Some(duration),
        ..Default::default()
    };
    let mut profile = profile.clone();
    let asked = match case.composition.as_deref() {
        Some("mbim") => Some(Function::Mbim),
        Some(_) => Some(Function::Qmi),
        None => None,
    };
    let reach = match &opts.transport {
        Transport::Pty { .. } => Reach::OneConfig,
        Transport::Ffs { .. } => Reach::QmiOnly,
        Transport::Usbip { .. } => Reach::Any,
    };
    let served = composition::serve(&mut profile, reach, asked)
        .map_err(|e| anyhow::anyhow!("case {}: composition = \"mbim\": {e}", case.name))?;
    let mbim = Function::of(served) == Function::Mbim;
    let link = match &opts.transport {
        Transport::Pty { link } => Some(link.clone().unwrap_or_else(|| dir.join("modem"))),
        _ => None,
    };
    let started = Instant::now();
    let transport = opts.transport.clone();
    let link_for_modem = link.clone();
    let modem = std::thread::Builder::new()
        .name("vmodem-case".into())
        .spawn(move || -> anyhow::Result<()> {
            match transport {
                Transport::Pty { .. } => {
                    use crate::transport::pty::{Control, Links};
                    let links = Links {
                        control: if mbim { Control::Mbim } else { Control::Qmi },
                        qmi: link_for_modem,
                        at: None,
                        dm: None,
                        nmea: None,
                    };
                    crate::transport::pty::run(profile, seed, links, serve)
                }
                Transport::Usbip { listen } => {
                    crate::transport::usbip::run(profile, seed, listen, 1, serve)
                }
                Transport::Ffs { udc } => crate::transport::ffs::run(profile, seed, udc, serve),
            }
        })?;
    if let Some(l) = &link {
        // The host's script opens the link: it must exist first.
        let until = Instant::now() + Duration::from_secs(10);
        while std::fs::symlink_metadata(l).is_err()
            && Instant::now() < until
            && !modem.is_finished()
        {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let host = match &opts.host {
        Some(cmd) if !modem.is_finished() => {
            Some(start_host(cmd, case, link.as_deref(), &events, dir)?)
        }
        _ => None,
    };
    let served = modem
        .join()
        .map_err(|_| anyhow::anyhow!("the modem of case `{}` panicked", case.name))?;
    if let Some(h) = host {
        stop_host(h);
    }
    served.with_context(|| format!("case `{}`", case.name))?;
    let wall = started.elapsed();
    if wall + Duration::from_millis(500) < duration {
        anyhow::bail!(
            "case `{}` stopped after {:.1} s of {:.1} s (interrupted)",
            case.name,
            wall.as_secs_f64(),
            duration.as_secs_f64()
        );
    }
    let probes = case
        .probes
        .iter()
        .map(|p| probe(p, link.as_deref()))
        .collect();
    let text = crate::file::read_text(&events, "event log", crate::file::LOG_CAP)?;
    let records: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let obs = observation::read_all(&records);
    Ok(RunResult {
        seed,
        verdicts: judge_case(case, &obs, case.duration_ms),
        recoveries: recoveries(&obs),
        probes,
        events,
        wall,
    })
}

fn start_host(
    cmd: &str,
    case: &Case,
    link: Option<&Path>,
    events: &Path,
    dir: &Path,
) -> anyhow::Result<Child> {
    let log = std::fs::File::create(dir.join("host.log"))?;
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(cmd)
        .env("VMODEM_CASE", &case.name)
        .env("VMODEM_EVENTS", events)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group, so that stopping it stops its children.
        .process_group(0);
    if let Some(l) = link {
        c.env("VMODEM_LINK", l);
    }
    c.spawn()
        .with_context(|| format!("cannot start the host `{cmd}`"))
}

fn stop_host(mut h: Child) {
    let group = Pid::from_raw(h.id() as i32);
    let _ = killpg(group, Signal::SIGTERM);
    let until = Instant::now() + HOST_GRACE;
    while Instant::now() < until {
        if let Ok(Some(_)) = h.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = killpg(group, Signal::SIGKILL);
    let _ = h.wait();
}

fn probe(p: &vmodem_core::suite::Probe, link: Option<&Path>) -> ProbeResult {
    let command = p.run.join(" ");
    let mut c = Command::new(&p.run[0]);
    c.args(&p.run[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(l) = link {
        c.env("VMODEM_LINK", l);
    }
    let result = |exit, output| ProbeResult {
        name: p.name.clone(),
        command: command.clone(),
        exit,
        output,
        expect_exit: p.expect_exit,
    };
    let mut child = match c.spawn() {
        Ok(c) => c,
        Err(e) => return result(None, format!("cannot start: {e}")),
    };
    // Read both pipes on threads, so a chatty probe cannot block on them.
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let reader = |s: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut s) = s {
                let _ = s.by_ref().take(PROBE_OUTPUT as u64).read_to_end(&mut buf);
                let _ = std::io::copy(&mut s, &mut std::io::sink());
            }
            buf
        })
    };
    let o = reader(out.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let e = reader(err.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let until = Instant::now() + PROBE_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
                let _ = child.wait();
                break None;
            }
        }
    };
    let mut text = String::from_utf8_lossy(&o.join().unwrap_or_default()).into_owned();
    text.push_str(&String::from_utf8_lossy(&e.join().unwrap_or_default()));
    let mut cut = text.len().min(PROBE_OUTPUT);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    match status {
        Some(s) => result(s.code(), text),
        None => result(
            None,
            format!("{text}\n(killed after {} s)", PROBE_TIMEOUT.as_secs()),
        ),
    }
}
