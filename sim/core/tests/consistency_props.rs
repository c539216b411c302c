//! Cross-protocol consistency: whatever a host changes through QMI, the AT
//! port or MBIM (PIN verify/change/enable, PDP contexts, operating mode,
//! registration, USB composition, resets), every protocol then reads the
//! same state. After each random operation the test reads each fact
//! through every protocol that reports it and compares the answers.

use proptest::prelude::*;
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::wire::mbim::ib::{Reader, Writer};
use vmodem_core::wire::mbim::{CommandType, Message as MbimMessage, Status, Uuid};
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;
use vmodem_core::{Modem, SerialPort};

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// Which protocol an operation goes through.
#[derive(Debug, Clone, Copy)]
enum Via {
    Qmi,
    At,
    Mbim,
}

#[derive(Debug, Clone)]
enum Op {
    VerifyPin(Via, &'static str),
    ChangePin(Via, &'static str, &'static str),
    PinProtection(Via, bool, &'static str),
    /// QMI WDS Create Profile (lowest free index), AT+CGDCONT=cid or MBIM
    /// PROVISIONED_CONTEXTS set of context cid.
    DefineContext(Via, u8, &'static str, &'static str),
    /// QMI WDS Delete Profile or AT+CGDCONT=cid (MBIM 1.0 cannot delete:
    /// QMI's).
    DeleteContext(Via, u8),
    RadioOn(Via, bool),
    /// Allowed technologies: LTE only, UMTS only, or both.
    Technologies(Via, u8),
    /// MBIM REGISTER_STATE set: automatic registration.
    AutomaticRegistration,
    Composition(Via, u8),
    Reset(Via),
    Wait(u64),
}

const PINS: [&str; 3] = ["1234", "0000", "4321"];
const APNS: [&str; 4] = ["internet", "iot.example", "v6.example", ""];
const PDP_TYPES: [&str; 4] = ["IP", "IPV6", "IPV4V6", "PPP"];

fn via() -> impl Strategy<Value = Via> {
    prop_oneof![Just(Via::Qmi), Just(Via::At), Just(Via::Mbim)]
}

/// The shipped PIN half the time, so that the card gets unlocked often.
fn pin() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(PINS[0]), prop::sample::select(PINS.to_vec())]
}

fn op() -> impl Strategy<Value = Op> {
    let qmi_or_at = prop_oneof![Just(Via::Qmi), Just(Via::At)];
    prop_oneof![
        3 => (via(), pin()).prop_map(|(v, p)| Op::VerifyPin(v, p)),
        1 => (via(), pin(), pin()).prop_map(|(v, a, b)| Op::ChangePin(v, a, b)),
        1 => (via(), any::<bool>(), pin()).prop_map(|(v, on, p)| Op::PinProtection(v, on, p)),
        3 => (
            via(),
            1u8..=6,
            prop::sample::select(APNS.to_vec()),
            prop::sample::select(PDP_TYPES.to_vec())
        )
            .prop_map(|(v, cid, apn, ty)| Op::DefineContext(v, cid, apn, ty)),
        1 => (qmi_or_at.clone(), 1u8..=6).prop_map(|(v, cid)| Op::DeleteContext(v, cid)),
        2 => (via(), any::<bool>()).prop_map(|(v, on)| Op::RadioOn(v, on)),
        1 => (qmi_or_at.clone(), 0u8..3).prop_map(|(v, t)| Op::Technologies(v, t)),
        1 => Just(Op::AutomaticRegistration),
        1 => (qmi_or_at.clone(), prop::sample::select(vec![6u8, 8, 9, 14]))
            .prop_map(|(v, c)| Op::Composition(v, c)),
        1 => qmi_or_at.prop_map(Op::Reset),
        4 => (0u64..4000).prop_map(Op::Wait),
    ]
}

/// A host that speaks all three protocols to one modem.
struct Rig {
    m: Modem,
    now: u64,
    /// Reads in `check` share one instant.
    frozen: bool,
    txn: u16,
    mbim_txn: u32,
    /// A composition was set since the last reset (it is pending).
    pending_composition: Option<u8>,
}

/// SIM state as every protocol can express it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SimView {
    /// "ready", "pin" or "puk".
    lock: &'static str,
    enabled: bool,
    /// Tries left for the code the card waits for (0 when ready).
    tries: u8,
}

/// Registration: (state, technology while registered).
type RegView = (&'static str, Option<&'static str>);

impl Rig {
    fn new(seed: u64) -> Rig {
        let mut r = Rig {
            m: Modem::new(Profile::default(), seed, t(0)),
            now: 0,
            frozen: false,
            txn: 0,
            mbim_txn: 0,
            pending_composition: None,
        };
        r.mbim_open();
        r
    }

    /// The next request's time: 1 ms later, except while `check` reads,
    /// when every read happens at one instant (else a registration that
    /// completes between two reads would look like two answers).
    fn tick(&mut self) -> Instant {
        if !self.frozen {
            self.now += 1;
        }
        t(self.now)
    }

    fn wait(&mut self, ms: u64) {
        self.now += ms;
        self.m.handle_timeout(t(self.now));
    }

    /// One QMI request from a client of its own; `None` while the module
    /// does not answer (booting).
    fn qmi(&mut self, service: ServiceId, id: u16, tlvs: Vec<Tlv>) -> Option<Message> {
        let alloc = self.exchange(ServiceId::Ctl, 0, 0x22, vec![Tlv::new(1, vec![service.0])])?;
        let cid = alloc.tlv(1)?[1];
        let r = self.exchange(service, cid, id, tlvs);
        self.exchange(
            ServiceId::Ctl,
            0,
            0x23,
            vec![Tlv::new(1, vec![service.0, cid])],
        );
        r
    }

    fn exchange(&mut self, svc: ServiceId, client: u8, id: u16, tlvs: Vec<Tlv>) -> Option<Message> {
        self.txn = if svc == ServiceId::Ctl {
            (self.txn % 200) + 1
        } else {
            self.txn.wrapping_add(1).max(1)
        };
        let txn = self.txn;
        let now = self.tick();
        self.m.handle_qmi(
            &Message::request(svc, client, txn, id, tlvs).to_bytes(),
            now,
        );
        std::iter::from_fn(|| self.m.poll_qmi())
            .map(|f| Message::parse(&f).unwrap())
            .filter(|m| m.kind == MessageKind::Response && m.txn == txn && m.service == svc)
            .last()
    }

    /// The information lines of one AT command line, and its final result.
    fn at(&mut self, line: &str) -> (Vec<String>, String) {
        let now = self.tick();
        // E0 first: a reset turns echo back on.
        self.m
            .handle_serial(SerialPort::At, format!("ATE0{line}\r").as_bytes(), now);
        let mut out = Vec::new();
        while let Some(b) = self.m.poll_serial(SerialPort::At) {
            out.extend(b);
        }
        let text = String::from_utf8(out).unwrap();
        let mut lines: Vec<String> = text
            .split(['\r', '\n'])
            .filter(|l| !l.is_empty() && !l.starts_with("ATE0"))
            .map(str::to_string)
            .collect();
        let result = lines.pop().unwrap_or_default();
        (lines, result)
    }

    fn mbim_open(&mut self) {
        self.mbim_txn += 1;
        let open = MbimMessage::Open {
            txn: self.mbim_txn,
            max_control_transfer: 4096,
        };
        let now = self.tick();
        self.m.handle_mbim(&open.to_bytes(), now);
        while self.m.poll_mbim().is_some() {}
    }

    /// One Basic Connect command: (status, information buffer).
    fn mbim(&mut self, cid: u32, set: bool, info: Vec<u8>) -> Option<(Status, Vec<u8>)> {
        self.mbim_txn += 1;
        let txn = self.mbim_txn;
        let cmd = MbimMessage::Command {
            txn,
            service: Uuid::BASIC_CONNECT,
            cid,
            command_type: if set {
                CommandType::SET
            } else {
                CommandType::QUERY
            },
            info,
        };
        let now = self.tick();
        self.m.handle_mbim(&cmd.to_bytes(), now);
        std::iter::from_fn(|| self.m.poll_mbim())
            .map(|b| MbimMessage::parse(&b).unwrap())
            .find_map(|m| match m {
                MbimMessage::CommandDone {
                    txn: x,
                    status,
                    info,
                    ..
                } if x == txn => Some((status, info)),
                _ => None,
            })
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::VerifyPin(Via::Qmi, p) => {
                self.qmi(ServiceId::Dms, 0x28, vec![Tlv::new(1, pin_tlv(&[1], &[p]))]);
            }
            Op::VerifyPin(Via::At, p) => drop(self.at(&format!("+CPIN=\"{p}\""))),
            Op::VerifyPin(Via::Mbim, p) => drop(self.mbim(4, true, mbim_pin(2, 0, p, ""))),
            Op::ChangePin(Via::Qmi, a, b) => {
                self.qmi(
                    ServiceId::Dms,
                    0x2A,
                    vec![Tlv::new(1, pin_tlv(&[1], &[a, b]))],
                );
            }
            Op::ChangePin(Via::At, a, b) => drop(self.at(&format!("+CPWD=\"SC\",\"{a}\",\"{b}\""))),
            Op::ChangePin(Via::Mbim, a, b) => drop(self.mbim(4, true, mbim_pin(2, 3, a, b))),
            Op::PinProtection(Via::Qmi, on, p) => {
                let tlv = pin_tlv(&[1, on as u8], &[p]);
                self.qmi(ServiceId::Dms, 0x27, vec![Tlv::new(1, tlv)]);
            }
            Op::PinProtection(Via::At, on, p) => {
                drop(self.at(&format!("+CLCK=\"SC\",{},\"{p}\"", on as u8)))
            }
            Op::PinProtection(Via::Mbim, on, p) => {
                let op = if on { 1 } else { 2 };
                drop(self.mbim(4, true, mbim_pin(2, op, p, "")))
            }
            Op::DefineContext(Via::At, cid, apn, ty) => {
                drop(self.at(&format!("+CGDCONT={cid},\"{ty}\",\"{apn}\"")))
            }
            Op::DefineContext(Via::Mbim, cid, apn, _) => {
                drop(self.mbim(13, true, mbim_context(cid as u32, apn)))
            }
            Op::DefineContext(_, _, apn, ty) => {
                let pdp = PDP_TYPES.iter().position(|t| *t == ty).unwrap() as u8;
                let pdp = [0u8, 2, 3, 1][pdp as usize];
                let tlvs = vec![
                    Tlv::new(0x01, vec![0]),
                    Tlv::new(0x11, vec![pdp]),
                    Tlv::new(0x14, apn.as_bytes().to_vec()),
                ];
                self.qmi(ServiceId::Wds, 0x27, tlvs);
            }
            Op::DeleteContext(Via::At, cid) => drop(self.at(&format!("+CGDCONT={cid}"))),
            Op::DeleteContext(_, cid) => {
                self.qmi(ServiceId::Wds, 0x29, vec![Tlv::new(1, vec![0, cid])]);
            }
            Op::RadioOn(Via::Qmi, on) => {
                self.qmi(ServiceId::Dms, 0x2E, vec![Tlv::new(1, vec![!on as u8])]);
            }
            Op::RadioOn(Via::At, on) => drop(self.at(&format!("+CFUN={}", if on { 1 } else { 4 }))),
            Op::RadioOn(Via::Mbim, on) => {
                let mut w = Writer::new();
                w.u32(on as u32);
                drop(self.mbim(3, true, w.finish()))
            }
            Op::Technologies(Via::At, which) => {
                drop(self.at(&format!("+WS46={}", [28, 22, 31][which as usize])))
            }
            Op::Technologies(_, which) => {
                let pref: u16 = [0x10, 0x08, 0x18][which as usize];
                let tlv = Tlv::new(0x11, pref.to_le_bytes().to_vec());
                self.qmi(ServiceId::Nas, 0x33, vec![tlv]);
            }
            Op::AutomaticRegistration => {
                let mut w = Writer::new();
                w.string("").u32(0).u32(0);
                drop(self.mbim(9, true, w.finish()))
            }
            Op::Composition(via, c) => {
                let ok = match via {
                    Via::At => self.at(&format!("!ENTERCND=\"A710\";!UDUSBCOMP={c}")).1 == "OK",
                    _ => self
                        .qmi(ServiceId::Dms, 0x555C, vec![Tlv::new(1, vec![c])])
                        .is_some_and(|r| r.result() == Some((0, 0))),
                };
                if ok {
                    self.pending_composition = Some(c);
                }
            }
            Op::Reset(via) => {
                match via {
                    Via::At => drop(self.at("!RESET")),
                    _ => drop(self.qmi(ServiceId::Dms, 0x2E, vec![Tlv::new(1, vec![4])])),
                }
                self.wait(2000);
                self.pending_composition = None;
                self.mbim_open();
            }
            Op::Wait(ms) => self.wait(ms),
        }
    }

    fn sim_qmi(&mut self) -> SimView {
        let r = self.qmi(ServiceId::Dms, 0x2B, vec![]).unwrap();
        let s = r.tlv(0x11).unwrap();
        let (lock, tries) = match s[0] {
            1 => ("pin", s[1]),
            4 => ("puk", s[2]),
            _ => ("ready", 0),
        };
        SimView {
            lock,
            enabled: s[0] != 3,
            tries,
        }
    }

    fn sim_at(&mut self) -> SimView {
        let (l, _) = self.at("+CPIN?");
        let lock = match l.first().map(String::as_str) {
            Some("+CPIN: READY") => "ready",
            Some("+CPIN: SIM PIN") => "pin",
            Some("+CPIN: SIM PUK") => "puk",
            other => panic!("+CPIN? answered {other:?}"),
        };
        let (l, _) = self.at("+CPINC?");
        let n: Vec<u8> = l[0]["+CPINC: ".len()..]
            .split(',')
            .map(|x| x.parse().unwrap())
            .collect();
        let tries = match lock {
            "pin" => n[0],
            "puk" => n[2],
            _ => 0,
        };
        let (l, _) = self.at("+CLCK=\"SC\",2");
        SimView {
            lock,
            enabled: l[0] == "+CLCK: 1",
            tries,
        }
    }

    fn sim_mbim(&mut self) -> SimView {
        let (_, info) = self.mbim(4, false, vec![]).unwrap();
        let r = Reader::new(&info);
        let (ty, tries) = (r.u32(0).unwrap(), r.u32(8).unwrap());
        let lock = match ty {
            2 => "pin",
            11 => "puk",
            _ => "ready",
        };
        let (_, list) = self.mbim(5, false, vec![]).unwrap();
        SimView {
            lock,
            enabled: Reader::new(&list).u32(0).unwrap() == 1,
            tries: tries as u8,
        }
    }

    /// Stored contexts as (index, PDP type, APN).
    fn contexts_qmi(&mut self) -> Vec<(u8, String, String)> {
        let r = self.qmi(ServiceId::Wds, 0x2A, vec![]).unwrap();
        let list = r.tlv(1).unwrap().to_vec();
        let mut at = 1;
        let mut out = Vec::new();
        for _ in 0..list[0] {
            let index = list[at + 1];
            at += 3 + list[at + 2] as usize;
            let s = self
                .qmi(ServiceId::Wds, 0x2B, vec![Tlv::new(1, vec![0, index])])
                .unwrap();
            let ty = ["IP", "PPP", "IPV6", "IPV4V6"][s.tlv(0x11).unwrap()[0] as usize];
            let apn = String::from_utf8(s.tlv(0x14).unwrap().to_vec()).unwrap();
            out.push((index, ty.to_string(), apn));
        }
        out
    }

    fn contexts_at(&mut self) -> Vec<(u8, String, String)> {
        let (lines, result) = self.at("+CGDCONT?");
        assert_eq!(result, "OK");
        lines
            .iter()
            .map(|l| {
                let f: Vec<&str> = l["+CGDCONT: ".len()..].split(',').collect();
                let unquote = |s: &str| s.trim_matches('"').to_string();
                (f[0].parse().unwrap(), unquote(f[1]), unquote(f[2]))
            })
            .collect()
    }

    /// Provisioned contexts as (index, APN): MBIM names no PDP type.
    fn contexts_mbim(&mut self) -> Vec<(u8, String)> {
        let (status, info) = self.mbim(13, false, vec![]).unwrap();
        assert_eq!(status, Status::SUCCESS);
        let r = Reader::new(&info);
        (0..r.u32(0).unwrap() as usize)
            .map(|i| {
                let c = r.structure(4 + 8 * i).unwrap();
                (c.u32(0).unwrap() as u8, c.string(20).unwrap())
            })
            .collect()
    }

    fn radio_qmi(&mut self) -> bool {
        let r = self.qmi(ServiceId::Dms, 0x2D, vec![]).unwrap();
        r.tlv(1).unwrap()[0] == 0
    }

    fn radio_at(&mut self) -> bool {
        self.at("+CFUN?").0[0] == "+CFUN: 1"
    }

    fn radio_mbim(&mut self) -> bool {
        let (_, info) = self.mbim(3, false, vec![]).unwrap();
        Reader::new(&info).u32(4).unwrap() == 1
    }

    fn reg_qmi(&mut self) -> RegView {
        let r = self.qmi(ServiceId::Nas, 0x24, vec![]).unwrap();
        let s = r.tlv(1).unwrap();
        let state = ["not-registered", "registered", "searching", "denied"][s[0] as usize];
        let rat = if s.get(5) == Some(&8) { "lte" } else { "umts" };
        let rat = (s[0] == 1).then_some(rat);
        (state, rat)
    }

    fn reg_at(&mut self) -> RegView {
        let creg = self.at("+CREG?").0[0].clone();
        let state = match &creg["+CREG: 0,".len()..] {
            "0" => "not-registered",
            "1" => "registered",
            "2" => "searching",
            _ => "denied",
        };
        let cops = self.at("+COPS?").0[0].clone();
        let rat = cops.rsplit(',').next().filter(|_| cops.contains('"'));
        let rat = rat.map(|a| if a == "7" { "lte" } else { "umts" });
        (state, rat)
    }

    fn reg_mbim(&mut self) -> RegView {
        let (_, info) = self.mbim(9, false, vec![]).unwrap();
        let r = Reader::new(&info);
        let (state, class) = (r.u32(4).unwrap(), r.u32(12).unwrap());
        let state = match state {
            2 => "searching",
            3..=5 => "registered",
            6 => "denied",
            _ => "not-registered",
        };
        let rat = if class & 0x20 != 0 { "lte" } else { "umts" };
        let rat = (state == "registered").then_some(rat);
        (state, rat)
    }

    fn composition_qmi(&mut self) -> u8 {
        self.qmi(ServiceId::Dms, 0x555B, vec![])
            .unwrap()
            .tlv(0x10)
            .unwrap()[0]
    }

    fn composition_at(&mut self) -> u8 {
        let l = self.at("!UDUSBCOMP?").0[0].clone();
        l["!UDUSBCOMP: ".len()..].parse().unwrap()
    }

    /// Reads every fact through every protocol that reports it.
    fn check(&mut self) -> Result<(), TestCaseError> {
        self.frozen = true;
        let verdict = self.compare();
        self.frozen = false;
        verdict
    }

    fn compare(&mut self) -> Result<(), TestCaseError> {
        let (q, a, m) = (self.sim_qmi(), self.sim_at(), self.sim_mbim());
        prop_assert_eq!(&q, &a, "SIM: QMI vs AT");
        prop_assert_eq!(&q, &m, "SIM: QMI vs MBIM");
        let (q, a) = (self.contexts_qmi(), self.contexts_at());
        let m = self.contexts_mbim();
        let q2: Vec<(u8, String)> = q.iter().map(|(i, _, apn)| (*i, apn.clone())).collect();
        prop_assert_eq!(q, a, "PDP contexts: WDS vs +CGDCONT");
        prop_assert_eq!(q2, m, "PDP contexts: WDS vs MBIM provisioned contexts");
        let (q, a, m) = (self.radio_qmi(), self.radio_at(), self.radio_mbim());
        prop_assert!(q == a && a == m, "radio on: QMI {} AT {} MBIM {}", q, a, m);
        let (q, a, m) = (self.reg_qmi(), self.reg_at(), self.reg_mbim());
        prop_assert_eq!(q, a, "registration: QMI vs AT");
        prop_assert_eq!(q, m, "registration: QMI vs MBIM");
        let (q, a) = (self.composition_qmi(), self.composition_at());
        // AT reads the NV setting, QMI the running one: equal once no
        // change is pending, and AT shows a change whoever made it.
        prop_assert_eq!(a, self.pending_composition.unwrap_or(q), "USB composition");
        Ok(())
    }
}

/// A DMS PIN TLV: leading bytes, then each code as u8 length + digits.
fn pin_tlv(head: &[u8], codes: &[&str]) -> Vec<u8> {
    let mut v = head.to_vec();
    for c in codes {
        v.push(c.len() as u8);
        v.extend(c.as_bytes());
    }
    v
}

/// MBIM_SET_PIN: type, operation, PIN, new PIN.
/// MBIM_SET_PROVISIONED_CONTEXT of an Internet context, no credentials.
fn mbim_context(id: u32, apn: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(id)
        .uuid(&Uuid::CONTEXT_INTERNET)
        .string(apn)
        .string("")
        .string("")
        .u32(0)
        .u32(0)
        .string("");
    w.finish()
}

fn mbim_pin(ty: u32, op: u32, pin: &str, new: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(ty).u32(op).string(pin).string(new);
    w.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_protocol_reads_the_same_state(
        seed in any::<u64>(),
        ops in prop::collection::vec(op(), 1..32),
    ) {
        let mut rig = Rig::new(seed);
        rig.check()?;
        for op in &ops {
            rig.apply(op);
            rig.check().map_err(|e| TestCaseError::fail(format!("after {op:?}: {e}")))?;
        }
    }
}

/// A registration that completes while `check` reads must not look like
/// two answers: every read of one check happens at one instant.
#[test]
fn reads_of_one_check_share_one_instant() {
    use Op::*;
    let ops = [
        VerifyPin(Via::Qmi, "1234"),
        Technologies(Via::Qmi, 1),
        DefineContext(Via::Qmi, 1, "internet", "IP"),
        DefineContext(Via::Qmi, 1, "internet", "IP"),
        VerifyPin(Via::Qmi, "1234"),
        DefineContext(Via::Qmi, 1, "internet", "IP"),
        Technologies(Via::Qmi, 2),
        Wait(96),
        Wait(1290),
    ];
    for seed in 0..64 {
        let mut rig = Rig::new(seed);
        for op in &ops {
            rig.apply(op);
            if let Err(e) = rig.check() {
                panic!("seed {seed} after {op:?}: {e}");
            }
        }
        // And one registration step at every millisecond after the last op.
        for _ in 0..200 {
            rig.wait(1);
            if let Err(e) = rig.check() {
                panic!("seed {seed} while waiting: {e}");
            }
        }
    }
}
