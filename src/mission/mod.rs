//! Mission models: the event handlers that turn a contact plan into what users ask about.
//! Each model owns its event type and queue and runs on the run's one shared engine,
//! telling the others what changed through [`MissionEvent`]s (see [`model`] for the seam);
//! none of them propagates orbits (the contact plan carries all the geometry they need).
//!
//! - [`rollout`]: getting the model onto the fleet — chunked upload from ground stations
//!   (loss, ARQ or fountain coding, antenna scheduling), dissemination over
//!   inter-satellite links (relay or swarm), and the on-board pipeline.
//! - [`loss`]: chunk loss models (fixed packet error rate, Es/N0 margin waterfall,
//!   Gilbert–Elliott bursts).
//! - [`inference`]: requests from users and portals, routing over inter-satellite links,
//!   on-board compute with queues and batching.
//! - [`power`]: solar array, battery and eclipse, which can pause or throttle inference.
//! - [`upsets`]: radiation upsets in the stored weights and the scrubber that finds them.
//! - [`training`]: synchronous data-parallel training across satellites (compute, gradient
//!   all-reduce over the laser links, failures, power and checkpoints).
//! - [`failures`]: the outages of satellites, stations, antennas and laser terminals, told
//!   (they act through the plan and the other models).

pub mod availability;
pub mod failures;
pub mod inference;
pub mod loss;
pub mod model;
pub mod power;
pub mod rollout;
pub mod training;
pub mod upsets;

pub use availability::Availability;
pub use model::{
    MissionChart, MissionContext, MissionError, MissionEvent, MissionFactory, MissionFigure, MissionModel,
    MissionProcess, MissionReport, MissionTable, REGISTRY,
};

/// A mission section's validation error: the field path (e.g. `inference.sources[0].rate`)
/// and what is wrong. The scenario adds the file it came from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FieldError {
    /// Dotted path of the offending field, with list indices.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { path: path.into(), message: message.into() }
    }
}

fn fail<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError::new(path, message))
}

/// Whether a satellite is selected by any of `wanted` (lower-cased): a substring of its
/// name, or its role.
fn selects(wanted: &[String], name: &str, role: Option<&str>) -> bool {
    let name = name.to_lowercase();
    wanted.iter().any(|w| name.contains(w.as_str()) || role.is_some_and(|r| r.eq_ignore_ascii_case(w)))
}
