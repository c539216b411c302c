//! The AT port, interface 3: a command interpreter over the device model.
//!
//! Bytes come in, are echoed (E1), assembled into lines at CR, parsed
//! ([`parse`]) and run one command after another; the first failure ends
//! the line with ERROR or `+CME ERROR` (per +CMEE). Every command reads and
//! changes the same [`Device`] QMI uses, so a PIN entered here is entered
//! for QMI too. Registration changes become +CREG/+CGREG/+CEREG unsolicited
//! results when the host enabled them.

mod band;
mod basic;
pub mod commands;
mod contexts;
mod custom;
mod firmware;
mod gps;
mod identity;
pub mod line;
mod network;
pub mod parse;
mod selrat;
mod sierra;
mod sim;
mod sms;
mod sms_input;
mod time;

use crate::model::{Device, DeviceEvent};
use crate::time::Instant;
use line::{LineAssembler, LineEvent};
use parse::{Command, Kind};

/// Bytes waiting for the host beyond this are dropped, oldest first.
pub const MAX_PENDING_BYTES: usize = 64 * 1024;

/// Output waiting beyond this makes [`AtPort::offer`] stop taking input,
/// as a bulk endpoint NAKs: the host's bytes wait with the transport until
/// it reads. One more line (at most [`line::MAX_LINE`] bytes of commands)
/// still fits under [`MAX_PENDING_BYTES`] for any command's replies.
pub const HIGH_WATER: usize = 16 * 1024;

/// +CME ERROR codes (3GPP TS 27.007 §9.2) the port uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cme {
    NotAllowed = 3,
    NotSupported = 4,
    SimNotInserted = 10,
    SimPinRequired = 11,
    SimPukRequired = 12,
    SimFailure = 13,
    IncorrectPassword = 16,
    NoNetworkService = 30,
    IncorrectParameters = 50,
}

impl Cme {
    fn text(self) -> &'static str {
        match self {
            Cme::NotAllowed => "operation not allowed",
            Cme::NotSupported => "operation not supported",
            Cme::SimNotInserted => "SIM not inserted",
            Cme::SimPinRequired => "SIM PIN required",
            Cme::SimPukRequired => "SIM PUK required",
            Cme::SimFailure => "SIM failure",
            Cme::IncorrectPassword => "incorrect password",
            Cme::NoNetworkService => "no network service",
            Cme::IncorrectParameters => "incorrect parameters",
        }
    }
}

/// How a command failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtError {
    /// Unknown command or bad syntax: plain ERROR whatever +CMEE says.
    Error,
    Cme(Cme),
    /// +CMS ERROR (TS 27.005 §3.2.5): messaging commands' errors.
    Cms(u16),
    NoCarrier,
}

impl From<Cme> for AtError {
    fn from(c: Cme) -> Self {
        AtError::Cme(c)
    }
}

/// Information lines of a successful command.
pub type Outcome = Result<Vec<String>, AtError>;

/// Per-port settings; ATZ, AT&F and a firmware reset restore them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub echo: bool,
    pub verbose: bool,
    pub quiet: bool,
    /// +CMEE: 0 ERROR, 1 numeric, 2 verbose.
    pub cmee: u8,
    /// +CREG, +CGREG, +CEREG unsolicited modes (0, 1 or 2).
    pub creg: u8,
    pub cgreg: u8,
    pub cereg: u8,
    /// +COPS format: 0 long, 1 short, 2 numeric.
    pub cops_format: u8,
    pub charset: String,
    /// S0..S12.
    pub s: [u8; 13],
    /// AT!ENTERCND was given the password.
    pub cnd_unlocked: bool,
    /// +CTZU: the network's zone updates the clock.
    pub ctzu: bool,
    /// +CTZR: 0 no NITZ reports, 1 +CTZV, 2 +CTZE.
    pub ctzr: u8,
    /// +CMGF, +CNMI, +CPMS and the other messaging settings.
    pub sms: sms::SmsSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            echo: true,
            verbose: true,
            quiet: false,
            cmee: 0,
            creg: 0,
            cgreg: 0,
            cereg: 0,
            cops_format: 0,
            charset: "IRA".into(),
            // V.250 defaults: S3 CR, S4 LF, S5 BS, S6-S10 timing.
            s: [0, 0, 0, 13, 10, 8, 2, 50, 2, 0, 14, 0, 0],
            cnd_unlocked: false,
            ctzu: true,
            ctzr: 0,
            sms: Default::default(),
        }
    }
}

/// What a handler sees.
pub struct Cx<'a> {
    pub dev: &'a mut Device,
    pub now: Instant,
    pub st: &'a mut Settings,
}

/// The AT interpreter of one port.
#[derive(Debug, Default)]
pub struct AtPort {
    st: Settings,
    line: LineAssembler,
    out: crate::serial::Outbox<MAX_PENDING_BYTES>,
    /// The last +CREG/+CGREG/+CEREG URC sent, to report only changes.
    last_urc: [Option<String>; 3],
    /// A +CMGS/+CMGW waiting at the `> ` prompt for its body.
    sms_input: Option<sms_input::SmsInput>,
}

impl AtPort {
    pub fn settings(&self) -> &Settings {
        &self.st
    }

    /// Takes bytes from the host; answers go to the output queue.
    pub fn handle(&mut self, bytes: &[u8], dev: &mut Device, now: Instant) {
        for &b in bytes {
            self.feed(b, dev, now);
        }
    }

    /// Takes bytes from the host while less than [`HIGH_WATER`] bytes of
    /// output wait; returns how many it took. The rest is the host's to
    /// offer again once it has read.
    pub fn offer(&mut self, bytes: &[u8], dev: &mut Device, now: Instant) -> usize {
        for (i, &b) in bytes.iter().enumerate() {
            if self.out.len() >= HIGH_WATER {
                return i;
            }
            self.feed(b, dev, now);
        }
        bytes.len()
    }

    fn feed(&mut self, b: u8, dev: &mut Device, now: Instant) {
        if self.st.echo {
            self.emit(&[b]);
        }
        if self.sms_input.is_some() {
            return self.feed_sms(b, dev, now);
        }
        let (cr, bs) = (self.st.s[3], self.st.s[5]);
        match self.line.feed(b, cr, bs) {
            None => {}
            Some(LineEvent::Overflow) => self.finish(Err(AtError::Error)),
            Some(LineEvent::Line(l)) => {
                if let Some(body) = line::command_body(&l) {
                    let body = body.to_vec();
                    self.run_line(&body, dev, now);
                }
            }
        }
    }

    fn run_line(&mut self, body: &[u8], dev: &mut Device, now: Instant) {
        let cmds = match parse::parse(body) {
            Ok(c) => c,
            Err(_) => return self.finish(Err(AtError::Error)),
        };
        for cmd in &cmds {
            let (creg, cgreg, cereg) = (self.st.creg, self.st.cgreg, self.st.cereg);
            let mut cx = Cx {
                dev,
                now,
                st: &mut self.st,
            };
            if let Command::Extended { name, kind } = cmd {
                match sms_input::start(name, kind, &mut cx) {
                    // The body follows the prompt; the rest of the line
                    // is not run (27.005: +CMGS ends a line).
                    Some(Ok(input)) => {
                        self.sms_input = Some(input);
                        let (cr, lf) = (self.st.s[3], self.st.s[4]);
                        return self.emit(&[cr, lf, b'>', b' ']);
                    }
                    Some(Err(e)) => return self.finish(Err(e)),
                    None => {}
                }
            }
            let r = dispatch(cmd, &mut cx);
            // A newly enabled URC reports changes from the state now.
            if (creg, cgreg, cereg) != (self.st.creg, self.st.cgreg, self.st.cereg) {
                self.last_urc = network::urcs(&self.st, dev);
            }
            match r {
                Ok(lines) => self.info(&lines),
                Err(e) => return self.finish(Err(e)),
            }
        }
        self.finish(Ok(()));
    }

    /// One byte of a message body after the `> ` prompt.
    fn feed_sms(&mut self, b: u8, dev: &mut Device, now: Instant) {
        let Some(input) = self.sms_input.as_mut() else {
            return;
        };
        match b {
            sms_input::CTRL_Z => {
                let Some(input) = self.sms_input.take() else {
                    return;
                };
                let mut cx = Cx {
                    dev,
                    now,
                    st: &mut self.st,
                };
                match sms_input::complete(input, &mut cx) {
                    Ok(lines) => {
                        self.info(&lines);
                        self.finish(Ok(()));
                    }
                    Err(e) => self.finish(Err(e)),
                }
            }
            sms_input::ESC => {
                self.sms_input = None;
                self.finish(Ok(()));
            }
            b if b == self.st.s[3] => {
                // Text mode: a new line of the message and a new prompt.
                if input.text_mode() {
                    input.push(b'\n');
                    let lf = self.st.s[4];
                    self.emit(&[lf, b'>', b' ']);
                }
            }
            b'\n' => {}
            b => input.push(b),
        }
    }

    fn info(&mut self, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        let (cr, lf) = (self.st.s[3], self.st.s[4]);
        let mut o = Vec::new();
        if self.st.verbose {
            o.extend_from_slice(&[cr, lf]);
        }
        for l in lines {
            o.extend_from_slice(l.as_bytes());
            o.extend_from_slice(&[cr, lf]);
        }
        self.emit(&o);
    }

    /// The final result code of a line.
    fn finish(&mut self, r: Result<(), AtError>) {
        if self.st.quiet {
            return;
        }
        let (code, text) = match r {
            Ok(()) => (0, "OK".to_string()),
            Err(AtError::NoCarrier) => (3, "NO CARRIER".to_string()),
            Err(AtError::Cme(c)) if self.st.cmee == 1 => (4, format!("+CME ERROR: {}", c as u8)),
            Err(AtError::Cme(c)) if self.st.cmee == 2 => (4, format!("+CME ERROR: {}", c.text())),
            Err(AtError::Cms(n)) => (4, format!("+CMS ERROR: {n}")),
            Err(_) => (4, "ERROR".to_string()),
        };
        let (cr, lf) = (self.st.s[3], self.st.s[4]);
        let o = if self.st.verbose {
            [&[cr, lf][..], text.as_bytes(), &[cr, lf]].concat()
        } else if text.starts_with('+') {
            [text.as_bytes(), &[cr, lf]].concat()
        } else {
            vec![b'0' + code, cr]
        };
        self.emit(&o);
    }

    /// Unsolicited results for a model event.
    pub fn on_event(&mut self, ev: &DeviceEvent, dev: &Device) {
        if *ev == DeviceEvent::NetworkTime {
            if let Some(text) = time::nitz_urc(&self.st, dev) {
                let (cr, lf) = (self.st.s[3], self.st.s[4]);
                self.emit(&[&[cr, lf][..], text.as_bytes(), &[cr, lf]].concat());
            }
            return;
        }
        if let DeviceEvent::Sms(e) = ev {
            let lines = sms::urc(&self.st, dev, e);
            if !lines.is_empty() {
                let (cr, lf) = (self.st.s[3], self.st.s[4]);
                let mut o = vec![cr, lf];
                for l in lines {
                    o.extend_from_slice(l.as_bytes());
                    o.extend_from_slice(&[cr, lf]);
                }
                self.emit(&o);
            }
            return;
        }
        if *ev != DeviceEvent::Registration {
            return;
        }
        for (i, urc) in network::urcs(&self.st, dev).into_iter().enumerate() {
            let Some(text) = urc else { continue };
            if self.last_urc[i].as_deref() != Some(&text) {
                let (cr, lf) = (self.st.s[3], self.st.s[4]);
                self.emit(&[&[cr, lf][..], text.as_bytes(), &[cr, lf]].concat());
            }
            self.last_urc[i] = Some(text);
        }
    }

    fn emit(&mut self, bytes: &[u8]) {
        self.out.push(bytes);
    }

    /// Everything waiting for the host.
    pub fn poll(&mut self) -> Option<Vec<u8>> {
        self.out.poll()
    }

    /// Bytes waiting for the host.
    pub fn pending_output(&self) -> usize {
        self.out.len()
    }

    /// Bytes of an unfinished command line.
    pub fn pending_line(&self) -> usize {
        self.line.pending()
    }

    pub fn dropped_output(&self) -> u64 {
        self.out.dropped()
    }

    /// The firmware restarted: settings return to their defaults. Output
    /// already queued stays, so the OK of AT!RESET still reaches the host.
    pub fn reset(&mut self) {
        self.st = Settings::default();
        self.line.reset();
        self.last_urc = Default::default();
        self.sms_input = None;
    }
}

fn dispatch(cmd: &Command, cx: &mut Cx<'_>) -> Outcome {
    match cmd {
        Command::Extended { name, kind } => {
            let name = name.as_str();
            if name == "+CLAC" {
                return match kind {
                    parse::Kind::Exec => Ok(commands::clac()),
                    parse::Kind::Test => Ok(vec![]),
                    _ => Err(AtError::Error),
                };
            }
            basic::extended(name, kind, cx)
                .or_else(|| identity::handle(name, kind, cx))
                .or_else(|| sim::handle(name, kind, cx))
                .or_else(|| network::handle(name, kind, cx))
                .or_else(|| sierra::handle(name, kind, cx))
                .or_else(|| time::handle(name, kind, cx))
                .or_else(|| gps::handle(name, kind, cx))
                .or_else(|| selrat::handle(name, kind, cx))
                .or_else(|| band::handle(name, kind, cx))
                .or_else(|| custom::handle(name, kind, cx))
                .or_else(|| contexts::handle(name, kind, cx))
                .or_else(|| firmware::handle(name, kind, cx))
                .or_else(|| sms::handle(name, kind, cx))
                .unwrap_or(Err(AtError::Error))
        }
        other => basic::handle(other, cx),
    }
}

/// The single numeric argument of a set command.
fn one_num(kind: &Kind) -> Option<u32> {
    match kind {
        Kind::Set(a) if a.len() == 1 => a[0].num(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
