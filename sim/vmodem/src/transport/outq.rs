//! One port's output to a byte-stream host (a pty): whole frames or none.
//!
//! A frame is queued whole or dropped whole; once its first byte is
//! written it is always finished, however slowly the host reads, so the
//! host never sees a torn QMUX or MBIM message. Writes never block: the
//! transport writes what the descriptor takes and resumes when it is
//! writable again, keeping the partial-write progress here.

use std::collections::VecDeque;
use std::os::fd::AsFd;

/// The bounds of one queue.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub frames: usize,
    pub bytes: usize,
}

impl Bound {
    /// Whether `frames` frames of `bytes` bytes and one more of `len` fit.
    pub fn fits(self, frames: usize, bytes: usize, len: usize) -> bool {
        frames < self.frames && bytes + len <= self.bytes
    }
}

/// A control queue holds what a USB control channel holds for a host that
/// does not read (`MAX_QUEUED_RESPONSES` messages), in at most 256 KiB.
pub const CONTROL_BOUND: Bound = Bound {
    frames: vmodem_core::usb::MAX_QUEUED_RESPONSES,
    bytes: 256 * 1024,
};

/// A serial queue holds 64 KiB (the AT port's own output bound) in at most
/// `usb::MAX_IN_QUEUE` chunks; past half of it the port stops taking host
/// input (`serial_room`).
pub const SERIAL_BOUND: Bound = Bound {
    frames: vmodem_core::usb::MAX_IN_QUEUE,
    bytes: 64 * 1024,
};

/// Whether a serial queue of `bytes` has room for another turn's answers.
pub fn serial_room(bytes: usize) -> bool {
    bytes < SERIAL_BOUND.bytes / 2
}

#[derive(Debug)]
pub struct OutQueue {
    frames: VecDeque<Vec<u8>>,
    /// Bytes of the front frame already written.
    written: usize,
    /// Bytes queued, the written part of the front frame included.
    bytes: usize,
    bound: Bound,
}

impl OutQueue {
    pub fn new(bound: Bound) -> Self {
        OutQueue {
            frames: VecDeque::new(),
            written: 0,
            bytes: 0,
            bound,
        }
    }

    /// Queues `frame`, or gives it back when the queue is at its bound
    /// (the caller reports the overrun).
    pub fn push(&mut self, frame: Vec<u8>) -> Result<(), Vec<u8>> {
        if frame.is_empty() {
            return Ok(());
        }
        if !self.bound.fits(self.frames.len(), self.bytes, frame.len()) {
            return Err(frame);
        }
        self.bytes += frame.len();
        self.frames.push_back(frame);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Bytes waiting to be written.
    pub fn len(&self) -> usize {
        self.bytes - self.written
    }

    /// Writes until the queue is empty or the descriptor would block
    /// (`Err(WouldBlock)`); any other error is the descriptor's.
    pub fn write_to(&mut self, fd: impl AsFd) -> std::io::Result<()> {
        while let Some(front) = self.frames.front() {
            match nix::unistd::write(fd.as_fd(), &front[self.written..]) {
                Ok(n) => {
                    self.written += n;
                    if self.written == front.len() {
                        self.bytes -= front.len();
                        self.written = 0;
                        self.frames.pop_front();
                    }
                }
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Forgets everything, a half-written frame included (the descriptor
    /// failed: nobody can read the rest).
    pub fn clear(&mut self) {
        self.frames.clear();
        self.written = 0;
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::{fcntl, FcntlArg, OFlag};

    fn pipe(nonblocking: bool) -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
        let (r, w) = nix::unistd::pipe().unwrap();
        if nonblocking {
            fcntl(&w, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).unwrap();
        }
        (r, w)
    }

    #[test]
    fn past_the_bound_whole_frames_are_refused() {
        let mut q = OutQueue::new(Bound {
            frames: 2,
            bytes: 10,
        });
        assert!(q.push(vec![1; 6]).is_ok());
        assert_eq!(q.push(vec![2; 5]), Err(vec![2; 5]));
        assert!(q.push(vec![3; 4]).is_ok());
        assert_eq!(q.push(vec![4; 1]), Err(vec![4]));
        assert_eq!(q.len(), 10);
    }

    #[test]
    fn a_frame_once_started_is_finished_whole() {
        let (r, w) = pipe(true);
        let size = fcntl(&w, FcntlArg::F_GETPIPE_SZ).unwrap() as usize;
        let mut q = OutQueue::new(Bound {
            frames: 16,
            bytes: size * 4,
        });
        let frame: Vec<u8> = (0..size + size / 2).map(|i| i as u8).collect();
        q.push(frame.clone()).unwrap();
        q.push(vec![0xAA; 7]).unwrap();
        let e = q.write_to(&w).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
        assert_eq!(q.len(), frame.len() + 7 - size);
        let mut got = vec![0u8; size];
        assert_eq!(nix::unistd::read(&r, &mut got).unwrap(), size);
        q.write_to(&w).unwrap();
        assert!(q.is_empty());
        let mut rest = vec![0u8; size];
        let n = nix::unistd::read(&r, &mut rest).unwrap();
        got.extend_from_slice(&rest[..n]);
        let mut want = frame;
        want.extend_from_slice(&[0xAA; 7]);
        assert_eq!(got, want);
    }
}
