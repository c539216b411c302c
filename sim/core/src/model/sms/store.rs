//! A message store (the SIM's EF-SMS or the module's NV): numbered slots,
//! a fixed capacity, each message with its status tag.

/// A stored message's status, as QMI WMS numbers it (AT +CMGL and MBIM
/// map it to their own values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    MtRead = 0,
    MtNotRead = 1,
    MoSent = 2,
    MoNotSent = 3,
}

impl Tag {
    pub fn from_qmi(v: u8) -> Option<Tag> {
        Some(match v {
            0 => Tag::MtRead,
            1 => Tag::MtNotRead,
            2 => Tag::MoSent,
            3 => Tag::MoNotSent,
            _ => return None,
        })
    }

    /// A message the network delivered (DELIVER or STATUS-REPORT).
    pub fn is_mt(self) -> bool {
        matches!(self, Tag::MtRead | Tag::MtNotRead)
    }
}

/// One stored message: its tag and the whole PDU (SMSC address first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub tag: Tag,
    pub pdu: Vec<u8>,
}

/// Numbered slots `0..capacity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStore {
    slots: Vec<Option<Stored>>,
}

impl MessageStore {
    pub fn new(capacity: usize) -> MessageStore {
        MessageStore {
            slots: vec![None; capacity],
        }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    pub fn used(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    pub fn is_full(&self) -> bool {
        self.used() == self.capacity()
    }

    /// Puts the message in the lowest free slot; `None` when full.
    pub fn store(&mut self, tag: Tag, pdu: Vec<u8>) -> Option<u32> {
        let i = self.slots.iter().position(Option::is_none)?;
        self.slots[i] = Some(Stored { tag, pdu });
        Some(i as u32)
    }

    pub fn get(&self, index: u32) -> Option<&Stored> {
        self.slots.get(index as usize)?.as_ref()
    }

    pub fn get_mut(&mut self, index: u32) -> Option<&mut Stored> {
        self.slots.get_mut(index as usize)?.as_mut()
    }

    /// Empties a slot; false if it held nothing.
    pub fn delete(&mut self, index: u32) -> bool {
        self.slots
            .get_mut(index as usize)
            .and_then(Option::take)
            .is_some()
    }

    /// Deletes every message `keep` refuses; returns how many went.
    pub fn delete_where(&mut self, mut doomed: impl FnMut(&Stored) -> bool) -> usize {
        let mut n = 0;
        for s in self.slots.iter_mut() {
            if s.as_ref().is_some_and(&mut doomed) {
                *s = None;
                n += 1;
            }
        }
        n
    }

    /// Occupied slots in index order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Stored)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i as u32, s.as_ref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_slots_reused_lowest_first() {
        let mut s = MessageStore::new(2);
        assert_eq!(s.store(Tag::MtNotRead, vec![1]), Some(0));
        assert_eq!(s.store(Tag::MoNotSent, vec![2]), Some(1));
        assert!(s.is_full());
        assert_eq!(s.store(Tag::MtRead, vec![3]), None);
        assert!(s.delete(0));
        assert!(!s.delete(0));
        assert!(!s.delete(9));
        assert_eq!(s.store(Tag::MtRead, vec![3]), Some(0));
        assert_eq!(s.iter().map(|(i, _)| i).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(s.delete_where(|m| m.tag == Tag::MtRead), 1);
        assert_eq!(s.used(), 1);
    }
}
