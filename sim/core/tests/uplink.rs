//! The uplink through the engine's sans-IO API: off by default, forwarded
//! and delivered when on, and gone with the bearers on a firmware reset.

use vmodem_core::model::{IpFamily, Profile};
use vmodem_core::testkit::packet;
use vmodem_core::time::Instant;
use vmodem_core::Modem;

/// An IPv4 ICMP echo (request or reply) with valid checksums.
fn icmp(src: [u8; 4], dst: [u8; 4], ty: u8) -> Vec<u8> {
    packet::icmpv4_echo(src.into(), dst.into(), ty, &[9, 9])
}

fn connected() -> Modem {
    let t = Instant::from_millis(5_000);
    let mut m = Modem::new(Profile::default(), 3, Instant::ZERO);
    m.device_mut()
        .with_sim(Instant::ZERO, |s| s.verify_pin("1234"))
        .unwrap();
    m.handle_timeout(t);
    m.device_mut()
        .start_network("internet", IpFamily::V4)
        .unwrap();
    m.device_mut().data_format.link_layer = 2;
    m
}

#[test]
fn forwarded_and_delivered_through_the_engine() {
    let t = Instant::from_millis(6_000);
    let out = icmp([10, 64, 0, 2], [198, 51, 100, 1], 8);
    let back = icmp([198, 51, 100, 1], [10, 64, 0, 2], 0);

    let mut m = connected();
    m.handle_data(&out, t);
    assert!(m.poll_uplink().is_none(), "off by default");
    m.handle_downlink(&back, t);
    assert!(m.poll_data().is_none());

    m.set_uplink(true);
    m.handle_data(&out, t);
    let up = m.poll_uplink().unwrap();
    assert_eq!((&up[12..20], up[8]), (&out[12..20], 63));
    m.handle_downlink(&back, t);
    let down = m.poll_data().unwrap();
    assert_eq!((&down[12..20], down[8]), (&back[12..20], 63));
    let s = m.data_stats();
    assert_eq!((s.uplink_packets, s.downlink_packets), (1, 1));
    assert_eq!(s.downlink_dropped, 1, "the one while off");
    assert_eq!(m.device().data_stats, s, "WDS sees the same counters");

    // After a firmware reset the bearer is gone: nothing comes down.
    m.device_mut().reset_requested = true;
    m.handle_serial(vmodem_core::SerialPort::At, b"", t);
    m.handle_downlink(&back, t);
    assert!(m.poll_data().is_none());
}
