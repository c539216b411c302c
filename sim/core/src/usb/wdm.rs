//! The CDC-WDM "encapsulated" control channel, as `qmi_wwan`/`cdc_wdm` and
//! `cdc_mbim` drive it: requests arrive as SEND_ENCAPSULATED_COMMAND on
//! EP0, responses wait until the host asks with GET_ENCAPSULATED_RESPONSE,
//! and each waiting response is announced by one RESPONSE_AVAILABLE
//! notification on the interrupt endpoint.

use super::setup::{Direction, Setup};
use std::collections::VecDeque;

pub const SEND_ENCAPSULATED_COMMAND: u8 = 0x00;
pub const GET_ENCAPSULATED_RESPONSE: u8 = 0x01;
/// CDC SET_CONTROL_LINE_STATE (DTR/RTS), sent by serial drivers and some QMI quirks.
pub const SET_CONTROL_LINE_STATE: u8 = 0x22;
/// Length of a RESPONSE_AVAILABLE notification.
pub const RESPONSE_AVAILABLE_LEN: usize = 8;
/// Responses kept for a host that does not read them; beyond this the
/// oldest is dropped so memory stays bounded.
pub const MAX_QUEUED: usize = 256;

/// What to do with a control request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlReply {
    /// OUT request accepted; its data, if any, is a message for the engine.
    Accept(Option<Vec<u8>>),
    /// IN request answered with these bytes (possibly none).
    Data(Vec<u8>),
    /// Not ours or not valid: stall EP0, as a real device does.
    Stall,
}

/// One encapsulated control channel, on interface `interface`.
#[derive(Debug, Clone)]
pub struct WdmChannel {
    interface: u8,
    /// wMaxCommand the host driver registered (4096 for qmi_wwan); longer
    /// responses cannot be delivered.
    max_command: usize,
    responses: VecDeque<Vec<u8>>,
    notifications_owed: usize,
    dropped: u64,
}

impl WdmChannel {
    pub fn new(interface: u8, max_command: usize) -> Self {
        WdmChannel {
            interface,
            max_command,
            responses: VecDeque::new(),
            notifications_owed: 0,
            dropped: 0,
        }
    }

    pub fn interface(&self) -> u8 {
        self.interface
    }

    /// A message from the device for the host.
    pub fn queue_response(&mut self, msg: Vec<u8>) {
        if msg.len() > self.max_command {
            self.dropped += 1;
            return;
        }
        if self.responses.len() >= MAX_QUEUED {
            self.responses.pop_front();
            self.notifications_owed = self.notifications_owed.saturating_sub(1);
            self.dropped += 1;
        }
        self.responses.push_back(msg);
        self.notifications_owed += 1;
    }

    /// Responses dropped because the host did not read them or they were too long.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn queued(&self) -> usize {
        self.responses.len()
    }

    /// The next RESPONSE_AVAILABLE notification to put on the interrupt endpoint.
    pub fn poll_notification(&mut self) -> Option<[u8; RESPONSE_AVAILABLE_LEN]> {
        if self.notifications_owed == 0 {
            return None;
        }
        self.notifications_owed -= 1;
        let i = (self.interface as u16).to_le_bytes();
        Some([0xA1, 0x01, 0x00, 0x00, i[0], i[1], 0x00, 0x00])
    }

    /// Forgets everything pending: the host reset or reconfigured the device.
    pub fn reset(&mut self) {
        self.responses.clear();
        self.notifications_owed = 0;
    }

    /// Handles a class request to this interface. `data` is the OUT data stage.
    pub fn handle(&mut self, setup: &Setup, data: &[u8]) -> ControlReply {
        if !setup.is_class_interface() || setup.interface() != self.interface {
            return ControlReply::Stall;
        }
        match (setup.direction(), setup.request) {
            (Direction::HostToDevice, SEND_ENCAPSULATED_COMMAND) => {
                ControlReply::Accept(Some(data.to_vec()))
            }
            (Direction::HostToDevice, SET_CONTROL_LINE_STATE) => ControlReply::Accept(None),
            (Direction::DeviceToHost, GET_ENCAPSULATED_RESPONSE) => {
                // Nothing pending is answered with no data, which cdc-wdm
                // reads as "no response" rather than as an error.
                match self.responses.front() {
                    Some(r) if r.len() <= setup.length as usize => {
                        ControlReply::Data(self.responses.pop_front().unwrap_or_default())
                    }
                    Some(_) => ControlReply::Stall,
                    None => ControlReply::Data(Vec::new()),
                }
            }
            _ => ControlReply::Stall,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(rt: u8, req: u8, ifc: u16, len: u16) -> Setup {
        Setup {
            request_type: rt,
            request: req,
            value: 0,
            index: ifc,
            length: len,
        }
    }

    #[test]
    fn command_then_notified_response() {
        let mut w = WdmChannel::new(8, 4096);
        let cmd = [1u8, 2, 3];
        assert_eq!(
            w.handle(&setup(0x21, 0x00, 8, 3), &cmd),
            ControlReply::Accept(Some(cmd.to_vec()))
        );
        assert_eq!(w.poll_notification(), None);
        w.queue_response(vec![9, 9]);
        w.queue_response(vec![7]);
        assert_eq!(w.poll_notification(), Some([0xA1, 1, 0, 0, 8, 0, 0, 0]));
        assert!(w.poll_notification().is_some());
        assert_eq!(w.poll_notification(), None);
        let get = setup(0xA1, 0x01, 8, 4096);
        assert_eq!(w.handle(&get, &[]), ControlReply::Data(vec![9, 9]));
        assert_eq!(w.handle(&get, &[]), ControlReply::Data(vec![7]));
        assert_eq!(w.handle(&get, &[]), ControlReply::Data(vec![]));
    }

    #[test]
    fn other_interfaces_and_requests_stall() {
        let mut w = WdmChannel::new(8, 4096);
        assert_eq!(
            w.handle(&setup(0x21, 0x00, 3, 1), &[0]),
            ControlReply::Stall
        );
        assert_eq!(
            w.handle(&setup(0x41, 0x00, 8, 1), &[0]),
            ControlReply::Stall
        );
        assert_eq!(w.handle(&setup(0xA1, 0x05, 8, 1), &[]), ControlReply::Stall);
    }

    #[test]
    fn a_host_that_never_reads_cannot_grow_the_queue() {
        let mut w = WdmChannel::new(8, 4096);
        for i in 0..(MAX_QUEUED * 3) {
            w.queue_response(vec![i as u8]);
        }
        assert_eq!(w.queued(), MAX_QUEUED);
        assert_eq!(w.dropped(), (MAX_QUEUED * 2) as u64);
        let mut n = 0;
        while w.poll_notification().is_some() {
            n += 1;
        }
        assert_eq!(n, MAX_QUEUED);
    }
}
