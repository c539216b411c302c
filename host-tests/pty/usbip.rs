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
use vmodem_core::capture::descriptors;
use vmodem_core::model::Profile;
use vmodem_core::usb::UsbPersonality;
use vmodem_core::usbip::{status, Op, Pdu, RetSubmit, Submit, Unlink, HEADER_LEN};
use vmodem_core::wire::qmi::{Message, MessageKind};
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

fn start() -> Server {
    start_with(&[])
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
    seq: u32,
    dir_in: HashMap<u32, bool>,
}

impl Host {
    fn submit(&mut self, ep: u8, dir_in: bool, setup: [u8; 8], length: u32, data: &[u8]) -> u32 {
        self.seq += 1;
        self.dir_in.insert(self.seq, dir_in);
        let s = Submit {
            seqnum: self.seq,
            devid: 0x10002,
            dir_in,
            ep,
            transfer_flags: 0,
            transfer_buffer_length: length,
            start_frame: 0,
            number_of_packets: 0,
            interval: 0,
            setup,
            data: data.to_vec(),
            iso: vec![],
        };
        self.t.write_all(&Pdu::Submit(s).emit()).unwrap();
        self.seq
    }

    fn recv(&mut self) -> Pdu {
        let mut h = [0u8; HEADER_LEN];
        self.t.read_exact(&mut h).unwrap();
        let seq = u32::from_be_bytes(h[4..8].try_into().unwrap());
        let is_ret_submit = h[3] == 3;
        let dir_in = is_ret_submit && self.dir_in.get(&seq).copied().unwrap_or(false);
        let mut all = h.to_vec();
        if dir_in {
            let n = u32::from_be_bytes(h[24..28].try_into().unwrap()) as usize;
            let mut d = vec![0u8; n];
            self.t.read_exact(&mut d).unwrap();
            all.extend_from_slice(&d);
        }
        Pdu::parse(&all, dir_in).unwrap().0
    }

    fn ret(&mut self) -> RetSubmit {
        match self.recv() {
            Pdu::RetSubmit(r) => r,
            other => panic!("expected RET_SUBMIT, got {other:?}"),
        }
    }

    fn control_in(&mut self, setup: [u8; 8]) -> RetSubmit {
        let len = u16::from_le_bytes([setup[6], setup[7]]) as u32;
        let id = self.submit(0, true, setup, len, &[]);
        let r = self.ret();
        assert_eq!(r.seqnum, id);
        r
    }
}

fn import(addr: &str) -> (TcpStream, Op) {
    op(
        addr,
        Op::ImportRequest {
            busid: "1-1".into(),
        },
    )
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

    let mut h = Host {
        t,
        seq: 0,
        dir_in: HashMap::new(),
    };
    h.t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let p = UsbPersonality::application_qmi(&Profile::default());
    let d = h.control_in([0x80, 6, 0, 1, 0, 0, 64, 0]);
    assert_eq!(d.data, descriptors::device(&p));
    let c = h.control_in([0x80, 6, 0, 2, 0, 0, 0xff, 0]);
    assert_eq!(c.data.len(), 160);
    let id = h.submit(0, false, [0, 9, 1, 0, 0, 0, 0, 0], 0, &[]);
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
    h.seq += 1;
    let unlink = Unlink {
        seqnum: h.seq,
        devid: 0x10002,
        dir_in: true,
        ep: 6,
        unlink_seqnum: pending,
    };
    h.t.write_all(&Pdu::Unlink(unlink).emit()).unwrap();
    match h.recv() {
        Pdu::RetUnlink(u) => assert_eq!((u.seqnum, u.status), (h.seq, status::ECONNRESET)),
        other => panic!("{other:?}"),
    }
    // Unlinking what already completed answers 0.
    h.seq += 1;
    let late = Unlink {
        seqnum: h.seq,
        devid: 0x10002,
        dir_in: false,
        ep: 0,
        unlink_seqnum: send,
    };
    h.t.write_all(&Pdu::Unlink(late).emit()).unwrap();
    match h.recv() {
        Pdu::RetUnlink(u) => assert_eq!((u.seqnum, u.status), (h.seq, 0)),
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
