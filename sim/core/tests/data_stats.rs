//! Packets through the data path show up in WDS Get Packet Statistics.

use vmodem_core::model::{IpFamily, Profile};
use vmodem_core::time::Instant;
use vmodem_core::wire::qmi::Message;
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;
use vmodem_core::Modem;

fn ping_gateway() -> Vec<u8> {
    use vmodem_core::testkit::packet::{icmpv4_echo, BEARER_V4, ECHO_REQUEST, GATEWAY_V4};
    icmpv4_echo(BEARER_V4, GATEWAY_V4, ECHO_REQUEST, &[1, 2, 3, 4])
}

#[test]
fn wds_reports_what_crossed_the_data_path() {
    let t = Instant::from_millis(5_000);
    let mut m = Modem::new(Profile::default(), 3, Instant::ZERO);
    m.handle_qmi(
        &Message::request(ServiceId::Ctl, 0, 1, 0x22, vec![Tlv::new(1, vec![1])]).to_bytes(),
        Instant::ZERO,
    );
    let cid = Message::parse(&m.poll_qmi().unwrap())
        .unwrap()
        .tlv(1)
        .unwrap()[1];
    m.device_mut()
        .with_sim(Instant::ZERO, |s| s.verify_pin("1234"))
        .unwrap();
    m.handle_timeout(t);
    m.device_mut()
        .start_network("internet", IpFamily::V4)
        .unwrap();
    m.device_mut().data_format.link_layer = 2;
    for _ in 0..3 {
        m.handle_data(&ping_gateway(), t);
        assert!(m.poll_data().is_some());
    }
    m.handle_data(&[0x45, 0, 0], t); // junk: dropped
    while m.poll_qmi().is_some() {}
    let req = Message::request(
        ServiceId::Wds,
        cid,
        9,
        0x24,
        vec![Tlv::new(1, 0x1c3u32.to_le_bytes().to_vec())],
    );
    m.handle_qmi(&req.to_bytes(), t);
    let r = Message::parse(&m.poll_qmi().unwrap()).unwrap();
    assert_eq!(r.result(), Some((0, 0)));
    let u32_of = |ty| u32::from_le_bytes(r.tlv(ty).unwrap().try_into().unwrap());
    let u64_of = |ty| u64::from_le_bytes(r.tlv(ty).unwrap().try_into().unwrap());
    assert_eq!(u32_of(0x10), 4, "uplink packets, junk included");
    assert_eq!(u32_of(0x11), 3, "downlink packets");
    assert_eq!(u64_of(0x1A), 3 * 32, "downlink bytes");
    assert_eq!(u32_of(0x1D), 1, "dropped");
}
