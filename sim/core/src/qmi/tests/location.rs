//! LOC and PDS through the whole engine: sessions hold the one receiver,
//! epochs become NMEA and position indications, the NMEA port agrees.

use crate::model::Profile;
use crate::time::Instant;
use crate::wire::qmi::{Message, MessageKind};
use crate::wire::tlv::Tlv;
use crate::wire::ServiceId;
use crate::SerialPort;

use crate::qmi::loc::{self, event};
use crate::qmi::pds;

/// The shared host rig, with LOC/PDS helpers.
struct Bench(super::Host);

impl std::ops::Deref for Bench {
    type Target = super::Host;
    fn deref(&self) -> &super::Host {
        &self.0
    }
}

impl std::ops::DerefMut for Bench {
    fn deref_mut(&mut self) -> &mut super::Host {
        &mut self.0
    }
}

impl Bench {
    fn new(profile: Profile) -> Bench {
        Bench(super::Host::new(profile, 5))
    }
    fn release(&mut self, svc: ServiceId, cid: u8) {
        self.send(
            ServiceId::Ctl,
            0,
            0x0023,
            vec![Tlv::new(0x01, [svc.0, cid])],
        );
    }
    /// The response's (status, error) and what came after it.
    fn call(
        &mut self,
        svc: ServiceId,
        c: u8,
        id: u16,
        tlvs: Vec<Tlv>,
    ) -> ((u16, u16), Vec<Message>) {
        let mut out = self.send(svc, c, id, tlvs);
        let i = out
            .iter()
            .position(|m| m.kind == MessageKind::Response)
            .unwrap();
        let r = out.remove(i);
        (r.result().unwrap(), out)
    }
    fn wait(&mut self, ms: u64) -> Vec<Message> {
        self.now += ms;
        let now = Instant::from_millis(self.now);
        self.m.handle_timeout(now);
        self.drain()
    }
}

fn inds(ms: &[Message], id: u16) -> Vec<&Message> {
    ms.iter()
        .filter(|m| m.kind == MessageKind::Indication && m.id.0 == id)
        .collect()
}

fn nmea_text(m: &Message, ty: u8) -> String {
    String::from_utf8(m.tlv(ty).unwrap().to_vec())
        .unwrap()
        .trim_end_matches('\0')
        .to_string()
}

#[test]
fn loc_session_gives_nmea_then_position_reports_until_stopped() {
    let mut b = Bench::new(Profile::default());
    let c = b.client(ServiceId::Loc);
    let mask = event::NMEA | event::POSITION_REPORT;
    let (r, _) = b.call(
        ServiceId::Loc,
        c,
        loc::REGISTER_EVENTS,
        vec![Tlv::new(0x01, mask.to_le_bytes())],
    );
    assert_eq!(r, (0, 0));
    assert!(b.wait(3000).is_empty(), "no session, no indications");
    let (r, _) = b.call(ServiceId::Loc, c, loc::START, vec![Tlv::new(0x01, [7])]);
    assert_eq!(r, (0, 0));
    let out = b.wait(5000);
    let nmea = inds(&out, loc::NMEA_IND);
    let pos = inds(&out, loc::POSITION_REPORT_IND);
    // Five epochs: five sentences while searching, six (two GSV) with a fix.
    assert_eq!(nmea.len(), 5 * 5 + pos.len());
    assert!(
        nmea_text(nmea[0], 0x01).starts_with("$GPGGA,000004.00,,"),
        "searching first"
    );
    assert!(!pos.is_empty(), "a hot start fixes within seconds");
    let p = pos[0];
    assert_eq!(p.tlv(0x01).unwrap(), &0u32.to_le_bytes());
    assert_eq!(p.tlv(0x02).unwrap(), &[7]);
    let lat = f64::from_le_bytes(p.tlv(0x10).unwrap().try_into().unwrap());
    let lon = f64::from_le_bytes(p.tlv(0x11).unwrap().try_into().unwrap());
    assert_eq!((lat, lon), (49.1666, -123.1336));
    // The NMEA types filter the sentences.
    let (_, after) = b.call(
        ServiceId::Loc,
        c,
        loc::SET_NMEA_TYPES,
        vec![Tlv::new(0x01, 1u32.to_le_bytes())],
    );
    assert_eq!(
        inds(&after, loc::SET_NMEA_TYPES)[0].tlv(0x01).unwrap(),
        &[0, 0, 0, 0]
    );
    let (_, after) = b.call(ServiceId::Loc, c, loc::GET_NMEA_TYPES, vec![]);
    assert_eq!(
        inds(&after, loc::GET_NMEA_TYPES)[0].tlv(0x10).unwrap(),
        &[1, 0, 0, 0]
    );
    let out = b.wait(2000);
    assert_eq!(inds(&out, loc::NMEA_IND).len(), 2, "GGA only");
    // Stop needs the session's own ID.
    let (r, _) = b.call(ServiceId::Loc, c, loc::STOP, vec![Tlv::new(0x01, [8])]);
    assert_eq!(r.0, 1);
    let (r, _) = b.call(ServiceId::Loc, c, loc::STOP, vec![Tlv::new(0x01, [7])]);
    assert_eq!(r, (0, 0));
    assert!(b.wait(3000).is_empty());
}

#[test]
fn a_released_loc_client_ends_its_session() {
    let mut b = Bench::new(Profile::default());
    let c = b.client(ServiceId::Loc);
    b.call(ServiceId::Loc, c, loc::START, vec![Tlv::new(0x01, [1])]);
    assert!(b.m.device().gnss.running());
    b.release(ServiceId::Loc, c);
    assert!(!b.m.device().gnss.running());
}

#[test]
fn pds_as_modemmanager_drives_it_and_the_nmea_port_follows() {
    let mut b = Bench::new(Profile::default());
    b.m.set_serial_open(SerialPort::Nmea, true, Instant::ZERO);
    let c = b.client(ServiceId::Pds);
    let (r, _) = b.call(
        ServiceId::Pds,
        c,
        pds::SET_GPS_SERVICE_STATE,
        vec![Tlv::new(0x01, [0])],
    );
    assert_eq!(r, (1, 26), "already off: NoEffect");
    let (r, _) = b.call(
        ServiceId::Pds,
        c,
        pds::SET_GPS_SERVICE_STATE,
        vec![Tlv::new(0x01, [1])],
    );
    assert_eq!(r, (0, 0));
    let (r, _) = b.call(
        ServiceId::Pds,
        c,
        pds::SET_AUTO_TRACKING_STATE,
        vec![Tlv::new(0x01, [1])],
    );
    assert_eq!(r, (0, 0));
    let (r, _) = b.call(
        ServiceId::Pds,
        c,
        pds::SET_EVENT_REPORT,
        vec![Tlv::new(0x10, [1])],
    );
    assert_eq!(r, (0, 0));
    let out = b.wait(4000);
    let ev = inds(&out, pds::EVENT_REPORT_IND);
    assert!(ev.len() >= 15, "{}", ev.len());
    let texts: Vec<String> = ev.iter().map(|m| nmea_text(m, 0x10)).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("$GPGGA,") && t.contains("4909.9960,N")),
        "{texts:?}"
    );
    // The NMEA port carries the same sentences.
    let port = String::from_utf8(b.m.poll_serial(SerialPort::Nmea).unwrap()).unwrap();
    let lines: Vec<&str> = port.split_terminator("\r\n").collect();
    assert_eq!(lines, texts);
    let (_, _) = b.call(ServiceId::Pds, c, pds::GET_GPS_SERVICE_STATE, vec![]);
    let (r, _) = b.call(
        ServiceId::Pds,
        c,
        pds::SET_GPS_SERVICE_STATE,
        vec![Tlv::new(0x01, [0])],
    );
    assert_eq!(r, (0, 0));
    assert!(inds(&b.wait(3000), pds::EVENT_REPORT_IND).is_empty());
    assert!(b.m.poll_serial(SerialPort::Nmea).is_none());
}

#[test]
fn cold_start_takes_the_modelled_time_to_first_fix() {
    let mut p = Profile::default();
    p.gps.first_start = crate::model::gnss::StartKind::Cold;
    let mut b = Bench::new(p);
    let c = b.client(ServiceId::Loc);
    b.call(
        ServiceId::Loc,
        c,
        loc::REGISTER_EVENTS,
        vec![Tlv::new(0x01, event::POSITION_REPORT.to_le_bytes())],
    );
    b.call(ServiceId::Loc, c, loc::START, vec![Tlv::new(0x01, [1])]);
    let mut first = None;
    for s in 1..=60 {
        if !inds(&b.wait(1000), loc::POSITION_REPORT_IND).is_empty() {
            first = Some(s);
            break;
        }
    }
    let s = first.expect("a fix within a minute");
    assert!((28..=37).contains(&s), "cold start fixed after {s} s");
}

#[test]
fn gnss_faults_take_the_fix_away() {
    use crate::fault::Fault;
    use crate::time::Duration;
    let mut b = Bench::new(Profile::default());
    let c = b.client(ServiceId::Loc);
    b.call(
        ServiceId::Loc,
        c,
        loc::REGISTER_EVENTS,
        vec![Tlv::new(0x01, event::POSITION_REPORT.to_le_bytes())],
    );
    b.call(ServiceId::Loc, c, loc::START, vec![Tlv::new(0x01, [1])]);
    assert!(!inds(&b.wait(5000), loc::POSITION_REPORT_IND).is_empty());
    let now = Instant::from_millis(b.now);
    let lost = Fault::GnssFixLost {
        duration: Duration::from_millis(10_000),
    };
    b.m.inject(lost, now).unwrap();
    assert!(inds(&b.wait(10_000), loc::POSITION_REPORT_IND).is_empty());
    assert!(
        !inds(&b.wait(5000), loc::POSITION_REPORT_IND).is_empty(),
        "back hot"
    );
    let now = Instant::from_millis(b.now);
    b.m.inject(Fault::GnssNoFix { duration: None }, now)
        .unwrap();
    assert!(inds(&b.wait(120_000), loc::POSITION_REPORT_IND).is_empty());
}

#[test]
fn a_track_moves_the_fix_every_protocol_reports() {
    let mut b = Bench::new(Profile::default());
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/gnss-drive.toml"
    ))
    .unwrap();
    let s = crate::scenario::Scenario::from_toml(&text, "gnss-drive.toml").unwrap();
    b.m.inject(s.steps[0].fault.clone(), Instant::ZERO).unwrap();
    let c = b.client(ServiceId::Loc);
    b.call(
        ServiceId::Loc,
        c,
        loc::REGISTER_EVENTS,
        vec![Tlv::new(0x01, event::POSITION_REPORT.to_le_bytes())],
    );
    b.call(ServiceId::Loc, c, loc::START, vec![Tlv::new(0x01, [1])]);
    let out = b.wait(30_000);
    let pos = inds(&out, loc::POSITION_REPORT_IND);
    let f = |m: &Message, ty: u8| f64::from_le_bytes(m.tlv(ty).unwrap().try_into().unwrap());
    let f32_ = |m: &Message, ty: u8| f32::from_le_bytes(m.tlv(ty).unwrap().try_into().unwrap());
    let (first, last) = (pos[0], pos[pos.len() - 1]);
    assert!(f(last, 0x10) > f(first, 0x10), "heading north");
    assert_eq!(f32_(last, 0x18), 13.9, "the leg's speed");
    let course = f32_(last, 0x20);
    assert!(
        !(20.0..=340.0).contains(&course),
        "course about north: {course}"
    );
    // About 13.9 m/s for the seconds between the two reports.
    let dt = (pos.len() - 1) as f64;
    let moved = (f(last, 0x10) - f(first, 0x10)) * 111_200.0;
    assert!((moved / dt - 13.9).abs() < 1.5, "{moved} m in {dt} s");
}
