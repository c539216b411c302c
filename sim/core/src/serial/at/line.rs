//! Command-line assembly: bytes in, whole lines out at the S3 character
//! (CR), with backspace editing. Lines are bounded so that a host sending
//! endless junk without a CR cannot grow memory.

/// Longest command line kept; longer lines are answered with ERROR.
pub const MAX_LINE: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineEvent {
    Line(Vec<u8>),
    /// The line outgrew [`MAX_LINE`] and was discarded.
    Overflow,
}

#[derive(Debug, Default)]
pub struct LineAssembler {
    buf: Vec<u8>,
    overflow: bool,
}

impl LineAssembler {
    /// Takes one byte; `cr` and `bs` are the S3 and S5 registers.
    pub fn feed(&mut self, b: u8, cr: u8, bs: u8) -> Option<LineEvent> {
        if b == cr {
            let line = std::mem::take(&mut self.buf);
            return Some(if std::mem::take(&mut self.overflow) {
                LineEvent::Overflow
            } else {
                LineEvent::Line(line)
            });
        }
        if b == bs || b == 0x7F {
            self.buf.pop();
            return None;
        }
        // LF after CR, and other control bytes, are not part of a command.
        if b < 0x20 {
            return None;
        }
        if self.buf.len() >= MAX_LINE {
            self.overflow = true;
            self.buf.clear();
        } else if !self.overflow {
            self.buf.push(b);
        }
        None
    }

    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    pub fn reset(&mut self) {
        *self = LineAssembler::default();
    }
}

/// The command part of a line: what follows the first `AT` (any case).
/// Anything before it is line noise, as V.250 modems hunt for the prefix;
/// a line without one is not a command.
pub fn command_body(line: &[u8]) -> Option<&[u8]> {
    let i = line
        .windows(2)
        .position(|w| w[0].eq_ignore_ascii_case(&b'A') && w[1].eq_ignore_ascii_case(&b'T'))?;
    Some(&line[i + 2..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(a: &mut LineAssembler, bytes: &[u8]) -> Vec<LineEvent> {
        bytes.iter().filter_map(|&b| a.feed(b, b'\r', 8)).collect()
    }

    #[test]
    fn lines_with_crlf_and_backspace() {
        let mut a = LineAssembler::default();
        assert_eq!(
            feed(&mut a, b"ATE1\x080\r\nAT\r"),
            vec![
                LineEvent::Line(b"ATE0".to_vec()),
                LineEvent::Line(b"AT".to_vec())
            ]
        );
    }

    #[test]
    fn overlong_line_is_bounded_and_reported_once() {
        let mut a = LineAssembler::default();
        assert!(feed(&mut a, &[b'A'; MAX_LINE * 3]).is_empty());
        assert!(a.pending() <= MAX_LINE);
        assert_eq!(feed(&mut a, b"\rAT\r").len(), 2);
    }

    #[test]
    fn prefix_hunting() {
        assert_eq!(command_body(b"at+cgmi"), Some(&b"+cgmi"[..]));
        assert_eq!(command_body(b"\xff\x00xxAT"), Some(&b""[..]));
        assert_eq!(command_body(b"hello"), None);
    }
}
