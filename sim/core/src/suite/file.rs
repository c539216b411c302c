//! The suite file (TOML): cases, each a scenario and expectations about
//! the host. Checked with places, as scenario files are.

use super::expect::{Act, Anchor, Expectation, Form, Target};
use crate::model::profile::LineIndex;
use crate::scenario::file::{self as scen, bad, Bad, RawPower, RawStep};
use crate::scenario::names::parse_request;
use crate::scenario::{DeviceState, Scenario, ScenarioError};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// At most this many cases, expectations per case, probes per case and
/// repeats: a suite is read by a person, and runs in real time.
pub const MAX_CASES: usize = 256;
pub const MAX_EXPECTATIONS: usize = 256;
pub const MAX_PROBES: usize = 32;
pub const MAX_REPEAT: u32 = 100;
/// The longest case and the longest deadline: a day.
pub const MAX_SECONDS: f64 = 86_400.0;

/// A checked suite.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    pub name: String,
    /// Seed of every case unless the case or `--seed` gives one.
    pub seed: u64,
    pub cases: Vec<Case>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    pub scenario: CaseScenario,
    /// The control function the module boots with (`qmi` or `mbim`);
    /// `None`: what the profile's composition implies.
    pub composition: Option<String>,
    /// How long the case runs from power-on, in ms.
    pub duration_ms: u64,
    /// Runs of the case, each from a fresh power-on.
    pub repeat: u32,
    pub expectations: Vec<Expectation>,
    pub probes: Vec<Probe>,
    /// 1-based line of the case.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CaseScenario {
    /// A scenario file, as written (relative to the suite file); loading
    /// it is the caller's I/O.
    File(String),
    /// Steps written in the case itself.
    Inline(Scenario),
}

/// A command run at the end of a case, for what only the host sees.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub name: String,
    /// Program and arguments (no shell).
    pub run: Vec<String>,
    /// The exit code that passes; `None`: recorded only.
    pub expect_exit: Option<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSuite {
    name: Option<String>,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    case: Vec<Spanned<RawCase>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCase {
    name: Spanned<String>,
    scenario: Option<Spanned<String>>,
    composition: Option<Spanned<String>>,
    seed: Option<u64>,
    profile: Option<String>,
    power: Option<Spanned<RawPower>>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
    duration_s: Spanned<f64>,
    repeat: Option<Spanned<u32>>,
    #[serde(default)]
    expect: Vec<Spanned<RawExpect>>,
    #[serde(default)]
    probe: Vec<Spanned<RawProbe>>,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawExpect {
    name: Option<String>,
    after: Option<Spanned<String>>,
    host: Option<Spanned<String>>,
    reaches: Option<Spanned<String>>,
    service: Option<Spanned<String>>,
    apn: Option<String>,
    modes: Option<Spanned<Vec<String>>>,
    request: Option<Spanned<String>>,
    count: Option<Spanned<u64>>,
    within_s: Option<Spanned<f64>>,
    never: Option<Spanned<bool>>,
    not_before: Option<Spanned<String>>,
    at_most_per_s: Option<Spanned<u64>>,
    expected_failure: Option<Spanned<String>>,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProbe {
    name: String,
    run: Spanned<Vec<String>>,
    expect_exit: Option<i32>,
}

impl Suite {
    /// Parses and checks a suite; `source_name` names the file in errors
    /// (`ScenarioError` is the one "file:line:col: message" error type).
    pub fn from_toml(text: &str, source_name: &str) -> Result<Suite, ScenarioError> {
        let lines = LineIndex::new(text);
        let place = |span: Option<Range<usize>>, message: String| {
            ScenarioError::placed(source_name, &lines, span, message)
        };
        let raw: RawSuite =
            toml::from_str(text).map_err(|e| place(e.span(), e.message().to_string()))?;
        if raw.case.is_empty() {
            return Err(place(None, "a suite needs at least one [[case]]".into()));
        }
        if raw.case.len() > MAX_CASES {
            let span = raw.case[MAX_CASES].span();
            return Err(place(Some(span), format!("more than {MAX_CASES} cases")));
        }
        let mut cases: Vec<Case> = Vec::with_capacity(raw.case.len());
        for c in raw.case {
            let span = c.span();
            let case = case(c.into_inner(), span.clone(), raw.seed, &lines)
                .map_err(|(s, m)| place(Some(s), m))?;
            if cases.iter().any(|c| c.name == case.name) {
                return Err(place(
                    Some(span),
                    format!("two cases are named `{}`: names must be unique", case.name),
                ));
            }
            cases.push(case);
        }
        let name = raw.name.unwrap_or_else(|| {
            let stem = source_name.rsplit('/').next().unwrap_or(source_name);
            stem.strip_suffix(".toml").unwrap_or(stem).to_string()
        });
        Ok(Suite {
            name,
            seed: raw.seed,
            cases,
        })
    }
}

fn seconds(v: &Spanned<f64>, key: &str) -> Result<u64, Bad> {
    let x = *v.get_ref();
    if !x.is_finite() || x <= 0.0 || x > MAX_SECONDS {
        return bad(
            v.span(),
            format!("{key} must be more than 0 and at most {MAX_SECONDS} seconds, not {x}"),
        );
    }
    Ok((x * 1000.0).round().max(1.0) as u64)
}

fn case(raw: RawCase, span: Range<usize>, suite_seed: u64, lines: &LineIndex) -> Result<Case, Bad> {
    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
        return bad(
            raw.name.span(),
            "a case name is 1 to 200 printable characters",
        );
    }
    let inline = raw.profile.is_some() || raw.power.is_some() || !raw.step.is_empty();
    let scenario = match (raw.scenario, inline) {
        (Some(s), _) if raw.seed.is_some() => {
            return bad(
                s.span(),
                "seed goes with inline steps: a scenario file has its own (or use --seed)",
            )
        }
        (Some(s), true) => {
            return bad(
                s.span(),
                "give either scenario = FILE or inline steps (step, power, profile), not both",
            )
        }
        (Some(s), false) => {
            if s.get_ref().is_empty() {
                return bad(s.span(), "scenario: an empty path");
            }
            CaseScenario::File(s.into_inner())
        }
        (None, _) => {
            let power = match raw.power {
                Some(p) => Some(scen::power(p.into_inner())?),
                None => None,
            };
            let steps = raw
                .step
                .into_iter()
                .map(|s| {
                    let span = s.span();
                    scen::step(s.into_inner(), span, lines)
                })
                .collect::<Result<_, _>>()?;
            CaseScenario::Inline(Scenario {
                seed: raw.seed.unwrap_or(suite_seed),
                profile: raw.profile,
                power,
                steps,
            })
        }
    };
    let composition = match raw.composition {
        Some(c) if !["qmi", "mbim"].contains(&c.get_ref().as_str()) => {
            return bad(
                c.span(),
                format!("composition is qmi or mbim, not `{}`", c.get_ref()),
            )
        }
        c => c.map(Spanned::into_inner),
    };
    let duration_ms = seconds(&raw.duration_s, "duration-s")?;
    let repeat = match raw.repeat {
        Some(r) if !(1..=MAX_REPEAT).contains(r.get_ref()) => {
            return bad(r.span(), format!("repeat is 1 to {MAX_REPEAT}"))
        }
        Some(r) => r.into_inner(),
        None => 1,
    };
    if raw.expect.is_empty() {
        return bad(span, "a case needs at least one [[case.expect]]");
    }
    if raw.expect.len() > MAX_EXPECTATIONS {
        return bad(
            raw.expect[MAX_EXPECTATIONS].span(),
            format!("more than {MAX_EXPECTATIONS} expectations in one case"),
        );
    }
    if raw.probe.len() > MAX_PROBES {
        return bad(
            raw.probe[MAX_PROBES].span(),
            format!("more than {MAX_PROBES} probes in one case"),
        );
    }
    let expectations = raw
        .expect
        .into_iter()
        .map(|e| {
            let span = e.span();
            expectation(e.into_inner(), span, duration_ms)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let probes = raw
        .probe
        .into_iter()
        .map(|p| {
            let p = p.into_inner();
            if p.run.get_ref().is_empty() || p.run.get_ref()[0].is_empty() {
                return bad(p.run.span(), "run: give the program and its arguments");
            }
            Ok(Probe {
                name: p.name,
                run: p.run.into_inner(),
                expect_exit: p.expect_exit,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Case {
        name,
        scenario,
        composition,
        duration_ms,
        repeat,
        expectations,
        probes,
        line: lines.line_col(span.start).0,
    })
}

fn anchor(s: &Spanned<String>) -> Result<Anchor, Bad> {
    Anchor::parse(s.get_ref()).map_err(|m| (s.span(), m))
}

fn expectation(raw: RawExpect, span: Range<usize>, duration_ms: u64) -> Result<Expectation, Bad> {
    let after = match &raw.after {
        Some(a) => anchor(a)?,
        None => Anchor::PowerOn,
    };
    let target = match (&raw.host, &raw.reaches) {
        (Some(h), None) => Target::Host(act(&raw, h)?),
        (None, Some(r)) => {
            let state = toml::Value::String(r.get_ref().clone())
                .try_into::<DeviceState>()
                .map_err(|_| {
                    let names: Vec<_> = DeviceState::ALL.iter().map(|s| s.name()).collect();
                    (
                        r.span(),
                        format!(
                            "unknown state `{}`, expected one of {}",
                            r.get_ref(),
                            names.join(", ")
                        ),
                    )
                })?;
            Target::Reaches(state)
        }
        (None, None) => return bad(span, "an expectation names host = ACT or reaches = STATE"),
        (Some(h), Some(_)) => return bad(h.span(), "give host or reaches, not both"),
    };
    // Keys that belong to one act only.
    let host_act = match &target {
        Target::Host(a) => Some(a),
        Target::Reaches(_) => None,
    };
    let wrong = |key: &str, span: Range<usize>| -> Result<(), Bad> {
        bad(span, format!("{key} does not go with this act"))
    };
    if let Some(s) = &raw.service {
        if !matches!(host_act, Some(Act::AllocatesClient { .. })) {
            wrong("service", s.span())?;
        }
    }
    if let Some(m) = &raw.modes {
        if !matches!(host_act, Some(Act::SetsModePreference { .. })) {
            wrong("modes", m.span())?;
        }
    }
    if let Some(r) = &raw.request {
        if !matches!(host_act, Some(Act::SendsRequest { .. })) {
            wrong("request", r.span())?;
        }
    }
    if let Some(c) = &raw.count {
        if !matches!(host_act, Some(Act::SendsPackets { .. })) {
            wrong("count", c.span())?;
        }
    }
    if raw.apn.is_some() && !matches!(host_act, Some(Act::StartsNetwork { .. })) {
        return bad(span, "apn goes with host = \"starts-network\"");
    }
    let forms = [
        raw.within_s.is_some(),
        raw.never.is_some(),
        raw.not_before.is_some(),
        raw.at_most_per_s.is_some(),
    ];
    let form = match forms.iter().filter(|&&f| f).count() {
        1 => {
            if let Some(w) = &raw.within_s {
                let ms = seconds(w, "within-s")?;
                if ms > duration_ms {
                    return bad(
                        w.span(),
                        "within-s is longer than the case's duration-s: it could never be judged",
                    );
                }
                Form::Within { ms }
            } else if let Some(n) = &raw.never {
                if !*n.get_ref() {
                    return bad(n.span(), "never = false says nothing: leave it out");
                }
                Form::Never
            } else if let Some(nb) = &raw.not_before {
                Form::NotBefore(anchor(nb)?)
            } else {
                let r = raw.at_most_per_s.as_ref().unwrap();
                if *r.get_ref() == 0 {
                    return bad(r.span(), "at-most-per-s is at least 1: use never = true");
                }
                Form::AtMostPerSecond(*r.get_ref())
            }
        }
        0 => {
            return bad(
                span,
                "an expectation needs one of within-s, never, not-before, at-most-per-s",
            )
        }
        _ => {
            return bad(
                span,
                "give only one of within-s, never, not-before, at-most-per-s",
            )
        }
    };
    if matches!(target, Target::Reaches(_)) && !matches!(form, Form::Within { .. } | Form::Never) {
        return bad(
            span,
            "reaches goes with within-s or never: rates and not-before judge the host",
        );
    }
    let expected_failure = match raw.expected_failure {
        Some(r) if r.get_ref().trim().is_empty() => {
            return bad(r.span(), "expected-failure: give the reason")
        }
        Some(r) => Some(r.into_inner()),
        None => None,
    };
    let mut e = Expectation {
        name: String::new(),
        after,
        target,
        form,
        expected_failure,
    };
    e.name = raw.name.unwrap_or_else(|| e.describe());
    Ok(e)
}

fn act(raw: &RawExpect, h: &Spanned<String>) -> Result<Act, Bad> {
    Ok(match h.get_ref().as_str() {
        "opens-control" => Act::OpensControl,
        "allocates-client" => {
            let Some(s) = &raw.service else {
                return bad(
                    h.span(),
                    "allocates-client needs service = \"wds\" (or dms, nas, uim, wda)",
                );
            };
            let svc = s.get_ref().to_ascii_lowercase();
            if !crate::qmi::catalogue().iter().any(|(n, _, _)| *n == svc) {
                return bad(s.span(), format!("unknown QMI service `{}`", s.get_ref()));
            }
            Act::AllocatesClient { service: svc }
        }
        "verifies-pin" => Act::VerifiesPin,
        "starts-network" => Act::StartsNetwork {
            apn: raw.apn.clone(),
        },
        "sends-packets" => Act::SendsPackets {
            count: match &raw.count {
                Some(c) if *c.get_ref() == 0 => return bad(c.span(), "count is at least 1"),
                Some(c) => *c.get_ref(),
                None => 1,
            },
        },
        "writes-boot-loader" => Act::WritesBootLoader,
        "sets-mode-preference" => {
            let Some(m) = &raw.modes else {
                return bad(
                    h.span(),
                    "sets-mode-preference needs modes = [\"umts\"] (gsm, umts, lte)",
                );
            };
            let mut modes = m.get_ref().clone();
            if modes.is_empty() {
                return bad(m.span(), "modes: name at least one of gsm, umts, lte");
            }
            if let Some(x) = modes
                .iter()
                .find(|x| !["gsm", "umts", "lte"].contains(&x.as_str()))
            {
                return bad(
                    m.span(),
                    format!("unknown mode `{x}`, expected gsm, umts or lte"),
                );
            }
            modes.sort();
            modes.dedup();
            Act::SetsModePreference { modes }
        }
        "sends-request" => Act::SendsRequest {
            request: match &raw.request {
                Some(r) => {
                    let id = parse_request(r.get_ref()).map_err(|m| (r.span(), m))?;
                    Some(request_name(id))
                }
                None => None,
            },
        },
        other => {
            return bad(
                h.span(),
                format!(
                    "unknown act `{other}`, expected one of {}",
                    Act::NAMES.join(", ")
                ),
            )
        }
    })
}

/// "service/message" as the event log names a request: the message
/// tables' names, numbers where a table has none.
fn request_name(id: crate::scenario::names::RequestId) -> String {
    let catalogue = crate::qmi::catalogue();
    let svc = catalogue.iter().find(|(_, s, _)| *s == id.service);
    let service = svc
        .map(|(n, _, _)| n.to_string())
        .unwrap_or_else(|| format!("0x{:02x}", id.service.0));
    let message = svc
        .and_then(|(_, _, list)| list.iter().find(|m| m.id == id.message))
        .map(|m| m.name.to_string())
        .unwrap_or_else(|| format!("0x{:04x}", id.message));
    format!("{service}/{message}")
}
