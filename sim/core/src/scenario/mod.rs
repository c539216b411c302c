//! Scenarios: fault injection from a file, by hand, or both, sans-IO.
//!
//! - [`file`]: the TOML format ([`Scenario`]), checked with places.
//! - [`ScenarioRunner`]: which fault is due when, from device states,
//!   host requests and time.
//! - [`Director`]: sits beside the engine in any loop, injects what the
//!   runner or the control socket asks for, and keeps the event log.
//! - [`ScriptedHost`] and [`simulate`]: a headless host and the loop that
//!   runs a scenario in simulated time.

pub mod director;
pub mod file;
pub mod host;
pub mod names;
pub mod runner;
pub mod simulate;
pub mod state;

pub use crate::control::Status;
pub use director::{Director, Record, Source, What};
pub use file::{Delay, Scenario, ScenarioError, Step, Trigger};
pub use host::ScriptedHost;
pub use runner::{Firing, ScenarioRunner};
pub use simulate::{simulate, simulate_inspecting};
pub use state::{DeviceState, StateWatch};
