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
    /// Message stores and the SMS centre; optional.
    #[serde(default)]
    pub sms: super::sms::SmsProfile,
    /// Supply and load; optional, a healthy set-up by default.
    #[serde(default)]
    pub power: super::power_setup::PowerSetup,
    /// Reset down times and the boot-loader failsafe; optional.
    #[serde(default)]
    pub resets: super::reset_policy::ResetPolicy,
    /// The network's date, time and zone (optional).
    #[serde(default)]
    pub time: super::clock::TimeProfile,
    /// The boot loader the failsafe falls back to (optional).
    #[serde(default)]
    pub bootloader: crate::bootloader::BootloaderProfile,
    /// What MBIM offers beyond Basic Connect (optional).
    #[serde(default)]
    pub mbim: super::mbim_setup::MbimSetup,
}

/// Where the simulated GNSS receiver finds itself.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
pub struct GpsProfile {
    /// Degrees, north positive.
    pub latitude: f64,
    /// Degrees, east positive.
    pub longitude: f64,
    /// Metres above mean sea level.
    pub altitude_m: f64,
    /// Tracking starts at power-on, as with Sierra's GPS autostart.
    pub autostart: bool,
    /// How the first session after power-on starts: "cold", "warm" or
    /// "hot" (the time to first fix, `model::gnss`).
    pub first_start: super::gnss::StartKind,
}

impl Default for GpsProfile {
    fn default() -> Self {
        // Sierra Wireless's home town, Richmond BC.
        GpsProfile {
            latitude: 49.1666,
            longitude: -123.1336,
            altitude_m: 10.0,
            autostart: false,
            first_start: super::gnss::StartKind::Hot,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
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
    /// The application firmware's USB IDs and product string: a Sierra
    /// EM7305 by default, an OEM's for its rebranded units (`units.rs`).
    #[serde(default = "sierra_vid")]
    pub usb_vendor_id: u16,
    #[serde(default = "application_pid")]
    pub usb_product_id: u16,
    /// iProduct; the model when absent.
    #[serde(default)]
    pub usb_product: Option<String>,
}

fn sierra_vid() -> u16 {
    super::hardware::SIERRA_VID
}

fn application_pid() -> u16 {
    super::hardware::PID_APPLICATION
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
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
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
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
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
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
    /// A value of the right type that the real module could not have:
    /// `place` is `file:line:col: ` (or `file: ` for a value not written).
    #[error("{place}{field}: {problem}")]
    Invalid {
        place: String,
        field: String,
        problem: String,
    },
}

/// Field sizes the real fields allow.
pub mod limits {
    /// USB string descriptors: bLength is one byte, so 126 UTF-16 units.
    pub const USB_STRING_UNITS: usize = 126;
    /// QMI strings with a one-byte length (operator name, SPN, APN name).
    pub const QMI_STR_U8: usize = 255;
    /// MBIM AccessString (the APN): 100 characters.
    pub const MBIM_ACCESS_STRING: usize = 100;
    /// Any other string: QMI carries a few of them in one message of at
    /// most 65535 bytes, so each stays far below that.
    pub const STRING: usize = 1024;
    /// Altitude, metres: from the Dead Sea shore to a high balloon.
    pub const ALTITUDE_M: core::ops::RangeInclusive<f64> = -1000.0..=100_000.0;
}

/// `what` must be `n` to `m` decimal digits.
fn digits(v: &str, n: usize, m: usize, what: &str) -> Result<(), String> {
    if (n..=m).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    let want = if n == m {
        format!("{n}")
    } else {
        format!("{n} to {m}")
    };
    Err(format!(
        "expected {want} decimal digits ({what}), not {v:?}"
    ))
}

impl Profile {
    /// Parses and validates a profile; `source` names the file in errors.
    /// Keys in the old snake_case spelling are accepted
    /// ([`crate::model::key_spelling`]).
    pub fn from_toml(text: &str, source: &str) -> Result<Profile, ProfileError> {
        // Same byte offsets as `text`: places stay those of the file.
        let (kebab, _) = crate::model::key_spelling::to_kebab(text);
        let p: Profile = toml::from_str(&kebab).map_err(|e| {
            let pos = e
                .span()
                .map(|s| line_col(text, s.start))
                .map(|(l, c)| format!("{source}:{l}:{c}: "))
                .unwrap_or_else(|| format!("{source}: "));
            ProfileError::Syntax(format!("{pos}{}", e.message()))
        })?;
        p.validate().map_err(|(field, problem)| {
            let place = match super::toml_place::place_of(&kebab, &field) {
                Some((l, c)) => format!("{source}:{l}:{c}: "),
                None => format!("{source}: "),
            };
            ProfileError::Invalid {
                place,
                field,
                problem,
            }
        })?;
        Ok(p)
    }

    /// The first value the real module could not have: its dotted path
    /// and what was expected.
    fn validate(&self) -> Result<(), (String, String)> {
        fn at(field: &str) -> impl Fn(String) -> (String, String) + '_ {
            move |problem| (field.to_string(), problem)
        }
        let id = &self.identity;
        digits(&id.imei, 15, 15, "an IMEI").map_err(at("identity.imei"))?;
        let (body, check) = id.imei.split_at(14);
        let want = super::identity::luhn_digit(body).unwrap_or(0);
        if check.as_bytes()[0] - b'0' != want {
            return Err(at("identity.imei")(format!(
                "the last digit must be the Luhn check digit {want} (\"{body}{want}\"), not {check}"
            )));
        }
        if !id.usb_compositions_supported.contains(&id.usb_composition) {
            return Err(at("identity.usb-composition")(format!(
                "expected one of usb-compositions-supported {:?}, not {}",
                id.usb_compositions_supported, id.usb_composition
            )));
        }
        for (field, v) in [
            ("identity.manufacturer", &id.manufacturer),
            ("identity.model", &id.model),
        ] {
            let units = v.encode_utf16().count();
            if units > limits::USB_STRING_UNITS {
                return Err(at(field)(format!(
                    "a USB string descriptor holds at most {} UTF-16 units, this is {units}",
                    limits::USB_STRING_UNITS
                )));
            }
        }
        let sim = &self.sim;
        digits(&sim.pin, 4, 8, "a PIN").map_err(at("sim.pin"))?;
        digits(&sim.puk, 8, 8, "a PUK").map_err(at("sim.puk"))?;
        digits(&sim.imsi, 6, 15, "an IMSI").map_err(at("sim.imsi"))?;
        digits(&sim.iccid, 18, 20, "an ICCID").map_err(at("sim.iccid"))?;
        let net = &self.network;
        digits(&net.mcc, 3, 3, "a mobile country code").map_err(at("network.mcc"))?;
        digits(&net.mnc, 2, 3, "a mobile network code").map_err(at("network.mnc"))?;
        if net.technologies.is_empty() {
            return Err(at("network.technologies")(
                "expected at least one of \"lte\", \"umts\"".into(),
            ));
        }
        let mut u8_strings = vec![
            ("network.operator-name".to_string(), &net.operator_name),
            ("sim.spn".to_string(), &sim.spn),
        ];
        for (i, a) in net.apn.iter().enumerate() {
            let f = |k: &str| format!("network.apn.{i}.{k}");
            if a.ipv4_prefix > 32 {
                return Err((
                    f("ipv4-prefix"),
                    format!("expected a prefix length of 0 to 32, not {}", a.ipv4_prefix),
                ));
            }
            if a.ipv6_prefix > 128 {
                return Err((
                    f("ipv6-prefix"),
                    format!(
                        "expected a prefix length of 0 to 128, not {}",
                        a.ipv6_prefix
                    ),
                ));
            }
            if a.name.chars().count() > limits::MBIM_ACCESS_STRING {
                return Err((
                    f("name"),
                    format!(
                        "an APN (MBIM AccessString) holds at most {} characters",
                        limits::MBIM_ACCESS_STRING
                    ),
                ));
            }
            u8_strings.push((f("name"), &a.name));
        }
        for (field, v) in u8_strings {
            if v.len() > limits::QMI_STR_U8 {
                return Err((
                    field,
                    format!(
                    "QMI sends this string with a one-byte length: at most {} bytes, this is {}",
                    limits::QMI_STR_U8,
                    v.len()
                ),
                ));
            }
        }
        let others = [
            ("identity.revision", &id.revision),
            ("identity.hardware-revision", &id.hardware_revision),
            ("identity.imei-sv", &id.imei_sv),
            ("identity.esn", &id.esn),
            ("identity.meid", &id.meid),
            ("identity.serial", &id.serial),
            ("identity.boot-version", &id.boot_version),
            ("identity.amss-version", &id.amss_version),
            ("identity.sku", &id.sku),
            ("identity.carrier", &id.carrier),
            ("identity.carrier-id", &id.carrier_id),
            ("identity.pri-version", &id.pri_version),
            ("identity.config-version", &id.config_version),
            (
                "identity.usb-product",
                id.usb_product.as_ref().unwrap_or(&id.model),
            ),
            ("sim.msisdn", &sim.msisdn),
        ];
        for (field, v) in others {
            if v.len() > limits::STRING {
                return Err(at(field)(format!(
                    "at most {} bytes, this is {}",
                    limits::STRING,
                    v.len()
                )));
            }
        }
        let gps = &self.gps;
        if !(-90.0..=90.0).contains(&gps.latitude) {
            return Err(at("gps.latitude")(format!(
                "expected degrees from -90 to 90, not {}",
                gps.latitude
            )));
        }
        if !(-180.0..=180.0).contains(&gps.longitude) {
            return Err(at("gps.longitude")(format!(
                "expected degrees from -180 to 180, not {}",
                gps.longitude
            )));
        }
        if !limits::ALTITUDE_M.contains(&gps.altitude_m) {
            return Err(at("gps.altitude-m")(format!(
                "expected metres from {} to {}, not {}",
                limits::ALTITUDE_M.start(),
                limits::ALTITUDE_M.end(),
                gps.altitude_m
            )));
        }
        let sms = &self.sms;
        if !sms.smsc.starts_with('+') || crate::wire::sms::Address::from_number(&sms.smsc).is_none()
        {
            return Err(at("sms.smsc")(format!(
                "expected \"+\" and 1 to 20 digits, not {:?}",
                sms.smsc
            )));
        }
        for (field, n) in [
            ("sms.sim-capacity", sms.sim_capacity),
            ("sms.me-capacity", sms.me_capacity),
        ] {
            if !(1..=super::sms::MAX_CAPACITY).contains(&n) {
                return Err(at(field)(format!(
                    "expected 1 to {} messages, not {n}",
                    super::sms::MAX_CAPACITY
                )));
            }
        }
        if self.bootloader.qdl_min_version > self.bootloader.qdl_version {
            return Err(at("bootloader.qdl-min-version")(format!(
                "expected at most qdl-version {}, not {}",
                self.bootloader.qdl_version, self.bootloader.qdl_min_version
            )));
        }
        if id.usb_vendor_id == 0 || id.usb_product_id == 0 {
            return Err(at("identity.usb-product-id")(
                "expected non-zero usb-vendor-id and usb-product-id".to_string(),
            ));
        }
        let pid = self.bootloader.usb_product_id;
        // The host must see a different device, or it would look for the
        // application's interfaces on the boot loader's one.
        if pid == 0 || pid == super::hardware::PID_APPLICATION {
            return Err(at("bootloader.usb-product-id")(format!(
                "expected a PID other than 0 and the application's {:#06x} (0x9040 or 0x9062), not {pid:#06x}",
                super::hardware::PID_APPLICATION
            )));
        }
        Ok(())
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::from_toml(DEFAULT_PROFILE, "default profile").expect("shipped profile is valid")
    }
}

/// Where each line of a text starts, for many `line_col` look-ups: one
/// pass over the text, then a binary search per look-up (a scenario of
/// 100,000 steps places each one).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// 1-based line and column (in bytes) of a byte offset, as
    /// [`line_col`] gives them.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|&s| s <= offset);
        (line, offset - self.starts[line - 1] + 1)
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
    fn line_index_agrees_with_line_col() {
        let text = "ab\n\ncd\ne";
        let index = LineIndex::new(text);
        for off in 0..=text.len() + 2 {
            assert_eq!(index.line_col(off), line_col(text, off), "offset {off}");
        }
    }

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
    fn bootloader_pid_is_a_choice_but_not_the_application_one() {
        let with = |pid: &str| {
            let text = DEFAULT_PROFILE.replace(
                "usb-product-id = 0x9040",
                &format!("usb-product-id = {pid}"),
            );
            Profile::from_toml(&text, "x")
        };
        assert_eq!(with("0x9062").unwrap().bootloader.usb_product_id, 0x9062);
        for bad in ["0x9041", "0"] {
            let e = with(bad).unwrap_err().to_string();
            assert!(
                e.contains("bootloader.usb-product-id") || e.contains("usb-product-id"),
                "{e}"
            );
            assert!(e.contains("0x9040 or 0x9062"), "{e}");
        }
    }

    #[test]
    fn bad_imei_check_digit_is_named() {
        let text = DEFAULT_PROFILE.replace("001245000004705", "001245000004700");
        let e = Profile::from_toml(&text, "x").unwrap_err();
        assert!(matches!(&e, ProfileError::Invalid { field, .. } if field == "identity.imei"));
        // Regression: content errors named neither the file nor the place.
        let line = DEFAULT_PROFILE[..DEFAULT_PROFILE.find("001245000004705").unwrap()]
            .matches('\n')
            .count()
            + 1;
        let msg = e.to_string();
        assert!(msg.starts_with(&format!("x:{line}:")), "{msg}");
        assert!(
            msg.contains("Luhn check digit 5 (\"001245000004705\"), not 0"),
            "{msg}"
        );
    }

    fn refused(from: &str, to: &str) -> String {
        assert!(DEFAULT_PROFILE.contains(from), "{from}");
        let text = DEFAULT_PROFILE.replacen(from, to, 1);
        let e = Profile::from_toml(&text, "p.toml").unwrap_err().to_string();
        let line = text[..text.find(to).unwrap()].matches('\n').count() + 1;
        assert!(e.starts_with(&format!("p.toml:{line}:")), "{e}");
        e
    }

    #[test]
    fn content_errors_name_file_line_col_and_the_expected_form() {
        let e = refused("pin = \"1234\"", "pin = \"12a4\"");
        assert!(
            e.contains("sim.pin: expected 4 to 8 decimal digits (a PIN)"),
            "{e}"
        );
        let e = refused("mcc = \"", "mcc = \"1");
        assert!(e.contains("network.mcc: expected 3 decimal digits"), "{e}");
        let e = refused("ipv4-prefix = 24", "ipv4-prefix = 33");
        assert!(
            e.contains("network.apn.0.ipv4-prefix: expected a prefix length of 0 to 32, not 33"),
            "{e}"
        );
        let e = refused("latitude = 49.1666", "latitude = 91.0");
        assert!(
            e.contains("gps.latitude: expected degrees from -90 to 90"),
            "{e}"
        );
        // Non-finite numbers: TOML has nan and inf.
        let e = refused("altitude-m = 10.0", "altitude-m = nan");
        assert!(e.contains("gps.altitude-m: expected metres"), "{e}");
        let e = refused("longitude = -123.1336", "longitude = -inf");
        assert!(e.contains("gps.longitude"), "{e}");
    }

    #[test]
    fn string_sizes_are_those_the_real_fields_allow() {
        let long = "M".repeat(127);
        let e = refused("model = \"EM7305\"", &format!("model = \"{long}\""));
        assert!(e.contains("at most 126 UTF-16 units"), "{e}");
        let ok = DEFAULT_PROFILE.replacen(
            "model = \"EM7305\"",
            &format!("model = \"{}\"", &long[1..]),
            1,
        );
        assert!(Profile::from_toml(&ok, "p").is_ok());
        let e = refused(
            "revision = \"",
            &format!("revision = \"{}", "r".repeat(2000)),
        );
        assert!(e.contains("identity.revision: at most 1024 bytes"), "{e}");
    }
}
