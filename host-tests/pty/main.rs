//! pty tier: the real `qmicli` against vmodem over a pseudo-terminal.
//! Needs no root and no kernel modules, only libqmi-utils.

mod harness;

mod acceptance;
mod at;
mod capture;
mod ctl;
mod dms;
mod nas;
mod uim;
mod wda;
mod wds;
