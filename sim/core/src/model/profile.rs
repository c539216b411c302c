//! The profile: every identity and network value of one simulated unit.

use serde::Deserialize;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The default profile's text, as shipped.
pub const DEFAULT_PROFILE: &str = include_str!("../../profiles/em7305.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub identity: Identity,
    pub sim: SimProfile,
    pub network: NetworkProfile,
    /// Optional, so profiles written before GPS existed stay valid.
    #[serde(default)]
    pub gps: GpsProfile,
    /// Supply and load; optional, a healthy set-up by default.
    #[serde(default)]
    pub power: super::power_setup::PowerSetup,
    /// Reset down times and the boot-loader failsafe; optional.
    #[serde(default)]
    pub resets: super::reset_policy::ResetPolicy,
    /// The boot loader the failsafe falls back to (optional).
    #[serde(default)]
    pub bootloader: crate::bootloader::BootloaderProfile,
}

/// Where the simulated GNSS receiver finds itself.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GpsProfile {
    /// Degrees, north positive.
    pub latitude: f64,
    /// Degrees, east positive.
    pub longitude: f64,
    /// Metres above mean sea level.
    pub altitude_m: f64,
    /// Tracking starts at power-on, as with Sierra's GPS autostart.
    pub autostart: bool,
}

impl Default for GpsProfile {
    fn default() -> Self {
        // Sierra Wireless's home town, Richmond BC.
        GpsProfile {
            latitude: 49.1666,
            longitude: -123.1336,
            altitude_m: 10.0,
            autostart: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub manufacturer: String,
    pub model: String,
    pub revision: String,
    pub hardware_revision: String,
    pub imei: String,
    pub imei_sv: String,
    pub esn: String,
    pub meid: String,
    pub serial: String,
    pub boot_version: String,
    pub amss_version: String,
    pub sku: String,
    pub carrier: String,
    pub carrier_id: String,
    pub pri_version: String,
    pub config_version: String,
    pub usb_composition: u8,
    pub usb_compositions_supported: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimProfile {
    pub iccid: String,
    pub imsi: String,
    pub msisdn: String,
    pub spn: String,
    pub pin: String,
    pub puk: String,
    pub pin_enabled: bool,
    pub pin_retries: u8,
    pub puk_retries: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Technology {
    Lte,
    Umts,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkProfile {
    pub mcc: String,
    pub mnc: String,
    pub operator_name: String,
    pub technologies: Vec<Technology>,
    pub register_delay_ms: u64,
    pub tac: u16,
    pub cell_id: u32,
    pub lte_band: u16,
    pub lte_earfcn: u16,
    pub umts_band: u16,
    pub umts_uarfcn: u16,
    pub rssi_dbm: i8,
    pub rsrp_dbm: i16,
    pub rsrq_db: i8,
    pub snr_db: i16,
    pub ecio_db: i8,
    pub apn: Vec<ApnProfile>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApnProfile {
    pub name: String,
    pub ipv4_address: Ipv4Addr,
    pub ipv4_prefix: u8,
    pub ipv4_gateway: Ipv4Addr,
    pub ipv4_dns: Vec<Ipv4Addr>,
    pub ipv6_address: Option<Ipv6Addr>,
    #[serde(default = "default_v6_prefix")]
    pub ipv6_prefix: u8,
    pub ipv6_gateway: Option<Ipv6Addr>,
    #[serde(default)]
    pub ipv6_dns: Vec<Ipv6Addr>,
    pub mtu: u32,
}

fn default_v6_prefix() -> u8 {
    64
}

/// A profile that failed to load: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("{0}")]
    Syntax(String),
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
}

impl Profile {
    /// Parses and validates a profile; `source` names the file in errors.
    pub fn from_toml(text: &str, source: &str) -> Result<Profile, ProfileError> {
        let p: Profile = toml::from_str(text).map_err(|e| {
            let pos = e
                .span()
                .map(|s| line_col(text, s.start))
                .map(|(l, c)| format!("{source}:{l}:{c}: "))
                .unwrap_or_else(|| format!("{source}: "));
            ProfileError::Syntax(format!("{pos}{}", e.message()))
        })?;
        p.validate()?;
        Ok(p)
    }

    fn validate(&self) -> Result<(), ProfileError> {
        let bad = |field, problem: &str| {
            Err(ProfileError::Invalid {
                field,
                problem: problem.to_string(),
            })
        };
        let id = &self.identity;
        if id.imei.len() != 15 || !id.imei.bytes().all(|b| b.is_ascii_digit()) {
            return bad("identity.imei", "expected 15 decimal digits");
        }
        if !super::identity::luhn_valid(&id.imei) {
            return bad(
                "identity.imei",
                "the last digit is not the Luhn check digit",
            );
        }
        if !id.usb_compositions_supported.contains(&id.usb_composition) {
            return bad(
                "identity.usb_composition",
                "not in usb_compositions_supported",
            );
        }
        let sim = &self.sim;
        if !(4..=8).contains(&sim.pin.len()) || !sim.pin.bytes().all(|b| b.is_ascii_digit()) {
            return bad("sim.pin", "expected 4 to 8 digits");
        }
        if sim.puk.len() != 8 || !sim.puk.bytes().all(|b| b.is_ascii_digit()) {
            return bad("sim.puk", "expected 8 digits");
        }
        if !(6..=15).contains(&sim.imsi.len()) || !sim.imsi.bytes().all(|b| b.is_ascii_digit()) {
            return bad("sim.imsi", "expected 6 to 15 digits");
        }
        if !(18..=20).contains(&sim.iccid.len()) || !sim.iccid.bytes().all(|b| b.is_ascii_digit()) {
            return bad("sim.iccid", "expected 18 to 20 digits");
        }
        let net = &self.network;
        if net.mcc.len() != 3 || !net.mcc.bytes().all(|b| b.is_ascii_digit()) {
            return bad("network.mcc", "expected 3 digits");
        }
        if !(2..=3).contains(&net.mnc.len()) || !net.mnc.bytes().all(|b| b.is_ascii_digit()) {
            return bad("network.mnc", "expected 2 or 3 digits");
        }
        if net.technologies.is_empty() {
            return bad("network.technologies", "expected at least one of lte, umts");
        }
        let gps = &self.gps;
        if !(-90.0..=90.0).contains(&gps.latitude) || !(-180.0..=180.0).contains(&gps.longitude) {
            return bad("gps", "latitude or longitude out of range");
        }
        if self.bootloader.qdl_min_version > self.bootloader.qdl_version {
            return bad("bootloader.qdl_min_version", "greater than qdl_version");
        }
        for a in &net.apn {
            if a.ipv4_prefix > 32 || a.ipv6_prefix > 128 {
                return bad("network.apn", "prefix length out of range");
            }
        }
        Ok(())
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::from_toml(DEFAULT_PROFILE, "default profile").expect("shipped profile is valid")
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_profile_loads() {
        let p = Profile::default();
        assert_eq!(p.identity.model, "EM7305");
        assert_eq!(p.sim.pin, "1234");
        assert_eq!(p.network.apn[0].name, "internet");
    }

    #[test]
    fn unknown_key_is_an_error_with_place() {
        let text = DEFAULT_PROFILE.replace("[sim]\n", "[sim]\ncolour = \"red\"\n");
        let e = Profile::from_toml(&text, "my.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("my.toml:"), "{e}");
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn gps_section_is_optional() {
        let start = DEFAULT_PROFILE.find("[gps]").unwrap();
        let end = DEFAULT_PROFILE[start..].find("\n\n").unwrap() + start;
        let text = format!("{}{}", &DEFAULT_PROFILE[..start], &DEFAULT_PROFILE[end..]);
        let p = Profile::from_toml(&text, "old").unwrap();
        assert_eq!(p.gps, GpsProfile::default());
    }

    #[test]
    fn bad_imei_check_digit_is_named() {
        let text = DEFAULT_PROFILE.replace("359225050024702", "359225050024700");
        let e = Profile::from_toml(&text, "x").unwrap_err();
        assert!(matches!(
            e,
            ProfileError::Invalid {
                field: "identity.imei",
                ..
            }
        ));
    }
}
