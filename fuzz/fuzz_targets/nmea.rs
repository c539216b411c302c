#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmodem_core::fuzzing::nmea(data));
