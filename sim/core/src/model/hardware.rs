//! Fixed facts of the EM7305 hardware that more than one protocol reports:
//! radio bands, the peak data rates of each technology, and the die
//! temperature the module settles at.

use super::profile::Technology;

/// Sierra's USB vendor ID.
pub const SIERRA_VID: u16 = 0x1199;
/// The application firmware's PID (QMI and MBIM compositions alike); the
/// boot loader's is a profile choice.
pub const PID_APPLICATION: u16 = 0x9041;

/// EM7305 radio bands (the EMEA/APAC variant: LTE B1/3/7/8/20, WCDMA
/// B1/B2/B5/B8, quad-band GSM), as QMI band bits: NAS band preference and
/// DMS band capabilities use the same encoding.
pub mod bands {
    const GSM: u64 = (1 << 7) // GSM DCS 1800
        | (1 << 8) // GSM 900 extended
        | (1 << 9) // GSM 900 primary
        | (1 << 19) // GSM 850
        | (1 << 21); // GSM PCS 1900
    const WCDMA: u64 = (1 << 22) // WCDMA 2100 (B1)
        | (1 << 23) // WCDMA PCS 1900 (B2)
        | (1 << 26) // WCDMA 850 (B5)
        | (1 << 49); // WCDMA 900 (B8)
    /// GSM and WCDMA bands.
    pub const BAND_PREF: u64 = GSM | WCDMA;
    /// E-UTRA bands: bit N-1 is band N.
    pub const LTE_BAND_PREF: u64 = (1 << 0) | (1 << 2) | (1 << 6) | (1 << 7) | (1 << 19);

    /// The band preference bit of a WCDMA band (3GPP band number), for
    /// the bands QMI names.
    pub fn wcdma_bit(band: u16) -> Option<u64> {
        let bit = match band {
            1 => 22,
            2 => 23,
            3 => 24,
            4 => 25,
            5 => 26,
            6 => 27,
            7 => 48,
            8 => 49,
            9 => 50,
            _ => return None,
        };
        Some(1 << bit)
    }

    /// The LTE band preference bit of an E-UTRA band.
    pub fn lte_bit(band: u16) -> Option<u64> {
        (1..=64).contains(&band).then(|| 1 << (band - 1))
    }
}

/// Peak channel rates in bit/s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    pub tx_bps: u32,
    pub rx_bps: u32,
}

/// The peak rates of a technology: LTE category 3, and DC-HSPA+ on UMTS.
pub fn max_rates(t: Technology) -> Rates {
    match t {
        Technology::Lte => Rates {
            tx_bps: 50_000_000,
            rx_bps: 100_000_000,
        },
        Technology::Umts => Rates {
            tx_bps: 5_760_000,
            rx_bps: 42_200_000,
        },
    }
}

/// The highest rates of any technology: what the module as a whole can do.
pub fn peak_rates() -> Rates {
    [Technology::Lte, Technology::Umts]
        .map(max_rates)
        .into_iter()
        .fold(
            Rates {
                tx_bps: 0,
                rx_bps: 0,
            },
            |a, r| Rates {
                tx_bps: a.tx_bps.max(r.tx_bps),
                rx_bps: a.rx_bps.max(r.rx_bps),
            },
        )
}

/// Die temperature of a module idling in a host at room temperature, °C.
/// There is no thermal simulation: the model holds this one value
/// (`Device::temperature_c`) and every protocol reports it.
pub const SETTLED_TEMPERATURE_C: i8 = 38;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_peaks_at_lte_category_3() {
        assert_eq!(peak_rates(), max_rates(Technology::Lte));
        assert_eq!(peak_rates().rx_bps, 100_000_000);
    }
}
