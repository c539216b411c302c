//! The scenario runner: a state machine fed with device states, host
//! requests and time, that says which fault to inject when.

use super::file::{Delay, Scenario, Step, Trigger};
use super::state::DeviceState;
use crate::fault::Fault;
use crate::time::{Duration, Instant};
use crate::wire::qmi::{Message, MessageKind};
use crate::wire::qmux::Sender;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A fault that is due now.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    /// Index of the step in the file; `None` for the `[power]` set-up.
    pub step: Option<usize>,
    pub fault: Fault,
}

#[derive(Debug, Clone)]
struct Armed {
    step: Step,
    /// Matching occurrences seen so far.
    seen: u32,
    /// Injections scheduled so far.
    fired: u32,
    /// Next time an `at-ms` trigger matches.
    next_at: Option<Instant>,
}

impl Armed {
    fn exhausted(&self) -> bool {
        match (self.step.repeat, self.step.limit) {
            (false, _) => self.fired >= 1,
            (true, Some(l)) => self.fired >= l,
            (true, None) => false,
        }
    }
}

#[derive(Debug, Clone)]
struct Pending {
    due: Instant,
    /// Scheduling order, so that equal due times keep it.
    seq: u64,
    firing: Firing,
}

/// Runs one scenario's steps. Pure: the caller feeds it what happens and
/// injects what it yields.
#[derive(Debug, Clone)]
pub struct ScenarioRunner {
    steps: Vec<Armed>,
    pending: Vec<Pending>,
    seq: u64,
    rng: ChaCha8Rng,
}

/// Keeps the runner's draws apart from the engine's, which get the same seed.
const RUNNER_STREAM: u64 = 0x5ce4_a410_0000_0001;

impl ScenarioRunner {
    pub fn new(scenario: &Scenario, seed: u64, start: Instant) -> ScenarioRunner {
        let steps = scenario
            .steps
            .iter()
            .map(|s| Armed {
                next_at: match s.trigger {
                    Trigger::At { at, .. } => Some(start + at),
                    _ => None,
                },
                step: s.clone(),
                seen: 0,
                fired: 0,
            })
            .collect();
        let mut r = ScenarioRunner {
            steps,
            pending: Vec::new(),
            seq: 0,
            rng: ChaCha8Rng::seed_from_u64(seed ^ RUNNER_STREAM),
        };
        if let Some(p) = &scenario.power {
            r.push(start, None, Fault::Power(p.clone()));
        }
        r
    }

    fn push(&mut self, due: Instant, step: Option<usize>, fault: Fault) {
        self.seq += 1;
        self.pending.push(Pending {
            due,
            seq: self.seq,
            firing: Firing { step, fault },
        });
    }

    /// One matching occurrence of step `i` at `now`.
    fn matched(&mut self, i: usize, now: Instant) {
        let a = &mut self.steps[i];
        if a.exhausted() {
            return;
        }
        a.seen += 1;
        if a.seen % a.step.nth != 0 || (!a.step.repeat && a.seen != a.step.nth) {
            return;
        }
        let p = a.step.probability;
        // Always draw, so that one step's outcome never shifts another's.
        let roll: f64 = self.rng.random();
        let delay = match a.step.after {
            Delay::Fixed(d) => d,
            Delay::Between(lo, hi) => Duration::from_millis(
                self.rng
                    .random_range(lo.as_millis() as u64..=hi.as_millis() as u64),
            ),
        };
        if roll >= p && p < 1.0 {
            return;
        }
        let a = &mut self.steps[i];
        a.fired += 1;
        let fault = a.step.fault.clone();
        self.push(now + delay, Some(i), fault);
    }

    /// The device entered `state`.
    pub fn on_state(&mut self, state: DeviceState, now: Instant) {
        for i in 0..self.steps.len() {
            if self.steps[i].step.trigger == Trigger::On(state) {
                self.matched(i, now);
            }
        }
    }

    /// The host sent `frame` (one QMUX frame) to the module.
    pub fn on_request(&mut self, frame: &[u8], now: Instant) {
        let Ok(m) = Message::parse(frame) else { return };
        if m.sender != Sender::Host || m.kind != MessageKind::Request {
            return;
        }
        for i in 0..self.steps.len() {
            if let Trigger::OnRequest(r) = self.steps[i].step.trigger {
                if r.service == m.service && r.message == m.id.0 {
                    self.matched(i, now);
                }
            }
        }
    }

    /// Advances time: time triggers that are due match now.
    pub fn handle_timeout(&mut self, now: Instant) {
        for i in 0..self.steps.len() {
            while let Some(t) = self.steps[i].next_at.filter(|&t| t <= now) {
                let every = match self.steps[i].step.trigger {
                    Trigger::At { every, .. } => every.filter(|_| self.steps[i].step.repeat),
                    _ => None,
                };
                self.steps[i].next_at = every.map(|e| t + e);
                self.matched(i, t);
                if self.steps[i].exhausted() {
                    self.steps[i].next_at = None;
                }
            }
        }
    }

    /// When the runner next has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let pending = self.pending.iter().map(|p| p.due);
        let timers = self.steps.iter().filter_map(|a| a.next_at);
        pending.chain(timers).min()
    }

    /// The next fault due at `now`, oldest first.
    pub fn poll_fault(&mut self, now: Instant) -> Option<Firing> {
        self.handle_timeout(now);
        let i = self
            .pending
            .iter()
            .enumerate()
            .filter(|(_, p)| p.due <= now)
            .min_by_key(|(_, p)| (p.due, p.seq))
            .map(|(i, _)| i)?;
        Some(self.pending.remove(i).firing)
    }

    /// True when no step can fire any more.
    pub fn finished(&self) -> bool {
        self.pending.is_empty() && self.steps.iter().all(|a| a.exhausted())
    }
}
