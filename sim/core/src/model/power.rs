//! The module's supply voltage, so that brownouts emerge from the set-up.
//!
//! VBUS feeds the bulk capacitor at the module through the cable and
//! connector resistance R; the module draws a current that is constant
//! between breakpoints (state changes, the start and end of transmit
//! bursts). Within one such segment the capacitor voltage is the exact RC
//! solution `V(t) = Vf + (V0 - Vf)·e^(-t/RC)` with `Vf = Vs - I·R`, so no
//! time stepping is involved. The model only moves its anchor to
//! breakpoints and to state changes given by the engine, never to the
//! moments someone happens to ask, so the result depends only on simulated
//! time and inputs.
//!
//! The model stays physical for every set-up the checker accepts
//! (docs/power.md, "Bounds"): the load draws at most what the source can
//! drive through R, so the voltage stays within [0, source]; and a module
//! in reset (off the bus) cannot brown out again.

use super::power_setup::{PowerSetup, RatLoad};
use super::profile::Technology;
use crate::time::{Duration, Instant};
use serde::Serialize;

/// What the module is doing, as far as its current draw goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadState {
    Off,
    LowPower,
    Idle,
    UmtsSearch,
    UmtsAttach,
    UmtsTraffic,
    LteSearch,
    LteAttach,
    LteTraffic,
}

/// The radio's situation as the engine derives it from the device; the
/// model turns a fresh registration into an attach of `attach_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Off,
    LowPower,
    Idle,
    Search(Technology),
    /// Registered; `true` when a bearer is up.
    Registered(Technology, bool),
}

/// Figures for status displays and plots.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PowerStatus {
    pub at_ms: u64,
    /// Voltage at the module's supply input.
    pub volts: f64,
    /// Current the module draws.
    pub amps: f64,
    pub load: LoadState,
    pub brownouts: u64,
}

/// One point of the supply trace: at a breakpoint the current jumps, so
/// each breakpoint gives two samples (the current before, then after).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PowerSample {
    pub at_ms: u64,
    pub volts: f64,
    pub amps: f64,
}

/// Breakpoints kept for a plot until they are taken; older ones go first.
const TRACE_LIMIT: usize = 8192;

/// The trace, when asked for. A probe cloned for a status reading starts
/// without one, so readings neither copy nor extend it.
#[derive(Debug, Default)]
struct Trace(Option<std::collections::VecDeque<PowerSample>>);

impl Clone for Trace {
    fn clone(&self) -> Self {
        Trace(None)
    }
}

/// The supply model of one module.
#[derive(Debug, Clone)]
pub struct PowerModel {
    setup: PowerSetup,
    phase: Phase,
    /// When the present load state began (periodic bursts count from it).
    state_since: Instant,
    /// End of the attach that follows a registration.
    attach_until: Option<Instant>,
    /// A breakpoint (or state change) and the capacitor voltage there.
    anchor: Instant,
    anchor_volts: f64,
    /// Since when (µs) the voltage has been below the brownout threshold.
    below_since_us: Option<f64>,
    brownouts: u64,
    trace: Trace,
}

/// One constant-load stretch, worked out from its start.
struct Segment {
    end_volts: f64,
    below_since_us: Option<f64>,
    fire_us: Option<f64>,
}

impl PowerModel {
    /// A module just plugged in, its capacitor charged to the source.
    pub fn new(setup: PowerSetup, now: Instant) -> PowerModel {
        PowerModel {
            anchor_volts: setup.source_volts,
            setup,
            phase: Phase::Off,
            state_since: now,
            attach_until: None,
            anchor: now,
            below_since_us: None,
            brownouts: 0,
            trace: Trace::default(),
        }
    }

    pub fn setup(&self) -> &PowerSetup {
        &self.setup
    }

    pub fn brownouts(&self) -> u64 {
        self.brownouts
    }

    /// Starts (or stops) keeping every breakpoint for a plot. Only what is
    /// recorded changes, never the outcome.
    pub fn set_tracing(&mut self, on: bool) {
        self.trace.0 = on.then(|| {
            let mut t = std::collections::VecDeque::new();
            t.push_back(self.sample(self.anchor));
            t
        });
    }

    /// The oldest breakpoint not yet taken.
    pub fn take_sample(&mut self) -> Option<PowerSample> {
        self.trace.0.as_mut()?.pop_front()
    }

    fn sample(&self, t: Instant) -> PowerSample {
        PowerSample {
            at_ms: t.millis(),
            volts: self.anchor_volts,
            amps: self.amps_at(t),
        }
    }

    /// Records the anchor: call before and after the current changes there.
    fn record(&mut self) {
        if self.trace.0.is_none() {
            return;
        }
        let s = self.sample(self.anchor);
        let t = self.trace.0.as_mut().expect("checked above");
        if t.back() != Some(&s) {
            if t.len() >= TRACE_LIMIT {
                t.pop_front();
            }
            t.push_back(s);
        }
    }

    /// The load state at `t` (from the anchor on).
    pub fn load_state(&self, t: Instant) -> LoadState {
        let attach = self.attach_until.is_some_and(|u| t < u);
        match self.phase {
            Phase::Off => LoadState::Off,
            Phase::LowPower => LoadState::LowPower,
            Phase::Idle => LoadState::Idle,
            Phase::Search(Technology::Umts) => LoadState::UmtsSearch,
            Phase::Search(Technology::Lte) => LoadState::LteSearch,
            Phase::Registered(Technology::Umts, _) if attach => LoadState::UmtsAttach,
            Phase::Registered(Technology::Lte, _) if attach => LoadState::LteAttach,
            Phase::Registered(Technology::Umts, true) => LoadState::UmtsTraffic,
            Phase::Registered(Technology::Lte, true) => LoadState::LteTraffic,
            Phase::Registered(_, false) => LoadState::Idle,
        }
    }

    fn rat_load(&self, state: LoadState) -> Option<&RatLoad> {
        use LoadState::*;
        match state {
            UmtsSearch | UmtsAttach | UmtsTraffic => Some(&self.setup.load.umts),
            LteSearch | LteAttach | LteTraffic => Some(&self.setup.load.lte),
            _ => None,
        }
    }

    /// When the bursts of the state in force at `t` begin and end.
    fn start_of_state(&self, t: Instant) -> Instant {
        match self.attach_until {
            Some(u) if t >= u => u,
            _ => self.state_since,
        }
    }

    /// The current drawn at `t`.
    fn amps_at(&self, t: Instant) -> f64 {
        let state = self.load_state(t);
        let l = &self.setup.load;
        let Some(rat) = self.rat_load(state) else {
            return match state {
                LoadState::Off => l.off_amps,
                LoadState::LowPower => l.low_power_amps,
                _ => l.idle_amps,
            };
        };
        let since = t.since(self.start_of_state(t)).as_millis() as u64;
        use LoadState::*;
        let (base, peak, periodic) = match state {
            UmtsSearch | LteSearch => (rat.search_amps, rat.periodic_peak, true),
            UmtsAttach | LteAttach => (rat.attach_amps, rat.attach_peak, false),
            _ => (rat.traffic_amps, rat.periodic_peak, true),
        };
        let offset = if periodic {
            since % rat.peak_period_ms.max(1)
        } else {
            since
        };
        if offset < peak.ms {
            peak.amps
        } else {
            base
        }
    }

    /// The first time after `t` at which the current changes.
    fn next_break(&self, t: Instant) -> Option<Instant> {
        let state = self.load_state(t);
        let attach_end = self.attach_until.filter(|&u| u > t);
        let burst = self.rat_load(state).and_then(|rat| {
            let start = self.start_of_state(t);
            let since = t.since(start).as_millis() as u64;
            use LoadState::*;
            let next = match state {
                UmtsAttach | LteAttach => {
                    (since < rat.attach_peak.ms).then_some(rat.attach_peak.ms)?
                }
                _ => {
                    let period = rat.peak_period_ms.max(1);
                    let base = since - since % period;
                    if since - base < rat.periodic_peak.ms {
                        base + rat.periodic_peak.ms
                    } else {
                        base + period
                    }
                }
            };
            Some(start + Duration::from_millis(next))
        });
        match (attach_end, burst) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The exact RC solution over one constant-load stretch.
    fn segment(&self, start: Instant, v0: f64, dur_ms: f64, below: Option<f64>) -> Segment {
        let s = &self.setup;
        // A load cannot pull its own supply below 0 V: it draws at most
        // what the source drives through R into a short.
        let amps = match s.ohms() {
            r if r > 0.0 => self.amps_at(start).min(s.source_volts / r),
            _ => self.amps_at(start),
        };
        let vf = (s.source_volts - amps * s.ohms()).max(0.0);
        // A module in reset (off the bus) has no brownout detector running:
        // there is nothing left to reset.
        let off = self.load_state(start) == LoadState::Off;
        let tau_us = s.ohms() * s.capacitance_uf; // Ω·µF = µs
        let th = s.brownout_volts;
        let start_us = start.millis() as f64 * 1000.0;
        let dur_us = dur_ms * 1000.0;
        let volts_after = |t_us: f64| {
            if tau_us <= 0.0 {
                vf
            } else {
                vf + (v0 - vf) * (-t_us / tau_us).exp()
            }
        };
        // When the voltage passes the threshold (between v0 and vf).
        let crossing = || {
            if tau_us <= 0.0 {
                0.0
            } else {
                tau_us * ((v0 - vf) / (th - vf)).ln()
            }
        };
        let mut below = below;
        let mut up_us = f64::INFINITY;
        if off {
            return Segment {
                end_volts: volts_after(dur_us),
                below_since_us: None,
                fire_us: None,
            };
        }
        if v0 >= th {
            below = None;
            if vf < th {
                let tc = crossing();
                if tc <= dur_us {
                    below = Some(start_us + tc);
                }
            }
        } else {
            below = below.or(Some(start_us));
            if vf > th {
                up_us = crossing();
            }
        }
        let mut fire_us = None;
        if let Some(b) = below {
            let fire = (b + s.brownout_holdoff_ms * 1000.0).max(start_us);
            if fire <= start_us + up_us.min(dur_us) {
                fire_us = Some(fire);
            } else if up_us <= dur_us {
                below = None;
            }
        }
        Segment {
            end_volts: volts_after(dur_us),
            below_since_us: below,
            fire_us,
        }
    }

    /// The segment from the anchor to the next breakpoint (or on forever).
    fn current_segment(&self) -> (Option<Instant>, Segment) {
        let end = self.next_break(self.anchor);
        let dur = end.map_or(f64::INFINITY, |e| (e - self.anchor).as_millis() as f64);
        let seg = self.segment(self.anchor, self.anchor_volts, dur, self.below_since_us);
        (end, seg)
    }

    /// Runs the supply up to `now`. Returns the time of a brownout reset if
    /// one fired; the model is then left at that time with the module off.
    pub fn advance(&mut self, now: Instant) -> Option<Instant> {
        loop {
            let (end, seg) = self.current_segment();
            if let Some(f) = seg.fire_us.map(fire_instant) {
                if f <= now && end.is_none_or(|e| f <= e) {
                    self.anchor_volts = self.volts_at(f);
                    self.anchor = f;
                    self.below_since_us = None;
                    self.brownouts += 1;
                    self.record();
                    self.set_phase_at(Phase::Off, f);
                    self.record();
                    return Some(f);
                }
            }
            match end {
                Some(e) if e <= now => {
                    let amps_before = self.amps_at(self.anchor);
                    self.anchor = e;
                    self.anchor_volts = seg.end_volts;
                    self.below_since_us = seg.below_since_us;
                    if self.trace.0.is_some() {
                        let before = PowerSample {
                            amps: amps_before,
                            ..self.sample(e)
                        };
                        if let Some(t) = self.trace.0.as_mut() {
                            t.push_back(before);
                        }
                    }
                    if self.attach_until.is_some_and(|u| u <= e) {
                        self.attach_until = None;
                        self.state_since = e;
                    }
                    self.record();
                }
                _ => return None,
            }
        }
    }

    /// The radio changed at `now` (already advanced to `now`).
    pub fn set_phase(&mut self, phase: Phase, now: Instant) {
        if phase == self.phase {
            return;
        }
        self.move_anchor(now);
        self.record();
        self.set_phase_at(phase, now);
        self.record();
    }

    fn set_phase_at(&mut self, phase: Phase, now: Instant) {
        let fresh_registration = match (self.phase, phase) {
            (Phase::Registered(a, _), Phase::Registered(b, _)) => a != b,
            (_, Phase::Registered(..)) => true,
            _ => false,
        };
        let before = self.load_state(now);
        self.phase = phase;
        if fresh_registration {
            self.attach_until = Some(now + Duration::from_millis(self.setup.load.attach_ms));
        } else if !matches!(phase, Phase::Registered(..)) {
            self.attach_until = None;
        }
        if fresh_registration || self.load_state(now) != before {
            self.state_since = now;
        }
    }

    /// Changes the set-up from `now` on.
    pub fn set_setup(&mut self, setup: PowerSetup, now: Instant) {
        self.move_anchor(now);
        self.record();
        self.setup = setup;
        self.record();
    }

    /// Makes `now` a breakpoint (only at inputs, so results stay independent
    /// of when anyone polls).
    fn move_anchor(&mut self, now: Instant) {
        if now <= self.anchor {
            return;
        }
        let dur = (now - self.anchor).as_millis() as f64;
        let seg = self.segment(self.anchor, self.anchor_volts, dur, self.below_since_us);
        self.anchor = now;
        self.anchor_volts = seg.end_volts;
        self.below_since_us = seg.below_since_us;
    }

    /// The voltage at `t` at or after the anchor, within the current segment.
    fn volts_at(&self, t: Instant) -> f64 {
        let dur = t.since(self.anchor).as_millis() as f64;
        self.segment(self.anchor, self.anchor_volts, dur, None)
            .end_volts
    }

    /// When the engine must call again: the next breakpoint or brownout,
    /// or nothing when no brownout can happen in the present state.
    pub fn poll_at(&self) -> Option<Instant> {
        let (end, seg) = self.current_segment();
        if let Some(f) = seg.fire_us.map(fire_instant) {
            if end.is_none_or(|e| f <= e) {
                return Some(f);
            }
        }
        // A trace wants every breakpoint in time order as it happens.
        end.filter(|_| self.trace.0.is_some() || !self.surely_safe())
    }

    /// No brownout possible until the state changes: the supply is above
    /// the threshold now and stays so even under the state's largest burst.
    fn surely_safe(&self) -> bool {
        let s = &self.setup;
        let state = self.load_state(self.anchor);
        let worst = match self.rat_load(state) {
            Some(r) => r
                .attach_peak
                .amps
                .max(r.periodic_peak.amps)
                .max(r.search_amps)
                .max(r.attach_amps)
                .max(r.traffic_amps),
            None => self.amps_at(self.anchor),
        };
        self.attach_until.is_none()
            && self.below_since_us.is_none()
            && self.anchor_volts >= s.brownout_volts
            && s.source_volts - worst * s.ohms() >= s.brownout_volts
    }

    /// Figures at `now` (at or after the last input), without moving anything.
    pub fn status(&self, now: Instant) -> PowerStatus {
        let mut probe = self.clone();
        probe.advance(now);
        let now = now.max(probe.anchor);
        PowerStatus {
            at_ms: now.millis(),
            volts: probe.volts_at(now),
            amps: probe.amps_at(now),
            load: probe.load_state(now),
            brownouts: self.brownouts,
        }
    }
}

/// A brownout fires at the first whole millisecond at or after `us`.
fn fire_instant(us: f64) -> Instant {
    Instant::from_millis((us / 1000.0).ceil().max(0.0) as u64)
}
