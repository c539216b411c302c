use super::usbmon::{self, EventType, XferType};
use super::*;
use crate::model::Profile;

fn capture() -> UsbCapture {
    UsbCapture::new(UsbPersonality::application_qmi(&Profile::default()), 1, 2)
}

#[test]
fn enumeration_then_a_qmi_exchange_reads_back() {
    let mut c = capture();
    let mut file = c.file_header().to_vec();
    file.extend(c.enumeration(1_000_000));
    let req = [
        0x01, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x27, 0x00, 0x00, 0x00,
    ];
    file.extend(c.control_request(1_500_000, &req));
    file.extend(c.control_response(1_500_001, &[0x01, 0x02]));
    file.extend(c.serial(1_600_000, SerialPort::At, false, b"AT\r"));
    let recs = usbmon::read(&file).unwrap();
    // 4 enumeration transfers, SEND, notification + GET, one bulk OUT.
    assert_eq!(recs.len(), 2 * 8);
    assert!(recs.iter().all(|r| (r.bus, r.device) == (1, 2)));
    // Each URB is submitted, then completed, with its own id.
    for pair in recs.chunks(2) {
        assert_eq!(pair[0].event, EventType::Submit);
        assert_eq!(pair[1].event, EventType::Complete);
        assert_eq!(pair[0].id, pair[1].id);
    }
    let dev = &recs[1];
    assert_eq!((dev.xfer, dev.endpoint), (XferType::Control, 0x80));
    assert_eq!(dev.data[0..2], [18, 1]);
    assert_eq!(recs[0].setup, Some([0x80, 0x06, 0x00, 0x01, 0, 0, 18, 0]));
    let send = &recs[8];
    assert_eq!(send.setup.unwrap()[..2], [0x21, 0x00]);
    assert_eq!(send.data, req);
    assert_eq!(recs[10].xfer, XferType::Interrupt);
    assert_eq!((recs[11].endpoint, recs[11].interval), (0x87, 9));
    assert_eq!(recs[13].data, [0x01, 0x02]);
    assert_eq!(
        (recs[14].endpoint, &recs[14].data[..]),
        (0x03, &b"AT\r"[..])
    );
    assert_eq!(recs[15].data_flag, b'>');
}

#[test]
fn stalls_complete_with_epipe() {
    let mut c = capture();
    let s = Setup {
        request_type: 0xA1,
        request: 0x05,
        value: 0,
        index: 8,
        length: 4,
    };
    let mut file = c.file_header().to_vec();
    file.extend(c.control(7, &s, &[], ControlOutcome::Stalled));
    let r = usbmon::read(&file).unwrap();
    assert_eq!((r[0].status, r[0].data_flag), (usbmon::EINPROGRESS, b'<'));
    assert_eq!((r[1].status, r[1].length), (usbmon::EPIPE, 0));
}

#[test]
fn reader_refuses_what_is_not_a_usbmon_capture() {
    let mut f = capture().file_header().to_vec();
    assert_eq!(usbmon::read(&f).map(|r| r.len()), Ok(0));
    f[20] = 1; // Ethernet
    assert!(usbmon::read(&f).is_err());
    let mut c = capture();
    let mut f = c.file_header().to_vec();
    f.extend(c.data(0, true, &[0x45; 20]));
    f.truncate(f.len() - 1);
    assert!(usbmon::read(&f).is_err());
}
