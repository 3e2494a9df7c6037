//! Access: when satellites can talk to ground stations (pass windows) and, later, to each
//! other and to the Sun (inter-satellite visibility, eclipse), and the radiation they fly
//! through (single-event upsets in memory).

pub mod coverage;
pub mod eclipse;
pub mod isl;
pub mod outages;
pub mod passes;
pub mod radiation;
pub mod trajectory;

pub use passes::{Pass, PassSearch, Retirement, Window, find_passes};
