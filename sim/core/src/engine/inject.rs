//! `Modem::inject`: every fault of the vocabulary, and the engine-side
//! state that faults leave behind (mangled responses, stalled endpoints,
//! reset bookkeeping, the event log).

use super::lifecycle::{Happening, LeaveCause, Life, Personality, Record, ResetCause};
use super::{Event, Modem};
use crate::fault::{Fault, FaultError, Mangle, StalledEndpoint};
use crate::model::sms::ReportFault;
use crate::model::ResetPolicy;
use crate::time::{Duration, Instant};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// Records kept for `poll_record` beyond this are dropped, oldest first.
pub const MAX_PENDING_RECORDS: usize = 4096;

/// Engine state that faults create.
pub(super) struct FaultState {
    /// Mangling still to apply, each to this many more responses.
    pub mangles: VecDeque<(Mangle, u32)>,
    /// Delayed responses and when they go out.
    pub delayed: Vec<(Instant, Vec<u8>)>,
    /// Stalled endpoints, until when (or the next reset).
    pub stalls: Vec<(StalledEndpoint, Option<Instant>)>,
    /// Draws reset down times; its own stream, so that faults do not
    /// shift the device's random walk.
    pub rng: ChaCha8Rng,
    pub resets: u64,
    pub last_reset: Option<ResetCause>,
    /// Times of the resets the failsafe counts, within its window.
    pub recent: VecDeque<Instant>,
    pub records: VecDeque<Record>,
    pub dropped_records: u64,
    /// The latest simulated time the engine has seen.
    pub now: Instant,
}

impl FaultState {
    pub fn new(seed: u64, now: Instant) -> FaultState {
        FaultState {
            mangles: VecDeque::new(),
            delayed: Vec::new(),
            stalls: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6661_756c_7473),
            resets: 0,
            last_reset: None,
            recent: VecDeque::new(),
            records: VecDeque::new(),
            dropped_records: 0,
            now,
        }
    }

    pub fn take_mangle(&mut self) -> Option<Mangle> {
        let (m, left) = self.mangles.front_mut()?;
        let m = *m;
        *left -= 1;
        if *left == 0 {
            self.mangles.pop_front();
        }
        Some(m)
    }

    pub fn is_stalled(&self, ep: StalledEndpoint) -> bool {
        self.stalls.iter().any(|(e, _)| *e == ep)
    }

    pub fn deadline(&self) -> Option<Instant> {
        let stall = self.stalls.iter().filter_map(|(_, u)| *u).min();
        let delay = self.delayed.iter().map(|(t, _)| *t).min();
        stall.into_iter().chain(delay).min()
    }

    /// Counts a reset; true when the failsafe trips.
    pub fn count_reset(&mut self, cause: ResetCause, now: Instant, p: &ResetPolicy) -> bool {
        self.resets += 1;
        self.last_reset = Some(cause);
        let counted = match cause {
            ResetCause::PowerCycle => {
                self.recent.clear();
                false
            }
            ResetCause::HostRequest => p.failsafe_counts_host_resets,
            ResetCause::Brownout | ResetCause::Injected => true,
        };
        if !counted || p.failsafe_resets == 0 {
            return false;
        }
        self.recent.push_back(now);
        let window = Duration::from_millis(p.failsafe_window_ms);
        while self.recent.front().is_some_and(|&t| now.since(t) >= window) {
            self.recent.pop_front();
        }
        if self.recent.len() >= p.failsafe_resets as usize {
            self.recent.clear();
            return true;
        }
        false
    }

    pub fn record(&mut self, at: Instant, what: Happening) {
        if self.records.len() >= MAX_PENDING_RECORDS {
            self.records.pop_front();
            self.dropped_records += 1;
        }
        self.records.push_back(Record {
            at_ms: at.millis(),
            what,
        });
    }
}

impl Modem {
    /// Injects `fault` at `now`. Refused faults change nothing.
    pub fn inject(&mut self, fault: Fault, now: Instant) -> Result<(), FaultError> {
        self.handle_timeout(now);
        let now = now.max(self.faults.now);
        self.check(&fault)?;
        self.faults.record(
            now,
            Happening::Fault {
                fault: fault.clone(),
            },
        );
        match fault {
            Fault::Reset { down } => {
                let down = down.unwrap_or_else(|| self.draw_down_time());
                self.reset_with(now, ResetCause::Injected, down);
            }
            Fault::Crash => {
                self.leave_bus(now, LeaveCause::Crash);
                self.life = Life::Crashed;
            }
            Fault::PowerCycle => self.power_cycle(now),
            Fault::Disconnect { down } => {
                self.leave_bus(now, LeaveCause::Disconnect);
                self.life = Life::Disconnected {
                    until: down.map(|d| now + d),
                };
            }
            Fault::Reconnect => self.return_to_bus(now, Personality::Application),
            Fault::Bootloader => {
                let down = self.draw_down_time();
                self.leave_bus(now, LeaveCause::BootLoader);
                self.wipe_firmware(now, LeaveCause::BootLoader);
                self.life = Life::Down {
                    until: now + down,
                    into: Personality::BootLoader,
                };
            }
            Fault::SimRemove => self.device.remove_sim(now),
            Fault::SimInsert => self.device.insert_sim(now),
            Fault::Deregister => self.device.network_deregister(now),
            Fault::Roaming { on } => self.device.set_roaming(on),
            Fault::SignalLoss { duration } => self.device.lose_signal(duration, now),
            Fault::BearerDrop => self.device.network_drop_bearers(),
            Fault::GnssNoFix { duration } => self.device.gnss.block_sky(now, duration),
            Fault::GnssTrack {
                waypoints, looped, ..
            } => {
                self.device.track = Some(crate::model::track::Track {
                    waypoints,
                    looped,
                    start: now,
                });
            }
            Fault::GnssFixLost { duration } => self.device.gnss.block_sky(now, Some(duration)),
            Fault::Responses { mangle, count } => self.faults.mangles.push_back((mangle, count)),
            Fault::Stall { endpoint, duration } => {
                let until = duration.map(|d| now + d);
                self.faults.stalls.retain(|(e, _)| *e != endpoint);
                self.faults.stalls.push((endpoint, until));
            }
            Fault::Dhcp { answer, count } => self.net.set_dhcp_fault(answer, count),
            Fault::Power(change) => {
                let setup = self.changed_setup(&change)?;
                self.device.power.set_setup(setup, now);
            }
            Fault::Sms { from, text, class } => self
                .device
                .sms_deliver(&from, &text, class, now)
                .map_err(FaultError::Invalid)?,
            Fault::SmsReject { rp_cause, count } => {
                self.device.messaging.centre.reject(rp_cause, count)
            }
            Fault::SmsReports { delay, lost } => {
                self.device.messaging.centre.reports = match (delay, lost) {
                    (_, true) => ReportFault::Lost,
                    (Some(d), false) => ReportFault::Delay(d),
                    (None, false) => ReportFault::None,
                }
            }
            Fault::SmsStoreFull { on } => self.device.messaging.store_full_forced = on,
        }
        self.flush_events();
        self.sync_power(now);
        Ok(())
    }

    /// Whether `fault` can happen in the module's present state.
    fn check(&self, fault: &Fault) -> Result<(), FaultError> {
        use Fault::*;
        match fault {
            // The physical world and the supply: always.
            PowerCycle | SimRemove | SimInsert | Roaming { .. } => return Ok(()),
            GnssNoFix { .. } | GnssFixLost { .. } => return Ok(()),
            GnssTrack {
                waypoints, looped, ..
            } => {
                return crate::model::track::check(waypoints, *looped).map_err(FaultError::Invalid)
            }
            Power(change) => return self.changed_setup(change).map(drop),
            Responses { count: 0, .. } => {
                return Err(FaultError::Invalid("a count of zero responses".into()))
            }
            Dhcp { count: 0, .. } => {
                return Err(FaultError::Invalid("a count of zero DHCP answers".into()))
            }
            _ => {}
        }
        match self.life {
            Life::Crashed => Err(FaultError::Unpowered),
            Life::BootLoader => Err(FaultError::InBootloader(fault_name(fault))),
            Life::Disconnected { .. } if matches!(fault, Disconnect { .. }) => {
                Err(FaultError::Invalid("already disconnected".into()))
            }
            Life::Down { .. } if matches!(fault, Disconnect { .. } | Crash | Bootloader) => Err(
                FaultError::Invalid("the module is rebooting, off the bus".into()),
            ),
            Life::Disconnected { .. } => Ok(()),
            _ if matches!(fault, Reconnect) => {
                Err(FaultError::Invalid("the module is not disconnected".into()))
            }
            _ => Ok(()),
        }
    }

    fn changed_setup(
        &self,
        c: &crate::fault::PowerChange,
    ) -> Result<crate::model::PowerSetup, FaultError> {
        let mut s = self.device.power.setup().clone();
        if let Some(v) = c.source_volts {
            s.source_volts = v;
        }
        if let Some(v) = c.cable_ohms {
            s.cable_ohms = v;
        }
        if let Some(v) = c.connector_ohms {
            s.connector_ohms = v;
        }
        if let Some(v) = c.capacitance_uf {
            s.capacitance_uf = v;
        }
        s.check().map_err(FaultError::Invalid)?;
        Ok(s)
    }

    /// A reset's off-bus time, drawn from the profile's range.
    fn draw_down_time(&mut self) -> Duration {
        let p = &self.device.profile.resets;
        Duration::from_millis(self.faults.rng.random_range(p.down_ms_min..=p.down_ms_max))
    }

    /// Power removed and restored: out of a crash or the boot loader, and
    /// the failsafe's count starts again.
    pub fn power_cycle(&mut self, now: Instant) {
        let down = self.draw_down_time();
        self.reset_with(now, ResetCause::PowerCycle, down);
    }

    /// The module presents the boot loader from `now` on: one download
    /// port, nothing of the application.
    pub fn enter_bootloader(&mut self, now: Instant) {
        self.life = Life::BootLoader;
        self.bootloader = Some(crate::serial::download::DownloadPort::new(
            self.device.profile.bootloader,
        ));
        self.events.push_back(Event::ReturnToBus {
            personality: Personality::BootLoader,
        });
        self.observer_rejoined();
        self.faults.record(
            now,
            Happening::ReturnedToBus {
                personality: Personality::BootLoader,
            },
        );
        self.sync_power(now);
    }

    /// Bytes for the boot loader's download port. Its RESET restarts the
    /// boot loader, not the application: only a power cycle leaves it.
    pub(super) fn handle_download(&mut self, bytes: &[u8], now: Instant) {
        let Some(dl) = self.bootloader.as_mut() else {
            return;
        };
        dl.handle_at(bytes, now);
        if dl.take_reset_request() {
            self.leave_bus(now, LeaveCause::Reset(ResetCause::HostRequest));
            self.bootloader = None;
            self.life = Life::Down {
                until: now + crate::bootloader::BOOT_TIME,
                into: Personality::BootLoader,
            };
            self.sync_power(now);
        }
    }

    /// The supply fell too low at `at`.
    pub(super) fn brownout(&mut self, at: Instant) {
        let volts = self.device.power.status(at).volts;
        self.faults.record(at, Happening::Brownout { volts });
        let down = self.draw_down_time();
        self.reset_with(at, ResetCause::Brownout, down);
    }

    /// Drops off the bus (if on it); what the host had not read is lost
    /// unless it asked for this.
    pub(super) fn leave_bus(&mut self, now: Instant, cause: LeaveCause) {
        if !cause.answers_first() {
            self.out.clear();
        }
        self.faults.delayed.clear();
        self.observe_windows(now, true);
        if self.life.on_bus() {
            self.events.push_back(Event::LeaveBus { cause });
            self.faults.record(now, Happening::LeftBus { cause });
        }
    }

    pub(super) fn return_to_bus(&mut self, now: Instant, personality: Personality) {
        if personality == Personality::BootLoader {
            return self.enter_bootloader(now);
        }
        self.life = Life::Running;
        self.events.push_back(Event::ReturnToBus { personality });
        self.faults
            .record(now, Happening::ReturnedToBus { personality });
        self.observer_rejoined();
    }

    /// The firmware restarts now and is off the bus for `down`.
    pub(super) fn reset_with(&mut self, now: Instant, cause: ResetCause, down: Duration) {
        self.leave_bus(now, LeaveCause::Reset(cause));
        self.wipe_firmware(now, LeaveCause::Reset(cause));
        let policy = self.device.profile.resets.clone();
        let trip = self.faults.count_reset(cause, now, &policy);
        self.faults.record(
            now,
            Happening::Reset {
                cause,
                count: self.faults.resets,
                down_ms: down.as_millis() as u64,
            },
        );
        if trip {
            self.faults.record(
                now,
                Happening::Failsafe {
                    resets: policy.failsafe_resets,
                    window_ms: policy.failsafe_window_ms,
                },
            );
        }
        self.life = Life::Down {
            until: now + down,
            into: if trip {
                Personality::BootLoader
            } else {
                Personality::Application
            },
        };
        self.sync_power(now);
    }

    /// What the running firmware held is gone: clients, bearers, SIM
    /// verification, queued serial and packet data, stalls. What the
    /// module answered before a reset the host asked for stays queued,
    /// over MBIM as over QMI (`leave_bus`).
    fn wipe_firmware(&mut self, now: Instant, cause: LeaveCause) {
        for s in self.services.iter_mut() {
            for &c in self.clients.clients(s.id()) {
                s.client_removed(c);
            }
        }
        self.clients.clear();
        self.device.reboot(now);
        self.net.clear();
        self.serial.reset();
        if cause.answers_first() {
            self.mbim.restart();
        } else {
            self.mbim.reset();
        }
        self.tunnel.clear();
        self.bootloader = None;
        self.faults.stalls.clear();
    }

    /// The end of a reset's down time or of a timed disconnect.
    pub(super) fn lifecycle_due(&mut self, t: Instant) {
        match self.life {
            Life::Down { until, into } if t >= until => {
                if into == Personality::Application {
                    // The boot starts the registration afresh from here.
                    self.device.reboot(until);
                }
                self.return_to_bus(until, into);
            }
            Life::Disconnected { until: Some(u) } if t >= u => {
                self.return_to_bus(u, Personality::Application)
            }
            _ => {}
        }
    }

    /// Stalls that end and delayed responses that are due.
    pub(super) fn faults_due(&mut self, t: Instant) {
        self.faults.stalls.retain(|(_, u)| u.is_none_or(|u| u > t));
        let mut due = Vec::new();
        self.faults.delayed.retain(|(at, f)| {
            if *at <= t {
                due.push((*at, f.clone()));
                false
            } else {
                true
            }
        });
        due.sort_by_key(|(at, _)| *at);
        for (_, f) in due {
            self.push_out(f);
        }
    }

    /// Whether transfers on `ep` are held (a `Fault::Stall`).
    pub fn is_stalled(&self, ep: StalledEndpoint) -> bool {
        self.faults.is_stalled(ep)
    }

    /// The next entry of the event log.
    pub fn poll_record(&mut self) -> Option<Record> {
        self.faults.records.pop_front()
    }

    /// Resets since the engine started, and the cause of the last one.
    pub fn resets(&self) -> (u64, Option<ResetCause>) {
        (self.faults.resets, self.faults.last_reset)
    }

    /// What the module enumerates as, or `None` while it is off the bus.
    pub fn personality(&self) -> Option<Personality> {
        match self.life {
            Life::Running => Some(Personality::Application),
            Life::BootLoader => Some(Personality::BootLoader),
            _ => None,
        }
    }

    /// Supply figures at the latest time the engine has seen.
    pub fn power(&self) -> crate::model::PowerStatus {
        self.device.power.status(self.faults.now)
    }

    /// Keep every supply breakpoint (for a plot of voltage and current);
    /// take them with `poll_power_sample`. Off by default.
    pub fn trace_power(&mut self, on: bool) {
        self.device.power.set_tracing(on);
    }

    /// The next supply breakpoint, oldest first.
    pub fn poll_power_sample(&mut self) -> Option<crate::model::PowerSample> {
        self.device.power.take_sample()
    }
}

fn fault_name(f: &Fault) -> &'static str {
    match f {
        Fault::Reset { .. } => "reset",
        Fault::Crash => "crash",
        Fault::PowerCycle => "power-cycle",
        Fault::Disconnect { .. } => "disconnect",
        Fault::Reconnect => "reconnect",
        Fault::Bootloader => "bootloader",
        Fault::SimRemove => "sim-remove",
        Fault::SimInsert => "sim-insert",
        Fault::Deregister => "deregister",
        Fault::Roaming { .. } => "roaming",
        Fault::SignalLoss { .. } => "signal-loss",
        Fault::BearerDrop => "bearer-drop",
        Fault::GnssNoFix { .. } => "gnss-no-fix",
        Fault::GnssFixLost { .. } => "gnss-fix-lost",
        Fault::GnssTrack { .. } => "gnss-track",
        Fault::Responses { .. } => "responses",
        Fault::Stall { .. } => "stall",
        Fault::Power(_) => "power",
        Fault::Dhcp { .. } => "dhcp",
        Fault::Sms { .. } => "sms",
        Fault::SmsReject { .. } => "sms-reject",
        Fault::SmsReports { .. } => "sms-reports",
        Fault::SmsStoreFull { .. } => "sms-store-full",
    }
}
