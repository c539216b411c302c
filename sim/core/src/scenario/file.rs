//! The scenario file (TOML): seed, profile, power set-up and steps.

use super::names::{parse_request, RequestId};
use super::state::DeviceState;
use crate::fault::{DhcpFault, Fault, Mangle, PowerChange};
use crate::model::power_setup::check_bound;
use crate::model::profile::LineIndex;
use crate::time::Duration;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// A checked scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Seed of the engine and of the steps' `probability` draws.
    pub seed: u64,
    /// Profile path as written (relative to the scenario file); `None`
    /// for the built-in profile. Loading it is the caller's I/O.
    pub profile: Option<String>,
    /// Power set-up applied at start, as a `Fault::Power`.
    pub power: Option<PowerChange>,
    pub steps: Vec<Step>,
}

/// One `[[step]]`: when, how often, and what to inject.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub trigger: Trigger,
    /// Time between the trigger and the injection.
    pub after: Delay,
    /// Fire on the nth matching occurrence (and every nth with `repeat`).
    pub nth: u32,
    /// Chance that a matching occurrence fires, drawn from the seed.
    pub probability: f64,
    /// Keep firing after the first time.
    pub repeat: bool,
    /// At most this many injections (with `repeat`).
    pub limit: Option<u32>,
    pub fault: Fault,
    /// 1-based line of the step in its file, for the event log.
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// At this simulated time since start; again every `every` if set.
    At {
        at: Duration,
        every: Option<Duration>,
    },
    /// When the device enters this state.
    On(DeviceState),
    /// When the host sends this request.
    OnRequest(RequestId),
}

/// `after-ms`: fixed, or drawn uniformly from `[low, high]` with the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    Fixed(Duration),
    Between(Duration, Duration),
}

/// A scenario that failed to load, with its place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}:{column}: {message}")]
pub struct ScenarioError {
    pub source_name: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ScenarioError {
    /// `message` placed at the start of `span` (the file's start without
    /// one) in `source_name`, whose lines `lines` indexes.
    pub(crate) fn placed(
        source_name: &str,
        lines: &LineIndex,
        span: Option<Range<usize>>,
        message: String,
    ) -> Self {
        let (line, column) = lines.line_col(span.map(|s| s.start).unwrap_or(0));
        ScenarioError {
            source_name: source_name.to_string(),
            line,
            column,
            message,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawScenario {
    #[serde(default)]
    seed: u64,
    profile: Option<String>,
    power: Option<Spanned<RawPower>>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawPower {
    source_volts: Option<Spanned<f64>>,
    cable_ohms: Option<Spanned<f64>>,
    connector_ohms: Option<Spanned<f64>>,
    capacitance_uf: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawStep {
    at_ms: Option<u64>,
    every_ms: Option<Spanned<u64>>,
    on: Option<DeviceState>,
    on_request: Option<Spanned<String>>,
    after_ms: Option<Spanned<Delay>>,
    nth: Option<Spanned<u32>>,
    probability: Option<Spanned<f64>>,
    #[serde(default)]
    repeat: bool,
    limit: Option<Spanned<u32>>,
    inject: Spanned<Fault>,
    /// Free text for the reader; ignored.
    #[allow(dead_code)]
    note: Option<String>,
}

pub(crate) type Bad = (Range<usize>, String);

pub(crate) fn bad<T>(span: Range<usize>, msg: impl Into<String>) -> Result<T, Bad> {
    Err((span, msg.into()))
}

impl Scenario {
    /// Parses and checks a scenario; `source_name` names the file in errors.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Scenario, ScenarioError> {
        let lines = LineIndex::new(text);
        let place = |span: Option<Range<usize>>, message: String| {
            ScenarioError::placed(source_name, &lines, span, message)
        };
        // Old snake_case keys are accepted (crate::model::key_spelling).
        let (kebab, _) = crate::model::key_spelling::to_kebab(text);
        let raw: RawScenario =
            toml::from_str(&kebab).map_err(|e| place(e.span(), e.message().to_string()))?;
        let power = match raw.power {
            Some(p) => Some(power(p.into_inner()).map_err(|(s, m)| place(Some(s), m))?),
            None => None,
        };
        let steps = raw
            .step
            .into_iter()
            .map(|s| {
                let span = s.span();
                step(s.into_inner(), span, &lines).map_err(|(s, m)| place(Some(s), m))
            })
            .collect::<Result<_, _>>()?;
        Ok(Scenario {
            seed: raw.seed,
            profile: raw.profile,
            power,
            steps,
        })
    }
}

pub(crate) fn power(raw: RawPower) -> Result<PowerChange, Bad> {
    let check = |v: Option<Spanned<f64>>, name: &str| {
        let Some(v) = v else { return Ok(None) };
        let x = *v.get_ref();
        match check_bound(name, x) {
            Ok(()) => Ok(Some(x)),
            Err(e) => bad(v.span(), e),
        }
    };
    Ok(PowerChange {
        source_volts: check(raw.source_volts, "source-volts")?,
        cable_ohms: check(raw.cable_ohms, "cable-ohms")?,
        connector_ohms: check(raw.connector_ohms, "connector-ohms")?,
        capacitance_uf: check(raw.capacitance_uf, "capacitance-uf")?,
    })
}

/// Values a `Fault` accepts by type but that make no sense.
pub fn check_fault(f: &Fault) -> Result<(), String> {
    let in_bounds = |v: Option<f64>, name: &str| match v {
        Some(x) => check_bound(name, x),
        None => Ok(()),
    };
    match f {
        Fault::Power(p) => {
            if p == &PowerChange::default() {
                return Err("power: give at least one of source-volts, cable-ohms, connector-ohms, capacitance-uf".into());
            }
            in_bounds(p.source_volts, "source-volts")?;
            in_bounds(p.cable_ohms, "cable-ohms")?;
            in_bounds(p.connector_ohms, "connector-ohms")?;
            in_bounds(p.capacitance_uf, "capacitance-uf")
        }
        Fault::Responses { count: 0, .. } => Err("responses: count must be at least 1".into()),
        Fault::Responses {
            mangle: Mangle::Delay { by },
            ..
        } if by.is_zero() => Err("responses: a delay of 0 ms changes nothing".into()),
        Fault::Dhcp { count: 0, .. } => Err("dhcp: count must be at least 1".into()),
        Fault::Dhcp {
            answer: DhcpFault::Delay { by },
            ..
        } if by.is_zero() => Err("dhcp: a delay of 0 ms changes nothing".into()),
        Fault::SignalLoss { duration } if duration.is_zero() => {
            Err("signal-loss: duration-ms must be more than 0".into())
        }
        // A GPX track is read when the scenario is loaded (the caller's
        // I/O), and checked then.
        Fault::GnssTrack {
            waypoints,
            gpx: Some(_),
            ..
        } if waypoints.is_empty() => Ok(()),
        Fault::GnssTrack { gpx: Some(_), .. } => {
            Err("gnss-track: give waypoints or gpx, not both".into())
        }
        Fault::GnssTrack {
            speed_mps: Some(_), ..
        } => Err("gnss-track: speed-mps goes with gpx".into()),
        Fault::GnssTrack {
            waypoints, looped, ..
        } => crate::model::track::check(waypoints, *looped),
        Fault::GnssFixLost { duration } if duration.is_zero() => {
            Err("gnss-fix-lost: duration-ms must be more than 0".into())
        }
        Fault::GnssNoFix {
            duration: Some(duration),
        } if duration.is_zero() => Err("gnss-no-fix: duration-ms must be more than 0".into()),
        Fault::Sms { from, text, class } => {
            crate::model::sms::check_delivery(from, text, *class).map_err(|e| format!("sms: {e}"))
        }
        Fault::SmsReject { count: 0, .. } => Err("sms-reject: count must be at least 1".into()),
        _ => Ok(()),
    }
}

pub(crate) fn step(raw: RawStep, span: Range<usize>, lines: &LineIndex) -> Result<Step, Bad> {
    let trigger = match (raw.at_ms, raw.on, &raw.on_request) {
        (Some(at), None, None) => Trigger::At {
            at: Duration::from_millis(at),
            every: match &raw.every_ms {
                Some(e) if *e.get_ref() == 0 => {
                    return bad(e.span(), "every-ms must be more than 0")
                }
                Some(e) => Some(Duration::from_millis(*e.get_ref())),
                None => None,
            },
        },
        (None, Some(s), None) => Trigger::On(s),
        (None, None, Some(r)) => {
            Trigger::OnRequest(parse_request(r.get_ref()).map_err(|m| (r.span(), m))?)
        }
        (None, None, None) => {
            return bad(
                span,
                "step has no trigger: give one of at-ms, on, on-request",
            )
        }
        _ => {
            return bad(
                span,
                "step has more than one trigger: give only one of at-ms, on, on-request",
            )
        }
    };
    let at = matches!(trigger, Trigger::At { .. });
    if let (Some(e), false) = (&raw.every_ms, at) {
        return bad(e.span(), "every-ms goes with at-ms only");
    }
    if at && raw.repeat && raw.every_ms.is_none() {
        return bad(span, "repeat with at-ms needs every-ms");
    }
    let nth = match raw.nth {
        Some(n) if at => return bad(n.span(), "nth goes with on and on-request, not at-ms"),
        Some(n) if *n.get_ref() == 0 => return bad(n.span(), "nth counts from 1"),
        Some(n) => *n.get_ref(),
        None => 1,
    };
    let probability = match raw.probability {
        Some(p) if !(0.0..=1.0).contains(p.get_ref()) => {
            return bad(
                p.span(),
                format!("probability must be between 0 and 1, not {}", p.get_ref()),
            )
        }
        Some(p) => *p.get_ref(),
        None => 1.0,
    };
    let limit = match raw.limit {
        Some(l) if *l.get_ref() == 0 => return bad(l.span(), "limit must be at least 1"),
        Some(l) if !raw.repeat => return bad(l.span(), "limit goes with repeat = true"),
        Some(l) => Some(*l.get_ref()),
        None => None,
    };
    let fault_span = raw.inject.span();
    let fault = raw.inject.into_inner();
    check_fault(&fault).map_err(|m| (fault_span, m))?;
    Ok(Step {
        trigger,
        after: raw
            .after_ms
            .map(Spanned::into_inner)
            .unwrap_or(Delay::Fixed(Duration::ZERO)),
        nth,
        probability,
        repeat: raw.repeat,
        limit,
        fault,
        line: lines.line_col(span.start).0,
    })
}

impl<'de> Deserialize<'de> for Delay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Delay, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Delay;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("milliseconds, or [low, high] milliseconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Delay, E> {
                let ms =
                    u64::try_from(v).map_err(|_| E::custom("after-ms must not be negative"))?;
                Ok(Delay::Fixed(Duration::from_millis(ms)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Delay, E> {
                Ok(Delay::Fixed(Duration::from_millis(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Delay, A::Error> {
                let mut next = || -> Result<u64, A::Error> {
                    seq.next_element::<u64>()?
                        .ok_or_else(|| de::Error::custom("expected [low, high]"))
                };
                let (lo, hi) = (next()?, next()?);
                if seq.next_element::<u64>()?.is_some() {
                    return Err(de::Error::custom("expected [low, high]"));
                }
                if lo > hi {
                    return Err(de::Error::custom("after-ms: low is above high"));
                }
                Ok(Delay::Between(
                    Duration::from_millis(lo),
                    Duration::from_millis(hi),
                ))
            }
        }
        d.deserialize_any(V)
    }
}
