//! The Card Status TLV (Get Card Status 0x10, Card Status indication),
//! derived from the SIM model.

use crate::model::{Sim, SimState};
use crate::wire::tlv::Writer;

/// The USIM application's AID: the 3GPP RID and USIM application code,
/// then a provider part as found on commercial cards.
pub const USIM_AID: [u8; 16] = [
    0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF, 0x33, 0xFF, 0x01, 0x89, 0x06, 0x05, 0x00, 0x00,
];

/// QmiUimCardState.
mod card_state {
    pub const ABSENT: u8 = 0;
    pub const PRESENT: u8 = 1;
}

/// QmiUimPinState: the same values as DMS's PIN status.
pub use crate::qmi::pin_status as pin_state;

/// QmiUimCardApplicationState.
pub mod app_state {
    pub const PIN1_REQUIRED: u8 = 2;
    pub const PUK1_REQUIRED: u8 = 3;
    pub const PIN1_BLOCKED: u8 = 5;
    pub const READY: u8 = 7;
}

const APP_TYPE_USIM: u8 = 2;
const PERSO_READY: u8 = 2;
const PERSO_FEATURE_UNKNOWN: u8 = 11;
/// Session index meaning "no such provisioning session".
const NO_SESSION: u16 = 0xFFFF;

/// PIN1 and application state for a card in `sim.state`.
pub fn pin1_and_app_state(sim: &Sim) -> (u8, u8) {
    let app = match sim.state {
        SimState::Absent => 0,
        SimState::PinRequired => app_state::PIN1_REQUIRED,
        SimState::PukRequired => app_state::PUK1_REQUIRED,
        SimState::Blocked => app_state::PIN1_BLOCKED,
        SimState::Ready => app_state::READY,
    };
    (pin_state::pin1(sim), app)
}

/// The Card Status TLV value: one slot; with a card, one USIM application
/// that is the primary GW provisioning session.
pub fn card_status(sim: &Sim) -> Vec<u8> {
    let mut w = Writer::new();
    let present = sim.state != SimState::Absent;
    // Primary GW: slot 0, application 0; the other sessions do not exist.
    w.u16(if present { 0x0000 } else { NO_SESSION });
    w.u16(NO_SESSION).u16(NO_SESSION).u16(NO_SESSION);
    w.u8(1);
    if !present {
        // Card absent, UPIN not initialised, no error, no applications.
        w.u8(card_state::ABSENT).bytes(&[0, 0, 0, 0, 0]);
        return w.into_vec();
    }
    // UPIN is not used by this card: PIN1 stands on its own.
    w.u8(card_state::PRESENT)
        .u8(pin_state::NOT_INITIALIZED)
        .u8(0)
        .u8(0)
        .u8(0)
        .u8(1);
    let (pin1, app) = pin1_and_app_state(sim);
    w.u8(APP_TYPE_USIM).u8(app);
    w.u8(PERSO_READY).u8(PERSO_FEATURE_UNKNOWN).u8(0).u8(0);
    w.u8(USIM_AID.len() as u8).bytes(&USIM_AID);
    w.u8(0); // UPIN does not replace PIN1
    w.u8(pin1).u8(sim.pin_retries).u8(sim.puk_retries);
    // The model holds no PIN2, so none is reported.
    w.u8(pin_state::NOT_INITIALIZED).u8(0).u8(0);
    w.into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;

    #[test]
    fn locked_card_layout() {
        let sim = Sim::power_on(&Profile::default().sim);
        let v = card_status(&sim);
        assert_eq!(v.len(), 9 + 6 + 14 + USIM_AID.len());
        assert_eq!(&v[..9], &[0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1]);
        assert_eq!(&v[9..15], &[1, 0, 0, 0, 0, 1]);
        assert_eq!(&v[15..17], &[APP_TYPE_USIM, app_state::PIN1_REQUIRED]);
        assert_eq!(&v[v.len() - 7..], &[0, 1, 3, 10, 0, 0, 0]);
    }

    #[test]
    fn absent_card_has_no_session() {
        let mut sim = Sim::power_on(&Profile::default().sim);
        sim.remove();
        let v = card_status(&sim);
        assert_eq!(v.len(), 15);
        assert_eq!(&v[..2], &[0xFF, 0xFF]);
        assert_eq!(&v[9..], &[0, 0, 0, 0, 0, 0]);
    }
}
