//! pty tier: the real `qmicli` against vmodem over a pseudo-terminal.
//! Needs no root and no kernel modules, only libqmi-utils (and
//! libmbim-utils for `mbim.rs`, the real `mbimcli`).

mod harness;

mod acceptance;
mod at;
mod bootloader;
mod capture;
mod cli;
mod composition;
mod ctl;
mod dashboard;
mod dms;
mod documented_commands;
mod hostile;
mod hostile_usbip;
mod location;
mod mbim;
mod nas;
mod scenario;
mod sms;
mod suite;
mod time;
mod uim;
mod usbip;
mod wda;
mod wds;
