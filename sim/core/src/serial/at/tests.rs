//! The AT port driven through the whole engine.

use crate::model::{OperatingMode, Profile, RegState, SimState};
use crate::time::Instant;
use crate::wire::qmi::{Message, MessageKind};
use crate::wire::qmux::Sender;
use crate::wire::tlv::Tlv;
use crate::wire::{MessageId, ServiceId};
use crate::{Modem, SerialPort};

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

struct Bench {
    m: Modem,
    now: u64,
}

impl Bench {
    /// A modem with echo off, as ModemManager leaves it.
    fn new() -> Bench {
        let mut b = Bench {
            m: Modem::new(Profile::default(), 0, t(0)),
            now: 0,
        };
        assert_eq!(b.raw(b"ATE0\r"), "ATE0\r\r\nOK\r\n");
        b
    }
    fn raw(&mut self, bytes: &[u8]) -> String {
        self.now += 1;
        self.m.handle_serial(SerialPort::At, bytes, t(self.now));
        let out = self.m.poll_serial(SerialPort::At).unwrap_or_default();
        String::from_utf8(out).unwrap()
    }
    fn at(&mut self, line: &str) -> String {
        self.raw(format!("{line}\r").as_bytes())
    }
    fn advance(&mut self, ms: u64) -> String {
        self.now += ms;
        self.m.handle_timeout(t(self.now));
        String::from_utf8(self.m.poll_serial(SerialPort::At).unwrap_or_default()).unwrap()
    }
    /// One QMI request on `service` from a client allocated on first use;
    /// the response.
    fn qmi(&mut self, service: ServiceId, id: u16, tlvs: Vec<Tlv>) -> Message {
        self.now += 1;
        let alloc = Message {
            sender: Sender::Host,
            service: ServiceId::Ctl,
            client: 0,
            kind: MessageKind::Request,
            txn: 1,
            id: MessageId(0x22),
            tlvs: vec![Tlv::new(1, vec![service.0])],
        };
        self.m.handle_qmi(&alloc.to_bytes(), t(self.now));
        let r = Message::parse(&self.m.poll_qmi().unwrap()).unwrap();
        let cid = r.tlv(1).unwrap()[1];
        let req = Message {
            service,
            client: cid,
            txn: 2,
            id: MessageId(id),
            tlvs,
            ..alloc
        };
        self.m.handle_qmi(&req.to_bytes(), t(self.now));
        // Indications a change raises for earlier clients come first.
        loop {
            let r = Message::parse(&self.m.poll_qmi().unwrap()).unwrap();
            if r.kind == MessageKind::Response {
                return r;
            }
        }
    }
    fn unlock(&mut self) {
        assert_eq!(self.at("AT+CPIN=\"1234\""), "\r\nOK\r\n");
        self.advance(2000);
    }
}

#[test]
fn echo_verbose_and_numeric_results() {
    let mut b = Bench::new();
    assert_eq!(b.at("AT"), "\r\nOK\r\n");
    assert_eq!(b.at("ATE1"), "\r\nOK\r\n");
    assert_eq!(b.at("AT"), "AT\r\r\nOK\r\n");
    assert_eq!(b.at("ATE0V0"), "ATE0V0\r0\r");
    assert_eq!(b.at("AT+NOPE"), "4\r");
    assert_eq!(b.at("AT+CGMM"), "EM7305\r\n0\r");
    // Z restores E1 V1: the answer to Z itself is already verbose.
    assert_eq!(b.at("ATZ"), "\r\nOK\r\n");
    assert_eq!(b.at("AT"), "AT\r\r\nOK\r\n");
}

#[test]
fn identity_commands() {
    let mut b = Bench::new();
    let ati = b.at("ATI");
    for l in [
        "Manufacturer: Sierra Wireless, Incorporated",
        "Model: EM7305",
        "Revision: SWI9X15C_05.05.58.00 r27038 carmd-fwbuild1 2015/03/04 21:30:23",
        "IMEI: 001245000004705",
        "IMEI SV: 13",
        "FSN: V0000000000001",
        "+GCAP: ",
    ] {
        assert!(ati.contains(l), "{l} missing from {ati:?}");
    }
    // Two blank lines before OK, as the module prints them.
    assert!(ati.ends_with("+FCLASS\r\n\r\n\r\nOK\r\n"), "{ati:?}");
    assert_eq!(
        b.at("AT+CGMI"),
        "\r\nSierra Wireless, Incorporated\r\n\r\nOK\r\n"
    );
    assert_eq!(b.at("AT+GMM"), "\r\nEM7305\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CGSN"), "\r\n001245000004705\r\n\r\nOK\r\n");
    assert!(b.at("AT+GMR").contains("SWI9X15C_05.05.58.00"));
    assert!(b.at("AT+GCAP").starts_with("\r\n+GCAP: +CGSM"));
    assert!(b.at("AT+GCAP").contains(", +FCLASS\r\n"));
    assert_eq!(
        b.at("AT+CCID"),
        "\r\n+CCID: 89490200001234567892\r\n\r\nOK\r\n"
    );
    assert!(b.at("AT!ICCID?").contains("ICCID: 89490200001234567892"));
    assert_eq!(b.at("ATI5"), "\r\nERROR\r\n");
}

#[test]
fn pin_over_at_unlocks_for_qmi() {
    let mut b = Bench::new();
    assert_eq!(b.at("AT+CMEE=1"), "\r\nOK\r\n");
    assert_eq!(b.at("AT+CPIN?"), "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CIMI"), "\r\n+CME ERROR: 11\r\n");
    assert_eq!(b.at("AT+CPINC?"), "\r\n+CPINC: 3,3,10,10\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CPIN=\"0000\""), "\r\n+CME ERROR: 16\r\n");
    assert_eq!(b.at("AT+CPINC?"), "\r\n+CPINC: 2,3,10,10\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CPIN=\"1234\""), "\r\nOK\r\n");
    assert_eq!(b.m.device().sim.state, SimState::Ready);

    // QMI sees it: DMS UIM Get PIN Status reports PIN1 enabled-verified.
    let alloc = Message {
        sender: Sender::Host,
        service: ServiceId::Ctl,
        client: 0,
        kind: MessageKind::Request,
        txn: 1,
        id: MessageId(0x22),
        tlvs: vec![Tlv::new(1, vec![ServiceId::Dms.0])],
    };
    b.m.handle_qmi(&alloc.to_bytes(), t(100));
    let r = Message::parse(&b.m.poll_qmi().unwrap()).unwrap();
    let cid = r.tlv(1).unwrap()[1];
    let status = Message {
        service: ServiceId::Dms,
        client: cid,
        txn: 2,
        id: MessageId(0x002B),
        tlvs: vec![],
        ..alloc
    };
    b.m.handle_qmi(&status.to_bytes(), t(101));
    let r = Message::parse(&b.m.poll_qmi().unwrap()).unwrap();
    assert_eq!(r.result(), Some((0, 0)));
    assert_eq!(r.tlv(0x11), Some(&[2u8, 3, 10][..]));
    assert_eq!(b.at("AT+CPIN?"), "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CPIN=\"1234\""), "\r\n+CME ERROR: 3\r\n");
}

#[test]
fn puk_unblock_and_cmee_modes() {
    let mut b = Bench::new();
    for _ in 0..3 {
        assert_eq!(b.at("AT+CPIN=\"9999\""), "\r\nERROR\r\n");
    }
    assert_eq!(b.at("AT+CPIN?"), "\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n");
    b.at("AT+CMEE=2");
    assert_eq!(
        b.at("AT+CPIN=\"1234\""),
        "\r\n+CME ERROR: SIM PUK required\r\n"
    );
    assert_eq!(
        b.at("AT+CPIN=\"00000000\",\"4321\""),
        "\r\n+CME ERROR: incorrect password\r\n"
    );
    assert_eq!(b.at("AT+CPIN=\"12345678\",\"4321\""), "\r\nOK\r\n");
    assert!(b.m.device().sim.is_ready());
    assert_eq!(b.at("AT+CLCK=\"SC\",2"), "\r\n+CLCK: 1\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CLCK=\"SC\",0,\"4321\""), "\r\nOK\r\n");
    assert_eq!(b.at("AT+CLCK=\"sc\",2"), "\r\n+CLCK: 0\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CLCK=\"PN\",2"), "\r\n+CLCK: 0\r\n\r\nOK\r\n");
    assert_eq!(
        b.at("AT+CMEE=7"),
        "\r\n+CME ERROR: incorrect parameters\r\n"
    );
    assert_eq!(b.at("AT+CMEE?"), "\r\n+CMEE: 2\r\n\r\nOK\r\n");
}

#[test]
fn registration_reads_and_urcs() {
    let mut b = Bench::new();
    assert_eq!(b.at("AT+CREG=2;+CEREG=1"), "\r\nOK\r\n");
    assert_eq!(b.at("AT+CREG?"), "\r\n+CREG: 2,0\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+COPS?"), "\r\n+COPS: 0\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CSQ"), "\r\n+CSQ: 99,99\r\n\r\nOK\r\n");
    // The PIN starts a search: URCs follow the answer.
    let out = b.at("AT+CPIN=\"1234\"");
    assert_eq!(out, "\r\nOK\r\n\r\n+CREG: 2\r\n\r\n+CEREG: 2\r\n");
    let out = b.advance(2000);
    assert!(
        out.contains("\r\n+CREG: 1,\"2A1F\",\"01A2D101\",7\r\n"),
        "{out:?}"
    );
    assert!(out.contains("\r\n+CEREG: 1\r\n"), "{out:?}");
    assert_eq!(b.m.device().registration.state, RegState::Registered);
    assert_eq!(
        b.at("AT+COPS?"),
        "\r\n+COPS: 0,0,\"vmodem\",7\r\n\r\nOK\r\n"
    );
    assert_eq!(b.at("AT+COPS=3,2"), "\r\nOK\r\n");
    assert_eq!(b.at("AT+COPS?"), "\r\n+COPS: 0,2,\"00101\",7\r\n\r\nOK\r\n");
    assert!(b
        .at("AT+COPS=?")
        .contains("(2,\"vmodem\",\"vmodem\",\"00101\",7)"));
    assert_eq!(b.at("AT+CSQ"), "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    assert!(b.at("AT+CESQ").starts_with("\r\n+CESQ: 99,99,255,255,"));
    assert_eq!(b.at("AT+CGREG?"), "\r\n+CGREG: 0,1\r\n\r\nOK\r\n");
    // Signal ticks are not registration changes: no repeated URCs.
    assert_eq!(b.advance(3000), "");
}

#[test]
fn cfun_and_ws46_drive_the_model() {
    let mut b = Bench::new();
    b.unlock();
    assert_eq!(b.at("AT+CFUN?"), "\r\n+CFUN: 1\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CFUN=4"), "\r\nOK\r\n");
    assert_eq!(b.m.device().mode, OperatingMode::LowPower);
    assert_eq!(b.at("AT+CFUN?"), "\r\n+CFUN: 4\r\n\r\nOK\r\n");
    assert!(b.at("AT!PCINFO?").contains("User:1"));
    assert_eq!(b.at("AT+CFUN=1,0"), "\r\nOK\r\n");
    assert_eq!(b.at("AT+CFUN=9"), "\r\nERROR\r\n");
    assert_eq!(b.at("AT+WS46?"), "\r\n+WS46: 25\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+WS46=22"), "\r\nOK\r\n");
    b.advance(2000);
    assert_eq!(
        b.m.device().registration.rat,
        Some(crate::model::Technology::Umts)
    );
    assert!(b.at("AT!GSTATUS?").contains("System mode:   WCDMA"));
    assert_eq!(b.at("AT+CFUN=7"), "\r\nOK\r\n");
    b.at("AT+CMEE=1");
    assert_eq!(b.at("AT+CFUN=1"), "\r\n+CME ERROR: 3\r\n");
}

#[test]
fn sierra_status_and_composition() {
    let mut b = Bench::new();
    b.unlock();
    let g = b.at("AT!GSTATUS?");
    for needle in [
        "!GSTATUS:",
        "Mode:          ONLINE",
        "System mode:   LTE",
        "LTE band:      B3",
        "LTE Rx chan:   1300\t\tLTE Tx chan: 19300",
        "TAC:         2A1F (10783)",
        "RSRP (dBm):  ",
    ] {
        assert!(g.contains(needle), "{needle:?} missing in {g}");
    }
    assert!(b.at("AT!PCINFO?").contains("!PCINFO: State: Online"));
    let temp = b.m.device().temperature_c;
    assert!(b
        .at("AT!PCTEMP?")
        .contains(&format!("Temperature: {temp} C")));
    assert!(g.contains(&format!("Temperature: {temp}")));
    assert_eq!(b.at("AT!UDUSBCOMP?"), "\r\n!UDUSBCOMP: 14\r\n\r\nOK\r\n");
    let list = b.at("AT!UDUSBCOMP=?");
    assert!(list.contains(" 8 - DM   NMEA  AT    MBIM"));
    // 0 to 22, as the module lists them; SUPPORTED as the profile says.
    let rows: Vec<&str> = list.lines().filter(|l| l.contains(" - ")).collect();
    assert_eq!(rows.len(), 23, "{list}");
    assert!(rows[0].starts_with(" 0 - HIP") && rows[0].ends_with("NOT SUPPORTED"));
    assert!(rows[14].starts_with("14 - Config1: comp6    Config2: comp9"));
    assert!(rows[14].ends_with(" SUPPORTED") && !rows[14].ends_with("NOT SUPPORTED"));
    assert!(rows[22].starts_with("22 - Config1: comp7    Config2: comp12"));
    assert_eq!(b.at("AT!UDUSBCOMP=8"), "\r\nERROR\r\n", "needs ENTERCND");
    assert_eq!(b.at("AT!ENTERCND=\"nope\""), "\r\nERROR\r\n");
    assert_eq!(b.at("AT!ENTERCND=\"A710\""), "\r\nOK\r\n");
    assert_eq!(b.at("AT!UDUSBCOMP=99"), "\r\nERROR\r\n");
    assert_eq!(b.at("AT!UDUSBCOMP=8"), "\r\nOK\r\n");
    assert_eq!(b.m.device().pending_usb_composition, Some(8));
    assert_eq!(b.at("AT!UDUSBCOMP?"), "\r\n!UDUSBCOMP: 8\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT!USBCOMP?"), "\r\nERROR\r\n", "9x30 syntax");
    assert_eq!(b.at("AT!SCACT?"), "\r\n!SCACT: 1,0\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT!SCACT=1,1"), "\r\nOK\r\n");
    assert_eq!(b.m.device().bearers.len(), 1);
    assert_eq!(b.at("AT!SCACT?"), "\r\n!SCACT: 1,1\r\n\r\nOK\r\n");
}

#[test]
fn reset_answers_then_reboots() {
    let mut b = Bench::new();
    b.unlock();
    b.at("AT!ENTERCND=\"A710\"");
    b.at("AT!UDUSBCOMP=8");
    assert_eq!(b.at("AT!RESET"), "\r\nOK\r\n");
    assert!(b.m.is_booting());
    assert_eq!(
        b.m.poll_event(),
        Some(crate::Event::LeaveBus {
            cause: crate::LeaveCause::Reset(crate::ResetCause::HostRequest)
        })
    );
    // Deaf while booting.
    assert_eq!(b.at("AT"), "");
    b.advance(2000);
    assert_eq!(b.m.device().usb_composition, 8);
    assert_eq!(b.m.device().sim.state, SimState::PinRequired);
    // Settings are back to defaults: echo is on again.
    assert_eq!(b.at("AT"), "AT\r\r\nOK\r\n");
}

#[test]
fn hostile_lines() {
    let mut b = Bench::new();
    assert_eq!(b.at("hello"), "", "no AT prefix: not a command");
    assert_eq!(b.at(""), "");
    assert_eq!(b.raw(b"\x00\xff\xfeAT\r"), "\r\nOK\r\n");
    assert_eq!(b.at("AT+CPIN=\"12"), "\r\nERROR\r\n");
    assert_eq!(b.raw(&[b'A'; 5000]), "");
    assert_eq!(b.raw(b"\r"), "\r\nERROR\r\n");
    assert_eq!(b.at("AT+CMEE=1;+BOGUS;+CMEE=0"), "\r\nERROR\r\n");
    assert_eq!(b.m.serial().at.settings().cmee, 1, "ran up to the error");
    assert_eq!(b.at("ATD*99#"), "\r\nNO CARRIER\r\n");
    assert_eq!(b.at("ATS3?"), "\r\n013\r\n\r\nOK\r\n");
    assert_eq!(b.at("ATS99=1"), "\r\nERROR\r\n");
    assert_eq!(b.at("AT+CSCS=\"UCS2\""), "\r\nOK\r\n");
}

/// The voltage AT!PCVOLT reports is the power model's, brownouts included.
#[test]
fn pcvolt_reads_the_power_model() {
    let mut b = Bench::new();
    let mv = |b: &mut Bench| -> u32 {
        let r = b.at("AT!PCVOLT?");
        let v = r
            .split("Power supply voltage: ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .unwrap_or_else(|| panic!("{r}"));
        v.parse().unwrap()
    };
    let at_start = mv(&mut b);
    assert_eq!(at_start, (b.m.power().volts * 1000.0).round() as u32);
    // A weaker source: the module's input follows it down.
    let weaker = crate::fault::PowerChange {
        source_volts: Some(4.2),
        cable_ohms: None,
        connector_ohms: None,
        capacitance_uf: None,
    };
    b.m.inject(crate::fault::Fault::Power(weaker), t(b.now))
        .unwrap();
    b.advance(1000);
    let sagged = mv(&mut b);
    assert!(sagged < at_start - 500, "{sagged} mV vs {at_start} mV");
    assert_eq!(sagged, (b.m.power().volts * 1000.0).round() as u32);
}

/// One temperature, whichever protocol asks: AT!PCTEMP and NAS SWI Get
/// Status.
#[test]
fn temperature_is_one_value() {
    let mut b = Bench::new();
    b.m.device_mut().temperature_c = 51;
    assert!(b.at("AT!PCTEMP?").contains("Temperature: 51 C"));
    let r = b.qmi(ServiceId::Nas, 0x5556, vec![]);
    assert_eq!(r.result(), Some((0, 0)));
    assert_eq!(r.tlv(0x01).map(|v| v[0]), Some(51));
}

/// +CGDCONT and !SCACT are the stored profiles QMI WDS edits, both ways.
#[test]
fn contexts_are_the_wds_profiles() {
    let mut b = Bench::new();
    b.unlock();
    assert_eq!(
        b.at("AT+CGDCONT?"),
        "\r\n+CGDCONT: 1,\"IPV4V6\",\"internet\",\"\",0,0\r\n\r\nOK\r\n"
    );
    // WDS Create Profile (3GPP, IPv4, APN iot.example) shows up over AT.
    let r = b.qmi(
        ServiceId::Wds,
        0x0027,
        vec![
            Tlv::new(0x01, vec![0]),
            Tlv::new(0x11, vec![0]),
            Tlv::new(0x14, b"iot.example".to_vec()),
        ],
    );
    assert_eq!(r.result(), Some((0, 0)));
    assert_eq!(r.tlv(0x01), Some(&[0u8, 2][..]));
    let contexts = b.at("AT+CGDCONT?");
    assert!(
        contexts.contains("+CGDCONT: 2,\"IP\",\"iot.example\",\"\",0,0"),
        "{contexts}"
    );
    assert_eq!(
        b.at("AT!SCACT?"),
        "\r\n!SCACT: 1,0\r\n!SCACT: 2,0\r\n\r\nOK\r\n"
    );
    // A context defined over AT is a WDS profile.
    assert_eq!(b.at("AT+CGDCONT=5,\"IPV6\",\"v6.example\""), "\r\nOK\r\n");
    let r = b.qmi(ServiceId::Wds, 0x002B, vec![Tlv::new(0x01, vec![0, 5])]);
    assert_eq!(r.result(), Some((0, 0)));
    assert_eq!(r.tlv(0x14), Some(&b"v6.example"[..]));
    assert_eq!(r.tlv(0x11), Some(&[2u8][..]), "IPv6");
    // Undefined over AT: gone for WDS too.
    assert_eq!(b.at("AT+CGDCONT=2"), "\r\nOK\r\n");
    let r = b.qmi(ServiceId::Wds, 0x002B, vec![Tlv::new(0x01, vec![0, 2])]);
    assert_eq!(r.result().map(|r| r.0), Some(1));
    // Hostile definitions are refused and change nothing.
    assert_eq!(b.at("AT+CMEE=1"), "\r\nOK\r\n");
    for bad in [
        "AT+CGDCONT=0,\"IP\",\"x\"",
        "AT+CGDCONT=17,\"IP\",\"x\"",
        "AT+CGDCONT=3,\"X25\",\"x\"",
        "AT+CGDCONT=3,\"IP\",\"x\",\"\",9",
    ] {
        assert_eq!(b.at(bad), "\r\n+CME ERROR: 50\r\n", "{bad}");
    }
    let long = format!("AT+CGDCONT=3,\"IP\",\"{}\"", "a".repeat(101));
    assert_eq!(b.at(&long), "\r\n+CME ERROR: 50\r\n");
    assert_eq!(b.m.device().pdp_profiles.list().len(), 2);
    // !SCACT starts a call on a context's APN; WDS sees the bearer.
    assert_eq!(b.at("AT!SCACT=1,1"), "\r\nOK\r\n");
    assert_eq!(b.m.device().bearers[0].apn, "internet");
}

/// One clock: AT!GSTATUS's time since power-on, +CCLK? and DMS Get Time
/// read the same clock.
#[test]
fn one_clock_for_at_and_qmi() {
    let mut b = Bench::new();
    b.advance(123_456);
    let g = b.at("AT!GSTATUS?");
    let secs: u64 = g
        .split("Current Time:")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{g}"));
    let r = b.qmi(ServiceId::Dms, 0x002F, vec![]);
    let v = r.tlv(0x01).unwrap();
    let mut count = [0u8; 8];
    count[..6].copy_from_slice(&v[..6]);
    // 1.25 ms units of GPS time: 2025-01-01 is 16,432 days after
    // 1980-01-06, and GPS time runs 18 s ahead of UTC.
    let qmi_secs = u64::from_le_bytes(count) * 5 / 4 / 1000;
    assert_eq!(secs, 123);
    assert_eq!(qmi_secs, 16_432 * 86_400 + 18 + secs);
    assert_eq!(
        b.at("AT+CCLK?"),
        "\r\n+CCLK: \"25/01/01,00:02:03+00\"\r\n\r\nOK\r\n"
    );
}

#[test]
fn cclk_is_local_time_and_nitz_is_reported_under_ctzr() {
    let mut p = Profile::default();
    p.time.utc_at_start = 1_735_689_600 - 3600; // 2024-12-31T23:00:00Z
    p.time.utc_offset_minutes = 120;
    p.time.dst_hours = 1;
    let mut b = Bench::new();
    b.m = Modem::new(p, 0, t(0));
    b.at("ATE0");
    assert_eq!(b.at("AT+CTZU=1"), "\r\nOK\r\n");
    assert_eq!(b.at("AT+CTZU?"), "\r\n+CTZU: 1\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CTZR=3"), "\r\nERROR\r\n");
    assert_eq!(b.at("AT+CTZR=2"), "\r\nOK\r\n");
    assert_eq!(
        b.at("AT+CCLK?"),
        "\r\n+CCLK: \"25/01/01,01:00:00+08\"\r\n\r\nOK\r\n"
    );
    assert_eq!(b.at("AT+CCLK=\"25/01/01,01:00:00+08\""), "\r\nERROR\r\n");
    assert_eq!(b.at("AT+CPIN=\"1234\""), "\r\nOK\r\n");
    let urc = b.advance(2000);
    assert!(
        urc.contains("\r\n+CTZE: \"+08\",1,\"2024/12/31,23:00:01\"\r\n"),
        "{urc:?}"
    );
    b.at("AT+CTZR=1");
    b.m.device_mut()
        .set_mode_pref(crate::model::mode_pref::UMTS, t(b.now));
    let urc = b.advance(2000);
    assert!(urc.contains("\r\n+CTZV: +08\r\n"), "{urc:?}");
    b.at("AT+CTZR=0");
    b.m.device_mut()
        .set_mode_pref(crate::model::mode_pref::DEFAULT, t(b.now));
    assert!(!b.advance(2000).contains("+CTZ"));
}

/// !GPSTRACK and $GPS_START hold the receiver the NMEA port streams from;
/// !GPSLOC reads the fix the profile places.
#[test]
fn gps_commands_run_the_one_receiver() {
    let mut b = Bench::new();
    b.m.set_serial_open(SerialPort::Nmea, true, t(b.now));
    assert_eq!(b.at("AT!GPSLOC?"), "\r\nNot Available\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT!GPSTRACK=4,255,1000,1000,1"), "\r\nERROR\r\n");
    assert_eq!(b.at("AT!GPSTRACK=1,255,1000,1000,1"), "\r\nOK\r\n");
    b.advance(5000);
    let nmea = String::from_utf8(b.m.poll_serial(SerialPort::Nmea).unwrap()).unwrap();
    assert!(
        nmea.contains("$GPGGA,000005.00,4909.9960,N,12308.0160,W,1,"),
        "{nmea}"
    );
    let loc = b.at("AT!GPSLOC?");
    assert!(loc.contains("Lat: 49 Deg 9 Min 59."), "{loc}");
    assert!(loc.contains("Sec N\r\nLon: 123 Deg 8 Min 0."), "{loc}");
    assert!(loc.contains("Altitude: 10 m"), "{loc}");
    let st = b.at("AT!GPSSTATUS?");
    assert!(st.contains("Last Fix Status    = SUCCESS"), "{st}");
    assert!(st.contains("Fix Session Status = ACTIVE"), "{st}");
    assert!(
        st.starts_with("\r\nCurrent time: 2025 01 01 2 00:00:"),
        "{st}"
    );
    assert_eq!(b.at("AT!GPSEND=0"), "\r\nOK\r\n");
    assert!(!b.m.device().gnss.running());
    b.advance(3000);
    assert!(b.m.poll_serial(SerialPort::Nmea).is_none());
    assert!(b.at("AT!GPSSTATUS?").contains("Fix Session Status = NONE"));
    assert_eq!(b.at("AT$GPS_START"), "\r\nOK\r\n");
    assert!(b.m.device().gnss.running());
    assert_eq!(b.at("AT$GPS_STOP"), "\r\nOK\r\n");
    assert!(!b.m.device().gnss.running());
}

/// !SELRAT drives the one mode preference: the radio re-registers on what
/// it allows; setting it needs !ENTERCND.
#[test]
fn selrat_limits_the_radio() {
    let mut b = Bench::new();
    b.unlock();
    assert_eq!(
        b.at("AT!SELRAT?"),
        "\r\n!SELRAT: 00, Automatic\r\n\r\nOK\r\n"
    );
    assert_eq!(b.at("AT!SELRAT=01"), "\r\nERROR\r\n", "password first");
    assert_eq!(b.at("AT!ENTERCND=\"A710\""), "\r\nOK\r\n");
    assert_eq!(b.at("AT!SELRAT=03"), "\r\nERROR\r\n");
    assert_eq!(b.at("AT!SELRAT=01"), "\r\nOK\r\n");
    b.advance(2000);
    let reg = &b.m.device().registration;
    assert!(reg.is_registered());
    assert_eq!(reg.rat, Some(crate::model::Technology::Umts));
    assert_eq!(
        b.at("AT!SELRAT?"),
        "\r\n!SELRAT: 01, UMTS 3G Only\r\n\r\nOK\r\n"
    );
    assert_eq!(b.at("AT+WS46?"), "\r\n+WS46: 22\r\n\r\nOK\r\n");
    assert!(b.at("AT!SELRAT=?").contains("06, LTE Only"));
}

/// !BAND sets the one band preference NAS reads: a set without LTE puts
/// the radio on UMTS, !GETBAND names the band it is on, and QMI's System
/// Selection Preference reads the masks back.
#[test]
fn band_sets_drive_the_radio_and_nas_reads_them() {
    use crate::model::{bands, Technology};
    let mut b = Bench::new();
    b.unlock();
    assert_eq!(
        b.at("AT!BAND?"),
        "\r\nIndex, Name\r\n00, All bands\r\n\r\nOK\r\n"
    );
    assert_eq!(
        b.at("AT!GETBAND?"),
        "\r\n!GETBAND: LTE BAND 3\r\n\r\nOK\r\n"
    );
    let list = b.at("AT!BAND=?");
    assert!(
        list.contains(
            "\r\n00, All bands                       0002000004E80380 00000000000800C5\r\n"
        ),
        "{list}"
    );
    assert!(list.contains("\r\n08, WCDMA ALL "), "{list}");
    assert_eq!(b.at("AT!BAND=08"), "\r\nERROR\r\n", "password first");
    assert_eq!(b.at("AT!ENTERCND=\"A710\""), "\r\nOK\r\n");
    assert_eq!(b.at("AT!BAND=0A"), "\r\nERROR\r\n");
    assert_eq!(b.at("AT!BAND=\"08\""), "\r\nERROR\r\n");
    assert_eq!(b.at("AT!BAND=08"), "\r\nOK\r\n");
    b.advance(2000);
    let reg = &b.m.device().registration;
    assert!(reg.is_registered());
    assert_eq!(reg.rat, Some(Technology::Umts));
    assert_eq!(
        b.at("AT!GETBAND?"),
        "\r\n!GETBAND: WCDMA BAND 1\r\n\r\nOK\r\n"
    );
    assert_eq!(
        b.at("AT!BAND?"),
        "\r\nIndex, Name\r\n08, WCDMA ALL\r\n\r\nOK\r\n"
    );
    // NAS Get System Selection Preference: band and LTE band masks.
    let r = b.qmi(ServiceId::Nas, 0x34, vec![]);
    let wcdma = (1u64 << 22) | (1 << 23) | (1 << 26) | (1 << 49);
    assert_eq!(r.tlv(0x12).unwrap(), &wcdma.to_le_bytes());
    assert_eq!(r.tlv(0x15).unwrap(), &0u64.to_le_bytes());
    // North America's 3G bands leave out the network's band 1: no service.
    assert_eq!(b.at("AT!BAND=02"), "\r\nOK\r\n");
    b.advance(2000);
    assert!(!b.m.device().registration.is_registered());
    assert_eq!(
        b.at("AT!GETBAND?"),
        "\r\n!GETBAND: No Service\r\n\r\nOK\r\n"
    );
    // Masks set over QMI that match no set read back as they are.
    let r = b.qmi(
        ServiceId::Nas,
        0x33,
        vec![Tlv::new(0x15, (1u64 << 2).to_le_bytes())],
    );
    assert_eq!(r.result(), Some((0, 0)), "{r:?}");
    b.advance(2000);
    assert_eq!(b.m.device().registration.rat, Some(Technology::Lte));
    let read = b.at("AT!BAND?");
    assert!(
        read.contains(
            "\r\nFF, Unknown                         0000000004800000 0000000000000004\r\n"
        ),
        "{read}"
    );
    assert_eq!(b.at("AT!BAND=00"), "\r\nOK\r\n");
    let sel = &b.m.device().selection;
    assert_eq!(
        (sel.band_pref, sel.lte_band_pref),
        (bands::BAND_PREF, bands::LTE_BAND_PREF)
    );
}

/// !CUSTOM lists the set customizations, each from the profile.
#[test]
fn custom_lists_what_the_profile_sets() {
    let mut b = Bench::new();
    let c = b.at("AT!CUSTOM?");
    assert!(c.starts_with("\r\n!CUSTOM: \r\n"), "{c}");
    assert!(
        c.contains("\r\n              GPSENABLE          0x01\r\n"),
        "{c}"
    );
    assert!(c.contains("USBSERIALENABLE    0x01"), "{c}");
    let ipv6 =
        b.m.device()
            .profile
            .network
            .apn
            .iter()
            .any(|a| a.ipv6_address.is_some());
    assert_eq!(c.contains("IPV6ENABLE"), ipv6, "{c}");
    assert_eq!(b.at("AT!CUSTOM=\"GPSENABLE\",0"), "\r\nERROR\r\n");
}

/// +CLAC, docs/at-commands.md and the handlers agree: every listed command
/// reaches a handler (some form of it answers other than a bare ERROR, or
/// it is a basic command), and the page names every one.
#[test]
fn clac_docs_and_handlers_agree() {
    use super::commands::SUPPORTED;
    let mut b = Bench::new();
    // Numeric +CME errors: a bare ERROR then means "unknown command".
    b.at("AT+CMEE=1");
    let clac = b.at("AT+CLAC");
    let listed: Vec<&str> = clac
        .split("\r\n")
        .filter_map(|l| l.strip_prefix("AT"))
        .collect();
    assert_eq!(listed, SUPPORTED);
    let doc = include_str!("../../../../../docs/at-commands.md");
    for c in SUPPORTED {
        assert!(
            doc.contains(&format!("`{c}`")),
            "{c} missing from docs/at-commands.md"
        );
        if !c.starts_with(['+', '!', '$']) || *c == "!RESET" {
            continue;
        }
        let answered = ["=?", "?", "", "=\"A710\""]
            .iter()
            .any(|form| !b.at(&format!("AT{c}{form}")).ends_with("\r\nERROR\r\n"));
        assert!(answered, "AT{c}: no form is answered");
    }
}

/// +CGACT, +CGPADDR and $QCRMCALL act on the stored contexts and the
/// bearers WDS reports.
#[test]
fn context_activation_is_the_wds_bearer() {
    let mut b = Bench::new();
    b.unlock();
    assert_eq!(b.at("AT+CGACT?"), "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CGPADDR=1"), "\r\n+CGPADDR: 1,\"\"\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+CGACT=1,1"), "\r\nOK\r\n");
    assert_eq!(b.m.device().bearers.len(), 1);
    assert_eq!(b.at("AT+CGACT?"), "\r\n+CGACT: 1,1\r\n\r\nOK\r\n");
    assert_eq!(
        b.at("AT+CGPADDR"),
        "\r\n+CGPADDR: 1,\"10.64.0.2\"\r\n\r\nOK\r\n"
    );
    assert_eq!(b.at("AT$QCRMCALL?"), "\r\n$QCRMCALL: 1, V4\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT$QCRMCALL=0,1"), "\r\nOK\r\n");
    assert!(b.m.device().bearers.is_empty());
    assert_eq!(b.at("AT$QCRMCALL=1,2"), "\r\nERROR\r\n");
    assert_eq!(b.at("AT$QCRMCALL=1,1,1,2,1"), "\r\nOK\r\n");
    assert_eq!(b.m.device().bearers.len(), 1);
    assert_eq!(b.at("AT+CGACT=0,1"), "\r\nOK\r\n");
    assert!(b.m.device().bearers.is_empty());
}

#[test]
fn priid_and_impref_read_the_profile() {
    let mut b = Bench::new();
    let pri = b.at("AT!PRIID?");
    assert!(
        pri.contains("Revision: 005.025\r\nCustomer: GENERIC\r\n"),
        "{pri}"
    );
    let im = b.at("AT!IMPREF?");
    assert!(
        im.contains(" preferred fw version:    05.05.58.00\r\n"),
        "{im}"
    );
    assert!(
        im.contains(" current config name:     GENERIC_005.025_002\r\n"),
        "{im}"
    );
}

mod sms;
