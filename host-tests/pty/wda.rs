//! qmicli WDA actions against vmodem.

use crate::harness::*;

#[test]
fn data_format_set_and_get() {
    let m = Vmodem::start("wda-format", &[]);
    let s = m.ok(&["--wda-get-data-format"]);
    assert_field(&s, "Link layer protocol", "'802-3'");
    assert_field(&s, "Uplink data aggregation protocol", "'disabled'");
    let s = m.ok(&["--wda-set-data-format=link-layer-protocol=raw-ip"]);
    assert!(s.contains("Successfully set data format"), "{s}");
    assert_field(&s, "Link layer protocol", "'raw-ip'");
    let s = m.ok(&["--wda-get-data-format"]);
    assert_field(&s, "Link layer protocol", "'raw-ip'");
    assert_field(&s, "Downlink data aggregation protocol", "'disabled'");
    // No QMAP on a 9x15: aggregation stays disabled.
    let s = m.ok(&[
        "--wda-set-data-format=link-layer-protocol=raw-ip,ul-protocol=qmap,dl-protocol=qmap",
    ]);
    assert_field(&s, "Downlink data aggregation protocol", "'disabled'");
    // The legacy form sends the link layer protocol alone.
    m.ok(&["--wda-set-data-format=802-3"]);
    let s = m.ok(&["--wda-get-data-format=ep-type=hsusb,ep-iface-number=8"]);
    assert_field(&s, "Link layer protocol", "'802-3'");
    let s = m.ok(&["--wda-get-supported-messages"]);
    assert!(s.contains("0x0020") && s.contains("0x0021"), "{s}");
}
