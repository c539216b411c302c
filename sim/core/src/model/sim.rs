//! The SIM card: PIN1 and PUK state with their retry counters.

use super::profile::SimProfile;

/// What the card asks for before it serves the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimState {
    Absent,
    /// PIN1 must be verified.
    PinRequired,
    /// PIN1 retries are used up; the PUK must be given with a new PIN.
    PukRequired,
    /// PUK retries are used up: the card is dead.
    Blocked,
    Ready,
}

/// Why a PIN operation was refused; carries the counters a real card reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinError {
    /// Wrong code; the retries left after this attempt.
    Incorrect { pin_retries: u8, puk_retries: u8 },
    /// The card is in a state where this operation does not apply.
    WrongState(SimState),
    /// A code with the wrong length or non-digits.
    BadFormat,
}

#[derive(Debug, Clone)]
pub struct Sim {
    pub state: SimState,
    pub pin_enabled: bool,
    pub pin_retries: u8,
    pub puk_retries: u8,
    pin: String,
    puk: String,
    max_pin_retries: u8,
}

fn digits_ok(code: &str, range: core::ops::RangeInclusive<usize>) -> bool {
    range.contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

impl Sim {
    /// The card as found at power-on.
    pub fn power_on(p: &SimProfile) -> Sim {
        Sim {
            state: if p.pin_enabled {
                SimState::PinRequired
            } else {
                SimState::Ready
            },
            pin_enabled: p.pin_enabled,
            pin_retries: p.pin_retries,
            puk_retries: p.puk_retries,
            pin: p.pin.clone(),
            puk: p.puk.clone(),
            max_pin_retries: p.pin_retries,
        }
    }

    /// Re-reads the card after a modem reset: retry counters survive (they
    /// live on the card), verification does not.
    pub fn reboot(&mut self) {
        if self.state == SimState::Ready && self.pin_enabled {
            self.state = SimState::PinRequired;
        }
    }

    pub fn is_ready(&self) -> bool {
        self.state == SimState::Ready
    }

    fn wrong_pin(&mut self) -> PinError {
        self.pin_retries = self.pin_retries.saturating_sub(1);
        if self.pin_retries == 0 {
            self.state = SimState::PukRequired;
        }
        self.incorrect()
    }

    fn incorrect(&self) -> PinError {
        PinError::Incorrect {
            pin_retries: self.pin_retries,
            puk_retries: self.puk_retries,
        }
    }

    pub fn verify_pin(&mut self, code: &str) -> Result<(), PinError> {
        match self.state {
            SimState::PinRequired => {}
            // A verify when the PIN is enabled but already verified is still
            // checked (and counted) by real cards.
            SimState::Ready if self.pin_enabled => {}
            s => return Err(PinError::WrongState(s)),
        }
        if !digits_ok(code, 4..=8) {
            return Err(PinError::BadFormat);
        }
        if code == self.pin {
            self.pin_retries = self.max_pin_retries;
            self.state = SimState::Ready;
            Ok(())
        } else {
            Err(self.wrong_pin())
        }
    }

    pub fn unblock_pin(&mut self, puk: &str, new_pin: &str) -> Result<(), PinError> {
        if self.state != SimState::PukRequired {
            return Err(PinError::WrongState(self.state));
        }
        if !digits_ok(puk, 8..=8) || !digits_ok(new_pin, 4..=8) {
            return Err(PinError::BadFormat);
        }
        if puk == self.puk {
            self.pin = new_pin.to_string();
            self.pin_retries = self.max_pin_retries;
            self.pin_enabled = true;
            self.state = SimState::Ready;
            Ok(())
        } else {
            self.puk_retries = self.puk_retries.saturating_sub(1);
            if self.puk_retries == 0 {
                self.state = SimState::Blocked;
            }
            Err(self.incorrect())
        }
    }

    pub fn change_pin(&mut self, old: &str, new: &str) -> Result<(), PinError> {
        if self.state != SimState::Ready || !self.pin_enabled {
            return Err(PinError::WrongState(self.state));
        }
        if !digits_ok(old, 4..=8) || !digits_ok(new, 4..=8) {
            return Err(PinError::BadFormat);
        }
        if old == self.pin {
            self.pin = new.to_string();
            self.pin_retries = self.max_pin_retries;
            Ok(())
        } else {
            Err(self.wrong_pin())
        }
    }

    pub fn set_pin_protection(&mut self, enable: bool, code: &str) -> Result<(), PinError> {
        if self.state != SimState::Ready {
            return Err(PinError::WrongState(self.state));
        }
        if !digits_ok(code, 4..=8) {
            return Err(PinError::BadFormat);
        }
        if code == self.pin {
            self.pin_enabled = enable;
            self.pin_retries = self.max_pin_retries;
            Ok(())
        } else {
            Err(self.wrong_pin())
        }
    }

    pub fn remove(&mut self) {
        self.state = SimState::Absent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;

    fn sim() -> Sim {
        Sim::power_on(&Profile::default().sim)
    }

    #[test]
    fn wrong_pins_lead_to_puk_then_unblock() {
        let mut s = sim();
        assert_eq!(s.state, SimState::PinRequired);
        for left in [2, 1, 0] {
            assert_eq!(
                s.verify_pin("0000"),
                Err(PinError::Incorrect {
                    pin_retries: left,
                    puk_retries: 10
                })
            );
        }
        assert_eq!(s.state, SimState::PukRequired);
        assert!(s.verify_pin("1234").is_err());
        s.unblock_pin("12345678", "4321").unwrap();
        assert!(s.is_ready());
        assert_eq!(s.pin_retries, 3);
    }

    #[test]
    fn right_pin_unlocks_and_resets_retries() {
        let mut s = sim();
        let _ = s.verify_pin("9999");
        s.verify_pin("1234").unwrap();
        assert_eq!((s.state, s.pin_retries), (SimState::Ready, 3));
        s.reboot();
        assert_eq!(s.state, SimState::PinRequired);
    }
}
