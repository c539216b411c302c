//! Serial ports hold data like a bulk endpoint: `offer_serial` takes only
//! what the port can answer without dropping output, so a host that reads
//! gets every reply however much it writes at once.

use vmodem_core::model::Profile;
use vmodem_core::serial::at::HIGH_WATER;
use vmodem_core::time::Instant;
use vmodem_core::wire::hdlc;
use vmodem_core::{Modem, SerialPort};

const OK: &[u8] = b"\r\nOK\r\n";

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

#[test]
fn an_at_burst_waits_for_the_host_and_every_command_is_answered() {
    let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
    let now = Instant::from_millis(10);
    let input = b"AT\r".repeat(10_000);
    let mut rest = &input[..];
    let mut out = Vec::new();
    let mut offers = 0;
    while !rest.is_empty() {
        let n = m.offer_serial(SerialPort::At, rest, now);
        assert!(n > 0, "a port with its output read takes input");
        rest = &rest[n..];
        offers += 1;
        let mut chunk = Vec::new();
        while let Some(b) = m.poll_serial(SerialPort::At) {
            chunk.extend(b);
        }
        // One command's echo and answer past the mark, at most.
        assert!(chunk.len() < HIGH_WATER + 16);
        out.extend(chunk);
    }
    assert!(offers > 1, "the burst was taken in parts");
    assert_eq!(count(&out, OK), 10_000);
    assert_eq!(m.serial().at.dropped_output(), 0);
}

#[test]
fn handle_serial_still_takes_everything() {
    let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
    m.handle_serial(SerialPort::At, &b"AT\r".repeat(10_000), Instant::ZERO);
    assert!(m.serial().at.dropped_output() > 0);
}

#[test]
fn a_dm_burst_waits_too() {
    let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
    // Version Info (command 0), framed.
    let one: Vec<u8> = [vec![hdlc::FLAG], hdlc::encode(&[0x00])].concat();
    let input = one.repeat(500);
    let mut rest = &input[..];
    let mut answers = 0;
    while !rest.is_empty() {
        let n = m.offer_serial(SerialPort::Dm, rest, Instant::ZERO);
        assert!(n > 0);
        rest = &rest[n..];
        answers += std::iter::from_fn(|| m.poll_serial(SerialPort::Dm)).count();
    }
    assert_eq!(answers, 500);
    assert_eq!(m.serial().dm.stats().dropped_output, 0);
}
