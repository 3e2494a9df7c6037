//! The rollout on a run's shared engine: it runs its own events and announces each
//! deployment as a [`MissionEvent::ModelHeld`] at the instant the satellite starts running
//! the model, and leaves the engine (no next event) once every target is verified. It
//! reacts to nothing yet: no other model changes what an upload does.

use super::Rollout;
use crate::engine::{Bus, Process};
use crate::mission::model::{MissionError, MissionEvent};
use crate::time::UtcTime;

impl Process<MissionEvent, MissionError> for Rollout<'_> {
    fn next_event_time(&self) -> Option<UtcTime> {
        if self.model.ended() { None } else { self.sim.peek_time() }
    }

    fn run_until(&mut self, limit: UtcTime, bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        if self.model.ended() {
            return Ok(());
        }
        let model = &mut self.model;
        self.sim.run_until(limit, |sim, now, ev| {
            model.handle(sim, now, ev)?;
            if !model.deployments().is_empty() {
                sim.stop();
            }
            Ok::<(), crate::engine::ScheduleError>(())
        })?;
        // A deployment is announced when it happens, and never in the past of the engine (a
        // satellite whose last chunk came in within a slice may finish its on-board
        // pipeline before the slice's end).
        let now = self.sim.now();
        for (at, satellite) in self.model.deployments().drain(..) {
            bus.publish_at(at.max(now), MissionEvent::ModelHeld { satellite })?;
        }
        Ok(())
    }
}
