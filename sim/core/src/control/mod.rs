//! What a control socket carries: the requests `vmodem ctl` sends
//! (`protocol`) and the status it reports back (`status`). Not scenarios:
//! the same requests come from a person, a dashboard or a suite.

pub mod protocol;
pub mod status;

pub use protocol::Request;
pub use status::Status;
