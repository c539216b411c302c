//! Requests per second through the whole engine (parse, dispatch, model,
//! response encoding), for the mix a host sends while it polls a modem.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::wire::qmi::Message;
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;
use vmodem_core::Modem;

fn request(service: ServiceId, client: u8, id: u16, tlvs: Vec<Tlv>) -> Vec<u8> {
    Message::request(service, client, 1, id, tlvs).to_bytes()
}

/// A modem with one client per service and an unlocked, registered SIM.
fn ready_modem() -> (Modem, Vec<Vec<u8>>) {
    let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
    let mut cid = std::collections::HashMap::new();
    for svc in [
        ServiceId::Dms,
        ServiceId::Nas,
        ServiceId::Wds,
        ServiceId::Uim,
        ServiceId::Wda,
    ] {
        m.handle_qmi(
            &request(ServiceId::Ctl, 0, 0x22, vec![Tlv::new(1, vec![svc.0])]),
            Instant::ZERO,
        );
        let r = Message::parse(&m.poll_qmi().unwrap()).unwrap();
        cid.insert(svc, r.tlv(1).unwrap()[1]);
    }
    m.device_mut()
        .with_sim(Instant::ZERO, |s| s.verify_pin("1234"))
        .unwrap();
    m.handle_timeout(Instant::from_millis(5_000));
    while m.poll_qmi().is_some() {}
    let c = |s| cid[&s];
    let mix = vec![
        request(ServiceId::Ctl, 0, 0x21, vec![]), // CTL Get Version Info
        request(ServiceId::Dms, c(ServiceId::Dms), 0x25, vec![]), // DMS Get IDs
        request(ServiceId::Dms, c(ServiceId::Dms), 0x2d, vec![]), // DMS Get Operating Mode
        request(ServiceId::Nas, c(ServiceId::Nas), 0x4f, vec![]), // NAS Get Signal Info
        request(ServiceId::Nas, c(ServiceId::Nas), 0x4d, vec![]), // NAS Get System Info
        request(ServiceId::Nas, c(ServiceId::Nas), 0x24, vec![]), // NAS Get Serving System
        request(ServiceId::Wds, c(ServiceId::Wds), 0x22, vec![]), // WDS Get Packet Service Status
        request(ServiceId::Uim, c(ServiceId::Uim), 0x2f, vec![]), // UIM Get Card Status
        request(ServiceId::Wda, c(ServiceId::Wda), 0x21, vec![]), // WDA Get Data Format
        request(ServiceId::Dms, c(ServiceId::Dms), 0x7777, vec![]), // unknown: error path
    ];
    (m, mix)
}

fn bench(c: &mut Criterion) {
    let (mut m, mix) = ready_modem();
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(mix.len() as u64));
    let mut t = 5_000u64;
    g.bench_function("request_mix", |b| {
        b.iter(|| {
            for f in &mix {
                m.handle_qmi(black_box(f), Instant::from_millis(t));
                while let Some(out) = m.poll_qmi() {
                    black_box(out);
                }
            }
            t += 1;
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
