//! The three serial functions of composition 6 beside QMI: DM (interface 0,
//! QCDM), NMEA (interface 2) and AT (interface 3). The engine owns one
//! [`SerialPorts`] next to its QMI services; all of them share its one
//! [`Device`]. The boot loader's one serial function, its download port,
//! is [`download`].

pub mod at;
pub mod download;
pub mod nmea;
pub mod qcdm;

use crate::model::{Device, DeviceEvent};
use crate::time::Instant;
use at::AtPort;
use nmea::NmeaPort;
use qcdm::DmPort;

/// Which serial function bytes belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SerialPort {
    /// Interface 0, ttyUSB0: DIAG in HDLC frames.
    Dm,
    /// Interface 2, ttyUSB1: NMEA sentences out.
    Nmea,
    /// Interface 3, ttyUSB2: AT commands.
    At,
    /// The boot loader's only interface (0), ttyUSB0: QDL. Absent while
    /// the application firmware runs.
    Download,
}

impl SerialPort {
    /// The application firmware's serial functions.
    pub const ALL: [SerialPort; 3] = [SerialPort::Dm, SerialPort::Nmea, SerialPort::At];

    /// The USB interface number in the Sierra layout.
    pub fn interface(self) -> u8 {
        match self {
            SerialPort::Dm => 0,
            SerialPort::Nmea => 2,
            SerialPort::At => 3,
            SerialPort::Download => 0,
        }
    }
}

#[derive(Debug, Default)]
pub struct SerialPorts {
    pub dm: DmPort,
    pub nmea: NmeaPort,
    pub at: AtPort,
}

impl SerialPorts {
    pub fn handle(&mut self, port: SerialPort, bytes: &[u8], dev: &mut Device, now: Instant) {
        match port {
            SerialPort::Dm => self.dm.handle(bytes, &dev.profile, now),
            SerialPort::At => self.at.handle(bytes, dev, now),
            SerialPort::Nmea | SerialPort::Download => {}
        }
    }

    /// Takes what the port can answer without dropping output; returns
    /// the bytes taken (see [`AtPort::offer`]).
    pub fn offer(
        &mut self,
        port: SerialPort,
        bytes: &[u8],
        dev: &mut Device,
        now: Instant,
    ) -> usize {
        match port {
            SerialPort::Dm => self.dm.offer(bytes, &dev.profile, now),
            SerialPort::At => self.at.offer(bytes, dev, now),
            SerialPort::Nmea | SerialPort::Download => bytes.len(),
        }
    }

    pub fn poll(&mut self, port: SerialPort) -> Option<Vec<u8>> {
        match port {
            SerialPort::Dm => self.dm.poll(),
            SerialPort::Nmea => self.nmea.poll(),
            SerialPort::At => self.at.poll(),
            SerialPort::Download => None,
        }
    }

    /// The host opened or closed a port (DTR through SET_CONTROL_LINE_STATE
    /// on a USB transport). Only NMEA cares: it streams while open.
    pub fn set_open(&mut self, port: SerialPort, open: bool, _now: Instant) {
        if port == SerialPort::Nmea {
            self.nmea.set_open(open);
        }
    }

    pub fn on_event(&mut self, ev: &DeviceEvent, dev: &Device) {
        self.at.on_event(ev, dev);
        self.nmea.on_event(ev, dev);
    }

    /// The ports keep no timers of their own: NMEA follows the model's
    /// GNSS epochs.
    pub fn poll_at(&self) -> Option<Instant> {
        None
    }

    pub fn handle_timeout(&mut self, _now: Instant, _dev: &Device) {}

    /// The firmware restarted.
    pub fn reset(&mut self) {
        self.dm.reset();
        self.nmea.reset();
        self.at.reset();
    }
}

/// Bytes waiting for the host on a serial port, bounded: a host that never
/// reads loses the oldest bytes rather than grow memory.
#[derive(Debug, Clone, Default)]
pub struct Outbox<const LIMIT: usize> {
    bytes: std::collections::VecDeque<u8>,
    dropped: u64,
}

impl<const LIMIT: usize> Outbox<LIMIT> {
    pub fn push(&mut self, data: &[u8]) {
        self.bytes.extend(data);
        let over = self.bytes.len().saturating_sub(LIMIT);
        if over > 0 {
            self.bytes.drain(..over);
            self.dropped += over as u64;
        }
    }
    /// Everything waiting, in one piece.
    pub fn poll(&mut self) -> Option<Vec<u8>> {
        if self.bytes.is_empty() {
            return None;
        }
        Some(self.bytes.drain(..).collect())
    }
    pub fn clear(&mut self) {
        self.bytes.clear();
    }
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
    /// Bytes lost because the host did not read them.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}
