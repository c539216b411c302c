//! The USB/IP server over real TCP, without root or vhci_hcd: this test is
//! the host. It lists and imports the device, enumerates it, carries a QMI
//! request over EP0 with its notification on the interrupt endpoint, and
//! unlinks a pending URB. (The VM tier does the same with the kernel's
//! vhci_hcd, qcserial and qmi_wwan: host-tests/vm/usbip.test.sh.)

use crate::harness::*;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use vmodem_core::model::identity::luhn_valid;
use vmodem_core::model::Profile;
use vmodem_core::testkit::usbip::{UsbipHost, SET_CONFIGURATION_1};
use vmodem_core::usb::descriptors;
use vmodem_core::usb::{NtbParameters, UsbPersonality};
use vmodem_core::usbip::{status, Op, Pdu, RetSubmit, HEADER_LEN};
use vmodem_core::wire::mbim;
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::{MessageId, ServiceId};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Composition 6: the QMI composition these tests talk to (the default
/// profile's factory 14 is checked on its own).
fn start() -> Server {
    start_with(&["--composition", "qmi"])
}

fn start_with(extra: &[&str]) -> Server {
    // A free port: bound by us for a moment, then handed to vmodem.
    let addr = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .to_string();
    let child = Command::new(env!("CARGO_BIN_EXE_vmodem"))
        .args(["run", "--transport", "usbip", "--listen", &addr])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vmodem");
    let s = Server { child, addr };
    wait_until(Duration::from_secs(10), || {
        TcpStream::connect(&s.addr).is_ok()
    })
    .expect("vmodem listens");
    s
}

fn op(addr: &str, req: Op) -> (TcpStream, Op) {
    let mut t = TcpStream::connect(addr).unwrap();
    t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    t.write_all(&req.emit()).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Ok((o, _)) = Op::parse(&buf) {
            return (t, o);
        }
        let n = t.read(&mut chunk).unwrap();
        assert!(n > 0, "closed before a whole reply");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The host side of an imported connection.
struct Host {
    t: TcpStream,
    urbs: UsbipHost,
    /// The interrupt IN URB kept pending for RESPONSE_AVAILABLE, as
    /// cdc-wdm keeps one.
    notify: Option<u32>,
}

impl Host {
    fn new(t: TcpStream) -> Host {
        t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Host {
            t,
            urbs: UsbipHost::new(),
            notify: None,
        }
    }

    fn submit(&mut self, ep: u8, dir_in: bool, setup: [u8; 8], length: u32, data: &[u8]) -> u32 {
        let (id, bytes) = self.urbs.submit(ep, dir_in, setup, length, data);
        self.t.write_all(&bytes).unwrap();
        id
    }

    fn unlink(&mut self, ep: u8, dir_in: bool, target: u32) -> u32 {
        let (id, bytes) = self.urbs.unlink(ep, dir_in, target);
        self.t.write_all(&bytes).unwrap();
        id
    }

    fn recv(&mut self) -> Pdu {
        let mut h = [0u8; HEADER_LEN];
        self.t.read_exact(&mut h).unwrap();
        let mut all = h.to_vec();
        all.resize(HEADER_LEN + self.urbs.payload_len(&h), 0);
        self.t.read_exact(&mut all[HEADER_LEN..]).unwrap();
        self.urbs.parse(&all).unwrap()
    }

    fn ret(&mut self) -> RetSubmit {
        match self.recv() {
            Pdu::RetSubmit(r) => r,
            other => panic!("expected RET_SUBMIT, got {other:?}"),
        }
    }

    /// The completion of URB `id`, keeping others that come first.
    fn ret_for(&mut self, id: u32) -> RetSubmit {
        if let Some(r) = self.urbs.take(id) {
            return r;
        }
        loop {
            let r = self.ret();
            if r.seqnum == id {
                return r;
            }
            self.urbs.keep(r);
        }
    }

    fn control_in(&mut self, setup: [u8; 8]) -> RetSubmit {
        let len = u16::from_le_bytes([setup[6], setup[7]]) as u32;
        let id = self.submit(0, true, setup, len, &[]);
        self.ret_for(id)
    }
}

fn import(addr: &str) -> (TcpStream, Op) {
    import_busid(addr, "1-1")
}

fn import_busid(addr: &str, busid: &str) -> (TcpStream, Op) {
    op(
        addr,
        Op::ImportRequest {
            busid: busid.into(),
        },
    )
}

impl Host {
    /// Imports `busid` and sets configuration 1, as vhci_hcd and usbcore do.
    fn attach(addr: &str, busid: &str) -> Host {
        let (t, reply) = import_busid(addr, busid);
        match &reply {
            Op::ImportReply {
                status: 0,
                device: Some(d),
            } => assert_eq!(d.busid, busid),
            other => panic!("import {busid}: {other:?}"),
        }
        let mut h = Host::new(t);
        let id = h.submit(0, false, SET_CONFIGURATION_1, 0, &[]);
        assert_eq!(h.ret().seqnum, id);
        h
    }

    /// One QMI request as cdc-wdm carries it: SEND_ENCAPSULATED_COMMAND,
    /// RESPONSE_AVAILABLE on the interrupt endpoint, then
    /// GET_ENCAPSULATED_RESPONSE.
    fn qmi(&mut self, req: &Message) -> Message {
        let bytes = req.to_bytes();
        let mut notify = match self.notify {
            Some(id) => id,
            None => self.submit(7, true, [0; 8], 64, &[]),
        };
        let l = (bytes.len() as u16).to_le_bytes();
        let send = self.submit(
            0,
            false,
            [0x21, 0, 0, 0, 8, 0, l[0], l[1]],
            bytes.len() as u32,
            &bytes,
        );
        loop {
            // Indications (the SIM or registration moving on) come through
            // the same channel, each announced on its own.
            let n = self.ret_for(notify);
            assert_eq!(n.data, [0xA1, 1, 0, 0, 8, 0, 0, 0]);
            notify = self.submit(7, true, [0; 8], 64, &[]);
            self.notify = Some(notify);
            let resp = self.control_in([0xA1, 1, 0, 0, 8, 0, 0, 0x10]);
            let m = Message::parse(&resp.data).expect("a QMUX frame");
            if m.kind == MessageKind::Response && m.service == req.service && m.txn == req.txn {
                assert_eq!(m.id, req.id);
                assert_eq!(self.ret_for(send).status, 0);
                return m;
            }
        }
    }

    /// CTL Sync, then the IMEI from DMS Get IDs through a fresh client.
    fn sync_and_imei(&mut self) -> String {
        let sync = self.qmi(&Message::request(ServiceId::Ctl, 0, 1, 0x0027, vec![]));
        assert_eq!((sync.id, sync.result()), (MessageId(0x0027), Some((0, 0))));
        let cid = self.qmi(&Message::request(
            ServiceId::Ctl,
            0,
            2,
            0x0022,
            vec![Tlv::new(0x01, [ServiceId::Dms.0])],
        ));
        assert_eq!(cid.result(), Some((0, 0)), "{cid:?}");
        let client = cid.tlv(0x01).expect("allocated client")[1];
        let ids = self.qmi(&Message::request(ServiceId::Dms, client, 1, 0x0025, vec![]));
        assert_eq!((ids.id, ids.result()), (MessageId(0x0025), Some((0, 0))));
        String::from_utf8(ids.tlv(0x11).expect("IMEI TLV").to_vec()).unwrap()
    }
}

#[test]
fn usbip_host_lists_imports_and_talks_qmi() {
    let s = start();
    let (_, list) = op(&s.addr, Op::DevlistRequest);
    let Op::DevlistReply(devs) = list else {
        panic!("{list:?}")
    };
    assert_eq!(devs.len(), 1);
    assert_eq!(
        (
            devs[0].busid.as_str(),
            devs[0].vendor_id,
            devs[0].product_id
        ),
        ("1-1", 0x1199, 0x9041)
    );
    assert_eq!(devs[0].interfaces.len(), 4);

    let (t, reply) = import(&s.addr);
    assert!(
        matches!(
            reply,
            Op::ImportReply {
                status: 0,
                device: Some(_)
            }
        ),
        "{reply:?}"
    );
    // One host at a time.
    let (_, second) = import(&s.addr);
    assert!(
        matches!(
            second,
            Op::ImportReply {
                status: 1,
                device: None
            }
        ),
        "{second:?}"
    );
    let (_, wrong) = op(
        &s.addr,
        Op::ImportRequest {
            busid: "2-1".into(),
        },
    );
    assert!(matches!(wrong, Op::ImportReply { status: 1, .. }));

    let mut h = Host::new(t);
    let p = UsbPersonality::application_qmi(&Profile::default());
    let d = h.control_in([0x80, 6, 0, 1, 0, 0, 64, 0]);
    assert_eq!(d.data, descriptors::device(&p));
    let c = h.control_in([0x80, 6, 0, 2, 0, 0, 0xff, 0]);
    assert_eq!(c.data.len(), 160);
    let id = h.submit(0, false, SET_CONFIGURATION_1, 0, &[]);
    assert_eq!(h.ret().seqnum, id);

    // QMI CTL Get Version Info over EP0; the answer is announced first.
    let notify = h.submit(7, true, [0; 8], 64, &[]);
    let req = Message::request(ServiceId::Ctl, 0, 7, 0x0021, vec![]).to_bytes();
    let l = (req.len() as u16).to_le_bytes();
    let send = h.submit(
        0,
        false,
        [0x21, 0, 0, 0, 8, 0, l[0], l[1]],
        req.len() as u32,
        &req,
    );
    let mut got = HashMap::new();
    for _ in 0..2 {
        let r = h.ret();
        got.insert(r.seqnum, r);
    }
    assert_eq!(got[&send].status, 0);
    assert_eq!(got[&notify].data, [0xA1, 1, 0, 0, 8, 0, 0, 0]);
    let resp = h.control_in([0xA1, 1, 0, 0, 8, 0, 0, 0x10]);
    let m = Message::parse(&resp.data).expect("a QMUX frame");
    assert_eq!(m.kind, MessageKind::Response);
    assert_eq!(
        (m.service, m.txn, m.id),
        (ServiceId::Ctl, 7, MessageId(0x0021))
    );

    // A bulk IN with nothing to read stays pending until unlinked.
    let pending = h.submit(6, true, [0; 8], 2048, &[]);
    let unlink = h.unlink(6, true, pending);
    match h.recv() {
        Pdu::RetUnlink(u) => assert_eq!((u.seqnum, u.status), (unlink, status::ECONNRESET)),
        other => panic!("{other:?}"),
    }
    // Unlinking what already completed answers 0.
    let late = h.unlink(0, false, send);
    match h.recv() {
        Pdu::RetUnlink(u) => assert_eq!((u.seqnum, u.status), (late, 0)),
        other => panic!("{other:?}"),
    }

    // The host goes away: the device is free for the next one.
    drop(h);
    wait_until(Duration::from_secs(10), || {
        matches!(import(&s.addr).1, Op::ImportReply { status: 0, .. })
    })
    .expect("device offered again after the host left");
}

#[test]
fn usbip_offers_the_boot_loader_personality() {
    let s = start_with(&["--start-in-bootloader"]);
    let (_, list) = op(&s.addr, Op::DevlistRequest);
    let Op::DevlistReply(devs) = list else {
        panic!("{list:?}")
    };
    assert_eq!((devs[0].vendor_id, devs[0].product_id), (0x1199, 0x9040));
    assert_eq!(devs[0].interfaces.len(), 1);
}

fn busids(addr: &str) -> Vec<String> {
    match op(addr, Op::DevlistRequest).1 {
        Op::DevlistReply(devs) => devs.into_iter().map(|d| d.busid).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn usbip_serves_a_fleet_of_distinct_modems() {
    let s = start_with(&["--modems", "4"]);
    let (_, list) = op(&s.addr, Op::DevlistRequest);
    let Op::DevlistReply(devs) = list else {
        panic!("{list:?}")
    };
    let ids: Vec<_> = devs
        .iter()
        .map(|d| (d.busid.as_str(), d.vendor_id, d.product_id))
        .collect();
    assert_eq!(
        ids,
        [
            ("1-1", 0x1199, 0x9041),
            ("1-2", 0x1199, 0x9041),
            ("1-3", 0x1199, 0x9041),
            ("1-4", 0x1199, 0x9041)
        ]
    );
    let devnums: std::collections::HashSet<_> = devs.iter().map(|d| d.devnum).collect();
    assert_eq!(devnums.len(), 4, "{devs:?}");

    // Two hosts import two modems at the same time and talk to both.
    let start = std::sync::Arc::new(std::sync::Barrier::new(2));
    let imeis: Vec<String> = ["1-2", "1-4"]
        .map(|busid| {
            let (addr, start) = (s.addr.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let mut h = Host::attach(&addr, busid);
                let imei = h.sync_and_imei();
                // Held by this host: a second import of the same modem is
                // refused, while the modem nobody holds is free.
                assert!(matches!(
                    import_busid(&addr, busid).1,
                    Op::ImportReply { status: 1, .. }
                ));
                assert_eq!(h.sync_and_imei(), imei, "the same modem answers again");
                imei
            })
        })
        .into_iter()
        .map(|t| t.join().expect("host thread"))
        .collect();
    let base = Profile::default().identity.imei;
    assert_ne!(imeis[0], imeis[1]);
    for imei in &imeis {
        assert_ne!(imei, &base, "modem 1 alone has the profile's IMEI");
        assert_eq!(imei[..8], base[..8], "same type allocation code");
        assert!(luhn_valid(imei), "{imei}");
    }
    // Modem 1 is the single modem of the profile.
    assert_eq!(Host::attach(&s.addr, "1-1").sync_and_imei(), base);
    assert!(matches!(
        import_busid(&s.addr, "1-5").1,
        Op::ImportReply { status: 1, .. }
    ));
}

#[test]
fn usbip_fleet_reset_takes_one_modem_off_the_bus() {
    let s = start_with(&["--modems", "3"]);
    let mut resetting = Host::attach(&s.addr, "1-2");
    let mut other = Host::attach(&s.addr, "1-3");
    let imei = other.sync_and_imei();
    resetting.sync_and_imei();
    // DMS Set Operating Mode "reset": answered, then modem 1-2 drops off
    // its bus.
    let cid = resetting.qmi(&Message::request(
        ServiceId::Ctl,
        0,
        3,
        0x0022,
        vec![Tlv::new(0x01, [ServiceId::Dms.0])],
    ));
    let client = cid.tlv(0x01).expect("allocated client")[1];
    let r = resetting.qmi(&Message::request(
        ServiceId::Dms,
        client,
        2,
        0x002E,
        vec![Tlv::new(0x01, [4])],
    ));
    assert_eq!(r.result(), Some((0, 0)), "{r:?}");
    let mut b = [0u8; 64];
    assert_eq!(
        resetting.t.read(&mut b).expect("closed in time"),
        0,
        "the reset closes the host's connection"
    );
    // Off the bus for at least a second: listed no more, the rest serve on.
    assert_eq!(busids(&s.addr), ["1-1", "1-3"]);
    assert_eq!(other.sync_and_imei(), imei);
    wait_until(Duration::from_secs(10), || busids(&s.addr).len() == 3)
        .expect("1-2 offered again once its firmware is back");
    Host::attach(&s.addr, "1-2").sync_and_imei();
    assert_eq!(other.sync_and_imei(), imei, "1-3 kept its host throughout");
}

impl Host {
    /// One MBIM message through interface 12 (cdc_mbim's CDC-WDM): the
    /// answer with transaction id `txn`, skipping indications.
    fn mbim(&mut self, req: &mbim::Message, txn: u32) -> mbim::Message {
        let bytes = req.to_bytes();
        let l = (bytes.len() as u16).to_le_bytes();
        let send = self.submit(
            0,
            false,
            [0x21, 0, 0, 0, 12, 0, l[0], l[1]],
            bytes.len() as u32,
            &bytes,
        );
        assert_eq!(self.ret_for(send).status, 0);
        loop {
            // The MBIM function's interrupt endpoint is 0x82.
            let n = self.submit(2, true, [0; 8], 64, &[]);
            assert_eq!(self.ret_for(n).data, [0xA1, 1, 0, 0, 12, 0, 0, 0]);
            let resp = self.control_in([0xA1, 1, 0, 0, 12, 0, 0, 0x10]);
            let m = mbim::Message::parse(&resp.data).expect("an MBIM message");
            if m.transaction_id() == txn {
                return m;
            }
        }
    }
}

#[test]
fn usbip_serves_the_mbim_composition() {
    let s = start_with(&["--composition", "mbim"]);
    let (_, list) = op(&s.addr, Op::DevlistRequest);
    let Op::DevlistReply(devs) = list else {
        panic!("{list:?}")
    };
    // Composition 9: the communication and data interfaces only.
    let classes: Vec<u8> = devs[0].interfaces.iter().map(|i| i.class).collect();
    assert_eq!(classes, vec![0x02, 0x0a]);
    let mut h = Host::attach(&s.addr, "1-1");
    let p = UsbPersonality::application(&Profile::default(), 9);
    let c = h.control_in([0x80, 6, 0, 2, 0, 0, 0xff, 0]);
    assert_eq!(Some(c.data.clone()), descriptors::configuration(&p, 0));
    assert_eq!(c.data.len(), 95);
    // What cdc_ncm_init asks first, then the data alternate with endpoints.
    let params = h.control_in([0xA1, 0x80, 0, 0, 12, 0, 28, 0]);
    let params = NtbParameters::parse(&params.data).expect("28 bytes of NTB parameters");
    assert_eq!(params, NtbParameters::EM7305);
    let alt = h.submit(0, false, [0x01, 0x0b, 1, 0, 13, 0, 0, 0], 0, &[]);
    assert_eq!(h.ret_for(alt).status, 0);

    let open = mbim::Message::Open {
        txn: 1,
        max_control_transfer: 4096,
    };
    match h.mbim(&open, 1) {
        mbim::Message::OpenDone { status, .. } => assert_eq!(status, mbim::Status::SUCCESS),
        other => panic!("{other:?}"),
    }
    let caps = mbim::Message::Command {
        txn: 2,
        service: mbim::Uuid::BASIC_CONNECT,
        cid: 1,
        command_type: mbim::CommandType::QUERY,
        info: vec![],
    };
    let imei: Vec<u8> = Profile::default()
        .identity
        .imei
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    match h.mbim(&caps, 2) {
        mbim::Message::CommandDone {
            status, cid, info, ..
        } => {
            assert_eq!((status, cid), (mbim::Status::SUCCESS, 1));
            assert!(
                info.windows(imei.len()).any(|w| w == imei),
                "device id is the IMEI"
            );
        }
        other => panic!("{other:?}"),
    }
    // No data yet: a bulk IN on 0x81 waits; a malformed NTB on 0x01 is
    // taken (and dropped) without disturbing the control channel.
    let pending = h.submit(1, true, [0; 8], 16384, &[]);
    let bad = h.submit(
        1,
        false,
        [0; 8],
        12,
        b"NCMH\x0c\x00\x00\x00\xff\xff\x00\x00",
    );
    assert_eq!(h.ret_for(bad).status, 0);
    let caps = mbim::Message::Command {
        txn: 3,
        service: mbim::Uuid::BASIC_CONNECT,
        cid: 1,
        command_type: mbim::CommandType::QUERY,
        info: vec![],
    };
    assert!(matches!(
        h.mbim(&caps, 3),
        mbim::Message::CommandDone { .. }
    ));
    assert!(
        !h.urbs.completed_early(pending),
        "the bulk IN stays pending"
    );
}
