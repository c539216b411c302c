//! Client IDs per service, allocated and released through CTL.

use crate::wire::ServiceId;
use std::collections::BTreeMap;

/// Clients one service may have at once; more get ClientIdsExhausted.
pub const MAX_CLIENTS_PER_SERVICE: usize = 32;

/// Which client IDs are in use, per service.
///
/// IDs are handed out in increasing order and wrap, skipping those in use,
/// as Qualcomm firmware does; 0 and 0xFF (broadcast) are never given out.
#[derive(Debug, Clone, Default)]
pub struct ClientTable {
    in_use: BTreeMap<u8, Vec<u8>>,
    next: BTreeMap<u8, u8>,
}

impl ClientTable {
    pub fn allocate(&mut self, service: ServiceId) -> Option<u8> {
        let used = self.in_use.entry(service.0).or_default();
        if used.len() >= MAX_CLIENTS_PER_SERVICE {
            return None;
        }
        let next = self.next.entry(service.0).or_insert(1);
        loop {
            let id = *next;
            *next = if id >= 0xFE { 1 } else { id + 1 };
            if !used.contains(&id) {
                used.push(id);
                return Some(id);
            }
        }
    }
    pub fn release(&mut self, service: ServiceId, client: u8) -> bool {
        match self.in_use.get_mut(&service.0) {
            Some(v) => match v.iter().position(|&c| c == client) {
                Some(i) => {
                    v.swap_remove(i);
                    true
                }
                None => false,
            },
            None => false,
        }
    }
    pub fn contains(&self, service: ServiceId, client: u8) -> bool {
        self.in_use
            .get(&service.0)
            .is_some_and(|v| v.contains(&client))
    }
    pub fn clients(&self, service: ServiceId) -> &[u8] {
        self.in_use
            .get(&service.0)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
    /// Every service with clients, and its client IDs.
    pub fn services(&self) -> impl Iterator<Item = (ServiceId, &[u8])> {
        self.in_use
            .iter()
            .map(|(&s, v)| (ServiceId(s), v.as_slice()))
    }
    /// Total allocated clients, all services.
    pub fn len(&self) -> usize {
        self.in_use.values().map(Vec::len).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn clear(&mut self) {
        self.in_use.clear();
        self.next.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_increasing_and_exhausts() {
        let mut t = ClientTable::default();
        assert_eq!(t.allocate(ServiceId::Dms), Some(1));
        assert_eq!(t.allocate(ServiceId::Dms), Some(2));
        assert_eq!(t.allocate(ServiceId::Nas), Some(1));
        assert!(t.release(ServiceId::Dms, 1));
        assert!(!t.release(ServiceId::Dms, 1));
        assert_eq!(t.allocate(ServiceId::Dms), Some(3));
        while t.allocate(ServiceId::Wds).is_some() {}
        assert_eq!(t.clients(ServiceId::Wds).len(), MAX_CLIENTS_PER_SERVICE);
    }
}
