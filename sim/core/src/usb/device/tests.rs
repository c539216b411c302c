use super::*;
use crate::model::Profile;

fn dev() -> UsbDevice {
    UsbDevice::new(UsbPersonality::application_qmi(&Profile::default()), 4096)
}

fn ctl(id: u32, setup: [u8; 8], data: &[u8]) -> Urb {
    let length = if setup[0] & 0x80 != 0 {
        u16::from_le_bytes([setup[6], setup[7]]) as u32
    } else {
        data.len() as u32
    };
    Urb {
        id,
        endpoint: setup[0] & 0x80,
        setup,
        length,
        data: data.to_vec(),
    }
}

fn run(d: &mut UsbDevice, urb: Urb) -> Completion {
    d.submit(urb);
    d.poll_completion().expect("EP0 completes at once")
}

fn configured() -> UsbDevice {
    let mut d = dev();
    let c = run(
        &mut d,
        ctl(1, [0, SET_CONFIGURATION, 1, 0, 0, 0, 0, 0], &[]),
    );
    assert_eq!(c.status, UrbStatus::Ok);
    d
}

fn bulk_in(id: u32, endpoint: u8, length: u32) -> Urb {
    Urb {
        id,
        endpoint,
        setup: [0; 8],
        length,
        data: vec![],
    }
}

#[test]
fn enumeration_reads_the_personality() {
    let mut d = dev();
    let c = run(&mut d, ctl(1, [0x80, 6, 0, 1, 0, 0, 64, 0], &[]));
    assert_eq!(c.data, descriptors::device(d.personality()));
    // A short read of the configuration gets its first 9 bytes only.
    let c = run(&mut d, ctl(2, [0x80, 6, 0, 2, 0, 0, 9, 0], &[]));
    assert_eq!(c.data.len(), 9);
    let total = u16::from_le_bytes([c.data[2], c.data[3]]);
    let c = run(
        &mut d,
        ctl(
            3,
            [0x80, 6, 0, 2, 0, 0, total as u8, (total >> 8) as u8],
            &[],
        ),
    );
    assert_eq!(Some(c.data), descriptors::configuration(d.personality(), 0));
    let c = run(&mut d, ctl(4, [0x80, 6, 0, 3, 0, 0, 255, 0], &[]));
    assert_eq!(c.data, vec![4, 3, 0x09, 0x04]);
    let c = run(&mut d, ctl(5, [0x80, 6, 9, 3, 0x09, 0x04, 255, 0], &[]));
    assert_eq!(c.status, UrbStatus::Stall);
    let c = run(&mut d, ctl(6, [0x80, 8, 0, 0, 0, 0, 1, 0], &[]));
    assert_eq!(c.data, vec![0]);
    let c = run(
        &mut d,
        ctl(7, [0, SET_CONFIGURATION, 2, 0, 0, 0, 0, 0], &[]),
    );
    assert_eq!(c.status, UrbStatus::Stall);
    let c = run(
        &mut d,
        ctl(8, [0, SET_CONFIGURATION, 1, 0, 0, 0, 0, 0], &[]),
    );
    assert_eq!(c.status, UrbStatus::Ok);
    let c = run(&mut d, ctl(9, [0x80, 8, 0, 0, 0, 0, 1, 0], &[]));
    assert_eq!(c.data, vec![1]);
    // Self-powered, remote wakeup not yet enabled.
    let c = run(&mut d, ctl(10, [0x80, 0, 0, 0, 0, 0, 2, 0], &[]));
    assert_eq!(c.data, vec![1, 0]);
}

#[test]
fn interface_and_endpoint_requests() {
    let mut d = configured();
    assert_eq!(
        run(&mut d, ctl(1, [1, SET_INTERFACE, 0, 0, 8, 0, 0, 0], &[])).status,
        UrbStatus::Ok
    );
    assert_eq!(
        run(&mut d, ctl(2, [1, SET_INTERFACE, 1, 0, 8, 0, 0, 0], &[])).status,
        UrbStatus::Stall
    );
    assert_eq!(
        run(&mut d, ctl(3, [1, SET_INTERFACE, 0, 0, 5, 0, 0, 0], &[])).status,
        UrbStatus::Stall
    );
    assert_eq!(
        run(&mut d, ctl(4, [0x81, GET_INTERFACE, 0, 0, 3, 0, 1, 0], &[])).data,
        vec![0]
    );
    // Halt the AT bulk IN endpoint: its URBs stall until CLEAR_FEATURE.
    assert_eq!(
        run(&mut d, ctl(5, [2, SET_FEATURE, 0, 0, 0x84, 0, 0, 0], &[])).status,
        UrbStatus::Ok
    );
    assert_eq!(
        run(&mut d, ctl(6, [0x82, GET_STATUS, 0, 0, 0x84, 0, 2, 0], &[])).data,
        vec![1, 0]
    );
    assert_eq!(run(&mut d, bulk_in(7, 0x84, 512)).status, UrbStatus::Stall);
    assert_eq!(
        run(&mut d, ctl(8, [2, CLEAR_FEATURE, 0, 0, 0x84, 0, 0, 0], &[])).status,
        UrbStatus::Ok
    );
    d.submit(bulk_in(9, 0x84, 512));
    assert_eq!(d.poll_completion(), None);
    // Vendor requests and unknown endpoints stall.
    assert_eq!(
        run(&mut d, ctl(10, [0x40, 0, 0, 0, 0, 0, 0, 0], &[])).status,
        UrbStatus::Stall
    );
    assert_eq!(run(&mut d, bulk_in(11, 0x8f, 64)).status, UrbStatus::Stall);
}

#[test]
fn qmi_over_ep0_and_the_notification_endpoint() {
    let mut d = configured();
    let cmd = [1u8, 0x0c, 0, 0, 0, 0, 0, 0x22, 0, 0, 0, 0];
    let c = run(
        &mut d,
        ctl(1, [0x21, 0, 0, 0, 8, 0, cmd.len() as u8, 0], &cmd),
    );
    assert_eq!(
        (c.status, c.actual_length),
        (UrbStatus::Ok, cmd.len() as u32)
    );
    assert_eq!(d.poll_host(), Some(HostTraffic::Control(cmd.to_vec())));
    // The interrupt URB waits until a response is announced.
    let notify = d
        .in_endpoint(PortRole::Qmi, TransferKind::Interrupt)
        .unwrap();
    assert_eq!(notify, 0x87);
    d.submit(bulk_in(2, notify, 64));
    assert_eq!(d.poll_completion(), None);
    d.wdm().queue_response(vec![9, 9, 9]);
    let n = d.wdm().poll_notification().unwrap();
    d.queue_in(PortRole::Qmi, TransferKind::Interrupt, n.to_vec());
    let c = d.poll_completion().unwrap();
    assert_eq!((c.id, c.data), (2, n.to_vec()));
    let c = run(&mut d, ctl(3, [0xA1, 1, 0, 0, 8, 0, 0, 0x10], &[]));
    assert_eq!(c.data, vec![9, 9, 9]);
}

#[test]
fn serial_traffic_and_line_state() {
    let mut d = configured();
    let c = run(&mut d, ctl(1, [0x21, 0x22, 1, 0, 3, 0, 0, 0], &[]));
    assert_eq!(c.status, UrbStatus::Ok);
    assert_eq!(
        d.poll_host(),
        Some(HostTraffic::LineState {
            role: PortRole::At,
            open: true
        })
    );
    let out = Urb {
        id: 2,
        endpoint: 0x03,
        setup: [0; 8],
        length: 4,
        data: b"ATI\r".to_vec(),
    };
    assert_eq!(run(&mut d, out).actual_length, 4);
    assert_eq!(
        d.poll_host(),
        Some(HostTraffic::Bulk {
            role: PortRole::At,
            data: b"ATI\r".to_vec()
        })
    );
    // A serial reply longer than the URB is split across URBs.
    d.queue_in(PortRole::At, TransferKind::Bulk, b"hello".to_vec());
    d.submit(bulk_in(3, 0x84, 3));
    d.submit(bulk_in(4, 0x84, 512));
    assert_eq!(d.poll_completion().unwrap().data, b"hel");
    assert_eq!(d.poll_completion().unwrap().data, b"lo");
    assert_eq!(d.poll_completion(), None);
    // A data packet longer than the URB overflows instead.
    d.queue_in(PortRole::Qmi, TransferKind::Bulk, vec![0x45; 100]);
    d.submit(bulk_in(5, 0x86, 64));
    let c = d.poll_completion().unwrap();
    assert_eq!((c.status, c.data.len()), (UrbStatus::Overflow, 64));
}

#[test]
fn unlink_cancels_only_pending_urbs() {
    let mut d = configured();
    d.submit(bulk_in(1, 0x87, 64));
    assert!(d.unlink(1));
    assert!(!d.unlink(1));
    d.queue_in(PortRole::Qmi, TransferKind::Interrupt, vec![1; 8]);
    assert_eq!(
        d.poll_completion(),
        None,
        "the unlinked URB never completes"
    );
    d.submit(bulk_in(2, 0x87, 64));
    assert_eq!(d.poll_completion().unwrap().id, 2);
    assert!(!d.unlink(2));
}

#[test]
fn unconfigured_device_refuses_data_endpoints() {
    let mut d = dev();
    assert_eq!(run(&mut d, bulk_in(1, 0x84, 64)).status, UrbStatus::Stall);
    let mut d = configured();
    d.submit(bulk_in(2, 0x84, 64));
    d.reset();
    assert_eq!(d.configuration(), 0);
    d.queue_in(PortRole::At, TransferKind::Bulk, vec![1]);
    assert_eq!(d.poll_completion(), None);
}

fn mbim_dual() -> UsbDevice {
    UsbDevice::new(UsbPersonality::application(&Profile::default(), 14), 4096)
}

#[test]
fn the_host_chooses_the_mbim_configuration() {
    let mut d = mbim_dual();
    // Both configuration descriptors are readable by index.
    let c = run(&mut d, ctl(1, [0x80, 6, 1, 2, 0, 0, 0xff, 0], &[]));
    assert_eq!((c.data.len(), c.data[5]), (95, 2));
    let c = run(&mut d, ctl(2, [0x80, 6, 2, 2, 0, 0, 0xff, 0], &[]));
    assert_eq!(c.status, UrbStatus::Stall);
    // Configuration 3 does not exist.
    let c = run(
        &mut d,
        ctl(3, [0, SET_CONFIGURATION, 3, 0, 0, 0, 0, 0], &[]),
    );
    assert_eq!(c.status, UrbStatus::Stall);
    assert_eq!(d.control_role(), Some(PortRole::Qmi));
    let c = run(
        &mut d,
        ctl(4, [0, SET_CONFIGURATION, 2, 0, 0, 0, 0, 0], &[]),
    );
    assert_eq!(c.status, UrbStatus::Ok);
    assert_eq!(d.configuration(), 2);
    assert_eq!(d.control_role(), Some(PortRole::Mbim));
    // The QMI interface of configuration 1 is gone; MBIM's control
    // channel is on interface 12.
    let send = |id, ifc: u8| ctl(id, [0x21, 0, 0, 0, ifc, 0, 3, 0], &[1, 2, 3]);
    assert_eq!(run(&mut d, send(5, 8)).status, UrbStatus::Stall);
    assert_eq!(run(&mut d, send(6, 12)).status, UrbStatus::Ok);
    assert_eq!(d.poll_host(), Some(HostTraffic::MbimControl(vec![1, 2, 3])));
    d.wdm().queue_response(vec![9]);
    let n = d.wdm().poll_notification().unwrap();
    assert_eq!(n[4], 12);
}

#[test]
fn mbim_data_flows_only_on_alternate_setting_1() {
    let mut d = UsbDevice::new(UsbPersonality::application(&Profile::default(), 9), 4096);
    let c = run(
        &mut d,
        ctl(1, [0, SET_CONFIGURATION, 1, 0, 0, 0, 0, 0], &[]),
    );
    assert_eq!(c.status, UrbStatus::Ok);
    let get_alt = ctl(2, [0x81, GET_INTERFACE, 0, 0, 13, 0, 1, 0], &[]);
    assert_eq!(run(&mut d, get_alt).data, vec![0]);
    // Alternate 0 has no endpoints: bulk IN 0x81 stalls.
    d.submit(bulk_in(3, 0x81, 2048));
    assert_eq!(d.poll_completion().unwrap().status, UrbStatus::Stall);
    // No alternate 2.
    let set = |id, alt| ctl(id, [0x01, SET_INTERFACE, alt, 0, 13, 0, 0, 0], &[]);
    assert_eq!(run(&mut d, set(4, 2)).status, UrbStatus::Stall);
    assert_eq!(run(&mut d, set(5, 1)).status, UrbStatus::Ok);
    assert_eq!(
        d.poll_host(),
        Some(HostTraffic::AltSetting {
            role: PortRole::MbimData,
            alternate: 1
        })
    );
    let get_alt = ctl(6, [0x81, GET_INTERFACE, 0, 0, 13, 0, 1, 0], &[]);
    assert_eq!(run(&mut d, get_alt).data, vec![1]);
    d.submit(bulk_in(7, 0x81, 2048));
    assert_eq!(d.poll_completion(), None);
    assert!(d.queue_in(PortRole::MbimData, TransferKind::Bulk, vec![0xAA; 3000]));
    // An NTB is one transfer: what the URB cannot hold is babble.
    let c = d.poll_completion().unwrap();
    assert_eq!(
        (c.id, c.status, c.data.len()),
        (7, UrbStatus::Overflow, 2048)
    );
}

#[test]
fn mbim_datagrams_cross_in_ntbs() {
    use crate::wire::ntb::{Format, InLimits, NtbBuilder, Packet, Stream};
    let mut d = UsbDevice::new(UsbPersonality::application(&Profile::default(), 9), 4096);
    run(
        &mut d,
        ctl(1, [0, SET_CONFIGURATION, 1, 0, 0, 0, 0, 0], &[]),
    );
    // cdc_ncm_init's first request, on the communication interface.
    let c = run(&mut d, ctl(2, [0xA1, 0x80, 0, 0, 12, 0, 28, 0], &[]));
    assert_eq!((c.status, c.data.len()), (UrbStatus::Ok, 28));
    run(
        &mut d,
        ctl(3, [0x01, SET_INTERFACE, 1, 0, 13, 0, 0, 0], &[]),
    );
    d.poll_host();
    // Host to device: one NTB with two datagrams of session 0.
    let mut b = NtbBuilder::new(InLimits {
        format: Format::Ntb16,
        max_size: 4096,
        divisor: 4,
        remainder: 0,
        ndp_alignment: 4,
        max_datagrams: 0,
    });
    b.push(Stream::Ip(0), vec![0x45; 40]).unwrap();
    b.push(Stream::Ip(0), vec![0x46; 60]).unwrap();
    let ntb = b.next_ntb().unwrap();
    d.submit(Urb {
        id: 4,
        endpoint: 0x01,
        setup: [0; 8],
        length: ntb.len() as u32,
        data: ntb,
    });
    assert_eq!(d.poll_completion().unwrap().status, UrbStatus::Ok);
    let got: Vec<_> = std::iter::from_fn(|| d.poll_host()).collect();
    assert_eq!(
        got,
        vec![
            HostTraffic::Datagram {
                session: 0,
                data: vec![0x45; 40]
            },
            HostTraffic::Datagram {
                session: 0,
                data: vec![0x46; 60]
            },
        ]
    );
    // A malformed NTB is dropped whole and counted; the OUT URB completes.
    d.submit(Urb {
        id: 5,
        endpoint: 0x01,
        setup: [0; 8],
        length: 12,
        data: b"NCMH\x0c\x00\x00\x00\xff\xff\x00\x00".to_vec(),
    });
    assert_eq!(d.poll_completion().unwrap().status, UrbStatus::Ok);
    assert_eq!(d.poll_host(), None);
    assert_eq!(d.ncm().unwrap().stats().ntbs_refused, 1);
    // Device to host: what was queued before the IN URB travels in one NTB.
    assert!(d.queue_datagram(0, vec![0x45; 84]));
    assert!(d.queue_datagram(0, vec![0x60; 104]));
    d.submit(bulk_in(6, 0x81, 16384));
    let c = d.poll_completion().unwrap();
    assert_eq!(c.status, UrbStatus::Ok);
    let p = Packet::new_checked(&c.data[..]).unwrap();
    let lens: Vec<usize> = p.datagrams().map(|g| g.payload.len()).collect();
    assert_eq!(lens, vec![84, 104]);
}

#[test]
fn reset_function_resets_the_mbim_control_function() {
    let mut d = UsbDevice::new(UsbPersonality::application(&Profile::default(), 9), 4096);
    run(
        &mut d,
        ctl(1, [0, SET_CONFIGURATION, 1, 0, 0, 0, 0, 0], &[]),
    );
    let c = run(&mut d, ctl(2, [0x21, 0x05, 0, 0, 12, 0, 0, 0], &[]));
    assert_eq!(c.status, UrbStatus::Ok);
    assert_eq!(d.poll_host(), Some(HostTraffic::MbimReset));
    // Not on another interface.
    let c = run(&mut d, ctl(3, [0x21, 0x05, 0, 0, 13, 0, 0, 0], &[]));
    assert_eq!(c.status, UrbStatus::Stall);
    assert_eq!(d.poll_host(), None);
}
