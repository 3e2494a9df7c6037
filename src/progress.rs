//! Progress of the long phases of a run, reported to whoever asks (the command line draws
//! bars; the library does not depend on how). A phase starts with [`Progress::begin`],
//! advances, and ends with [`Progress::end`]; phases follow one another, never nest.

/// Receives the progress of a run's phases. Called from worker threads, hence `Sync`.
pub trait Progress: Sync {
    /// A phase named `name` starts, with `total` steps of `unit` (0 when the number of
    /// steps is not known in advance).
    fn begin(&self, name: &str, total: u64, unit: &str);
    /// `steps` more steps of the current phase are done.
    fn advance(&self, steps: u64);
    /// The current phase has done `position` steps in all.
    fn set_position(&self, position: u64);
    /// The current phase is over.
    fn end(&self);
}

/// Progress that nobody watches.
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str, _: u64, _: &str) {}
    fn advance(&self, _: u64) {}
    fn set_position(&self, _: u64) {}
    fn end(&self) {}
}
