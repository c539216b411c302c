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
#[serde(deny_unknown_fields, default)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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

    /// The checks a loaded or changed set-up must pass.
    pub fn check(&self) -> Result<(), String> {
        let finite = [
            self.source_volts,
            self.cable_ohms,
            self.connector_ohms,
            self.capacitance_uf,
            self.brownout_volts,
            self.brownout_holdoff_ms,
        ]
        .iter()
        .all(|v| v.is_finite());
        if !finite {
            return Err("every figure must be a finite number".into());
        }
        if !(0.0..=30.0).contains(&self.source_volts) || self.source_volts == 0.0 {
            return Err(format!(
                "source_volts {} is not a usable supply (0 to 30 V)",
                self.source_volts
            ));
        }
        if self.cable_ohms < 0.0 || self.connector_ohms < 0.0 {
            return Err("resistance cannot be negative".into());
        }
        if self.capacitance_uf <= 0.0 {
            return Err("capacitance_uf must be above zero".into());
        }
        if self.brownout_volts <= 0.0 || self.brownout_volts >= self.source_volts {
            return Err(format!(
                "brownout_volts {} must lie between 0 and source_volts {}",
                self.brownout_volts, self.source_volts
            ));
        }
        if self.brownout_holdoff_ms < 0.0 {
            return Err("brownout_holdoff_ms cannot be negative".into());
        }
        for (name, rat) in [("umts", &self.load.umts), ("lte", &self.load.lte)] {
            if rat.peak_period_ms <= rat.periodic_peak.ms {
                return Err(format!(
                    "load.{name}: peak_period_ms must exceed periodic_peak.ms"
                ));
            }
        }
        Ok(())
    }
}

/// The same fields without the cross-field checks, for `try_from`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
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
