//! The NCM side of the MBIM function: the CDC NCM class requests on the
//! MBIM control interface (NCM 1.0 section 6.2) and the NTBs on the data
//! interface's bulk endpoints.
//!
//! Linux's `cdc_ncm_init` (used by `cdc_mbim`) sends GET_NTB_PARAMETERS,
//! then SET_NTB_FORMAT only when NTB32 is offered, and SET_NTB_INPUT_SIZE
//! only when it wants a different IN size. With bmNetworkCapabilities
//! 0x20 it sends no CRC or max-datagram requests; those stall here, as
//! does anything else. SEND/GET_ENCAPSULATED_* on the same interface
//! belong to the [`super::WdmChannel`]: route those there first.

mod parameters;

pub use parameters::NtbParameters;

use super::setup::{Direction, Setup};
use super::wdm::ControlReply;
use crate::wire::ntb::{self, Format, InLimits, NtbBuilder, Packet, Refused, Stream};

pub const RESET_FUNCTION: u8 = 0x05;
pub const GET_NTB_PARAMETERS: u8 = 0x80;
pub const GET_NTB_FORMAT: u8 = 0x83;
pub const SET_NTB_FORMAT: u8 = 0x84;
pub const GET_NTB_INPUT_SIZE: u8 = 0x85;
pub const SET_NTB_INPUT_SIZE: u8 = 0x86;

/// Counters of the data path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NcmStats {
    /// OUT NTBs accepted, and refused (dropped whole).
    pub ntbs_received: u64,
    pub ntbs_refused: u64,
    /// Accepted OUT NTBs whose wSequence did not follow the previous one's
    /// (counted and accepted, as Linux's host driver does).
    pub sequence_glitches: u64,
    /// IN NTBs built.
    pub ntbs_sent: u64,
    /// Datagrams for the host refused by the IN queue.
    pub datagrams_refused: u64,
    /// Queued datagrams dropped because the host shrank the IN size.
    pub datagrams_dropped: u64,
}

/// The NCM state of one MBIM function whose control interface is
/// `interface`.
#[derive(Debug, Clone)]
pub struct NcmFunction {
    interface: u8,
    params: NtbParameters,
    format: Format,
    in_max_size: u32,
    in_max_datagrams: u16,
    last_sequence: Option<u16>,
    builder: NtbBuilder,
    stats: NcmStats,
    reset_requested: bool,
}

impl NcmFunction {
    /// An EM7305's function ([`NtbParameters::EM7305`]).
    pub fn new(interface: u8) -> NcmFunction {
        NcmFunction::with_parameters(interface, NtbParameters::EM7305)
    }

    pub fn with_parameters(interface: u8, params: NtbParameters) -> NcmFunction {
        let mut f = NcmFunction {
            interface,
            params,
            format: Format::Ntb16,
            in_max_size: params.in_max_size,
            in_max_datagrams: 0,
            last_sequence: None,
            builder: NtbBuilder::new(InLimits {
                format: Format::Ntb16,
                max_size: params.in_max_size,
                divisor: params.in_divisor,
                remainder: params.in_payload_remainder,
                ndp_alignment: params.in_alignment,
                max_datagrams: 0,
            }),
            stats: NcmStats::default(),
            reset_requested: false,
        };
        f.reset();
        f
    }

    pub fn interface(&self) -> u8 {
        self.interface
    }
    pub fn parameters(&self) -> &NtbParameters {
        &self.params
    }
    /// The NTB format the host selected (NTB16 until it says otherwise).
    pub fn format(&self) -> Format {
        self.format
    }
    /// The IN NTB size in force: dwNtbInMaxSize or the host's choice.
    pub fn in_max_size(&self) -> u32 {
        self.in_max_size
    }
    /// wNtbInMaxDatagrams from an 8-byte SET_NTB_INPUT_SIZE; 0: no limit.
    pub fn in_max_datagrams(&self) -> u16 {
        self.in_max_datagrams
    }
    /// Everything the IN builder must respect.
    pub fn in_limits(&self) -> InLimits {
        InLimits {
            format: self.format,
            max_size: self.in_max_size,
            divisor: self.params.in_divisor,
            remainder: self.params.in_payload_remainder,
            ndp_alignment: self.params.in_alignment,
            max_datagrams: self.in_max_datagrams,
        }
    }
    pub fn stats(&self) -> NcmStats {
        NcmStats {
            datagrams_dropped: self.builder.dropped(),
            ..self.stats
        }
    }

    /// Back to the state after enumeration: NTB16, the default IN size,
    /// no sequence seen, nothing queued. For RESET_FUNCTION, a data
    /// interface alternate-setting change and a bus reset.
    pub fn reset(&mut self) {
        self.format = Format::Ntb16;
        self.in_max_size = self.params.in_max_size;
        self.in_max_datagrams = 0;
        self.last_sequence = None;
        self.builder.reset();
        self.builder.set_limits(self.in_limits());
    }

    /// Whether RESET_FUNCTION arrived since the last call. The MBIM
    /// control function must be reset too (the host OPENs again).
    pub fn take_reset_request(&mut self) -> bool {
        std::mem::take(&mut self.reset_requested)
    }

    /// Answers one class request. `data` is the OUT data stage.
    pub fn handle(&mut self, setup: &Setup, data: &[u8]) -> ControlReply {
        if !setup.is_class_interface() || setup.index != u16::from(self.interface) {
            return ControlReply::Stall;
        }
        let len = setup.length as usize;
        let out_ok = data.len() == len;
        match (setup.direction(), setup.request) {
            (Direction::DeviceToHost, GET_NTB_PARAMETERS) if setup.value == 0 && len > 0 => {
                let b = self.params.to_bytes();
                ControlReply::Data(b[..len.min(b.len())].to_vec())
            }
            (Direction::DeviceToHost, GET_NTB_FORMAT) if setup.value == 0 && len >= 2 => {
                ControlReply::Data(self.format.value().to_le_bytes().to_vec())
            }
            (Direction::HostToDevice, SET_NTB_FORMAT) if len == 0 && out_ok => {
                match Format::from_value(setup.value).filter(|f| self.params.supports(*f)) {
                    Some(f) => {
                        self.format = f;
                        self.builder.set_limits(self.in_limits());
                        ControlReply::Accept(None)
                    }
                    None => ControlReply::Stall,
                }
            }
            (Direction::DeviceToHost, GET_NTB_INPUT_SIZE) if setup.value == 0 && len >= 4 => {
                let mut b = self.in_max_size.to_le_bytes().to_vec();
                if len >= 8 {
                    b.extend_from_slice(&self.in_max_datagrams.to_le_bytes());
                    b.extend_from_slice(&[0, 0]);
                }
                ControlReply::Data(b)
            }
            (Direction::HostToDevice, SET_NTB_INPUT_SIZE)
                if setup.value == 0 && (len == 4 || len == 8) && out_ok =>
            {
                self.set_input_size(data)
            }
            (Direction::HostToDevice, RESET_FUNCTION) if setup.value == 0 && len == 0 && out_ok => {
                self.reset();
                self.reset_requested = true;
                ControlReply::Accept(None)
            }
            _ => ControlReply::Stall,
        }
    }

    /// The 4-byte form sets dwNtbInMaxSize; the 8-byte form (offered by
    /// bmNetworkCapabilities bit 5) adds wNtbInMaxDatagrams. A size
    /// outside 2048..=dwNtbInMaxSize stalls and changes nothing.
    fn set_input_size(&mut self, data: &[u8]) -> ControlReply {
        let size = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        if !(ntb::MIN_IN_SIZE..=self.params.in_max_size).contains(&size) {
            return ControlReply::Stall;
        }
        self.in_max_size = size;
        if data.len() == 8 {
            self.in_max_datagrams = u16::from_le_bytes([data[4], data[5]]);
        }
        self.builder.set_limits(self.in_limits());
        ControlReply::Accept(None)
    }

    /// One bulk OUT transfer from the host: the NTB if it is valid, in the
    /// selected format and within dwNtbOutMaxSize; otherwise why it is
    /// dropped.
    pub fn receive<'a>(&mut self, transfer: &'a [u8]) -> Result<Packet<&'a [u8]>, ntb::Error> {
        let r = self.check_out(transfer);
        match &r {
            Ok(p) => {
                self.stats.ntbs_received += 1;
                let seq = p.sequence();
                if self
                    .last_sequence
                    .is_some_and(|prev| prev.wrapping_add(1) != seq)
                {
                    self.stats.sequence_glitches += 1;
                }
                self.last_sequence = Some(seq);
            }
            Err(_) => self.stats.ntbs_refused += 1,
        }
        r
    }

    fn check_out<'a>(&self, transfer: &'a [u8]) -> Result<Packet<&'a [u8]>, ntb::Error> {
        let p = Packet::new_unchecked(transfer);
        let got = p.check_nth()?;
        if got != self.format {
            return Err(ntb::Error::WrongFormat {
                selected: self.format,
                got,
            });
        }
        let block = p.block_len();
        if block > self.params.out_max_size as usize {
            return Err(ntb::Error::BlockOverMax {
                block: block as u32,
                max: self.params.out_max_size,
            });
        }
        p.check()?;
        Ok(p)
    }

    /// Queues one datagram for the host.
    pub fn send(&mut self, stream: Stream, datagram: Vec<u8>) -> Result<(), Refused> {
        let r = self.builder.push(stream, datagram);
        if r.is_err() {
            self.stats.datagrams_refused += 1;
        }
        r
    }

    /// The next bulk IN transfer, if anything waits.
    pub fn poll_in(&mut self) -> Option<Vec<u8>> {
        let t = self.builder.next_ntb()?;
        self.stats.ntbs_sent += 1;
        Some(t)
    }

    /// Datagrams waiting for the IN endpoint.
    pub fn pending_in(&self) -> usize {
        self.builder.pending()
    }
}

#[cfg(test)]
mod tests;
