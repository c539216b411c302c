//! Sierra's `!` commands that hosts and ModemManager use on a 9x15:
//! status (!GSTATUS, !PCINFO, !PCSTATE), power figures (!PCVOLT, !PCTEMP),
//! USB composition (!UDUSBCOMP, index style as on the 9x15), the
//! !ENTERCND password, !RESET and !SCACT.
//!
//! No verbatim 9x15 transcript of !GSTATUS, !PCINFO, !PCVOLT or !PCTEMP is
//! public; their layouts follow the EM7565 samples and are marked guessed.

use super::parse::Kind;
use super::{one_num, AtError, Cme, Cx, Outcome};
use crate::model::{IpFamily, OperatingMode, PdpType, RegState, Technology};

/// The !ENTERCND password of Sierra modules (public default).
pub const CND_PASSWORD: &str = "A710";

/// Interfaces of the index-style compositions, as `AT!UDUSBCOMP=?` lists
/// them (0 to 22, libqmi's QmiDmsSwiUsbComposition).
fn composition_name(c: u8) -> &'static str {
    match c {
        0 => "HIP  DM   NMEA  AT    MDM1  MDM2  MDM3  MS",
        1 => "HIP  DM   NMEA  AT    MDM1  MS",
        2 => "HIP  DM   NMEA  AT    NIC1  MS",
        3 => "HIP  DM   NMEA  AT    MDM1  NIC1  MS",
        4 => "HIP  DM   NMEA  AT    NIC1  NIC2  NIC3  MS",
        5 => "HIP  DM   NMEA  AT    ECM1  MS",
        6 => "DM   NMEA  AT    QMI",
        7 => "DM   NMEA  AT    RMNET1 RMNET2 RMNET3",
        8 => "DM   NMEA  AT    MBIM",
        9 => "MBIM",
        10 => "NMEA  MBIM",
        11 => "DM   MBIM",
        12 => "DM   NMEA  MBIM",
        13 => "Config1: comp6    Config2: comp8",
        14 => "Config1: comp6    Config2: comp9",
        15 => "Config1: comp6    Config2: comp10",
        16 => "Config1: comp6    Config2: comp11",
        17 => "Config1: comp6    Config2: comp12",
        18 => "Config1: comp7    Config2: comp8",
        19 => "Config1: comp7    Config2: comp9",
        20 => "Config1: comp7    Config2: comp10",
        21 => "Config1: comp7    Config2: comp11",
        22 => "Config1: comp7    Config2: comp12",
        _ => "",
    }
}

/// Whether composition `c` has an AT port (in its first configuration,
/// the one a host without MBIM takes).
pub(super) fn has_at_port(c: u8) -> bool {
    let name = composition_name(c);
    name.split_whitespace().any(|f| f == "AT") || name.starts_with("Config1: comp")
}

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    let r = match (name, kind) {
        ("!GSTATUS", Kind::Read | Kind::Exec) => Ok(gstatus(cx)),
        ("!PCINFO", Kind::Read | Kind::Exec) => Ok(pcinfo(cx)),
        ("!PCSTATE", Kind::Read) => Ok(vec![format!(
            "!PCSTATE: {}",
            (cx.dev.mode == OperatingMode::Online) as u8
        )]),
        ("!PCSTATE", k) => {
            let mode = match one_num(k) {
                Some(0) => OperatingMode::LowPower,
                Some(1) => OperatingMode::Online,
                _ => return Some(Err(Cme::IncorrectParameters.into())),
            };
            cx.dev
                .set_operating_mode(mode, cx.now)
                .map(|()| vec![])
                .map_err(|_| Cme::NotAllowed.into())
        }
        ("!PCVOLT", Kind::Read) => Ok(vec![format!(
            "Power supply voltage: {} mV",
            cx.dev.supply_mv(cx.now)
        )]),
        ("!PCTEMP", Kind::Read) => Ok(vec![format!("Temperature: {} C", cx.dev.temperature_c)]),
        ("!ENTERCND", Kind::Set(a)) if a.len() == 1 => {
            if a[0].text == CND_PASSWORD {
                cx.st.cnd_unlocked = true;
                Ok(vec![])
            } else {
                Err(AtError::Error)
            }
        }
        ("!UDUSBCOMP", Kind::Read) => {
            // The NV value: what the next boot uses.
            let c = cx
                .dev
                .pending_usb_composition
                .unwrap_or(cx.dev.usb_composition);
            Ok(vec![format!("!UDUSBCOMP: {c}")])
        }
        ("!UDUSBCOMP", Kind::Test) => {
            let id = &cx.dev.profile.identity;
            Ok((0u8..=22)
                .filter(|c| !composition_name(*c).is_empty())
                .map(|c| {
                    let s = if id.usb_compositions_supported.contains(&c) {
                        "SUPPORTED"
                    } else {
                        "NOT SUPPORTED"
                    };
                    format!("{c:2} - {:40} {s}", composition_name(c))
                })
                .collect())
        }
        ("!UDUSBCOMP", k) => {
            if !cx.st.cnd_unlocked {
                return Some(Err(AtError::Error));
            }
            match one_num(k).filter(|&c| c <= 255) {
                Some(c)
                    if cx
                        .dev
                        .profile
                        .identity
                        .usb_compositions_supported
                        .contains(&(c as u8)) =>
                {
                    // Written to NV; the descriptors change at the next reset.
                    cx.dev.pending_usb_composition = Some(c as u8);
                    Ok(vec![])
                }
                _ => Err(AtError::Error),
            }
        }
        // The same path as DMS Set Operating Mode(reset): the engine resets
        // after this line's OK is queued.
        ("!RESET", Kind::Exec) => {
            cx.dev.reset_requested = true;
            Ok(vec![])
        }
        ("!SCACT", Kind::Read) => Ok(scact_read(cx)),
        ("!SCACT", Kind::Set(a)) if a.len() == 2 => scact_set(a[0].num(), a[1].num(), cx),
        (
            "!GSTATUS" | "!PCINFO" | "!PCVOLT" | "!PCTEMP" | "!ENTERCND" | "!RESET" | "!SCACT",
            Kind::Test,
        ) => Ok(vec![]),
        ("!GSTATUS" | "!PCINFO" | "!PCVOLT" | "!PCTEMP" | "!ENTERCND" | "!RESET" | "!SCACT", _) => {
            Err(AtError::Error)
        }
        _ => return None,
    };
    Some(r)
}

fn mode_text(m: OperatingMode) -> &'static str {
    match m {
        OperatingMode::Online => "ONLINE",
        OperatingMode::LowPower | OperatingMode::PersistentLowPower => "LOW POWER MODE",
        OperatingMode::FactoryTest => "FACTORY TEST MODE",
        OperatingMode::Offline => "OFFLINE",
        OperatingMode::Reset | OperatingMode::ShuttingDown => "RESET",
    }
}

/// Two columns per line, tab-separated, as Sierra prints them.
fn gstatus(cx: &Cx<'_>) -> Vec<String> {
    let dev = &cx.dev;
    let net = &dev.profile.network;
    let s = &dev.signal;
    let reg = &dev.registration;
    let registered = reg.is_registered();
    let mut l = vec![
        "!GSTATUS: ".to_string(),
        format!(
            "Current Time:  {}\t\tTemperature: {}",
            dev.clock(cx.now).seconds(),
            dev.temperature_c
        ),
        format!("Mode:          {}", mode_text(dev.mode)),
    ];
    let ps = if registered {
        "Attached"
    } else {
        "Not attached"
    };
    match reg.rat {
        Some(Technology::Lte) if reg.state != RegState::NotRegistered => {
            let emm = if registered {
                "Registered     \tNormal Service"
            } else {
                "Deregistered   \tSearching"
            };
            l.extend([
                format!("System mode:   LTE        \tPS state:    {ps}"),
                format!("LTE band:      B{}     \tLTE bw:      20 MHz", net.lte_band),
                // Uplink EARFCN is downlink + 18000 on FDD bands.
                format!(
                    "LTE Rx chan:   {}\t\tLTE Tx chan: {}",
                    net.lte_earfcn,
                    net.lte_earfcn as u32 + 18000
                ),
                format!("EMM state:     {emm}"),
                "RRC state:     RRC Idle".into(),
                String::new(),
                format!(
                    "PCC RxM RSSI:  {}\t\tRSRP (dBm):  {}",
                    s.rssi_dbm, s.rsrp_dbm
                ),
                format!(
                    "Tx Power:      0\t\tTAC:         {:04X} ({})",
                    net.tac, net.tac
                ),
                format!(
                    "RSRQ (dB):     {}.0\t\tCell ID:     {:08X} ({})",
                    s.rsrq_db, net.cell_id, net.cell_id
                ),
                format!("SINR (dB):     {:.1}", s.snr_tenth_db as f32 / 10.0),
            ]);
        }
        Some(Technology::Umts) if reg.state != RegState::NotRegistered => {
            l.extend([
                format!("System mode:   WCDMA      \tPS state:    {ps}"),
                format!("WCDMA band:    B{}", net.umts_band),
                format!("WCDMA channel: {}", net.umts_uarfcn),
                format!(
                    "GMM (PS) state:{}",
                    if registered {
                        "REGISTERED"
                    } else {
                        "DEREGISTERED"
                    }
                ),
                String::new(),
                format!(
                    "RxM RSSI C0:   {}\t\tEc/Io:       {}",
                    s.rssi_dbm, s.ecio_db
                ),
                format!("LAC:           {:04X} ({})", net.tac, net.tac),
                format!("Cell ID:       {:08X} ({})", net.cell_id, net.cell_id),
            ]);
        }
        _ => l.push(format!("System mode:   No service \tPS state:    {ps}")),
    }
    l
}

/// Low-power voters: "User" is the host's choice (CFUN=4, DMS low power).
fn pcinfo(cx: &Cx<'_>) -> Vec<String> {
    let m = cx.dev.mode;
    let user = matches!(
        m,
        OperatingMode::LowPower | OperatingMode::PersistentLowPower
    ) as u8;
    let state = match m {
        OperatingMode::Online => "Online",
        OperatingMode::Offline => "Offline",
        _ => "Low Power Mode",
    };
    let persist = if m == OperatingMode::PersistentLowPower {
        "Persistent"
    } else {
        "None"
    };
    vec![
        format!("!PCINFO: State: {state}"),
        format!("LPM voters - Temp:0, Volt:0, User:{user}, W_DISABLE:0, IMSWITCH:0"),
        format!("LPM persistence - {persist}"),
    ]
}

/// !SCACT: `cid,state` per stored PDP context (the profiles QMI WDS and
/// +CGDCONT edit); a context is active when a bearer on its APN is up,
/// whichever protocol started it.
fn scact_read(cx: &Cx<'_>) -> Vec<String> {
    let dev = &cx.dev;
    dev.pdp_profiles
        .list()
        .iter()
        .map(|p| {
            let apn = dev.call_apn(None, Some(p));
            let up = dev.bearers.iter().any(|b| b.apn.eq_ignore_ascii_case(&apn));
            format!("!SCACT: {},{}", p.index, up as u8)
        })
        .collect()
}

pub(super) fn scact_set(state: Option<u32>, cid: Option<u32>, cx: &mut Cx<'_>) -> Outcome {
    let context = cid
        .and_then(|c| u8::try_from(c).ok())
        .and_then(|c| cx.dev.pdp_profiles.get(c))
        .cloned()
        .ok_or(Cme::IncorrectParameters)?;
    let apn = cx.dev.call_apn(None, Some(&context));
    let family = match context.pdp_type {
        PdpType::Ipv6 => IpFamily::V6,
        _ => IpFamily::V4,
    };
    match state {
        Some(1) => {
            if cx
                .dev
                .bearers
                .iter()
                .any(|b| b.apn.eq_ignore_ascii_case(&apn))
            {
                return Ok(vec![]);
            }
            cx.dev
                .start_network(&apn, family)
                .map(|_| vec![])
                .map_err(|_| Cme::NoNetworkService.into())
        }
        Some(0) => {
            let handles: Vec<u32> = cx
                .dev
                .bearers
                .iter()
                .filter(|b| b.apn.eq_ignore_ascii_case(&apn))
                .map(|b| b.handle)
                .collect();
            for h in handles {
                cx.dev.stop_network(h);
            }
            Ok(vec![])
        }
        _ => Err(Cme::IncorrectParameters.into()),
    }
}
