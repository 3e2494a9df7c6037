//! orbsim: a discrete-event simulator of AI models in orbit.
//!
//! The pipeline (see `ARCHITECTURE.md`): scenario → fleet and stations → geometry (SGP4,
//! frames, pass windows) → link model → contact plan → event engine with mission models →
//! report. Data flows one way; each stage is one module.

pub mod access;
pub mod constants;
pub mod contact;
pub mod engine;
pub mod frames;
pub mod ground;
pub mod input;
pub mod link;
pub mod merge;
pub mod mission;
pub mod numeric;
pub mod orbit;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod scenario;
pub mod sweep;
pub mod units;

/// The time layer (UTC instants, durations, GMST) is its own crate so the chart crate can
/// share it; it keeps its place in the pipeline as `orbsim::time`.
pub use orbsim_time as time;
