//! `vmodem run --pcap`: the capture of a qmicli session reads back as
//! usbmon records (enumeration first, QMI inside CDC-WDM control
//! transfers), and tshark decodes it without complaint.

use crate::harness::*;
use std::process::Command;
use vmodem_core::capture::usbmon;
use vmodem_core::model::Profile;
use vmodem_core::usb::descriptors;
use vmodem_core::usb::UsbPersonality;
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::ServiceId;

/// Runs qmicli --dms-get-model and an AT command with a capture on.
fn captured_session(tag: &str) -> (TempDir, std::path::PathBuf) {
    let dir = tempdir(&format!("{tag}-files"));
    let pcap = dir.path().join("session.pcap");
    let at = dir.path().join("at");
    let m = Vmodem::start(
        tag,
        &[
            "--pcap",
            pcap.to_str().unwrap(),
            "--at-link",
            at.to_str().unwrap(),
        ],
    );
    let s = m.ok(&["--dms-get-model"]);
    assert!(s.contains("EM7305"), "{s}");
    if !gadget_mode() {
        let mut port = crate::at::open(&at);
        let ati = crate::at::at(&mut port, "ATI");
        assert!(ati.contains("EM7305"), "{ati}");
    }
    drop(m);
    (dir, pcap)
}

#[test]
fn pcap_holds_enumeration_and_the_qmi_exchange() {
    let (_dir, pcap) = captured_session("capture-read");
    let recs = usbmon::read(&std::fs::read(&pcap).unwrap()).expect("a usbmon capture");
    let p = UsbPersonality::application_qmi(&Profile::default());
    // Enumeration: device descriptor, configuration (9 bytes, then whole),
    // SET_CONFIGURATION, each a submission and a completion.
    assert_eq!(recs[1].data, descriptors::device(&p));
    assert_eq!(recs[3].data.len(), 9);
    assert_eq!(
        Some(recs[5].data.clone()),
        descriptors::configuration(&p, 0)
    );
    assert_eq!(recs[6].setup.unwrap()[..3], [0x00, 0x09, 0x01]);
    assert!(recs
        .chunks(2)
        .all(|u| u[0].id == u[1].id && u[0].event == usbmon::EventType::Submit));

    let qmi_of = |r: &usbmon::UsbmonPacket| Message::parse(&r.data).ok();
    let sends: Vec<Message> = recs
        .iter()
        .filter(|r| r.setup.is_some_and(|s| s[..2] == [0x21, 0x00] && s[4] == 8))
        .filter_map(qmi_of)
        .collect();
    let gets: Vec<Message> = recs
        .windows(2)
        .filter(|w| w[0].setup.is_some_and(|s| s[..2] == [0xA1, 0x01]))
        .filter_map(|w| qmi_of(&w[1]))
        .collect();
    let asked = sends
        .iter()
        .find(|m| m.service == ServiceId::Dms && m.id.0 == 0x0022)
        .expect("DMS Get Model inside SEND_ENCAPSULATED_COMMAND");
    assert_eq!(asked.kind, MessageKind::Request);
    let answer = gets
        .iter()
        .find(|m| m.service == ServiceId::Dms && m.id.0 == 0x0022)
        .expect("its response inside GET_ENCAPSULATED_RESPONSE");
    assert_eq!(answer.txn, asked.txn);
    assert_eq!(answer.tlv(0x01), Some(&b"EM7305"[..]));
    // Every response was announced on the QMI interrupt endpoint.
    let notes = recs
        .iter()
        .filter(|r| r.endpoint == 0x87 && r.event == usbmon::EventType::Complete)
        .count();
    assert_eq!(notes, gets.len());
    if !gadget_mode() {
        // ATI crossed the AT interface's bulk pair (0x03 out, 0x84 in).
        assert!(recs
            .iter()
            .any(|r| r.endpoint == 0x03 && r.data == b"ATI\r"));
        assert!(recs
            .iter()
            .any(|r| r.endpoint == 0x84 && r.data.windows(6).any(|w| w == b"EM7305")));
    }
}

fn tshark(args: &[&str]) -> String {
    let out = Command::new("tshark")
        .args(args)
        .output()
        .expect("tshark is not installed: run scripts/test.sh, which installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn tshark_decodes_the_capture() {
    // The VM tier reruns this file over the gadget; its image need not have
    // tshark, and the read-back test above covers the gadget's records.
    if gadget_mode() {
        return;
    }
    let (_dir, pcap) = captured_session("capture-tshark");
    let file = pcap.to_str().unwrap();
    let all = tshark(&["-r", file, "-V"]);
    assert!(!all.contains("Malformed"), "{all}");
    assert!(!all.contains("Expert Info (Error"), "{all}");
    assert!(
        all.contains("idVendor: Sierra Wireless"),
        "descriptors decoded"
    );
    assert!(all.contains("bInterfaceClass: Vendor Specific (0xff)"));
    // QMI frames travel as the data stages of CDC-WDM class requests to
    // interface 8: SEND_ENCAPSULATED_COMMAND out, GET_ENCAPSULATED_RESPONSE in.
    let field = |filter: &str, field: &str| {
        tshark(&["-r", file, "-Y", filter, "-T", "fields", "-e", field])
    };
    let sent = field(
        "usb.setup.bRequest == 0 && usb.setup.wIndex == 8",
        "usb.data_fragment",
    );
    // QMUX to DMS, then the request header of Get Model (0x0022).
    assert!(
        sent.lines()
            .any(|l| l.starts_with("01") && l.contains("2200")),
        "{sent}"
    );
    let answers = field("usb.control.Response", "usb.control.Response");
    let em7305 = "454d37333035";
    assert!(answers.contains(em7305), "Get Model's answer: {answers}");
    // Bulk transfers of the AT interface: tshark's AT dissector reads
    // ATI going out on 0x03 and the answer coming in on 0x84.
    let at = field("usb.transfer_type == 0x03 && at", "at.cmd");
    let at_ep = field("usb.transfer_type == 0x03 && at", "usb.endpoint_address");
    assert_eq!(at_ep.lines().collect::<Vec<_>>(), ["0x03", "0x84"], "{at}");
    assert_eq!(at.lines().next(), Some("I"), "{at}");
    assert!(at.contains("Model") && at.contains("OK"), "{at}");
}

#[test]
fn tshark_decodes_an_mbim_connect() {
    if gadget_mode() {
        return;
    }
    let dir = tempdir("capture-mbim-files");
    let pcap = dir.path().join("mbim.pcap");
    let v = Vmodem::start_mbim("capture-mbim", &["--pcap", pcap.to_str().unwrap()]);
    v.mbim_ok(&["--enter-pin=1234"]);
    v.mbim_wait_for(
        &["--query-registration-state"],
        "'home'",
        std::time::Duration::from_secs(10),
    );
    let out = v.mbim_ok(&["--connect=access-string=internet"]);
    assert!(out.contains("Successfully connected"), "{out}");
    drop(v);
    let file = pcap.to_str().unwrap();
    let all = tshark(&["-r", file, "-V"]);
    assert!(!all.contains("Malformed"), "{all}");
    assert!(!all.contains("Expert Info (Error"), "{all}");
    // The MBIM-only composition's descriptors tell tshark the class.
    assert!(all.contains("bInterfaceClass: Communications and CDC Control (0x02)"));
    let summary = tshark(&["-r", file]);
    for m in [
        "OPEN_MSG",
        "OPEN_DONE",
        "COMMAND_MSG        : PIN (Set)",
        "COMMAND_DONE       : REGISTER_STATE",
        "COMMAND_MSG        : CONNECT (Set)",
        "COMMAND_DONE       : CONNECT",
    ] {
        assert!(summary.contains(m), "no {m:?} in\n{summary}");
    }
    // Every MBIM message shows its service and CID.
    let cids = tshark(&[
        "-r",
        file,
        "-Y",
        "mbim.control.header.message_type == 0x80000003",
        "-T",
        "fields",
        "-e",
        "mbim.control.device_service_id",
        "-e",
        "mbim.control.cid",
    ]);
    assert!(cids.lines().count() >= 4, "{cids}");
    // Basic Connect's UUID and a CID on every COMMAND_DONE.
    assert!(
        cids.lines()
            .all(|l| l.starts_with("a289cc33-bcbb-8b4f-b6b0-133ec2aae6df\t")
                && l.split('\t')
                    .nth(1)
                    .is_some_and(|c| c.parse::<u32>().is_ok())),
        "{cids}"
    );
    // CONNECT is CID 12.
    assert!(cids.lines().any(|l| l.ends_with("\t12")), "{cids}");
}
