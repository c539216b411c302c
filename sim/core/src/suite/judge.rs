//! The judge: a case's observations in, one verdict per expectation out.
//! Pure: no clock, no I/O; the same log always gets the same verdicts.

use super::expect::{secs, Act, Anchor, Expectation, Form, Target};
use super::observation::{Kind, Obs};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    Fail,
    /// Failed, as its `expected-failure` says it does.
    ExpectedFailure,
    /// Marked `expected-failure` but held: the mark is stale.
    UnexpectedPass,
}

impl Outcome {
    /// Whether the suite may still exit 0.
    pub fn acceptable(self) -> bool {
        matches!(self, Outcome::Pass | Outcome::ExpectedFailure)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Verdict {
    pub name: String,
    pub expected: String,
    pub outcome: Outcome,
    /// What was seen, and when.
    pub seen: String,
    /// Anchor to act, for every window a `within` expectation judged.
    pub latencies_ms: Vec<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// PIN requests of each control protocol (the event log's names).
const PIN_REQUESTS: [&str; 3] = [
    "uim/verify-pin",
    "dms/uim-verify-pin",
    "basic-connect/set-pin",
];

/// How many units of the target `kind` is (packets count each), or 0.
pub fn units(target: &Target, kind: &Kind) -> u64 {
    let hit = match (target, kind) {
        (Target::Reaches(s), Kind::State(k)) => s == k,
        (Target::Host(a), k) => match (a, k) {
            (Act::OpensControl, Kind::ControlOpened) => true,
            (Act::AllocatesClient { service }, Kind::ClientAllocated { service: s }) => {
                service == s
            }
            (Act::VerifiesPin, Kind::Request { name, ok }) => {
                *ok && PIN_REQUESTS.contains(&name.as_str())
            }
            (Act::StartsNetwork { apn }, Kind::StartNetwork { apn: a, ok }) => {
                *ok && apn.as_ref().is_none_or(|x| x.eq_ignore_ascii_case(a))
            }
            (Act::StartsNetwork { apn: None }, Kind::Request { name, .. }) => {
                name == "basic-connect/set-connect"
            }
            (Act::SendsPackets { .. }, Kind::Packets(n)) => return *n,
            (Act::WritesBootLoader, Kind::BootLoaderWrite) => true,
            (Act::SetsModePreference { modes }, Kind::ModePreference { modes: m, ok }) => {
                *ok && modes == m
            }
            (Act::SendsRequest { request }, Kind::Request { name, .. }) => {
                request.as_ref().is_none_or(|r| r == name)
            }
            _ => false,
        },
        _ => false,
    };
    u64::from(hit)
}

fn needed(target: &Target) -> u64 {
    match target {
        Target::Host(Act::SendsPackets { count }) => *count,
        _ => 1,
    }
}

/// When each anchor happened.
pub fn anchor_times(anchor: Anchor, obs: &[Obs]) -> Vec<u64> {
    if anchor == Anchor::PowerOn {
        return vec![0];
    }
    obs.iter()
        .filter(|o| match (anchor, &o.kind) {
            (Anchor::RejoinedBus, Kind::RejoinedBus)
            | (Anchor::LeftBus, Kind::LeftBus)
            | (Anchor::BootLoader, Kind::BootLoader)
            | (Anchor::Fault, Kind::Fault)
            | (Anchor::ControlOpened, Kind::ControlOpened) => true,
            (Anchor::State(a), Kind::State(b)) => a == *b,
            _ => false,
        })
        .map(|o| o.t_ms)
        .collect()
}

fn at(ms: u64) -> String {
    format!("at {}", secs(ms))
}

/// Judges one expectation against a case's observations (in time order)
/// from a run that lasted `end_ms`.
pub fn judge(e: &Expectation, obs: &[Obs], end_ms: u64) -> Verdict {
    let expected = e.describe();
    let anchors = anchor_times(e.after, obs);
    let (held, seen, latencies) = if anchors.is_empty() {
        (
            false,
            format!(
                "{} never happened in the {} run: nothing to judge",
                e.after.name(),
                secs(end_ms)
            ),
            vec![],
        )
    } else {
        match e.form {
            Form::Within { ms } => within(e, obs, &anchors, ms, end_ms),
            Form::Never => never(e, obs, anchors[0]),
            Form::NotBefore(b) => not_before(e, obs, &anchors, b),
            Form::AtMostPerSecond(r) => rate(e, obs, anchors[0], r),
        }
    };
    let outcome = match (held, e.expected_failure.is_some()) {
        (true, false) => Outcome::Pass,
        (false, false) => Outcome::Fail,
        (false, true) => Outcome::ExpectedFailure,
        (true, true) => Outcome::UnexpectedPass,
    };
    Verdict {
        name: e.name.clone(),
        expected,
        outcome,
        seen,
        latencies_ms: latencies,
        reason: e.expected_failure.clone(),
    }
}

fn within(
    e: &Expectation,
    obs: &[Obs],
    anchors: &[u64],
    ms: u64,
    end_ms: u64,
) -> (bool, String, Vec<u64>) {
    let need = needed(&e.target);
    let mut latencies = Vec::new();
    let mut interrupted = 0;
    for &a in anchors {
        let deadline = a + ms;
        // The module leaving the bus ends what the host can do.
        let cut = obs
            .iter()
            .find(|o| o.kind == Kind::LeftBus && o.t_ms > a && o.t_ms < deadline)
            .map(|o| o.t_ms);
        let close = cut.unwrap_or(deadline);
        let mut got = 0;
        let met = obs
            .iter()
            .filter(|o| o.t_ms >= a && o.t_ms <= close)
            .find(|o| {
                got += units(&e.target, &o.kind);
                got >= need
            });
        match (met, cut) {
            (Some(o), _) => latencies.push(o.t_ms - a),
            (None, Some(_)) => interrupted += 1,
            (None, None) if deadline > end_ms => {
                return (
                    false,
                    format!(
                        "{} {}: the run ended {} later, before the deadline{}",
                        e.after.name(),
                        at(a),
                        secs(end_ms.saturating_sub(a)),
                        progress(got, need)
                    ),
                    latencies,
                )
            }
            (None, None) => {
                return (
                    false,
                    format!(
                        "{} {}: not by {}{}",
                        e.after.name(),
                        at(a),
                        secs(deadline),
                        progress(got, need)
                    ),
                    latencies,
                )
            }
        }
    }
    if latencies.is_empty() {
        return (
            false,
            format!(
                "the module left the bus before every deadline ({interrupted} of {}): nothing could be judged",
                anchors.len()
            ),
            latencies,
        );
    }
    let worst = latencies.iter().max().copied().unwrap_or(0);
    let mut seen = format!(
        "{} of {} {}: slowest after {}",
        latencies.len(),
        anchors.len(),
        e.after.name(),
        secs(worst)
    );
    if interrupted > 0 {
        seen.push_str(&format!(
            "; {interrupted} cut short by the module leaving the bus"
        ));
    }
    (true, seen, latencies)
}

fn progress(got: u64, need: u64) -> String {
    if need > 1 {
        format!(" ({got} of {need} seen in time)")
    } else {
        String::new()
    }
}

fn never(e: &Expectation, obs: &[Obs], from: u64) -> (bool, String, Vec<u64>) {
    match obs
        .iter()
        .find(|o| o.t_ms >= from && units(&e.target, &o.kind) > 0)
    {
        Some(o) => (false, format!("it did, {}", at(o.t_ms)), vec![]),
        None => (true, "it did not".into(), vec![]),
    }
}

fn not_before(
    e: &Expectation,
    obs: &[Obs],
    anchors: &[u64],
    until: Anchor,
) -> (bool, String, Vec<u64>) {
    let ends = anchor_times(until, obs);
    for &a in anchors {
        let end = ends.iter().copied().find(|&t| t >= a);
        let early = obs.iter().find(|o| {
            o.t_ms >= a && end.is_none_or(|t| o.t_ms < t) && units(&e.target, &o.kind) > 0
        });
        if let Some(o) = early {
            let when = match end {
                Some(t) => format!("{} came {}", until.name(), at(t)),
                None => format!("{} never came", until.name()),
            };
            return (
                false,
                format!(
                    "it did {} ({} {}); {when}",
                    at(o.t_ms),
                    e.after.name(),
                    at(a)
                ),
                vec![],
            );
        }
    }
    (true, format!("not before {}", until.name()), vec![])
}

fn rate(e: &Expectation, obs: &[Obs], from: u64, limit: u64) -> (bool, String, Vec<u64>) {
    let hits: Vec<(u64, u64)> = obs
        .iter()
        .filter(|o| o.t_ms >= from)
        .map(|o| (o.t_ms, units(&e.target, &o.kind)))
        .filter(|&(_, n)| n > 0)
        .collect();
    // The busiest one-second window [t - 999, t] over every hit.
    let (mut lo, mut sum, mut peak, mut peak_at) = (0, 0u64, 0u64, 0u64);
    for hi in 0..hits.len() {
        sum += hits[hi].1;
        while hits[hi].0 - hits[lo].0 >= 1000 {
            sum -= hits[lo].1;
            lo += 1;
        }
        if sum > peak {
            peak = sum;
            peak_at = hits[lo].0;
        }
    }
    let total: u64 = hits.iter().map(|h| h.1).sum();
    if peak > limit {
        (
            false,
            format!(
                "{peak} in the second from {} on ({total} in all)",
                secs(peak_at)
            ),
            vec![],
        )
    } else {
        (
            true,
            format!("at most {peak} in any second ({total} in all)"),
            vec![],
        )
    }
}
