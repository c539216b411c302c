//! The QMI PIN status values (DMS UIM PIN Status and UIM PIN state share
//! them) and how the one SIM model maps onto them.

use crate::model::{Sim, SimState};

pub const NOT_INITIALIZED: u8 = 0;
pub const ENABLED_NOT_VERIFIED: u8 = 1;
pub const ENABLED_VERIFIED: u8 = 2;
pub const DISABLED: u8 = 3;
pub const BLOCKED: u8 = 4;
pub const PERMANENTLY_BLOCKED: u8 = 5;

/// PIN1's status for a card in `sim.state`; not initialised without a card.
pub fn pin1(sim: &Sim) -> u8 {
    match sim.state {
        SimState::Absent => NOT_INITIALIZED,
        SimState::PinRequired => ENABLED_NOT_VERIFIED,
        SimState::PukRequired => BLOCKED,
        SimState::Blocked => PERMANENTLY_BLOCKED,
        SimState::Ready if sim.pin_enabled => ENABLED_VERIFIED,
        SimState::Ready => DISABLED,
    }
}
