//! Hostile input on the AT and DM ports gets the reply a real module
//! gives (V.250 ERROR; DIAG's bad-command/bad-length echo; silence for
//! frames HDLC cannot deliver), and the port answers the next valid line.

use vmodem_core::model::Profile;
use vmodem_core::serial::qcdm::commands::{BAD_CMD, BAD_LEN, VERSION_INFO};
use vmodem_core::time::Instant;
use vmodem_core::wire::hdlc::{self, Deframer};
use vmodem_core::{Modem, SerialPort};

const T: Instant = Instant::from_millis(1);

fn at_modem() -> Modem {
    let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
    // Echo off, so that each reply is only the modem's answer.
    m.handle_serial(SerialPort::At, b"ATE0\r", T);
    assert_eq!(m.poll_serial(SerialPort::At).unwrap(), b"ATE0\r\r\nOK\r\n");
    m
}

fn at(m: &mut Modem, input: &[u8]) -> Vec<u8> {
    m.handle_serial(SerialPort::At, input, T);
    m.poll_serial(SerialPort::At).unwrap_or_default()
}

#[test]
fn hostile_at_lines_and_their_replies() {
    const ERROR: &[u8] = b"\r\nERROR\r\n";
    let long = [&b"AT"[..], &[b'Z'; 1100], b"\r"].concat();
    let cases: &[(&str, &[u8], &[u8])] = &[
        ("empty extended name", b"AT+\r", ERROR),
        ("unterminated quote", b"AT+CPIN=\"1234\r", ERROR),
        ("byte outside ASCII", b"AT\x80I\r", ERROR),
        ("line past the limit", &long, ERROR),
        ("unknown command", b"AT+VMODEMFOO\r", ERROR),
        ("unknown basic command", b"ATY\r", ERROR),
        ("S register out of range", b"ATS99=1\r", ERROR),
        ("not a command", b"hello\r", b""),
        ("control bytes only", b"\x00\x01\x02\n", b""),
        ("bare CR", b"\r", b""),
        ("backspaced to nothing", b"AT\x08\x08\r", b""),
    ];
    for (what, input, reply) in cases {
        let mut m = at_modem();
        let got = at(&mut m, input);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(reply),
            "{what}"
        );
        assert_eq!(at(&mut m, b"AT\r"), b"\r\nOK\r\n", "{what}: next line");
    }
}

#[test]
fn cme_errors_follow_cmee() {
    let mut m = at_modem();
    assert_eq!(at(&mut m, b"AT+CMEE=2\r"), b"\r\nOK\r\n");
    // A wrong PIN is the SIM's refusal, not a syntax error.
    assert_eq!(
        at(&mut m, b"AT+CPIN=\"0000\"\r"),
        b"\r\n+CME ERROR: incorrect password\r\n"
    );
    assert_eq!(at(&mut m, b"AT+CMEE=1\r"), b"\r\nOK\r\n");
    assert_eq!(at(&mut m, b"AT+CPIN=\"0000\"\r"), b"\r\n+CME ERROR: 16\r\n");
    assert_eq!(at(&mut m, b"AT\r"), b"\r\nOK\r\n");
}

/// What, bytes, the answers' payloads, frames counted as bad.
type DmCase = (&'static str, Vec<u8>, Vec<Vec<u8>>, u64);

/// Sends `input` to the DM port and returns the payloads of its answers.
fn dm(m: &mut Modem, input: &[u8]) -> Vec<Vec<u8>> {
    m.handle_serial(SerialPort::Dm, input, T);
    let mut d = Deframer::default();
    std::iter::from_fn(|| m.poll_serial(SerialPort::Dm))
        .flat_map(|w| d.push(&w))
        .map(|f| f.expect("the modem frames its answers correctly"))
        .collect()
}

#[test]
fn hostile_dm_frames_and_their_replies() {
    let mut bad_crc = hdlc::encode(&[VERSION_INFO]);
    bad_crc[1] ^= 0x01;
    let too_long = [&[0x4Bu8; Deframer::MAX_FRAME + 10][..], &[hdlc::FLAG]].concat();
    let cases: Vec<DmCase> = vec![
        ("bad CRC", bad_crc, vec![], 1),
        // Back-to-back flags are idle fill, not a frame.
        ("empty frame", vec![hdlc::FLAG, hdlc::FLAG], vec![], 0),
        ("shorter than a CRC", vec![0x00, hdlc::FLAG], vec![], 1),
        (
            "dangling escape",
            vec![0x00, hdlc::ESCAPE, hdlc::FLAG],
            vec![],
            1,
        ),
        ("longer than DIAG allows", too_long, vec![], 1),
        (
            "version info with a parameter",
            hdlc::encode(&[VERSION_INFO, 0x01]),
            vec![vec![BAD_LEN, VERSION_INFO, 0x01]],
            0,
        ),
        (
            "unknown command",
            hdlc::encode(&[0x3A, 0x7E, 0x7D]),
            vec![vec![BAD_CMD, 0x3A, 0x7E, 0x7D]],
            0,
        ),
    ];
    for (what, input, replies, bad) in cases {
        let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
        assert_eq!(dm(&mut m, &input), replies, "{what}");
        assert_eq!(m.serial().dm.stats().bad_frames, bad, "{what}: counted");
        let next = dm(&mut m, &hdlc::encode(&[VERSION_INFO]));
        assert_eq!(next.len(), 1, "{what}: next request answered");
        assert_eq!((next[0][0], next[0].len()), (VERSION_INFO, 55), "{what}");
    }
}
