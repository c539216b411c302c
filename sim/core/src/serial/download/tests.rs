use super::qdl::{Command, QdlError, Request, Response, HELLO_RSP_LEN};
use super::unframed::{Header, HeaderError, WriteHeader, HEADER_LEN};
use super::*;
use crate::bootloader::BootloaderProfile;
use crate::wire::hdlc::{self, Deframer};

/// Frames a request the way qmi-firmware-update does: leading flag too.
fn host_frame(req: &Request) -> Vec<u8> {
    let mut v = vec![hdlc::FLAG];
    v.extend(hdlc::encode(&req.to_payload()));
    v
}

/// Every reply the port has queued, unframed and parsed.
fn replies(port: &mut DownloadPort) -> Vec<Response> {
    let bytes = port.poll().unwrap_or_default();
    let mut d = Deframer::default();
    d.push(&bytes)
        .into_iter()
        .map(|f| Response::parse(&f.expect("valid frame")).expect("known reply"))
        .collect()
}

fn ask(port: &mut DownloadPort, req: &Request) -> Vec<Response> {
    port.handle(&host_frame(req));
    replies(port)
}

fn hello6(port: &mut DownloadPort) {
    let r = ask(port, &Request::host_hello(6));
    assert!(matches!(r[..], [Response::Hello { max_version: 6, .. }]));
}

fn open(port: &mut DownloadPort, data_len: u32) -> Vec<Response> {
    let header = vec![0xA5; 400];
    ask(
        port,
        &Request::OpenUnframed {
            image_type: 0x80,
            length: 400 + data_len,
            window: 1,
            chunk_size: data_len,
            header,
        },
    )
}

fn write(port: &mut DownloadPort, sequence: u16, data: &[u8]) -> Vec<Response> {
    let h = WriteHeader {
        sequence,
        chunk_size: data.len() as u32,
    };
    let mut wire = h.emit().to_vec();
    wire.extend_from_slice(data);
    port.handle(&wire);
    replies(port)
}

#[test]
fn facts_vectors_frame_like_libqmi() {
    // DLOAD SDP as qmi-firmware-update logs it.
    assert_eq!(
        host_frame(&Request::DloadSdp),
        [0x7E, 0x70, 0x00, 0x00, 0x14, 0x46, 0x7E]
    );
    // The MC7455's "command not supported" reply from libqmi's history.
    let mut wire = vec![0x7E];
    wire.extend(hdlc::encode(
        &Response::Error(QdlError::CMD_UNSUPPORTED).to_payload(),
    ));
    assert_eq!(
        wire,
        [0x7E, 0x0D, 0x16, 0x00, 0x00, 0x00, 0x00, 0x88, 0x4D, 0x7E]
    );
}

#[test]
fn dload_sdp_is_acknowledged() {
    let mut p = DownloadPort::new(BootloaderProfile::default());
    p.handle(&[0x7E, 0x70, 0x00, 0x00, 0x14, 0x46, 0x7E]);
    let out = p.poll().unwrap();
    // ACK 0x02 and its CRC, framed.
    assert_eq!(out[0], 0x7E);
    assert_eq!(&out[1..], &hdlc::encode(&[0x02])[..]);
}

#[test]
fn hello_negotiates_version_six_with_exactly_49_bytes() {
    let mut p = DownloadPort::new(BootloaderProfile::default());
    for v in [4, 5] {
        let r = ask(&mut p, &Request::host_hello(v));
        assert_eq!(r, vec![Response::Error(QdlError::OP_FAILED)], "v{v}");
    }
    p.handle(&host_frame(&Request::host_hello(6)));
    let out = p.poll().unwrap();
    let payload = Deframer::default().push(&out).remove(0).unwrap();
    assert_eq!(payload.len(), HELLO_RSP_LEN);
    assert_eq!(payload[0], Command::HELLO_RSP.0);
    assert_eq!(&payload[1..29], b"QCOM high speed protocol tgt");
    assert_eq!((payload[33], payload[34]), (6, 6));
    assert_eq!(payload[48], 0x30, "offered features echoed");
    assert_eq!(p.qdl_version(), Some(6));
}

#[test]
fn profile_version_range_is_honoured() {
    let profile = BootloaderProfile {
        qdl_version: 5,
        qdl_min_version: 4,
        ..BootloaderProfile::default()
    };
    let mut p = DownloadPort::new(profile);
    let r = ask(&mut p, &Request::host_hello(4));
    assert!(matches!(
        r[..],
        [Response::Hello {
            max_version: 5,
            min_version: 4,
            ..
        }]
    ));
    assert_eq!(p.qdl_version(), Some(4));
}

#[test]
fn a_whole_download_is_counted_not_stored() {
    let mut p = DownloadPort::new(BootloaderProfile::default());
    hello6(&mut p);
    assert_eq!(
        open(&mut p, 3000),
        vec![Response::OpenUnframed {
            status: 0,
            window: 1,
            chunk_size: 3000
        }]
    );
    // Data full of flag and escape bytes: unframed data is never unescaped.
    let data: Vec<u8> = (0..2000).map(|i| [0x7E, 0x7D, 0x27][i % 3]).collect();
    assert_eq!(
        write(&mut p, 0, &data),
        vec![Response::WriteUnframed {
            sequence: 0,
            status: 0
        }]
    );
    // A chunk split across reads.
    let h = WriteHeader {
        sequence: 1,
        chunk_size: 1000,
    }
    .emit();
    p.handle(&h[..5]);
    p.handle(&h[5..]);
    p.handle(&[0x7E; 999]);
    assert!(p.poll().is_none());
    p.handle(&[0x7E]);
    assert_eq!(
        replies(&mut p),
        vec![Response::WriteUnframed {
            sequence: 1,
            status: 0
        }]
    );
    assert_eq!(p.open_image().unwrap().received, 3000);
    assert_eq!(
        ask(&mut p, &Request::CloseUnframed),
        vec![Response::CloseUnframed {
            status: 0,
            image_type: 0x80
        }]
    );
    let s = p.stats();
    assert_eq!(
        (s.bytes_written, s.images_completed, s.errors_sent),
        (3000, 1, 0)
    );
}

#[test]
fn short_image_fails_close_and_overflow_is_refused() {
    let mut p = DownloadPort::new(BootloaderProfile::default());
    hello6(&mut p);
    open(&mut p, 10);
    let r = write(&mut p, 0, &[1; 11]);
    assert_eq!(
        r,
        vec![Response::WriteUnframed {
            sequence: 0,
            status: QdlError::SPACE.0 as u16
        }]
    );
    write(&mut p, 0, &[1; 4]);
    let r = ask(&mut p, &Request::CloseUnframed);
    assert_eq!(
        r,
        vec![Response::CloseUnframed {
            status: QdlError::CLOSE.0 as u16,
            image_type: 0x80
        }]
    );
    assert_eq!(p.stats().images_completed, 0);
}

#[test]
fn sequence_must_follow_and_is_echoed() {
    let mut p = DownloadPort::new(BootloaderProfile::default());
    hello6(&mut p);
    open(&mut p, 10);
    let r = write(&mut p, 3, &[1; 5]);
    assert_eq!(
        r,
        vec![Response::WriteUnframed {
            sequence: 3,
            status: QdlError::CMD_SEQ.0 as u16
        }]
    );
    assert_eq!(p.open_image().unwrap().received, 0);
}

#[test]
fn out_of_order_commands_get_cmd_seq() {
    let mut p = DownloadPort::new(BootloaderProfile::default());
    assert_eq!(open(&mut p, 10), vec![Response::Error(QdlError::CMD_SEQ)]);
    assert_eq!(
        ask(&mut p, &Request::CloseUnframed),
        vec![Response::Error(QdlError::CMD_SEQ)]
    );
    // A write outside a session: its data is skipped, then an error.
    assert_eq!(
        write(&mut p, 0, &[0x7E; 20]),
        vec![Response::Error(QdlError::CMD_SEQ)]
    );
    // The stream is still in step.
    hello6(&mut p);
}

#[test]
fn unknown_malformed_and_corrupt_requests_get_qdl_errors() {
    let mut p = DownloadPort::new(BootloaderProfile::default());
    let frame = |payload: &[u8]| hdlc::encode(payload);
    p.handle(&frame(&[0x13, 0x70, 0x00, 0x00]));
    p.handle(&frame(&[0x01, 0x00])); // HELLO cut short
    p.handle(&frame(&[0x2D, 0x00])); // RESET with a stray byte
    p.handle(&[0x70, 0x00, 0x00, 0x14, 0x47, 0x7E]); // bad CRC
    assert_eq!(
        replies(&mut p),
        vec![
            Response::Error(QdlError::CMD_UNSUPPORTED),
            Response::Error(QdlError::BAD_PACKET),
            Response::Error(QdlError::BAD_LEN),
            Response::Error(QdlError::BAD_CRC),
        ]
    );
    // A HELLO with the wrong magic.
    let mut bad = Request::host_hello(6).to_payload();
    bad[1] = b'X';
    p.handle(&frame(&bad));
    assert_eq!(replies(&mut p), vec![Response::Error(QdlError::BAD_CMD)]);
}

#[test]
fn corrupt_write_header_skips_to_the_next_frame() {
    let mut p = DownloadPort::new(BootloaderProfile::default());
    hello6(&mut p);
    open(&mut p, 10);
    let mut h = WriteHeader {
        sequence: 0,
        chunk_size: 10,
    }
    .emit();
    h[7] ^= 0xFF;
    assert!(matches!(
        Header::new_checked(&h[..]),
        Err(HeaderError::BadCrc { .. })
    ));
    p.handle(&h);
    p.handle(&[0x55; 10]);
    assert_eq!(replies(&mut p), vec![Response::Error(QdlError::BAD_CRC)]);
    // A framed request (leading flag) is heard again.
    assert_eq!(
        ask(&mut p, &Request::GetImagePref),
        vec![Response::ImagePref]
    );
}

#[test]
fn oversized_chunk_is_refused() {
    let mut p = DownloadPort::new(BootloaderProfile::default());
    let h = WriteHeader {
        sequence: 0,
        chunk_size: unframed::MAX_CHUNK + 1,
    }
    .emit();
    p.handle(&h);
    assert_eq!(replies(&mut p), vec![Response::Error(QdlError::BAD_LEN)]);
}

#[test]
fn reset_is_silent_and_requested_once() {
    let mut p = DownloadPort::new(BootloaderProfile::default());
    p.handle(&host_frame(&Request::Reset));
    assert!(p.poll().is_none());
    assert!(p.take_reset_request());
    assert!(!p.take_reset_request());
}

#[test]
fn write_header_view_and_repr_round_trip() {
    let h = WriteHeader {
        sequence: 0x1234,
        chunk_size: 0x0010_0000,
    };
    let b = h.emit();
    assert_eq!(b.len(), HEADER_LEN);
    let v = Header::new_checked(&b[..]).unwrap();
    assert_eq!(WriteHeader::parse(&v), h);
    assert_eq!(v.crc(), hdlc::crc16(&b[..11]));
    assert!(matches!(
        Header::new_checked(&b[..12]),
        Err(HeaderError::Truncated(12))
    ));
}

#[test]
fn requests_and_replies_round_trip() {
    let reqs = [
        Request::DloadSdp,
        Request::host_hello(5),
        Request::OpenUnframed {
            image_type: 0x80,
            length: 402,
            window: 1,
            chunk_size: 2,
            header: vec![9; 400],
        },
        Request::CloseUnframed,
        Request::Reset,
        Request::GetImagePref,
    ];
    for r in reqs {
        let payload = r.to_payload();
        let p = qdl::Packet::new_checked(&payload[..]).unwrap();
        assert_eq!(Request::parse(&p).unwrap(), r);
    }
    let rsps = [
        Response::DloadAck,
        Response::Error(QdlError::BAD_CRC),
        Response::OpenUnframed {
            status: 0,
            window: 1,
            chunk_size: 7,
        },
        Response::WriteUnframed {
            sequence: 9,
            status: 0,
        },
        Response::CloseUnframed {
            status: 0,
            image_type: 0x80,
        },
        Response::ImagePref,
    ];
    for r in rsps {
        assert_eq!(Response::parse(&r.to_payload()).unwrap(), r);
    }
}

#[test]
fn sahara_profile_speaks_first_and_answers_command_mode() {
    let profile = BootloaderProfile {
        sahara_hello: true,
        ..BootloaderProfile::default()
    };
    let mut p = DownloadPort::new(profile);
    assert!(p.poll().is_none(), "nothing before the host opens the port");
    p.set_open(true);
    let hello = p.poll().unwrap();
    assert_eq!(hello.len(), sahara::HELLO_LEN);
    let pk = sahara::Packet::parse(&hello).unwrap();
    assert_eq!((pk.command, pk.fields[0], pk.fields[2]), (1, 2, 0x400));
    let mut rsp = sahara::Packet {
        command: sahara::HELLO_RSP,
        fields: vec![2, 1, 0, sahara::MODE_COMMAND, 0, 0, 0, 0, 0, 0],
    }
    .to_bytes();
    // Split delivery.
    let tail = rsp.split_off(5);
    p.handle(&rsp);
    assert!(p.poll().is_none());
    p.handle(&tail);
    let ready = sahara::Packet::parse(&p.poll().unwrap()).unwrap();
    assert_eq!(ready.command, sahara::COMMAND_READY);
    // A QDL HELLO is not Sahara: a bogus length is refused.
    p.handle(&host_frame(&Request::host_hello(6))[..8]);
    let end = sahara::Packet::parse(&p.poll().unwrap()).unwrap();
    assert_eq!(end.fields[1], sahara::STATUS_INVALID_PACKET_SIZE);
}

#[test]
fn hostile_bytes_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for sahara_hello in [false, true] {
        let mut p = DownloadPort::new(BootloaderProfile {
            sahara_hello,
            ..Default::default()
        });
        if !sahara_hello {
            hello6(&mut p);
        }
        for _ in 0..2000 {
            let n = rng.random_range(0..64);
            let mut b: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            if rng.random_bool(0.2) {
                b.push(0x27);
            }
            p.handle(&b);
            let _ = p.poll();
        }
    }
}

/// Regression: a chunk whose data stops short used to swallow every later
/// request as image data. After a pause the next request is a request.
#[test]
fn a_chunk_cut_short_is_abandoned_after_a_pause() {
    let mut p = DownloadPort::new(BootloaderProfile::default());
    let t0 = crate::time::Instant::from_millis(1_000);
    p.handle_at(&host_frame(&Request::host_hello(6)), t0);
    assert!(!replies(&mut p).is_empty());
    let mut wire = WriteHeader {
        sequence: 0,
        chunk_size: 1000,
    }
    .emit()
    .to_vec();
    wire.extend_from_slice(&[0xAB; 10]);
    p.handle_at(&wire, t0);
    // Within the pause the request still counts as chunk data.
    let soon = t0 + crate::time::Duration::from_millis(100);
    p.handle_at(&host_frame(&Request::GetImagePref), soon);
    assert!(p.poll().is_none());
    let later = soon + crate::wire::RESYNC_IDLE;
    p.handle_at(&host_frame(&Request::GetImagePref), later);
    assert_eq!(replies(&mut p), vec![Response::ImagePref]);
    assert_eq!(p.stats().idle_abandoned, 1);
}
