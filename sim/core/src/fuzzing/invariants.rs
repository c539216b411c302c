//! What must hold of a [`Modem`] after any step, whatever the host sent.

use crate::qmi::MAX_CLIENTS_PER_SERVICE;
use crate::Modem;

/// Panics, naming the broken promise, unless every bound and uniqueness
/// rule of the engine holds: client IDs unique and in 1..=0xFE with at most
/// [`MAX_CLIENTS_PER_SERVICE`] per service; bearer handles unique and
/// usable; every queue towards the host within its limit, so a host that
/// never reads cannot grow memory.
pub fn check_invariants(m: &Modem) {
    for (service, ids) in m.clients().services() {
        assert!(
            ids.len() <= MAX_CLIENTS_PER_SERVICE,
            "{service:?}: {} clients",
            ids.len()
        );
        for (i, &c) in ids.iter().enumerate() {
            assert!((1..=0xFE).contains(&c), "{service:?}: client ID {c}");
            assert!(!ids[..i].contains(&c), "{service:?}: client {c} twice");
        }
    }
    let bearers = &m.device().bearers;
    for (i, b) in bearers.iter().enumerate() {
        assert!(
            b.handle != 0 && b.handle != u32::MAX,
            "bearer handle {}",
            b.handle
        );
        assert!(
            !bearers[..i].iter().any(|o| o.handle == b.handle),
            "bearer handle {:#x} twice",
            b.handle
        );
    }
    assert!(
        m.pending() <= crate::engine::MAX_PENDING_FRAMES,
        "QMI output"
    );
    assert!(m.pending_data() <= crate::net::MAX_PENDING, "data output");
    let s = m.serial();
    assert!(
        s.at.pending_output() <= crate::serial::at::MAX_PENDING_BYTES,
        "AT output"
    );
    assert!(
        s.at.pending_line() <= crate::serial::at::line::MAX_LINE,
        "AT line"
    );
    assert!(
        s.nmea.pending_output() <= crate::serial::nmea::MAX_PENDING_BYTES,
        "NMEA output"
    );
    assert!(
        s.dm.pending_output() <= crate::serial::qcdm::MAX_PENDING,
        "DM output"
    );
    assert!(
        s.dm.pending_input() <= crate::wire::hdlc::Deframer::MAX_FRAME,
        "DM input"
    );
}
