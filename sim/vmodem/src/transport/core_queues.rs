//! The driver's output into the device core (`UsbDevice`), for the
//! transports that serve their descriptors and EP0 from it (USB/IP and
//! GadgetFS): the same bounds and routing whichever moves the URBs.

use super::outq::{self, SERIAL_BOUND};
use crate::driver::{self, ControlKind, Overrun};
use vmodem_core::usb::{PortRole, TransferKind, UsbDevice, MAX_QUEUED_RESPONSES};
use vmodem_core::SerialPort;

/// The configuration's control channel carries QMI or MBIM.
pub fn control_kind(dev: &UsbDevice) -> Option<ControlKind> {
    match dev.control_role() {
        Some(PortRole::Mbim) => Some(ControlKind::Mbim),
        Some(_) => Some(ControlKind::Qmi),
        None => None,
    }
}

/// A control message that did not fit, as the `host-overrun` event names
/// its port.
pub fn control_overrun(dev: &UsbDevice, bytes: usize) -> Overrun {
    let port = match control_kind(dev) {
        Some(ControlKind::Mbim) => "mbim",
        _ => "qmi",
    };
    Overrun { port, bytes }
}

/// A response for CDC-WDM's GET_ENCAPSULATED_RESPONSE, within its bound.
pub fn send_control(dev: &mut UsbDevice, frame: Vec<u8>) -> Result<(), Overrun> {
    if dev.wdm().queued() >= MAX_QUEUED_RESPONSES {
        return Err(control_overrun(dev, frame.len()));
    }
    dev.wdm().queue_response(frame);
    Ok(())
}

pub fn serial_room(dev: &UsbDevice, port: SerialPort) -> bool {
    let (_, bytes) = dev.queued_in(PortRole::of_serial(port), TransferKind::Bulk);
    outq::serial_room(bytes)
}

/// The serial IN queues have the pty's bounds (`outq::SERIAL_BOUND`).
pub fn send_serial(dev: &mut UsbDevice, port: SerialPort, bytes: Vec<u8>) -> Result<(), Overrun> {
    let role = PortRole::of_serial(port);
    let (chunks, queued) = dev.queued_in(role, TransferKind::Bulk);
    if !SERIAL_BOUND.fits(chunks, queued, bytes.len()) {
        return Err(Overrun {
            port: driver::port_name(port),
            bytes: bytes.len(),
        });
    }
    dev.queue_in(role, TransferKind::Bulk, bytes);
    Ok(())
}

/// MBIM's data travels in NTBs, in the IPS stream of its session; QMI's
/// as raw IP or Ethernet frames on its bulk IN endpoint.
pub fn send_data(dev: &mut UsbDevice, session: u8, pkt: Vec<u8>) {
    match dev.control_role() {
        Some(PortRole::Mbim) => dev.queue_datagram(session, pkt),
        _ => dev.queue_in(PortRole::Qmi, TransferKind::Bulk, pkt),
    };
}
