//! The serving cell: signal figures, location, RF band, Tx/Rx chains and
//! Sierra's status summary.

use super::{radio_of, serving, Req, Tlvs};
use crate::model::{Device, OperatingMode, RegState, Technology};
use crate::qmi::Reply;
use crate::wire::tlv::Writer;
use crate::wire::ProtocolError;

/// Signal Strength request mask bits.
mod mask {
    pub const RSSI: u16 = 1 << 0;
    pub const ECIO: u16 = 1 << 1;
    pub const RSRQ: u16 = 1 << 5;
    pub const LTE_SNR: u16 = 1 << 6;
    pub const LTE_RSRP: u16 = 1 << 7;
}

/// Ec/Io as QMI carries it: a magnitude in -0.5 dB steps.
pub(super) fn ecio_half_db(ecio_db: i8) -> u8 {
    (-(ecio_db as i16) * 2).clamp(0, 255) as u8
}

/// Get Signal Strength (the legacy message).
pub(super) fn signal_strength(req: &Req<'_>, dev: &Device) -> Reply {
    let want = req.u16(0x10)?.unwrap_or(0);
    let Some(s) = serving(dev) else {
        return Err(ProtocolError::InformationUnavailable.into());
    };
    let sig = &dev.signal;
    let radio = radio_of(s.rat);
    let mut t = Tlvs::new();
    t.with(0x01, |w| {
        w.i8(sig.rssi_dbm).u8(radio);
    });
    if want & mask::RSSI != 0 {
        t.with(0x11, |w| {
            w.u16(1).u8(sig.rssi_dbm.unsigned_abs()).u8(radio);
        });
    }
    if want & mask::ECIO != 0 && s.rat == Technology::Umts {
        t.with(0x12, |w| {
            w.u16(1).u8(ecio_half_db(sig.ecio_db)).u8(radio);
        });
    }
    if s.rat == Technology::Lte {
        if want & mask::RSRQ != 0 {
            t.with(0x16, |w| {
                w.i8(sig.rsrq_db).u8(radio);
            });
        }
        if want & mask::LTE_SNR != 0 {
            t.with(0x17, |w| {
                w.i16(sig.snr_tenth_db);
            });
        }
        if want & mask::LTE_RSRP != 0 {
            t.with(0x18, |w| {
                w.i16(sig.rsrp_dbm);
            });
        }
    }
    Ok(t)
}

/// Get Signal Info, also the body of the Signal Info indication: one TLV
/// for the serving RAT, none without service.
pub(super) fn signal_info(dev: &Device) -> Tlvs {
    let mut t = Tlvs::new();
    let Some(s) = serving(dev) else {
        return t;
    };
    let sig = &dev.signal;
    match s.rat {
        Technology::Lte => t.with(0x14, |w| {
            w.i8(sig.rssi_dbm)
                .i8(sig.rsrq_db)
                .i16(sig.rsrp_dbm)
                .i16(sig.snr_tenth_db);
        }),
        Technology::Umts => t.with(0x13, |w| {
            w.i8(sig.rssi_dbm).i16(ecio_half_db(sig.ecio_db) as i16);
        }),
    };
    t
}

/// MCC/MNC in the BCD form of 3GPP TS 24.008 (a two-digit MNC has 0xF
/// as its third digit).
fn plmn_bcd(dev: &Device) -> [u8; 3] {
    let p = dev.network_plmn();
    let d = |v: u16, i: u32| ((v / 10u16.pow(i)) % 10) as u8;
    let (m1, m2, m3) = (d(p.mcc, 2), d(p.mcc, 1), d(p.mcc, 0));
    let (n1, n2, n3) = if p.mnc_three_digits {
        (d(p.mnc, 2), d(p.mnc, 1), d(p.mnc, 0))
    } else {
        (d(p.mnc, 1), d(p.mnc, 0), 0xF)
    };
    [m2 << 4 | m1, n3 << 4 | m3, n2 << 4 | n1]
}

/// Physical cell identity and scrambling code derived from the cell ID,
/// so that one profile always shows the same cell.
fn pci(dev: &Device) -> u16 {
    (dev.profile.network.cell_id % 504) as u16
}
fn psc(dev: &Device) -> u16 {
    (dev.profile.network.cell_id % 512) as u16
}

/// Get Cell Location Info: the serving cell only (no neighbours measured).
pub(super) fn cell_location(dev: &Device) -> Tlvs {
    let mut t = Tlvs::new();
    let Some(s) = serving(dev) else {
        return t;
    };
    let net = &dev.profile.network;
    let sig = &dev.signal;
    match s.rat {
        Technology::Lte => {
            t.with(0x13, |w| {
                w.u8(dev.bearers.is_empty() as u8)
                    .bytes(&plmn_bcd(dev))
                    .u16(net.tac)
                    .u32(net.cell_id)
                    .u16(net.lte_earfcn)
                    .u16(pci(dev))
                    .u8(7) // cell reselection priority
                    .u8(8) // S non-intra search
                    .u8(2) // serving cell low threshold
                    .u8(31); // S intra search
                w.u8(1)
                    .u16(pci(dev))
                    .i16(sig.rsrq_db as i16 * 10)
                    .i16(sig.rsrp_dbm * 10)
                    .i16(sig.rssi_dbm as i16 * 10)
                    // Srxlev against a -124 dBm minimum receive level.
                    .i16(sig.rsrp_dbm + 124);
            });
        }
        Technology::Umts => {
            let rscp = sig.rssi_dbm as i16 + sig.ecio_db as i16;
            t.with(0x11, |w| {
                w.u16(net.cell_id as u16)
                    .bytes(&plmn_bcd(dev))
                    .u16(net.tac)
                    .u16(net.umts_uarfcn)
                    .u16(psc(dev))
                    .i16(rscp)
                    .i16(sig.ecio_db as i16)
                    .u8(0) // no UMTS neighbours
                    .u8(0); // no GSM neighbours
            });
            t.u32(0x17, net.cell_id);
        }
    }
    t
}

/// QMI active band value of the serving band.
fn active_band(rat: Technology, band: u16) -> u16 {
    const EUTRAN: &[(u16, u16)] = &[
        (1, 120),
        (2, 121),
        (3, 122),
        (4, 123),
        (5, 124),
        (6, 125),
        (7, 126),
        (8, 127),
        (9, 128),
        (10, 129),
        (11, 130),
        (12, 131),
        (13, 132),
        (14, 133),
        (17, 134),
        (18, 143),
        (19, 144),
        (20, 145),
        (21, 146),
        (23, 152),
        (24, 147),
        (25, 148),
        (26, 153),
        (28, 158),
        (29, 159),
        (30, 160),
        (33, 135),
        (34, 136),
        (35, 137),
        (36, 138),
        (37, 139),
        (38, 140),
        (39, 141),
        (40, 142),
        (41, 149),
        (42, 150),
        (43, 151),
        (66, 161),
    ];
    // WCDMA bands I..IX map to 80..88, then XI and XIX.
    const WCDMA: &[(u16, u16)] = &[
        (1, 80),
        (2, 81),
        (3, 82),
        (4, 83),
        (5, 84),
        (6, 85),
        (7, 86),
        (8, 87),
        (9, 88),
        (11, 90),
        (19, 91),
    ];
    let table = match rat {
        Technology::Lte => EUTRAN,
        Technology::Umts => WCDMA,
    };
    table
        .iter()
        .find(|(b, _)| *b == band)
        .map(|(_, v)| *v)
        .unwrap_or(0xFFFF)
}

fn band_and_channel(dev: &Device, rat: Technology) -> (u16, u16) {
    let net = &dev.profile.network;
    match rat {
        Technology::Lte => (net.lte_band, net.lte_earfcn),
        Technology::Umts => (net.umts_band, net.umts_uarfcn),
    }
}

/// Get RF Band Information. Without service there is nothing to report.
pub(super) fn rf_band_info(dev: &Device) -> Reply {
    let rat = match (dev.registration.state, dev.registration.rat) {
        (RegState::Registered | RegState::Denied, Some(r)) => r,
        _ => return Err(ProtocolError::InformationUnavailable.into()),
    };
    let (band, channel) = band_and_channel(dev, rat);
    let mut t = Tlvs::new();
    t.with(0x01, |w| {
        w.u8(1)
            .u8(radio_of(rat))
            .u16(active_band(rat, band))
            .u16(channel);
    });
    Ok(t)
}

/// One receive chain: tuned, Rx power, Ec/Io, RSCP, RSRP (0.1 units), phase.
fn rx_chain(w: &mut Writer, dev: &Device, rat: Technology, loss_db: i32) {
    let sig = &dev.signal;
    let rx = (sig.rssi_dbm as i32 - loss_db) * 10;
    w.u8(1).i32(rx);
    match rat {
        Technology::Lte => {
            w.i32(0).i32(0).i32((sig.rsrp_dbm as i32 - loss_db) * 10);
        }
        Technology::Umts => {
            let rscp = sig.rssi_dbm as i32 + sig.ecio_db as i32 - loss_db;
            w.i32(sig.ecio_db as i32 * 10).i32(rscp * 10).i32(0);
        }
    }
    w.u32(0xFFFF_FFFF); // phase not measured
}

/// Get Tx Rx Info for one radio; only the serving one has tuned chains.
pub(super) fn tx_rx_info(req: &Req<'_>, dev: &Device) -> Reply {
    let radio = req.parse_need(0x01, |r| r.u8("radio interface"))?;
    let Some(s) = serving(dev).filter(|s| radio_of(s.rat) == radio) else {
        return Err(ProtocolError::InformationUnavailable.into());
    };
    let mut t = Tlvs::new();
    t.with(0x10, |w| rx_chain(w, dev, s.rat, 0));
    // The diversity antenna sees the cell a few dB weaker.
    t.with(0x11, |w| rx_chain(w, dev, s.rat, 3));
    let in_traffic = !dev.bearers.is_empty();
    // Open-loop power control: more power the weaker the downlink, capped at
    // the 23 dBm of a class 3 UE.
    let tx = if in_traffic {
        (-(dev.signal.rsrp_dbm as i32) - 90).clamp(-40, 23) * 10
    } else {
        0
    };
    t.with(0x12, |w| {
        w.u8(in_traffic as u8).i32(tx);
    });
    Ok(t)
}

/// Downlink bandwidth of the simulated LTE cell: 20 MHz.
const DL_BANDWIDTH_20MHZ: u8 = 5;
/// E-UTRA FDD uplink channels sit 18000 above the downlink ones.
const EARFCN_UL_OFFSET: u16 = 18000;

/// SWI Get Status: Sierra's `!GSTATUS?` in QMI form.
pub(super) fn swi_status(dev: &Device) -> Tlvs {
    let modem_mode = match dev.mode {
        OperatingMode::Online => 0x05,
        OperatingMode::LowPower | OperatingMode::PersistentLowPower => 0x06,
        OperatingMode::FactoryTest => 0x01,
        OperatingMode::Offline => 0x02,
        OperatingMode::Reset => 0x07,
        OperatingMode::ShuttingDown => 0x00,
    };
    let s = serving(dev);
    let system_mode = match s.map(|s| s.rat) {
        Some(Technology::Lte) => 0x09,
        Some(Technology::Umts) => 0x05,
        None => 0x00,
    };
    let ps_attached = s.is_some() && dev.selection.ps_attached;
    let mut t = Tlvs::new();
    t.with(0x01, |w| {
        w.i8(dev.temperature_c)
            .u8(modem_mode)
            .u8(system_mode)
            .u8(0) // IMS: no service
            .u8(if ps_attached { 0 } else { 1 });
    });
    if dev.registration.rat == Some(Technology::Lte) && dev.mode.radio_on() {
        let net = &dev.profile.network;
        let emm = match dev.registration.state {
            RegState::Registered => 0x02,
            RegState::Searching => 0x01,
            _ => 0x00,
        };
        t.with(0x10, |w| {
            // The firmware puts the plain band number here.
            w.u8(net.lte_band as u8)
                .u8(DL_BANDWIDTH_20MHZ)
                .u16(net.lte_earfcn)
                .u16(net.lte_earfcn + EARFCN_UL_OFFSET)
                .u8(emm)
                .u8(0)
                .u8(0); // RRC idle
        });
    }
    t
}
