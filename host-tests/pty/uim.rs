//! qmicli UIM actions against vmodem.

#[allow(unused_imports)]
use crate::harness::*;
