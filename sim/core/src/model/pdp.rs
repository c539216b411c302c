//! Stored PDP context profiles: what WDS profiles (and later MBIM
//! provisioned contexts and AT+CGDCONT) read and change. They live in
//! non-volatile memory, so they survive a reset.

use super::profile::Profile;

/// Profiles a 9x15 firmware can store.
pub const MAX_PDP_PROFILES: usize = 16;

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
    /// As shipped: profile 1 holds the network's first APN, dual stack if
    /// that APN offers IPv6.
    pub fn from_profile(p: &Profile) -> Self {
        let list = p
            .network
            .apn
            .first()
            .map(|a| PdpProfile {
                name: a.name.clone(),
                apn: a.name.clone(),
                pdp_type: if a.ipv6_address.is_some() {
                    PdpType::Ipv4v6
                } else {
                    PdpType::Ipv4
                },
                ..PdpProfile::blank(1)
            })
            .into_iter()
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
}
