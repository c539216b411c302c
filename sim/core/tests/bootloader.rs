//! The failsafe boot loader at engine level: entering it removes QMI and
//! the application's serial functions, leaves one QDL port, survives
//! host resets, and only a power cycle brings the application back.

use vmodem_core::fault::Fault;
use vmodem_core::model::Profile;
use vmodem_core::serial::download::qdl::{Request, Response};
use vmodem_core::time::{Duration, Instant};
use vmodem_core::wire::hdlc::{self, Deframer};
use vmodem_core::wire::qmi::Message;
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;
use vmodem_core::{Event, LeaveCause, Modem, Personality, ResetCause, SerialPort};

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn ctl_version_info(txn: u16) -> Vec<u8> {
    Message::request(ServiceId::Ctl, 0, txn, 0x21, vec![]).to_bytes()
}

fn ctl_allocate_dms(txn: u16) -> Vec<u8> {
    Message::request(ServiceId::Ctl, 0, txn, 0x22, vec![Tlv::new(1, vec![2])]).to_bytes()
}

fn events(m: &mut Modem) -> Vec<Event> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

/// Runs the clock until the module has booted; returns when.
fn boot(m: &mut Modem, mut now: Instant) -> Instant {
    while let Some(t) = m.poll_timeout() {
        if !m.is_booting() {
            break;
        }
        now = t;
        m.handle_timeout(now);
    }
    now
}

/// One QDL exchange on the download port.
fn qdl(m: &mut Modem, req: &Request, now: Instant) -> Vec<Response> {
    let mut wire = vec![hdlc::FLAG];
    wire.extend(hdlc::encode(&req.to_payload()));
    m.handle_serial(SerialPort::Download, &wire, now);
    let out = m.poll_serial(SerialPort::Download).unwrap_or_default();
    Deframer::default()
        .push(&out)
        .into_iter()
        .map(|f| Response::parse(&f.unwrap()).unwrap())
        .collect()
}

fn returned(personality: Personality) -> Event {
    Event::ReturnToBus { personality }
}

fn left(cause: ResetCause) -> Event {
    Event::LeaveBus {
        cause: LeaveCause::Reset(cause),
    }
}

fn in_bootloader() -> (Modem, Instant) {
    let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
    assert_eq!(m.personality(), Some(Personality::Application));
    m.inject(Fault::Bootloader, ms(10)).unwrap();
    assert_eq!(
        events(&mut m),
        vec![Event::LeaveBus {
            cause: LeaveCause::BootLoader
        }]
    );
    let now = boot(&mut m, ms(10));
    assert_eq!(events(&mut m), vec![returned(Personality::BootLoader)]);
    assert_eq!(m.personality(), Some(Personality::BootLoader));
    (m, now)
}

#[test]
fn application_has_no_download_port() {
    let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
    let now = boot(&mut m, Instant::ZERO);
    assert!(qdl(&mut m, &Request::host_hello(6), now).is_empty());
    assert!(m.download_port().is_none());
}

#[test]
fn bootloader_ignores_qmi_and_serves_qdl() {
    let (mut m, now) = in_bootloader();
    m.handle_qmi(&ctl_version_info(1), now);
    assert!(m.poll_qmi().is_none(), "no QMI in the boot loader");
    m.handle_serial(SerialPort::At, b"ATI\r", now);
    assert!(m.poll_serial(SerialPort::At).is_none(), "no AT port");
    m.handle_data(&[0x45; 40], now);
    assert_eq!(m.stats().ignored_while_booting, 3);

    assert_eq!(
        qdl(&mut m, &Request::DloadSdp, now),
        vec![Response::DloadAck]
    );
    let r = qdl(&mut m, &Request::host_hello(6), now);
    assert!(matches!(r[..], [Response::Hello { max_version: 6, .. }]));
    // No application timers run: nothing to wake for.
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn qdl_reset_reboots_into_the_bootloader_again() {
    let (mut m, now) = in_bootloader();
    assert!(qdl(&mut m, &Request::Reset, now).is_empty());
    assert_eq!(events(&mut m), vec![left(ResetCause::HostRequest)]);
    let later = boot(&mut m, now);
    assert_eq!(events(&mut m), vec![returned(Personality::BootLoader)]);
    assert_eq!(m.personality(), Some(Personality::BootLoader));
    // A fresh boot loader: the HELLO session is gone.
    assert_eq!(m.download_port().unwrap().qdl_version(), None);
    let r = qdl(&mut m, &Request::host_hello(6), later);
    assert!(matches!(r[..], [Response::Hello { .. }]));
}

#[test]
fn bytes_while_rebooting_are_lost() {
    let (mut m, now) = in_bootloader();
    qdl(&mut m, &Request::Reset, now);
    assert!(qdl(
        &mut m,
        &Request::host_hello(6),
        now + Duration::from_millis(1)
    )
    .is_empty());
}

#[test]
fn power_cycle_brings_the_application_back() {
    let (mut m, now) = in_bootloader();
    m.power_cycle(now);
    assert_eq!(events(&mut m), vec![left(ResetCause::PowerCycle)]);
    assert_eq!(m.personality(), None, "off the bus while powered down");
    let now = boot(&mut m, now);
    assert_eq!(events(&mut m), vec![returned(Personality::Application)]);
    assert_eq!(m.personality(), Some(Personality::Application));
    m.handle_qmi(&ctl_allocate_dms(1), now);
    let r = Message::parse(&m.poll_qmi().expect("QMI answers again")).unwrap();
    assert_eq!(r.result(), Some((0, 0)));
    assert!(qdl(&mut m, &Request::host_hello(6), now).is_empty());
}

#[test]
fn power_cycle_in_application_is_a_plain_fresh_boot() {
    let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
    let now = boot(&mut m, Instant::ZERO);
    m.power_cycle(now);
    assert_eq!(events(&mut m), vec![left(ResetCause::PowerCycle)]);
    boot(&mut m, now);
    assert_eq!(events(&mut m), vec![returned(Personality::Application)]);
}

#[test]
fn only_power_leaves_the_bootloader() {
    let (mut m, now) = in_bootloader();
    for f in [
        Fault::Bootloader,
        Fault::Reset { down: None },
        Fault::Disconnect { down: None },
    ] {
        assert!(m.inject(f, now).is_err());
    }
    assert!(events(&mut m).is_empty());
    assert_eq!(m.personality(), Some(Personality::BootLoader));
}

#[test]
fn sahara_profile_greets_when_the_port_opens() {
    let mut p = Profile::default();
    p.bootloader.sahara_hello = true;
    let mut m = Modem::new(p, 1, Instant::ZERO);
    m.inject(Fault::Bootloader, ms(1)).unwrap();
    let now = boot(&mut m, ms(1));
    m.set_serial_open(SerialPort::Download, true, now);
    let hello = m.poll_serial(SerialPort::Download).unwrap();
    assert_eq!(&hello[..8], &[1, 0, 0, 0, 0x30, 0, 0, 0]);
}
