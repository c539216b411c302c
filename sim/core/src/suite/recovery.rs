//! Recovery times: from the module rejoining the bus to the host opening
//! the control channel, to the module registered, to data flowing.

use super::observation::{Kind, Obs};
use serde::Serialize;

/// One rejoin and how long each step of the recovery took from it
/// (`None`: not before the module left the bus again or the run ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Recovery {
    pub rejoined_ms: u64,
    pub control_open_ms: Option<u64>,
    pub registered_ms: Option<u64>,
    pub data_flowing_ms: Option<u64>,
}

/// Every rejoin of a run (observations in time order).
pub fn recoveries(obs: &[Obs]) -> Vec<Recovery> {
    let rejoins: Vec<u64> = obs
        .iter()
        .filter(|o| o.kind == Kind::RejoinedBus)
        .map(|o| o.t_ms)
        .collect();
    rejoins
        .iter()
        .map(|&a| {
            let gone = obs
                .iter()
                .find(|o| o.kind == Kind::LeftBus && o.t_ms > a)
                .map_or(u64::MAX, |o| o.t_ms);
            let first = |f: &dyn Fn(&Kind) -> bool| {
                obs.iter()
                    .find(|o| o.t_ms >= a && o.t_ms < gone && f(&o.kind))
                    .map(|o| o.t_ms - a)
            };
            Recovery {
                rejoined_ms: a,
                control_open_ms: first(&|k| *k == Kind::ControlOpened),
                registered_ms: first(&|k| {
                    *k == Kind::State(crate::scenario::DeviceState::Registered)
                }),
                data_flowing_ms: first(&|k| matches!(k, Kind::Packets(_))),
            }
        })
        .collect()
}

/// The spread of a set of durations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Spread {
    pub n: usize,
    pub min_ms: u64,
    pub median_ms: u64,
    pub max_ms: u64,
    pub mean_ms: f64,
    /// Population standard deviation.
    pub stddev_ms: f64,
}

impl Spread {
    pub fn of(values: &[u64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_unstable();
        let n = v.len();
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        Some(Spread {
            n,
            min_ms: v[0],
            median_ms: v[n / 2],
            max_ms: v[n - 1],
            mean_ms: mean,
            stddev_ms: var.sqrt(),
        })
    }
}

/// The spread of each recovery step over many rejoins.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RecoverySpread {
    pub rejoins: usize,
    pub control_open: Option<Spread>,
    pub registered: Option<Spread>,
    pub data_flowing: Option<Spread>,
}

impl RecoverySpread {
    pub fn of(all: &[Recovery]) -> RecoverySpread {
        let pick = |f: fn(&Recovery) -> Option<u64>| {
            Spread::of(&all.iter().filter_map(f).collect::<Vec<_>>())
        };
        RecoverySpread {
            rejoins: all.len(),
            control_open: pick(|r| r.control_open_ms),
            registered: pick(|r| r.registered_ms),
            data_flowing: pick(|r| r.data_flowing_ms),
        }
    }
}
