//! Property tests of the serial functions: no input panics them, HDLC
//! round-trips, and the AT port always comes back to answering.

use proptest::prelude::*;
use vmodem_core::model::Profile;
use vmodem_core::serial::qcdm::DmPort;
use vmodem_core::time::Instant;
use vmodem_core::wire::hdlc::{self, Deframer};
use vmodem_core::{Modem, SerialPort};

/// Bytes biased towards what the parsers care about: one in eight is a
/// terminator, quote, separator, HDLC flag/escape or backspace.
fn noisy_bytes() -> impl Strategy<Value = Vec<u8>> {
    const SPECIAL: [u8; 8] = [b'\r', b'"', b';', b'=', b'?', 0x7E, 0x7D, 0x08];
    prop::collection::vec(any::<u16>(), 0..600).prop_map(|v| {
        v.into_iter()
            .map(|x| match x >> 8 {
                0..=31 => SPECIAL[(x & 7) as usize],
                _ => x as u8,
            })
            .collect()
    })
}

/// Command lines made of real command names with random arguments.
fn at_line() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "+CPIN",
        "+CLCK",
        "+CFUN",
        "+COPS",
        "+CREG",
        "+CEREG",
        "+CGREG",
        "+CSQ",
        "+CESQ",
        "+CMEE",
        "+WS46",
        "+CGDCONT",
        "!GSTATUS",
        "!UDUSBCOMP",
        "!ENTERCND",
        "!SCACT",
        "!PCSTATE",
        "+CPWD",
        "+CSCS",
        "+CGATT",
        "I",
        "E",
        "V",
        "S3",
        "&F",
    ]);
    let suffix = prop_oneof![
        Just(String::new()),
        Just("?".to_string()),
        Just("=?".to_string()),
        "=[0-9a-zA-Z\",]{0,20}".prop_map(|s| s),
    ];
    prop::collection::vec((names, suffix), 1..4).prop_map(|cmds| {
        let body: Vec<String> = cmds.into_iter().map(|(n, s)| format!("{n}{s}")).collect();
        format!("AT{}\r", body.join(";"))
    })
}

proptest! {
    #[test]
    fn hdlc_round_trips(payload in prop::collection::vec(any::<u8>(), 1..300)) {
        let wire = hdlc::encode(&payload);
        prop_assert_eq!(wire.iter().filter(|&&b| b == hdlc::FLAG).count(), 1);
        let mut d = Deframer::default();
        prop_assert_eq!(d.push(&wire), vec![Ok(payload)]);
    }

    #[test]
    fn hdlc_deframer_never_panics_and_stays_bounded(bytes in noisy_bytes()) {
        let mut d = Deframer::new(64);
        let _ = d.push(&bytes);
        prop_assert!(d.pending() <= 64);
        // Whatever came before, a flag then a good frame is served.
        let mut tail = vec![hdlc::FLAG];
        tail.extend(hdlc::encode(&[0x7C]));
        prop_assert_eq!(d.push(&tail).last().cloned(), Some(Ok(vec![0x7C])));
    }

    #[test]
    fn qcdm_never_panics(bytes in noisy_bytes()) {
        let mut dm = DmPort::default();
        dm.handle(&bytes, &Profile::default(), vmodem_core::time::Instant::ZERO);
        while let Some(out) = dm.poll() {
            prop_assert_eq!(out.last(), Some(&hdlc::FLAG));
        }
    }

}

proptest! {
    // Each case builds a whole modem: fewer cases keep the suite quick.
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn at_port_survives_any_bytes(bytes in noisy_bytes(), lines in prop::collection::vec(at_line(), 0..6)) {
        let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
        m.handle_serial(SerialPort::At, &bytes, Instant::from_millis(1));
        for (i, l) in lines.iter().enumerate() {
            m.handle_serial(SerialPort::At, l.as_bytes(), Instant::from_millis(2 + i as u64));
        }
        // Let any reset finish; then AT&F, ended with whatever S3 now is
        // (the host may have changed it), restores a plain answer.
        m.handle_timeout(Instant::from_millis(10_000));
        while m.poll_serial(SerialPort::At).is_some() {}
        let cr = m.serial().at.settings().s[3];
        m.handle_serial(SerialPort::At, &[cr, b'A', b'T', b'&', b'F', cr], Instant::from_millis(10_001));
        let out = m.poll_serial(SerialPort::At).unwrap_or_default();
        prop_assert!(out.ends_with(b"\r\nOK\r\n"), "{:?}", String::from_utf8_lossy(&out));
    }
}
