//! Headless simulation: engine, scenario and scripted host in simulated
//! time, as fast as the CPU allows. Same scenario and seed, same log.

use super::director::{Director, Record, What};
use super::file::Scenario;
use super::host::ScriptedHost;
use crate::model::Profile;
use crate::time::{Duration, Instant};
use crate::{Event, Modem, Personality, SerialPort};

/// Rounds at one instant before time is pushed on by a millisecond, so a
/// component that keeps asking for "now" cannot stall the run.
const MAX_ROUNDS_PER_INSTANT: u32 = 1000;

/// Runs `scenario` on `profile` for `duration` of simulated time and hands
/// every event log record to `emit` as it happens; with `supply`, the
/// module's supply breakpoints too (for a plot).
pub fn simulate(
    scenario: &Scenario,
    profile: Profile,
    seed: u64,
    duration: Duration,
    supply: bool,
    emit: impl FnMut(Record),
) {
    simulate_inspecting(scenario, profile, seed, duration, supply, emit, |_| {});
}

/// `simulate`, handing the engine to `inspect` after every settled round:
/// tests check its invariants there.
pub fn simulate_inspecting(
    scenario: &Scenario,
    profile: Profile,
    seed: u64,
    duration: Duration,
    supply: bool,
    mut emit: impl FnMut(Record),
    mut inspect: impl FnMut(&Modem),
) {
    let start = Instant::ZERO;
    let end = start + duration;
    let pin = profile.sim.pin.clone();
    let apn = profile
        .network
        .apn
        .first()
        .map(|a| a.name.clone())
        .unwrap_or_else(|| "internet".into());
    let mut modem = Modem::new(profile, seed, start);
    let mut director = Director::new(Some(scenario), seed, start);
    if supply {
        director.trace_supply(&mut modem);
    }
    let mut host = ScriptedHost::new(&pin, &apn, start);
    let mut now = start;
    let mut rounds = 0;
    loop {
        settle(&mut modem, &mut director, &mut host, now);
        inspect(&modem);
        while let Some(r) = director.poll_record() {
            emit(r);
        }
        let next = [
            modem.poll_timeout(),
            director.poll_timeout(),
            host.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(mut next) = next.filter(|&t| t <= end) else {
            break;
        };
        if next <= now {
            rounds += 1;
            if rounds > MAX_ROUNDS_PER_INSTANT {
                next = now + Duration::from_millis(1);
            }
        }
        if next > now {
            rounds = 0;
            now = next;
        }
        modem.handle_timeout(now);
        host.handle_timeout(now);
    }
}

/// Passes frames, events and faults around until nothing moves.
fn settle(modem: &mut Modem, director: &mut Director, host: &mut ScriptedHost, now: Instant) {
    // What the module did by itself (boot, timers) comes before what the
    // host does in answer.
    director.after(modem, now);
    loop {
        let mut moved = false;
        host.handle_timeout(now);
        while let Some(f) = host.poll_frame() {
            director.on_request(&f, now);
            modem.handle_qmi(&f, now);
            moved = true;
        }
        // The host's view of its request is logged before the effects the
        // engine logs for it (`verify-pin` before `SIM: ready`).
        moved |= answer_host(modem, director, host, now);
        director.after(modem, now);
        while let Some(ev) = modem.poll_event() {
            match ev {
                Event::LeaveBus { .. } => host.module_gone(),
                Event::ReturnToBus {
                    personality: Personality::Application,
                } => host.module_back(now),
                // The boot loader speaks no QMI: the scripted host waits.
                Event::ReturnToBus { .. } => host.module_gone(),
            }
            moved = true;
        }
        moved |= answer_host(modem, director, host, now);
        // Nobody listens on the serial ports or the data path here.
        for port in [SerialPort::At, SerialPort::Dm, SerialPort::Nmea] {
            while modem.poll_serial(port).is_some() {}
        }
        while modem.poll_data().is_some() {}
        if !moved {
            return;
        }
    }
}

/// Hands the module's responses to the host and logs what the host made
/// of them; true when there were any.
fn answer_host(
    modem: &mut Modem,
    director: &mut Director,
    host: &mut ScriptedHost,
    now: Instant,
) -> bool {
    let mut moved = false;
    while let Some(f) = modem.poll_qmi() {
        host.handle_frame(&f, now);
        moved = true;
    }
    while let Some(a) = host.poll_action() {
        director.log(
            now,
            What::Host {
                action: a.action.to_string(),
                ok: a.ok,
            },
        );
    }
    moved
}
