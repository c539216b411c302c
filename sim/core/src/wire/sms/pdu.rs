//! The TPDUs vmodem exchanges (TS 23.040 §9.2.2): SMS-DELIVER and
//! SMS-STATUS-REPORT towards the host, SMS-SUBMIT from it, each behind the
//! SMSC address as hosts write them (TS 27.005 PDU mode, QMI and MBIM raw
//! messages).

use super::address::{Address, Timestamp};
use super::user_data::{Alphabet, Dcs, UserData};
use crate::wire::{Error, Result};

/// Which way a TPDU travels: the message type indicator means different
/// TPDUs each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Network to host (DELIVER, STATUS-REPORT, SUBMIT-REPORT).
    ToHost,
    /// Host to network (SUBMIT, DELIVER-REPORT, COMMAND).
    FromHost,
}

const UDHI: u8 = 0x40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver {
    /// TP-MMS inverted: more messages are waiting at the centre.
    pub more_messages: bool,
    pub status_report_indication: bool,
    pub reply_path: bool,
    pub originator: Address,
    pub pid: u8,
    pub dcs: Dcs,
    pub timestamp: Timestamp,
    pub user_data: UserData,
}

/// TP-VP in its three formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validity {
    None,
    Relative(u8),
    Enhanced([u8; 7]),
    Absolute(Timestamp),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    pub reject_duplicates: bool,
    pub status_report_request: bool,
    pub reply_path: bool,
    pub reference: u8,
    pub destination: Address,
    pub pid: u8,
    pub dcs: Dcs,
    pub validity: Validity,
    pub user_data: UserData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub more_messages: bool,
    /// TP-SRQ: reports on a COMMAND rather than a SUBMIT.
    pub for_command: bool,
    pub reference: u8,
    pub recipient: Address,
    pub timestamp: Timestamp,
    pub discharge: Timestamp,
    /// TP-ST: 0 delivered; 0x20.. temporary; 0x40.. and 0x60.. permanent.
    pub status: u8,
}

/// A TPDU; types vmodem does not interpret are kept as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tpdu {
    Deliver(Deliver),
    Submit(Submit),
    StatusReport(StatusReport),
    Other {
        direction: Direction,
        bytes: Vec<u8>,
    },
}

/// A whole PDU: the SMSC address then the TPDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    pub smsc: Option<Address>,
    pub tpdu: Tpdu,
}

fn timestamp(b: &[u8], what: &'static str) -> Result<Timestamp> {
    let t: [u8; 7] = b
        .get(..7)
        .ok_or(Error::Truncated(what))?
        .try_into()
        .map_err(|_| Error::Truncated(what))?;
    Ok(Timestamp(t))
}

fn byte(b: &[u8], at: usize, what: &'static str) -> Result<u8> {
    b.get(at).copied().ok_or(Error::Truncated(what))
}

impl Tpdu {
    pub fn parse(b: &[u8], direction: Direction) -> Result<Tpdu> {
        let first = byte(b, 0, "TPDU first octet")?;
        let mti = first & 3;
        match (direction, mti) {
            (Direction::ToHost, 0) => {
                let (originator, n) = Address::parse_tp(&b[1..])?;
                let at = 1 + n;
                let pid = byte(b, at, "TP-PID")?;
                let dcs = Dcs(byte(b, at + 1, "TP-DCS")?);
                let timestamp = timestamp(b.get(at + 2..).unwrap_or(&[]), "TP-SCTS")?;
                let user_data = UserData::parse(&b[at + 9..], first & UDHI != 0, dcs.alphabet())?;
                Ok(Tpdu::Deliver(Deliver {
                    more_messages: first & 0x04 == 0,
                    status_report_indication: first & 0x20 != 0,
                    reply_path: first & 0x80 != 0,
                    originator,
                    pid,
                    dcs,
                    timestamp,
                    user_data,
                }))
            }
            (Direction::FromHost, 1) => {
                let reference = byte(b, 1, "TP-MR")?;
                let (destination, n) = Address::parse_tp(b.get(2..).unwrap_or(&[]))?;
                let at = 2 + n;
                let pid = byte(b, at, "TP-PID")?;
                let dcs = Dcs(byte(b, at + 1, "TP-DCS")?);
                let at = at + 2;
                let (validity, vlen) = match (first >> 3) & 3 {
                    0 => (Validity::None, 0),
                    2 => (Validity::Relative(byte(b, at, "TP-VP")?), 1),
                    1 => (Validity::Enhanced(timestamp(&b[at..], "TP-VP")?.0), 7),
                    _ => (Validity::Absolute(timestamp(&b[at..], "TP-VP")?), 7),
                };
                let rest = b.get(at + vlen..).ok_or(Error::Truncated("TP-UDL"))?;
                let user_data = UserData::parse(rest, first & UDHI != 0, dcs.alphabet())?;
                Ok(Tpdu::Submit(Submit {
                    reject_duplicates: first & 0x04 != 0,
                    status_report_request: first & 0x20 != 0,
                    reply_path: first & 0x80 != 0,
                    reference,
                    destination,
                    pid,
                    dcs,
                    validity,
                    user_data,
                }))
            }
            (Direction::ToHost, 2) => {
                let reference = byte(b, 1, "TP-MR")?;
                let (recipient, n) = Address::parse_tp(b.get(2..).unwrap_or(&[]))?;
                let at = 2 + n;
                let ts = timestamp(b.get(at..).unwrap_or(&[]), "TP-SCTS")?;
                let discharge = timestamp(b.get(at + 7..).unwrap_or(&[]), "TP-DT")?;
                let status = byte(b, at + 14, "TP-ST")?;
                // The optional parameters (TP-PI onwards) are not produced
                // by vmodem's centre; a report carrying them is kept raw.
                if b.len() != at + 15 {
                    return Ok(Tpdu::Other {
                        direction,
                        bytes: b.to_vec(),
                    });
                }
                Ok(Tpdu::StatusReport(StatusReport {
                    more_messages: first & 0x04 == 0,
                    for_command: first & 0x20 != 0,
                    reference,
                    recipient,
                    timestamp: ts,
                    discharge,
                    status,
                }))
            }
            _ => Ok(Tpdu::Other {
                direction,
                bytes: b.to_vec(),
            }),
        }
    }

    pub fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Tpdu::Deliver(d) => {
                let mut first = 0u8;
                first |= if d.more_messages { 0 } else { 0x04 };
                first |= if d.status_report_indication { 0x20 } else { 0 };
                first |= if d.user_data.header.is_some() {
                    UDHI
                } else {
                    0
                };
                first |= if d.reply_path { 0x80 } else { 0 };
                out.push(first);
                d.originator.emit_tp(out);
                out.push(d.pid);
                out.push(d.dcs.0);
                out.extend_from_slice(&d.timestamp.0);
                d.user_data.emit(out)
            }
            Tpdu::Submit(s) => {
                let vpf = match s.validity {
                    Validity::None => 0,
                    Validity::Enhanced(_) => 1,
                    Validity::Relative(_) => 2,
                    Validity::Absolute(_) => 3,
                };
                let mut first = 0x01 | vpf << 3;
                first |= if s.reject_duplicates { 0x04 } else { 0 };
                first |= if s.status_report_request { 0x20 } else { 0 };
                first |= if s.user_data.header.is_some() {
                    UDHI
                } else {
                    0
                };
                first |= if s.reply_path { 0x80 } else { 0 };
                out.push(first);
                out.push(s.reference);
                s.destination.emit_tp(out);
                out.push(s.pid);
                out.push(s.dcs.0);
                match &s.validity {
                    Validity::None => {}
                    Validity::Relative(v) => out.push(*v),
                    Validity::Enhanced(e) => out.extend_from_slice(e),
                    Validity::Absolute(t) => out.extend_from_slice(&t.0),
                }
                s.user_data.emit(out)
            }
            Tpdu::StatusReport(r) => {
                let mut first = 0x02u8;
                first |= if r.more_messages { 0 } else { 0x04 };
                first |= if r.for_command { 0x20 } else { 0 };
                out.push(first);
                out.push(r.reference);
                r.recipient.emit_tp(out);
                out.extend_from_slice(&r.timestamp.0);
                out.extend_from_slice(&r.discharge.0);
                out.push(r.status);
                Ok(())
            }
            Tpdu::Other { bytes, .. } => {
                out.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    /// The user data, for the TPDUs that carry text.
    pub fn user_data(&self) -> Option<(&UserData, Dcs)> {
        match self {
            Tpdu::Deliver(d) => Some((&d.user_data, d.dcs)),
            Tpdu::Submit(s) => Some((&s.user_data, s.dcs)),
            _ => None,
        }
    }
}

impl Pdu {
    pub fn parse(b: &[u8], direction: Direction) -> Result<Pdu> {
        let (smsc, n) = Address::parse_smsc(b)?;
        Ok(Pdu {
            smsc,
            tpdu: Tpdu::parse(&b[n..], direction)?,
        })
    }

    pub fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        Address::emit_smsc(self.smsc.as_ref(), out);
        self.tpdu.emit(out)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut v = Vec::with_capacity(176);
        self.emit(&mut v)?;
        Ok(v)
    }

    /// The message's text, as its coding scheme says.
    pub fn text(&self) -> Option<String> {
        let (ud, dcs) = self.tpdu.user_data()?;
        Some(ud.text_in(dcs.alphabet()))
    }

    pub fn alphabet(&self) -> Option<Alphabet> {
        self.tpdu.user_data().map(|(_, d)| d.alphabet())
    }
}

/// A checked view of a PDU as a host or the store holds it: after
/// `new_checked` the accessors do not fail.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    /// Where the TPDU starts (after the SMSC address).
    tpdu_at: usize,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks the whole PDU (it must parse) and remembers where the TPDU
    /// starts.
    pub fn new_checked(buffer: T, direction: Direction) -> Result<Packet<T>> {
        let b = buffer.as_ref();
        let (_, n) = Address::parse_smsc(b)?;
        Tpdu::parse(&b[n..], direction)?;
        Ok(Packet { buffer, tpdu_at: n })
    }

    /// The SMSC address octets, length first.
    pub fn smsc_bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.tpdu_at]
    }

    pub fn tpdu_bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[self.tpdu_at..]
    }

    /// TP-MTI.
    pub fn message_type(&self) -> u8 {
        self.tpdu_bytes()[0] & 3
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn a_deliver_from_the_wild() {
        // The widely published example: "hellohello" from +31641600986.
        let b = hex("0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B");
        let p = Pdu::parse(&b, Direction::ToHost).unwrap();
        assert_eq!(p.smsc.as_ref().unwrap().text(), "+447802000332");
        let Tpdu::Deliver(d) = &p.tpdu else { panic!() };
        assert!(d.originator.is_alphanumeric());
        assert_eq!(d.originator.text(), "diafaan");
        assert_eq!(p.text().unwrap(), "diafaan.com");
        assert_eq!(p.to_bytes().unwrap(), b);
    }

    #[test]
    fn a_submit_as_modemmanager_writes_it() {
        // No SMSC, reference 0, to 12345, relative validity, "Hi".
        let b = hex("00110005812143F50000A702C834");
        let p = Pdu::parse(&b, Direction::FromHost).unwrap();
        let Tpdu::Submit(s) = &p.tpdu else { panic!() };
        assert_eq!(s.destination.text(), "12345");
        assert_eq!(s.validity, Validity::Relative(0xA7));
        assert_eq!(p.text().unwrap(), "Hi");
        assert_eq!(p.to_bytes().unwrap(), b);
        let v = Packet::new_checked(&b[..], Direction::FromHost).unwrap();
        assert_eq!(v.message_type(), 1);
        assert_eq!(v.smsc_bytes(), [0]);
    }

    #[test]
    fn status_report_round_trips() {
        let t = Timestamp::new([25, 1, 1, 0, 0, 0], 0);
        let p = Pdu {
            smsc: None,
            tpdu: Tpdu::StatusReport(StatusReport {
                more_messages: false,
                for_command: false,
                reference: 9,
                recipient: Address::from_number("+15550001").unwrap(),
                timestamp: t,
                discharge: t,
                status: 0,
            }),
        };
        let b = p.to_bytes().unwrap();
        assert_eq!(Pdu::parse(&b, Direction::ToHost).unwrap(), p);
    }

    #[test]
    fn broken_pdus_are_errors() {
        for b in [
            &[][..],
            &[0x07, 0x91],
            &[0x00, 0x11],
            &[0x00, 0x11, 0x00, 0x30, 0x81],
            &[0x00, 0x04, 0x02, 0x81, 0x21],
        ] {
            assert!(
                Pdu::parse(b, Direction::FromHost).is_err()
                    || Pdu::parse(b, Direction::ToHost).is_err()
            );
        }
    }
}
