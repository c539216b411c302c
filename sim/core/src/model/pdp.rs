//! Stored PDP context profiles: the one store that QMI WDS profiles,
//! AT+CGDCONT and AT!SCACT read and change, and that an MBIM connect
//! without an APN falls back on. They live in non-volatile memory, so they
//! survive a reset.

use super::profile::Profile;

/// Profiles a 9x15 firmware can store.
pub const MAX_PDP_PROFILES: usize = 16;

/// Longest APN a profile holds (3GPP TS 23.003 §9.1).
pub const MAX_APN_LEN: usize = 100;

/// The PDP type a profile asks the network for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdpType {
    Ipv4,
    Ppp,
    Ipv6,
    Ipv4v6,
}

/// Authentication methods a profile allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthMethods {
    pub pap: bool,
    pub chap: bool,
}

/// One stored profile; `index` is its 1-based number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdpProfile {
    pub index: u8,
    pub name: String,
    pub pdp_type: PdpType,
    pub apn: String,
    pub username: String,
    pub password: String,
    pub auth: AuthMethods,
    pub roaming_disallowed: bool,
    pub apn_disabled: bool,
}

impl PdpProfile {
    /// A new, empty profile as firmware creates it: IPv4, no APN, no auth.
    pub fn blank(index: u8) -> Self {
        PdpProfile {
            index,
            name: String::new(),
            pdp_type: PdpType::Ipv4,
            apn: String::new(),
            username: String::new(),
            password: String::new(),
            auth: AuthMethods::default(),
            roaming_disallowed: false,
            apn_disabled: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdpProfileError {
    /// No profile with that index.
    NotDefined,
    /// Every slot is taken.
    OutOfProfiles,
}

/// The profile table, the default profile and the LTE attach list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdpProfiles {
    /// Sorted by index.
    list: Vec<PdpProfile>,
    /// The profile used when a host starts a call without naming one.
    pub default_index: u8,
    /// Profiles used for the LTE initial attach, first = default bearer.
    pub attach_list: Vec<u8>,
}

impl PdpProfiles {
    /// As shipped: profile N holds the network's Nth APN, dual stack if
    /// that APN offers IPv6; profile 1 is the default.
    pub fn from_profile(p: &Profile) -> Self {
        let list = p
            .network
            .apn
            .iter()
            .take(MAX_PDP_PROFILES)
            .zip(1u8..)
            .map(|(a, index)| PdpProfile {
                name: a.name.clone(),
                apn: a.name.clone(),
                pdp_type: if a.ipv6_address.is_some() {
                    PdpType::Ipv4v6
                } else {
                    PdpType::Ipv4
                },
                ..PdpProfile::blank(index)
            })
            .collect();
        PdpProfiles {
            list,
            default_index: 1,
            attach_list: vec![1],
        }
    }

    pub fn list(&self) -> &[PdpProfile] {
        &self.list
    }

    pub fn get(&self, index: u8) -> Option<&PdpProfile> {
        self.list.iter().find(|p| p.index == index)
    }

    pub fn get_mut(&mut self, index: u8) -> Option<&mut PdpProfile> {
        self.list.iter_mut().find(|p| p.index == index)
    }

    pub fn default_profile(&self) -> Option<&PdpProfile> {
        self.get(self.default_index)
    }

    /// Stores `p` in the lowest free slot and returns its index.
    pub fn create(&mut self, mut p: PdpProfile) -> Result<u8, PdpProfileError> {
        let index = (1..=MAX_PDP_PROFILES as u8)
            .find(|i| self.get(*i).is_none())
            .ok_or(PdpProfileError::OutOfProfiles)?;
        p.index = index;
        let at = self.list.partition_point(|q| q.index < index);
        self.list.insert(at, p);
        Ok(index)
    }

    /// Stores `p` at its own index (1..=16), replacing what was there, as
    /// AT+CGDCONT defines a context by number.
    pub fn define(&mut self, p: PdpProfile) -> Result<(), PdpProfileError> {
        if !(1..=MAX_PDP_PROFILES as u8).contains(&p.index) {
            return Err(PdpProfileError::NotDefined);
        }
        match self.list.binary_search_by_key(&p.index, |q| q.index) {
            Ok(at) => self.list[at] = p,
            Err(at) => self.list.insert(at, p),
        }
        Ok(())
    }

    pub fn delete(&mut self, index: u8) -> Result<(), PdpProfileError> {
        let at = self
            .list
            .iter()
            .position(|p| p.index == index)
            .ok_or(PdpProfileError::NotDefined)?;
        self.list.remove(at);
        self.attach_list.retain(|&i| i != index);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profile_one_and_slots() {
        let mut s = PdpProfiles::from_profile(&Profile::default());
        let p1 = s.default_profile().unwrap();
        assert_eq!((p1.index, p1.apn.as_str()), (1, "internet"));
        assert_eq!(p1.pdp_type, PdpType::Ipv4v6);
        assert_eq!(s.create(PdpProfile::blank(0)), Ok(2));
        s.delete(1).unwrap();
        assert_eq!(s.delete(1), Err(PdpProfileError::NotDefined));
        assert!(s.attach_list.is_empty());
        assert_eq!(s.create(PdpProfile::blank(0)), Ok(1));
        while s.create(PdpProfile::blank(0)).is_ok() {}
        assert_eq!(s.list().len(), MAX_PDP_PROFILES);
        let idx: Vec<u8> = s.list().iter().map(|p| p.index).collect();
        assert!(idx.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn define_replaces_or_inserts_in_order() {
        let mut s = PdpProfiles::from_profile(&Profile::default());
        let p = |index, apn: &str| PdpProfile {
            apn: apn.into(),
            ..PdpProfile::blank(index)
        };
        s.define(p(5, "five")).unwrap();
        s.define(p(3, "three")).unwrap();
        s.define(p(1, "one")).unwrap();
        let got: Vec<(u8, &str)> = s.list().iter().map(|p| (p.index, p.apn.as_str())).collect();
        assert_eq!(got, [(1, "one"), (3, "three"), (5, "five")]);
        assert_eq!(s.define(p(0, "x")), Err(PdpProfileError::NotDefined));
        assert_eq!(s.define(p(17, "x")), Err(PdpProfileError::NotDefined));
    }
}
