//! USB captures in the format of Linux usbmon, without I/O.
//!
//! [`UsbCapture`] turns the transfers between host and modem into pcap
//! records (see [`usbmon`]) that Wireshark and tshark read as a capture
//! from `usbmonN`: a submission and a completion per URB, with the bus,
//! device number and endpoint addresses of the module's
//! [`UsbPersonality`]. A capture starts with the enumeration a host does
//! (device and configuration descriptors, SET_CONFIGURATION) so that the
//! reader knows each interface's class. The caller supplies timestamps and
//! writes the bytes; nothing here reads a clock or touches a file.

pub mod usbmon;

use crate::usb::{
    descriptors, PortRole, Setup, TransferKind, UsbPersonality, GET_ENCAPSULATED_RESPONSE,
    SEND_ENCAPSULATED_COMMAND,
};
use crate::SerialPort;
use usbmon::{EventType, UsbmonPacket, XferType, EINPROGRESS, EPIPE};

/// wLength of GET_ENCAPSULATED_RESPONSE as qmi_wwan (cdc-wdm) sends it.
pub const WDM_READ_LEN: u16 = 4096;
/// Where URB ids start: the shape of a kernel heap address.
const URB_BASE: u64 = 0xffff_8880_0412_0000;

/// How a control transfer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlOutcome<'a> {
    /// OUT transfer accepted.
    Accepted,
    /// IN transfer answered with these bytes.
    Data(&'a [u8]),
    /// EP0 stalled.
    Stalled,
}

/// Builds the records of one device's transfers.
#[derive(Debug, Clone)]
pub struct UsbCapture {
    personality: UsbPersonality,
    bus: u16,
    device: u8,
    next_urb: u64,
}

impl UsbCapture {
    pub fn new(personality: UsbPersonality, bus: u16, device: u8) -> Self {
        UsbCapture {
            personality,
            bus,
            device,
            next_urb: URB_BASE,
        }
    }

    /// The device enumerates again (a reset, a personality switch): a host
    /// gives it a new address, and its transfers follow `personality`.
    pub fn reenumerated(&mut self, personality: UsbPersonality) {
        self.personality = personality;
        self.device = self.device % 127 + 1;
    }

    /// The pcap file header; write it once, before any record.
    pub fn file_header(&self) -> [u8; usbmon::FILE_HEADER_LEN] {
        usbmon::file_header()
    }

    /// What a host reads and sets while enumerating the device.
    pub fn enumeration(&mut self, ts: u64) -> Vec<u8> {
        let dev = descriptors::device(&self.personality);
        let cfg = descriptors::configuration(&self.personality, 0).unwrap_or_default();
        let value = self
            .personality
            .configurations
            .first()
            .map_or(1, |c| c.value);
        let get = |value: u16, length: u16| Setup {
            request_type: 0x80,
            request: 0x06,
            value,
            index: 0,
            length,
        };
        let mut out = self.control(ts, &get(0x0100, 18), &[], ControlOutcome::Data(&dev));
        let short = &cfg[..cfg.len().min(9)];
        out.extend(self.control(ts, &get(0x0200, 9), &[], ControlOutcome::Data(short)));
        let full = get(0x0200, cfg.len() as u16);
        out.extend(self.control(ts, &full, &[], ControlOutcome::Data(&cfg)));
        let set_config = Setup {
            request_type: 0x00,
            request: 0x09,
            value: value.into(),
            index: 0,
            length: 0,
        };
        out.extend(self.control(ts, &set_config, &[], ControlOutcome::Accepted));
        // cdc_mbim selects the data interface's alternate with endpoints.
        if let Some(d) = self
            .personality
            .interfaces()
            .iter()
            .find(|i| i.alternate == 1)
        {
            let set_interface = Setup {
                request_type: 0x01,
                request: 0x0b,
                value: 1,
                index: d.number.into(),
                length: 0,
            };
            out.extend(self.control(ts, &set_interface, &[], ControlOutcome::Accepted));
        }
        out
    }

    fn urb(&mut self) -> u64 {
        let id = self.next_urb;
        self.next_urb += 0x100;
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn packet(
        &self,
        id: u64,
        event: EventType,
        xfer: XferType,
        endpoint: u8,
        ts: u64,
        status: i32,
        length: u32,
        setup: Option<[u8; 8]>,
        data: &[u8],
    ) -> UsbmonPacket {
        let interval = self
            .personality
            .interfaces()
            .iter()
            .flat_map(|i| &i.endpoints)
            .find(|e| e.address == endpoint && e.kind == TransferKind::Interrupt)
            .map_or(0, |e| i32::from(e.interval));
        let data_flag = match (event, endpoint & 0x80 != 0) {
            (EventType::Submit, true) => b'<',
            (EventType::Complete, false) => b'>',
            _ => b'=',
        };
        UsbmonPacket {
            id,
            event,
            xfer,
            endpoint,
            device: self.device,
            bus: self.bus,
            setup,
            data_flag,
            ts_micros: ts,
            status,
            length,
            interval,
            data: data.to_vec(),
        }
    }

    /// One control transfer on EP0: `out` is the OUT data stage.
    pub fn control(
        &mut self,
        ts: u64,
        setup: &Setup,
        out: &[u8],
        outcome: ControlOutcome<'_>,
    ) -> Vec<u8> {
        let id = self.urb();
        let is_in = setup.request_type & 0x80 != 0;
        let ep = if is_in { 0x80 } else { 0x00 };
        let sent = if is_in { &[][..] } else { out };
        let wlen = u32::from(setup.length);
        let s = Some(setup.emit());
        let mut rec = self
            .packet(
                id,
                EventType::Submit,
                XferType::Control,
                ep,
                ts,
                EINPROGRESS,
                wlen,
                s,
                sent,
            )
            .emit();
        let (status, length, data) = match outcome {
            ControlOutcome::Accepted => (0, out.len() as u32, &[][..]),
            ControlOutcome::Data(d) => (0, d.len() as u32, d),
            ControlOutcome::Stalled => (EPIPE, 0, &[][..]),
        };
        let done = self.packet(
            id,
            EventType::Complete,
            XferType::Control,
            ep,
            ts,
            status,
            length,
            None,
            data,
        );
        rec.extend(done.emit());
        rec
    }

    /// One bulk or interrupt transfer on `endpoint`.
    pub fn transfer(&mut self, ts: u64, endpoint: u8, kind: TransferKind, data: &[u8]) -> Vec<u8> {
        let id = self.urb();
        let xfer = match kind {
            TransferKind::Bulk => XferType::Bulk,
            TransferKind::Interrupt => XferType::Interrupt,
        };
        let len = data.len() as u32;
        let mut rec = if endpoint & 0x80 != 0 {
            self.packet(
                id,
                EventType::Submit,
                xfer,
                endpoint,
                ts,
                EINPROGRESS,
                len,
                None,
                &[],
            )
        } else {
            self.packet(
                id,
                EventType::Submit,
                xfer,
                endpoint,
                ts,
                EINPROGRESS,
                len,
                None,
                data,
            )
        }
        .emit();
        let back = if endpoint & 0x80 != 0 { data } else { &[] };
        let done = self.packet(
            id,
            EventType::Complete,
            xfer,
            endpoint,
            ts,
            0,
            len,
            None,
            back,
        );
        rec.extend(done.emit());
        rec
    }

    /// The endpoint of `role`'s interface of this kind and direction.
    pub fn endpoint(&self, role: PortRole, kind: TransferKind, is_in: bool) -> Option<u8> {
        // Over every alternate setting: MBIM data has its pair on alt 1.
        self.personality
            .interfaces()
            .iter()
            .filter(|i| i.role == role)
            .flat_map(|i| &i.endpoints)
            .find(|e| e.kind == kind && e.is_in() == is_in)
            .map(|e| e.address)
    }

    /// The encapsulated control channel: QMI's interface, or MBIM's
    /// communication interface.
    fn control_interface(&self) -> (PortRole, u16) {
        self.personality
            .interfaces()
            .iter()
            .find(|i| matches!(i.role, PortRole::Qmi | PortRole::Mbim))
            .map_or((PortRole::Qmi, 0), |i| (i.role, u16::from(i.number)))
    }

    /// A control message (QMUX frame or MBIM message) the host sent with
    /// SEND_ENCAPSULATED_COMMAND.
    pub fn control_request(&mut self, ts: u64, frame: &[u8]) -> Vec<u8> {
        let s = Setup {
            request_type: 0x21,
            request: SEND_ENCAPSULATED_COMMAND,
            value: 0,
            index: self.control_interface().1,
            length: frame.len() as u16,
        };
        self.control(ts, &s, frame, ControlOutcome::Accepted)
    }

    /// A control message for the host: RESPONSE_AVAILABLE on the
    /// interrupt endpoint, then GET_ENCAPSULATED_RESPONSE carrying it.
    pub fn control_response(&mut self, ts: u64, frame: &[u8]) -> Vec<u8> {
        let (role, ifc) = self.control_interface();
        let i = ifc.to_le_bytes();
        let note = [0xA1, 0x01, 0x00, 0x00, i[0], i[1], 0x00, 0x00];
        let mut out = match self.endpoint(role, TransferKind::Interrupt, true) {
            Some(ep) => self.transfer(ts, ep, TransferKind::Interrupt, &note),
            None => Vec::new(),
        };
        let s = Setup {
            request_type: 0xA1,
            request: GET_ENCAPSULATED_RESPONSE,
            value: 0,
            index: ifc,
            length: WDM_READ_LEN,
        };
        out.extend(self.control(ts, &s, &[], ControlOutcome::Data(frame)));
        out
    }

    /// Bytes on a serial function's bulk endpoints: `to_host` for IN.
    pub fn serial(&mut self, ts: u64, port: SerialPort, to_host: bool, data: &[u8]) -> Vec<u8> {
        let role = match port {
            SerialPort::Dm => PortRole::Dm,
            SerialPort::Nmea => PortRole::Nmea,
            SerialPort::At => PortRole::At,
            SerialPort::Download => PortRole::Download,
        };
        self.bulk(ts, role, to_host, data)
    }

    /// One transfer on the data path's bulk pair: a packet on QMI's
    /// interface, or an NTB on MBIM's data interface.
    pub fn data(&mut self, ts: u64, to_host: bool, data: &[u8]) -> Vec<u8> {
        let role = match self.personality.interface(PortRole::MbimData) {
            Some(_) => PortRole::MbimData,
            None => PortRole::Qmi,
        };
        self.bulk(ts, role, to_host, data)
    }

    fn bulk(&mut self, ts: u64, role: PortRole, to_host: bool, data: &[u8]) -> Vec<u8> {
        match self.endpoint(role, TransferKind::Bulk, to_host) {
            Some(ep) => self.transfer(ts, ep, TransferKind::Bulk, data),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
