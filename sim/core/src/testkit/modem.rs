//! A modem as a connected host leaves it: PIN verified, registered, the
//! default bearer up, in the framing `link_layer` names (1 = 802.3,
//! 2 = raw IP), at 5 s of simulated time.

use crate::model::{IpFamily, Profile};
use crate::time::Instant;
use crate::Modem;

pub fn connected(link_layer: u32) -> Modem {
    let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
    m.device_mut()
        .with_sim(Instant::ZERO, |s| s.verify_pin("1234"))
        .unwrap();
    m.handle_timeout(Instant::from_millis(5_000));
    m.device_mut()
        .start_network("internet", IpFamily::V4)
        .unwrap();
    m.device_mut().data_format.link_layer = link_layer;
    m
}
