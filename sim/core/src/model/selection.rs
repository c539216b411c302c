//! Network selection: which PLMN, bands and domains the host allows, and
//! the PLMN codes of the serving and home networks.

use super::hardware::bands;
use super::{Device, DeviceEvent, Technology};
use crate::time::Instant;

/// A PLMN code as numbers, with the MNC's digit count (01 vs 001).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plmn {
    pub mcc: u16,
    pub mnc: u16,
    pub mnc_three_digits: bool,
}

impl Plmn {
    /// Parses decimal MCC and MNC strings; the profile validated them.
    pub fn parse(mcc: &str, mnc: &str) -> Option<Plmn> {
        Some(Plmn {
            mcc: mcc.parse().ok()?,
            mnc: mnc.parse().ok()?,
            mnc_three_digits: mnc.len() == 3,
        })
    }
    /// The same network, whatever the MNC's digit count.
    pub fn same_network(&self, mcc: u16, mnc: u16) -> bool {
        self.mcc == mcc && self.mnc == mnc
    }
    pub fn mcc_text(&self) -> String {
        format!("{:03}", self.mcc)
    }
    pub fn mnc_text(&self) -> String {
        if self.mnc_three_digits {
            format!("{:03}", self.mnc)
        } else {
            format!("{:02}", self.mnc)
        }
    }
}

/// A preferred network stored on the SIM (EF PLMNwAcT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreferredNetwork {
    pub mcc: u16,
    pub mnc: u16,
    pub mnc_three_digits: bool,
    /// Access technology bits: GSM 0x80, UTRAN 0x8000, E-UTRAN 0x4000.
    pub access_tech: u16,
}

/// What the host chose about network selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Manual selection of one PLMN (MCC, MNC); `None` is automatic.
    pub manual_plmn: Option<(u16, u16)>,
    pub band_pref: u64,
    pub lte_band_pref: u64,
    /// NAS roaming preference (0xFF = any).
    pub roaming_pref: u16,
    /// NAS service domain preference (2 = CS+PS).
    pub service_domain: u32,
    /// Whether the packet domain is attached (NAS attach/detach, PS_DETACH).
    pub ps_attached: bool,
    /// GSM/WCDMA acquisition order (0 = automatic).
    pub gsm_wcdma_order: u32,
    pub preferred_networks: Vec<PreferredNetwork>,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            manual_plmn: None,
            band_pref: bands::BAND_PREF,
            lte_band_pref: bands::LTE_BAND_PREF,
            roaming_pref: 0xFF,
            service_domain: 2,
            ps_attached: true,
            gsm_wcdma_order: 0,
            preferred_networks: Vec::new(),
        }
    }
}

impl Device {
    /// The network the profile puts around the modem.
    pub fn network_plmn(&self) -> Plmn {
        let n = &self.profile.network;
        Plmn::parse(&n.mcc, &n.mnc).unwrap_or(Plmn {
            mcc: 0,
            mnc: 0,
            mnc_three_digits: false,
        })
    }

    /// The SIM's home network: the IMSI's MCC and an MNC as long as the
    /// network's (the SIM's EF AD would say; the profile has no such field).
    pub fn home_plmn(&self) -> Plmn {
        let imsi = &self.profile.sim.imsi;
        let len = self.profile.network.mnc.len();
        imsi.get(..3)
            .zip(imsi.get(3..3 + len))
            .and_then(|(mcc, mnc)| Plmn::parse(mcc, mnc))
            .unwrap_or(Plmn {
                mcc: 0,
                mnc: 0,
                mnc_three_digits: false,
            })
    }

    /// Registered away from the SIM's home network.
    pub fn roaming(&self) -> bool {
        if let Some(forced) = self.roaming_forced {
            return forced;
        }
        let h = self.home_plmn();
        !self.network_plmn().same_network(h.mcc, h.mnc)
    }

    /// Whether a manual selection (if any) lets us use the network.
    pub(super) fn selection_allows_network(&self) -> bool {
        match self.selection.manual_plmn {
            Some((mcc, mnc)) => self.network_plmn().same_network(mcc, mnc),
            None => true,
        }
    }

    /// Whether the band preferences let the radio use the network's band
    /// for `t`. A band this module has no radio for cannot be masked, so
    /// only an empty preference for its technology excludes it.
    pub(super) fn bands_allow(&self, t: Technology) -> bool {
        let net = &self.profile.network;
        let (bit, pref, hardware) = match t {
            Technology::Lte => (
                bands::lte_bit(net.lte_band),
                self.selection.lte_band_pref,
                bands::LTE_BAND_PREF,
            ),
            Technology::Umts => (
                bands::wcdma_bit(net.umts_band),
                self.selection.band_pref,
                bands::BAND_PREF,
            ),
        };
        match bit.filter(|b| b & hardware != 0) {
            Some(b) => pref & b != 0,
            None => pref & hardware != 0,
        }
    }

    /// The bands the radio may use (NAS band preferences, `AT!BAND`);
    /// registration follows, as it does the mode preference.
    pub fn set_band_prefs(&mut self, band_pref: u64, lte_band_pref: u64, now: Instant) {
        self.selection.band_pref = band_pref;
        self.selection.lte_band_pref = lte_band_pref;
        self.update_registration(now);
    }

    /// Automatic or manual network selection; registration follows.
    pub fn set_network_selection(&mut self, manual: Option<(u16, u16)>, now: Instant) {
        self.selection.manual_plmn = manual;
        self.update_registration(now);
    }

    /// Packet domain attach or detach. Detaching ends every bearer.
    pub fn set_ps_attached(&mut self, attached: bool) {
        if self.selection.ps_attached == attached {
            return;
        }
        self.selection.ps_attached = attached;
        if !attached {
            self.drop_bearers();
        }
        self.events.push(DeviceEvent::Registration);
    }
}
