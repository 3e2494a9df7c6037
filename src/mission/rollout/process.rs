//! The rollout on a run's shared engine: it runs its own events and tells the other models
//! what each deployment changes on board, at the instant it changes:
//! - a satellite runs a version from its deployment on ([`MissionEvent::VersionDeployed`]);
//! - a delta patches its base in place: the base, and the adapters made for it, are gone
//!   then ([`MissionEvent::VersionRetired`]);
//! - a release deployed with a service gap (`swap = "gap"`) retires every version the
//!   satellite runs when its restart begins, and deploys those it keeps again, with the new
//!   one, when the restart ends.
//!
//! It leaves the engine (no next event) once every target is verified, unless chunks can
//! be corrupted on board: then it stays to the window's end, and on a
//! [`MissionEvent::ChunkCorrupted`] wants the chunk again from the ground and from
//! neighbours holding it, announcing [`MissionEvent::ChunkRepaired`] when it arrives.

use super::spec::{ReleaseKind, Swap};
use super::{Failure, Rollout, VersionChange};
use crate::engine::{Bus, Process, ScheduleError};
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
            if !model.deployments().is_empty() || !model.repairs().is_empty() || !model.failures().is_empty() {
                sim.stop();
            }
            Ok::<(), crate::engine::ScheduleError>(())
        })?;
        // A deployment is announced when it happens, and never in the past of the engine (a
        // satellite whose last chunk came in within a slice may finish its on-board
        // pipeline before the slice's end).
        let now = self.sim.now();
        let deployments = std::mem::take(self.model.deployments());
        for (at, satellite, version) in deployments {
            self.announce(bus, at.max(now), now, satellite, version)?;
        }
        for failure in std::mem::take(self.model.failures()) {
            self.announce_failure(bus, failure)?;
        }
        for r in std::mem::take(self.model.repairs()) {
            let repaired = MissionEvent::ChunkRepaired {
                satellite: r.satellite,
                version: r.release,
                chunk: r.chunk,
                from: r.from,
                bytes: r.bytes,
            };
            bus.publish_at(r.at.max(now), repaired)?;
        }
        Ok(())
    }

    /// A scrubber's finding: the chunk is wanted again.
    fn receive(&mut self, at: UtcTime, event: &MissionEvent, _bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        if let MissionEvent::ChunkCorrupted { satellite, version, chunk } = *event {
            self.model.corrupt(&mut self.sim, at, satellite, version as usize, chunk)?;
        }
        Ok(())
    }
}

impl Rollout<'_> {
    /// Publishes (and logs) what deploying `version` on `satellite` at `at` changes.
    fn announce(
        &mut self,
        bus: &mut Bus<MissionEvent>,
        at: UtcTime,
        now: UtcTime,
        satellite: u32,
        version: u16,
    ) -> Result<(), ScheduleError> {
        let release = (version as usize).checked_sub(1).map(|k| &self.releases[k]);
        let running = self.running[satellite as usize];
        let versions = |set: u64| (0..64u16).filter(move |v| set & (1 << v) != 0);
        // A delta rewrites its base in place, and the adapters made for the old base go
        // with it.
        let retired = match release.filter(|r| r.kind == ReleaseKind::Delta).and_then(|r| r.base) {
            Some(base) => {
                let adapters = (self.releases.iter().enumerate())
                    .filter(|(_, a)| a.kind == ReleaseKind::Adapter && a.base == Some(base))
                    .fold(0u64, |set, (k, _)| set | 1 << (k + 1));
                (1u64 << base | adapters) & running
            }
            None => 0,
        };
        let kept = running & !retired;
        let change = |at, version, running, held| VersionChange { at, satellite, version, running, held };
        let mut changes = Vec::new();
        if let Some(r) = release.filter(|r| r.swap == Swap::Gap) {
            let restart = at.plus_nanos(-r.restart_ns).max(now);
            changes.extend(versions(running).map(|v| change(restart, v, false, kept & 1 << v != 0)));
            changes.extend(versions(kept).map(|v| change(at, v, true, true)));
        } else {
            changes.extend(versions(retired).map(|v| change(at, v, false, false)));
        }
        changes.push(change(at, version, true, true));
        self.publish(bus, changes)?;
        self.running[satellite as usize] = kept | 1 << version;
        Ok(())
    }

    /// Publishes (and logs) what a failure changes: the satellite runs nothing while it is
    /// down; after it is back and has rebooted, it runs again what it ran, unless a failure
    /// wiped it meanwhile.
    fn announce_failure(&mut self, bus: &mut Bus<MissionEvent>, failure: Failure) -> Result<(), ScheduleError> {
        let Failure { at, satellite, back, wiped } = failure;
        let ran = self.running_at(satellite, at);
        let versions = (0..64u16).filter(|v| ran & (1 << v) != 0);
        let change = |at, version, running, held| VersionChange { at, satellite, version, running, held };
        let mut changes: Vec<VersionChange> = versions.clone().map(|v| change(at, v, false, !wiped)).collect();
        let rebooted = self.outages.first_up_stretch(satellite, back, self.reboot_ns).plus_nanos(self.reboot_ns);
        if wiped || self.outages.wipe_within(satellite, back, rebooted).is_some() {
            self.running[satellite as usize] = 0;
        } else {
            changes.extend(versions.map(|v| change(rebooted, v, true, true)));
        }
        self.publish(bus, changes)
    }

    /// The versions `satellite` ran at `t`: what it runs after every logged change, with
    /// the changes logged for later instants undone.
    fn running_at(&self, satellite: u32, t: UtcTime) -> u64 {
        let later = self.version_log.iter().rev().filter(|c| c.satellite == satellite && c.at > t);
        later.fold(self.running[satellite as usize], |set, c| {
            if c.running { set & !(1 << c.version) } else { set | 1 << c.version }
        })
    }

    fn publish(&mut self, bus: &mut Bus<MissionEvent>, changes: Vec<VersionChange>) -> Result<(), ScheduleError> {
        for c in changes {
            bus.publish_at(c.at, c.event())?;
            self.version_log.push(c);
        }
        Ok(())
    }
}
