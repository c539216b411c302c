//! The driver's policy against a transport that only records what it is
//! asked to do.

use super::*;
use std::collections::VecDeque;
use vmodem_core::wire::qmi::Message;
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;

/// What the driver asked of the transport, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Did {
    Control,
    Leave,
    Join(Personality),
}

struct Fake {
    start: std::time::Instant,
    inbox: VecDeque<Vec<HostTraffic>>,
    did: Vec<(Did, Duration)>,
    /// The host reads its control channel.
    reads_control: bool,
    control: Vec<Vec<u8>>,
    /// AT output waiting for the host, and what the host has read.
    at_queue: Vec<u8>,
    at_read: Vec<u8>,
    at_room: usize,
    at_max: usize,
}

impl Fake {
    fn new(inbox: Vec<Vec<HostTraffic>>) -> Fake {
        Fake {
            start: std::time::Instant::now(),
            inbox: inbox.into(),
            did: Vec::new(),
            reads_control: true,
            control: Vec::new(),
            at_queue: Vec::new(),
            at_read: Vec::new(),
            at_room: usize::MAX,
            at_max: 0,
        }
    }

    fn record(&mut self, d: Did) {
        self.did.push((d, self.start.elapsed()));
    }

    fn did(&self) -> Vec<Did> {
        self.did.iter().map(|(d, _)| d.clone()).collect()
    }

    fn at(&self, d: &Did) -> Duration {
        self.did.iter().find(|(x, _)| x == d).expect("done").1
    }
}

impl Transport for Fake {
    async fn recv(&mut self, host: &mut Vec<HostTraffic>, _paused: &Paused) -> anyhow::Result<()> {
        if let Some(batch) = self.inbox.pop_front() {
            host.extend(batch);
            return Ok(());
        }
        // A slow host: reads what waits every few milliseconds.
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.at_read.append(&mut self.at_queue);
        Ok(())
    }
    fn control_kind(&self) -> Option<ControlKind> {
        Some(ControlKind::Qmi)
    }
    fn send_control(&mut self, frame: Vec<u8>) -> Result<(), Overrun> {
        self.record(Did::Control);
        self.control.push(frame);
        Ok(())
    }
    fn serial_room(&self, port: SerialPort) -> bool {
        port != SerialPort::At || self.at_queue.len() < self.at_room
    }
    fn send_serial(&mut self, port: SerialPort, bytes: Vec<u8>) -> Result<(), Overrun> {
        if port == SerialPort::At {
            self.at_queue.extend(bytes);
            self.at_max = self.at_max.max(self.at_queue.len());
        }
        Ok(())
    }
    fn send_data(&mut self, _session: u8, _packet: Vec<u8>) {}
    fn flush(&mut self, _notify: bool) {}
    fn control_drained(&mut self) -> bool {
        self.reads_control
    }
    fn leave_bus(&mut self) {
        self.record(Did::Leave);
    }
    fn join_bus(&mut self, personality: Personality, _modem: &Modem) -> anyhow::Result<()> {
        self.record(Did::Join(personality));
        Ok(())
    }
}

fn run(fake: Fake, for_ms: u64) -> Fake {
    run_with(fake, for_ms, Options::default())
}

fn run_with(fake: Fake, for_ms: u64, opts: Options) -> Fake {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let clock = Clock(tokio::time::Instant::now());
        let d = Driver::start(Profile::default(), 1, opts, clock).unwrap();
        let stop = tokio::time::sleep(Duration::from_millis(for_ms));
        d.run(fake, stop).await.unwrap()
    })
}

/// A DMS client, then DMS Set Operating Mode `reset` from it.
fn reset_request() -> Vec<HostTraffic> {
    let alloc = Message::request(ServiceId::Ctl, 0, 1, 0x22, vec![Tlv::new(1, vec![2])]);
    let reset = Message::request(ServiceId::Dms, 1, 1, 0x002E, vec![Tlv::new(1, vec![4])]);
    vec![
        HostTraffic::Control(alloc.to_bytes()),
        HostTraffic::Control(reset.to_bytes()),
    ]
}

#[test]
fn a_reset_answers_then_leaves_and_comes_back_after_the_boot() {
    let fake = run(Fake::new(vec![reset_request()]), 2200);
    assert_eq!(
        fake.did(),
        [
            Did::Control,
            Did::Control,
            Did::Leave,
            Did::Join(Personality::Application)
        ]
    );
    // The host read the answer at once: the module left at once.
    assert!(fake.at(&Did::Leave) < Duration::from_millis(200));
    let down = fake.at(&Did::Join(Personality::Application)) - fake.at(&Did::Leave);
    assert!(down >= Duration::from_millis(1400), "{down:?}");
}

#[test]
fn a_host_that_does_not_read_the_reset_answer_loses_the_bus_after_the_grace() {
    let mut fake = Fake::new(vec![reset_request()]);
    fake.reads_control = false;
    let fake = run(fake, 1000);
    let left = fake.at(&Did::Leave);
    assert!(left >= RESET_GRACE, "{left:?}");
    assert!(left < RESET_GRACE + Duration::from_millis(300), "{left:?}");
}

#[test]
fn serial_input_waits_while_the_host_has_not_read_and_nothing_is_lost() {
    let burst = HostTraffic::Bulk {
        role: PortRole::At,
        data: b"AT\r".repeat(5000),
    };
    let mut fake = Fake::new(vec![vec![burst]]);
    fake.at_room = 2000;
    let fake = run(fake, 1500);
    let ok = b"\r\nOK\r\n";
    let answers = fake.at_read.windows(ok.len()).filter(|w| w == ok).count();
    assert_eq!(answers, 5000);
    // The queue went past its room by at most one offer's answers.
    assert!(fake.at_max < 2000 + vmodem_core::serial::at::HIGH_WATER + 64);
}

#[test]
fn nmea_drops_are_one_record_then_one_a_minute() {
    let t0 = Instant::from_millis(0);
    let mut d = super::StreamDrops::default();
    assert_eq!(d.add(80, t0), Some((1, 80)));
    for s in 1..60 {
        assert_eq!(d.add(80, t0 + Duration::from_secs(s)), None);
    }
    assert_eq!(d.add(80, t0 + Duration::from_secs(60)), Some((60, 4800)));
    assert_eq!(d.add(10, t0 + Duration::from_secs(61)), None);
}

#[test]
fn serial_input_beyond_what_is_held_is_dropped_and_logged() {
    // A host that writes 100 KiB of AT input while reading nothing: the
    // engine takes little, the driver holds 64 KiB, the rest is an event.
    let burst = HostTraffic::Bulk {
        role: PortRole::At,
        data: b"AT\r".repeat(100 * 1024 / 3),
    };
    let mut fake = Fake::new(vec![vec![burst]]);
    fake.at_room = 0;
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let opts = Options {
        events: Some(events.clone()),
        ..Options::default()
    };
    run_with(fake, 300, opts);
    let log = std::fs::read_to_string(&events).unwrap();
    let dropped: u64 = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["event"] == "host-input-dropped" && v["port"] == "at")
        .map(|v| v["bytes"].as_u64().unwrap())
        .sum();
    let sent = (100 * 1024 / 3 * 3) as u64;
    assert!(dropped > 0, "no host-input-dropped record:\n{log}");
    assert!(dropped <= sent - MAX_HELD_INPUT as u64, "{dropped}");
}
