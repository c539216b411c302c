//! The `[power]` profile section: what feeds the module and what it draws.
//! docs/power.md gives the source (or says "assumption") of every default.

use serde::{Deserialize, Deserializer, Serialize};

/// Supply path and load of one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawSetup")]
pub struct PowerSetup {
    /// VBUS at the host's port, volts.
    pub source_volts: f64,
    /// Round-trip resistance of the cable (VBUS and ground wires), ohms.
    pub cable_ohms: f64,
    /// Round-trip contact resistance of the connectors, ohms.
    pub connector_ohms: f64,
    /// Bulk capacitance at the module's supply input, microfarads.
    pub capacitance_uf: f64,
    /// Below this at the module's input the brownout reset fires...
    pub brownout_volts: f64,
    /// ...once the supply has stayed below it this long, milliseconds.
    pub brownout_holdoff_ms: f64,
    pub load: LoadTable,
}

/// Current drawn at the module's supply input, amps, per radio state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
pub struct LoadTable {
    /// Firmware not running (in reset, crashed).
    #[serde(deserialize_with = "amps")]
    pub off_amps: f64,
    /// Radio off (low power, offline) or boot loader.
    #[serde(deserialize_with = "amps")]
    pub low_power_amps: f64,
    /// Radio on, camped or without service, no data.
    #[serde(deserialize_with = "amps")]
    pub idle_amps: f64,
    /// How long the attach procedure lasts after registration.
    pub attach_ms: u64,
    pub umts: RatLoad,
    pub lte: RatLoad,
}

/// The load of one radio technology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RatLoad {
    #[serde(deserialize_with = "amps")]
    pub search_amps: f64,
    #[serde(deserialize_with = "amps")]
    pub attach_amps: f64,
    #[serde(deserialize_with = "amps")]
    pub traffic_amps: f64,
    /// The transmit burst on entering attach (random access at full power).
    pub attach_peak: Peak,
    /// Bursts repeated while searching and during traffic.
    pub periodic_peak: Peak,
    /// Start-to-start time of the periodic bursts.
    pub peak_period_ms: u64,
}

/// A transmit burst: this current instead of the state's, for this long.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Peak {
    #[serde(deserialize_with = "amps")]
    pub amps: f64,
    pub ms: u64,
}

impl Default for PowerSetup {
    fn default() -> Self {
        PowerSetup {
            source_volts: 5.0,
            cable_ohms: 0.25,
            connector_ohms: 0.05,
            capacitance_uf: 100.0,
            brownout_volts: 3.3,
            brownout_holdoff_ms: 1.0,
            load: LoadTable::default(),
        }
    }
}

impl Default for LoadTable {
    fn default() -> Self {
        LoadTable {
            off_amps: 0.002,
            low_power_amps: 0.03,
            idle_amps: 0.08,
            attach_ms: 2000,
            umts: RatLoad {
                search_amps: 0.25,
                attach_amps: 0.35,
                traffic_amps: 0.45,
                attach_peak: Peak { amps: 0.9, ms: 5 },
                periodic_peak: Peak { amps: 0.9, ms: 2 },
                peak_period_ms: 1000,
            },
            lte: RatLoad {
                search_amps: 0.3,
                attach_amps: 0.45,
                traffic_amps: 0.6,
                attach_peak: Peak { amps: 1.6, ms: 5 },
                periodic_peak: Peak { amps: 1.0, ms: 2 },
                peak_period_ms: 1000,
            },
        }
    }
}

impl PowerSetup {
    /// Cable and connector together.
    pub fn ohms(&self) -> f64 {
        self.cable_ohms + self.connector_ohms
    }

    /// The checks a loaded or changed set-up must pass. Every figure lies
    /// in its [`BOUNDS`] range; the error names the field and the range.
    pub fn check(&self) -> Result<(), String> {
        for (key, v) in [
            ("source-volts", self.source_volts),
            ("cable-ohms", self.cable_ohms),
            ("connector-ohms", self.connector_ohms),
            ("capacitance-uf", self.capacitance_uf),
            ("brownout-holdoff-ms", self.brownout_holdoff_ms),
        ] {
            check_bound(key, v)?;
        }
        if !self.brownout_volts.is_finite()
            || self.brownout_volts <= 0.0
            || self.brownout_volts >= self.source_volts
        {
            return Err(format!(
                "brownout-volts must lie between 0 and source-volts {} V, not {}",
                self.source_volts, self.brownout_volts
            ));
        }
        let l = &self.load;
        let mut amps = vec![
            ("load.off-amps", l.off_amps),
            ("load.low-power-amps", l.low_power_amps),
            ("load.idle-amps", l.idle_amps),
        ];
        for (name, rat) in [("umts", &l.umts), ("lte", &l.lte)] {
            if rat.peak_period_ms <= rat.periodic_peak.ms {
                return Err(format!(
                    "load.{name}: peak-period-ms must exceed periodic-peak.ms"
                ));
            }
            for v in [
                rat.search_amps,
                rat.attach_amps,
                rat.traffic_amps,
                rat.attach_peak.amps,
                rat.periodic_peak.amps,
            ] {
                amps.push((
                    if name == "umts" {
                        "load.umts"
                    } else {
                        "load.lte"
                    },
                    v,
                ));
            }
        }
        for (name, v) in amps {
            if !(v.is_finite() && AMPS.contains(&v)) {
                return Err(format!(
                    "{name}: a current must lie in {} to {} A, not {v}",
                    AMPS.start(),
                    AMPS.end()
                ));
            }
        }
        Ok(())
    }
}

/// A figure's allowed range, and why (docs/power.md, "Bounds").
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    /// The key in a profile (snake_case); scenarios and `vmodem ctl power`
    /// spell it with dashes.
    pub key: &'static str,
    pub min: f64,
    pub max: f64,
    pub unit: &'static str,
}

/// Every set-up figure a profile, a scenario or `vmodem ctl power` may set.
/// Outside these ranges the model would still be solvable, but no USB
/// set-up looks like that: a cable of more than 10 Ω cannot carry even the
/// boot current, 30 V is beyond any USB power delivery contract, and a
/// capacitor outside 0.1 µF to 100 mF is not a module's bulk capacitor.
pub const BOUNDS: [Bound; 5] = [
    Bound {
        key: "source-volts",
        min: 0.5,
        max: 30.0,
        unit: "V",
    },
    Bound {
        key: "cable-ohms",
        min: 0.0,
        max: 10.0,
        unit: "Ω",
    },
    Bound {
        key: "connector-ohms",
        min: 0.0,
        max: 10.0,
        unit: "Ω",
    },
    Bound {
        key: "capacitance-uf",
        min: 0.1,
        max: 100_000.0,
        unit: "µF",
    },
    Bound {
        key: "brownout-holdoff-ms",
        min: 0.0,
        max: 10_000.0,
        unit: "ms",
    },
];

/// Currents of the load table, amps.
pub const AMPS: std::ops::RangeInclusive<f64> = 0.0..=10.0;

/// The bound of `key` (kebab-case, or the old snake_case).
pub fn bound(key: &str) -> Option<Bound> {
    let key = key.replace('_', "-");
    BOUNDS.iter().copied().find(|b| b.key == key)
}

/// Checks `v` against the bound of `key`; the error names `key` as given
/// and the allowed range.
pub fn check_bound(key: &str, v: f64) -> Result<(), String> {
    let Some(b) = bound(key) else {
        return Ok(());
    };
    if v.is_finite() && (b.min..=b.max).contains(&v) {
        Ok(())
    } else {
        Err(format!(
            "{key} must lie in {} to {} {}, not {v}",
            b.min, b.max, b.unit
        ))
    }
}

/// The same fields without the cross-field checks, for `try_from`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
struct RawSetup {
    #[serde(deserialize_with = "volts")]
    source_volts: f64,
    #[serde(deserialize_with = "ohms")]
    cable_ohms: f64,
    #[serde(deserialize_with = "ohms")]
    connector_ohms: f64,
    #[serde(deserialize_with = "farads")]
    capacitance_uf: f64,
    #[serde(deserialize_with = "volts")]
    brownout_volts: f64,
    #[serde(deserialize_with = "ohms")]
    brownout_holdoff_ms: f64,
    load: LoadTable,
}

impl Default for RawSetup {
    fn default() -> Self {
        let d = PowerSetup::default();
        RawSetup {
            source_volts: d.source_volts,
            cable_ohms: d.cable_ohms,
            connector_ohms: d.connector_ohms,
            capacitance_uf: d.capacitance_uf,
            brownout_volts: d.brownout_volts,
            brownout_holdoff_ms: d.brownout_holdoff_ms,
            load: d.load,
        }
    }
}

impl TryFrom<RawSetup> for PowerSetup {
    type Error = String;
    fn try_from(r: RawSetup) -> Result<Self, String> {
        let s = PowerSetup {
            source_volts: r.source_volts,
            cable_ohms: r.cable_ohms,
            connector_ohms: r.connector_ohms,
            capacitance_uf: r.capacitance_uf,
            brownout_volts: r.brownout_volts,
            brownout_holdoff_ms: r.brownout_holdoff_ms,
            load: r.load,
        };
        s.check().map(|()| s)
    }
}

/// A number within `range`; errors carry the value's place in the file.
fn bounded<'de, D: Deserializer<'de>>(
    d: D,
    what: &str,
    ok: impl Fn(f64) -> bool,
) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && ok(v) {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!("{what}, not {v}")))
    }
}

fn ohms<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    bounded(d, "expected zero or more", |v| v >= 0.0)
}
fn amps<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    bounded(d, "expected a current of zero or more amps", |v| v >= 0.0)
}
fn volts<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    bounded(d, "expected a voltage above zero", |v| v > 0.0)
}
fn farads<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    bounded(d, "expected a capacitance above zero", |v| v > 0.0)
}
