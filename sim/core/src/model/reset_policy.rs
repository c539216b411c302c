//! The `[resets]` profile section: how long the module stays off the bus
//! after an unplanned reset, and when the boot-loader failsafe trips.
//! docs/faults.md explains the defaults.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPolicy")]
pub struct ResetPolicy {
    /// Off-bus time of a reset, drawn uniformly from this range (ms).
    pub down_ms_min: u64,
    pub down_ms_max: u64,
    /// The failsafe trips on this many counted resets...
    pub failsafe_resets: u32,
    /// ...within this window (ms). Zero resets disable it.
    pub failsafe_window_ms: u64,
    /// Whether resets the host asked for count towards the failsafe.
    pub failsafe_counts_host_resets: bool,
}

impl Default for ResetPolicy {
    fn default() -> Self {
        ResetPolicy {
            down_ms_min: 1000,
            down_ms_max: 2000,
            failsafe_resets: 5,
            failsafe_window_ms: 300_000,
            failsafe_counts_host_resets: false,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
struct RawPolicy {
    down_ms_min: u64,
    down_ms_max: u64,
    failsafe_resets: u32,
    failsafe_window_ms: u64,
    failsafe_counts_host_resets: bool,
}

impl Default for RawPolicy {
    fn default() -> Self {
        let d = ResetPolicy::default();
        RawPolicy {
            down_ms_min: d.down_ms_min,
            down_ms_max: d.down_ms_max,
            failsafe_resets: d.failsafe_resets,
            failsafe_window_ms: d.failsafe_window_ms,
            failsafe_counts_host_resets: d.failsafe_counts_host_resets,
        }
    }
}

impl TryFrom<RawPolicy> for ResetPolicy {
    type Error = String;
    fn try_from(r: RawPolicy) -> Result<Self, String> {
        if r.down_ms_min > r.down_ms_max {
            return Err("down-ms-min exceeds down-ms-max".into());
        }
        if r.failsafe_resets > 0 && r.failsafe_window_ms == 0 {
            return Err("failsafe-window-ms must be above zero".into());
        }
        Ok(ResetPolicy {
            down_ms_min: r.down_ms_min,
            down_ms_max: r.down_ms_max,
            failsafe_resets: r.failsafe_resets,
            failsafe_window_ms: r.failsafe_window_ms,
            failsafe_counts_host_resets: r.failsafe_counts_host_resets,
        })
    }
}
