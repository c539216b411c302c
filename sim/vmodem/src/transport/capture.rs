//! `--pcap FILE`: every USB transfer written as a usbmon capture.
//!
//! The records come from `vmodem_core::capture`; this adds the clock and
//! the file. Each record is flushed at once, so a capture stays readable
//! however vmodem ends.

use anyhow::Context;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::warn;
use vmodem_core::capture::UsbCapture;
use vmodem_core::usb::UsbPersonality;

/// Bus and device numbers the records carry. A pty has no bus; a gadget's
/// numbers are the host's to choose and unknown here, so both use the first
/// device on bus 1.
const BUS: u16 = 1;
const DEVICE: u8 = 2;

pub struct CaptureFile {
    out: BufWriter<File>,
    usb: UsbCapture,
}

/// A capture, or none when `--pcap` was not given.
#[derive(Default)]
pub struct Capture(Option<CaptureFile>);

impl Capture {
    pub fn create(path: Option<&Path>, personality: &UsbPersonality) -> anyhow::Result<Capture> {
        let Some(path) = path else {
            return Ok(Capture(None));
        };
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let usb = UsbCapture::new(personality.clone(), BUS, DEVICE);
        let mut c = CaptureFile {
            out: BufWriter::new(file),
            usb,
        };
        c.out.write_all(&c.usb.file_header())?;
        Ok(Capture(Some(c)))
    }

    /// Whether records are being written.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// The host enumerating another descriptor set (built only while a
    /// capture is on): later records describe that device.
    pub fn reenumerated(&mut self, personality: impl FnOnce() -> UsbPersonality) {
        if !self.is_on() {
            return;
        }
        let p = personality();
        self.record(|cap, ts| {
            cap.reenumerated(p);
            cap.enumeration(ts)
        });
    }

    /// Appends the records `f` builds, stamped with the wall clock.
    pub fn record(&mut self, f: impl FnOnce(&mut UsbCapture, u64) -> Vec<u8>) {
        let Some(c) = &mut self.0 else { return };
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        let bytes = f(&mut c.usb, ts);
        if let Err(e) = c.out.write_all(&bytes).and_then(|()| c.out.flush()) {
            warn!("capture stopped: {e}");
            self.0 = None;
        }
    }
}
