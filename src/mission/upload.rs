//! The chunked model upload: ground stations feed satellites chunk by chunk over the
//! uplink contacts of the plan, sharing their antennas, until every target holds the whole
//! model; then the on-board pipeline verifies, decompresses and deploys it.
//!
//! # How a contact is used
//! When an antenna is free and satellites are in view, the scheduling policy picks one
//! (most remaining bytes, earliest set, or round robin; ties go to the earlier contact).
//! The antenna then serves that satellite until its contact ends or its upload completes
//! (non-preemptive: real antennas do not drop a satellite mid-pass for a better one). A
//! session that starts after the contact's AOS pays the link's acquisition time again.
//!
//! Within a session chunks go out back to back at the contact's rate profile; bytes are
//! accounted exactly as the profile defines them (`RateProfile::time_to_deliver`), so no
//! session ever carries more than its contact allows. Each chunk (payload + header) is lost
//! with the probability its packets give (see [`super::loss`]).
//!
//! - **CFDP class 2 (NAK selective repeat)**: a lost chunk becomes eligible for
//!   retransmission one NAK round trip after it was sent; retransmissions go first. A NAK
//!   cannot reach the ground while no contact is up, so chunks still unacknowledged when a
//!   session ends are re-requested one round trip after the next session starts.
//! - **Fountain**: the sender streams fresh encoded symbols (each the size of a chunk);
//!   any ⌈K(1+ε)⌉ received symbols decode the K-chunk file. The acknowledgement takes one
//!   round trip, during which the sender keeps transmitting (counted as overhead).
//!
//! After the last chunk the pipeline runs on board: assemble to storage, verify (hash),
//! decompress, deploy, each taking its own time.

use std::collections::VecDeque;

use super::loss::ChunkLoss;
use crate::contact::{Contact, ContactKind, ContactPlan};
use crate::engine::{ScheduleError, Simulation};
use crate::scenario::{Protocol, Scenario, SchedulingPolicy};
use crate::time::{NANOS_PER_SECOND, UtcTime};

/// An antenna serving a satellite within one contact (a contact can hold several sessions
/// when the scheduler switches away and back).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub satellite: u32,
    pub station: u32,
    /// Index of the contact in the plan.
    pub contact: u32,
    /// When the antenna was assigned, and when it was released.
    pub start: UtcTime,
    pub end: UtcTime,
    /// Every byte transmitted (headers, retransmissions, partial chunks cut by LOS).
    pub bytes_sent: u64,
    /// Payload bytes of chunks (symbols) that arrived and were new to the satellite.
    pub new_bytes_delivered: u64,
    /// Bytes of retransmitted chunks.
    pub retransmitted_bytes: u64,
    /// Chunks (for fountain: useful symbols) held by the satellite after the session.
    pub chunks_complete_after: u32,
}

/// Per-satellite outcome.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SatelliteUpload {
    pub target: bool,
    /// Sessions that carried bytes until the upload completed.
    pub passes_used: u32,
    pub stations_used: u32,
    pub first_byte: Option<UtcTime>,
    pub last_chunk: Option<UtcTime>,
    /// Assembled in storage, hash verified, decompressed, deployed.
    pub stored: Option<UtcTime>,
    pub verified: Option<UtcTime>,
    pub decompressed: Option<UtcTime>,
    pub deployed: Option<UtcTime>,
    pub total_bytes_sent: u64,
    pub retransmitted_bytes: u64,
    pub chunks_received: u32,
}

impl SatelliteUpload {
    /// Useful bytes (the transferred artifact) over everything sent.
    pub fn goodput_efficiency(&self, transfer_bytes: u64) -> Option<f64> {
        (self.last_chunk.is_some() && self.total_bytes_sent > 0)
            .then(|| transfer_bytes as f64 / self.total_bytes_sent as f64)
    }
}

/// Everything the upload produced.
#[derive(Debug, Clone, Default)]
pub struct UploadOutcome {
    pub sessions: Vec<Session>,
    pub satellites: Vec<SatelliteUpload>,
    pub events: u64,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    /// The next contact of the (start-sorted) plan begins.
    ContactStart(u32),
    ContactEnd(u32),
    /// An antenna reached the end of a transmission slice: decide whether to go on.
    Slice {
        station: u32,
        antenna: u32,
    },
}

struct SatState {
    /// Chunks held (CFDP), as a bitset.
    held: Vec<u64>,
    received: u32,
    /// Attempts so far per chunk (CFDP), addressing the loss stream.
    attempts: Vec<u16>,
    /// Next chunk never sent (CFDP) or next fresh symbol id (fountain).
    next_new: u32,
    /// Lost chunks awaiting retransmission, with the time the sender learns of the loss.
    pending: VecDeque<(u32, i64)>,
    receivers_busy: u32,
    last_session_end: i64,
    last_served: Option<i64>,
    /// Contacts in progress (for re-scheduling other stations when the satellite frees up).
    active: Vec<u32>,
    /// Contacts and stations that carried bytes to it.
    contacts_used: Vec<u32>,
    stations_used: Vec<u32>,
    loss: ChunkLoss,
    result: SatelliteUpload,
}

impl SatState {
    fn complete(&self) -> bool {
        self.result.last_chunk.is_some()
    }

    fn holds(&self, chunk: u32) -> bool {
        self.held[(chunk / 64) as usize] & (1 << (chunk % 64)) != 0
    }
}

/// An antenna serving a satellite.
#[derive(Clone, Copy)]
struct Running {
    /// Index into `sessions`.
    session: usize,
    contact: u32,
    /// When the next transmission can start.
    next_t: UtcTime,
}

/// Runs the upload over the plan's uplink contacts.
pub fn simulate_upload(scenario: &Scenario, plan: &ContactPlan) -> Result<UploadOutcome, ScheduleError> {
    let contacts: Vec<&Contact> = plan.contacts.iter().filter(|c| c.kind == ContactKind::Uplink).collect();
    let mut model = UploadModel::new(scenario, &contacts);
    let mut sim: Simulation<Event> = Simulation::new(scenario.start);
    if !contacts.is_empty() {
        sim.schedule_at(contacts[0].start.max(scenario.start), Event::ContactStart(0))?;
    }
    sim.run_until(scenario.end, |sim, now, ev| model.handle(sim, now, ev))?;
    let mut outcome = model.finish();
    outcome.events = sim.processed();
    Ok(outcome)
}

struct UploadModel<'a> {
    scenario: &'a Scenario,
    contacts: &'a [&'a Contact],
    /// Contact start times per station, sorted: the instants a scheduling decision can change.
    starts_at_station: Vec<Vec<UtcTime>>,
    satellites: Vec<SatState>,
    /// Contacts in view per station (not being served).
    candidates: Vec<Vec<u32>>,
    antennas: Vec<Vec<Option<Running>>>,
    sessions: Vec<Session>,
    remaining_targets: usize,
    setup_ns: i64,
    needed_symbols: u32,
}

/// What a transmission slice ended with.
#[derive(PartialEq)]
enum SliceEnd {
    /// The satellite holds the whole model.
    Complete,
    /// The contact is over (or nothing more can be sent in it).
    ContactOver,
    /// A decision point: another contact starts at this station.
    Checkpoint,
}

impl<'a> UploadModel<'a> {
    fn new(scenario: &'a Scenario, contacts: &'a [&'a Contact]) -> Self {
        let chunks = scenario.model.chunks;
        let fountain = scenario.upload.protocol == Protocol::Fountain;
        let satellites = (0..scenario.satellites.len())
            .map(|i| SatState {
                held: if fountain { Vec::new() } else { vec![0; (chunks as usize).div_ceil(64)] },
                received: 0,
                attempts: if fountain { Vec::new() } else { vec![0; chunks as usize] },
                next_new: 0,
                pending: VecDeque::new(),
                receivers_busy: 0,
                last_session_end: i64::MIN,
                last_served: None,
                active: Vec::new(),
                contacts_used: Vec::new(),
                stations_used: Vec::new(),
                loss: ChunkLoss::new(&scenario.upload.loss, scenario.seed, i as u64),
                result: SatelliteUpload { target: scenario.targets[i], ..Default::default() },
            })
            .collect();
        let mut starts_at_station = vec![Vec::new(); scenario.stations.len()];
        for c in contacts {
            if scenario.targets[sat_of(c) as usize] {
                starts_at_station[station_of(c) as usize].push(c.start);
            }
        }
        UploadModel {
            scenario,
            contacts,
            starts_at_station,
            satellites,
            candidates: vec![Vec::new(); scenario.stations.len()],
            antennas: scenario.antennas.iter().map(|&n| vec![None; n as usize]).collect(),
            sessions: Vec::new(),
            remaining_targets: scenario.targets.iter().filter(|&&t| t).count(),
            setup_ns: (scenario.uplink.setup_time_s * NANOS_PER_SECOND as f64).round() as i64,
            needed_symbols: (chunks as f64 * (1.0 + scenario.upload.fountain_overhead)).ceil() as u32,
        }
    }

    fn handle(&mut self, sim: &mut Simulation<Event>, now: UtcTime, ev: Event) -> Result<(), ScheduleError> {
        match ev {
            Event::ContactStart(index) => {
                if let Some(next) = self.contacts.get(index as usize + 1) {
                    sim.schedule_at(next.start.max(now), Event::ContactStart(index + 1))?;
                }
                let c = self.contacts[index as usize];
                let (sat, station) = (sat_of(c), station_of(c));
                if !self.wants(sat) {
                    return Ok(());
                }
                sim.schedule_at(c.end.max(now), Event::ContactEnd(index))?;
                self.candidates[station as usize].push(index);
                self.satellites[sat as usize].active.push(index);
                // Busy antennas reconsider at the end of their current slice.
                self.assign(sim, now, station)?;
            }
            Event::ContactEnd(index) => {
                let c = self.contacts[index as usize];
                let (sat, station) = (sat_of(c), station_of(c));
                self.candidates[station as usize].retain(|&k| k != index);
                self.satellites[sat as usize].active.retain(|&k| k != index);
            }
            Event::Slice { station, antenna } => {
                let Some(running) = self.antennas[station as usize][antenna as usize] else {
                    return Ok(());
                };
                let c = self.contacts[running.contact as usize];
                let sat = sat_of(c);
                let over = self.satellites[sat as usize].complete()
                    || running.next_t.unix_nanos() >= c.end.min(self.scenario.end).unix_nanos();
                if !over && self.pick(now, station, Some(running.contact)) == Some(running.contact) {
                    return self.advance(sim, now, station, antenna);
                }
                // Done here, or another satellite is preferred: release the antenna.
                self.release(now, station, antenna);
                if self.remaining_targets == 0 {
                    sim.stop();
                    return Ok(());
                }
                if !over {
                    self.candidates[station as usize].push(running.contact);
                }
                let others: Vec<u32> = self.satellites[sat as usize]
                    .active
                    .iter()
                    .map(|&k| station_of(self.contacts[k as usize]))
                    .collect();
                self.assign(sim, now, station)?;
                for other in others {
                    if other != station {
                        self.assign(sim, now, other)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn wants(&self, sat: u32) -> bool {
        let s = &self.satellites[sat as usize];
        s.result.target && !s.complete()
    }

    /// Gives every free antenna of `station` to the best waiting satellite.
    fn assign(&mut self, sim: &mut Simulation<Event>, now: UtcTime, station: u32) -> Result<(), ScheduleError> {
        loop {
            let Some(antenna) = self.antennas[station as usize].iter().position(Option::is_none) else {
                return Ok(());
            };
            let Some(index) = self.pick(now, station, None) else {
                return Ok(());
            };
            self.candidates[station as usize].retain(|&k| k != index);
            let c = self.contacts[index as usize];
            let sat = sat_of(c);
            let state = &mut self.satellites[sat as usize];
            state.receivers_busy += 1;
            state.last_served = Some(now.unix_nanos());
            // NAKs that could not reach the ground since the last session go out now.
            let start = if now > c.start { now.plus_nanos(self.setup_ns) } else { c.start };
            let nak_ns = self.scenario.upload.nak_round_trip_ns;
            for entry in state.pending.iter_mut() {
                if entry.1 > state.last_session_end {
                    entry.1 = entry.1.max(start.unix_nanos() + nak_ns);
                }
            }
            self.sessions.push(Session {
                satellite: sat,
                station,
                contact: index,
                start: now,
                end: now,
                bytes_sent: 0,
                new_bytes_delivered: 0,
                retransmitted_bytes: 0,
                chunks_complete_after: state.received,
            });
            self.antennas[station as usize][antenna] =
                Some(Running { session: self.sessions.len() - 1, contact: index, next_t: start });
            self.advance(sim, now, station, antenna as u32)?;
        }
    }

    /// The contact the policy prefers among those waiting at `station` (plus `current`,
    /// the one the antenna is serving, if any).
    fn pick(&self, now: UtcTime, station: u32, current: Option<u32>) -> Option<u32> {
        let usable = |k: &u32| {
            let c = self.contacts[*k as usize];
            let s = &self.satellites[sat_of(c) as usize];
            let free = Some(*k) == current || s.receivers_busy < self.scenario.upload.receivers;
            s.result.target && !s.complete() && free && c.end.unix_nanos() > now.unix_nanos() + self.setup_ns
        };
        let remaining = |k: u32| {
            let s = &self.satellites[sat_of(self.contacts[k as usize]) as usize];
            self.scenario.model.chunks.saturating_sub(s.received)
        };
        // Staying put avoids a new acquisition: the current contact wins ties.
        let tie = |k: u32| (Some(k) != current, k);
        let candidates = self.candidates[station as usize].iter().chain(current.as_ref()).copied().filter(usable);
        match self.scenario.upload.scheduling {
            SchedulingPolicy::MostRemaining => candidates.min_by_key(|&k| (std::cmp::Reverse(remaining(k)), tie(k))),
            SchedulingPolicy::EarliestSet => candidates.min_by_key(|&k| (self.contacts[k as usize].end, tie(k))),
            SchedulingPolicy::RoundRobin => candidates.min_by_key(|&k| {
                let s = &self.satellites[sat_of(self.contacts[k as usize]) as usize];
                let served = if Some(k) == current { None } else { s.last_served };
                (served.unwrap_or(i64::MIN), tie(k))
            }),
        }
    }

    /// Transmits from the antenna's next instant until the next decision point (another
    /// contact starting at this station), the end of the contact, or completion, and
    /// schedules the decision.
    fn advance(
        &mut self,
        sim: &mut Simulation<Event>,
        now: UtcTime,
        station: u32,
        antenna: u32,
    ) -> Result<(), ScheduleError> {
        let running = self.antennas[station as usize][antenna as usize].expect("a running antenna");
        let starts = &self.starts_at_station[station as usize];
        let checkpoint = starts.get(starts.partition_point(|&t| t <= now)).copied().unwrap_or(self.scenario.end);
        let (end, reason) = self.transmit(running.session, running.next_t, checkpoint);
        if let Some(r) = self.antennas[station as usize][antenna as usize].as_mut() {
            r.next_t = end;
        }
        let at = match reason {
            SliceEnd::Checkpoint => end.max(checkpoint),
            _ => end,
        };
        sim.schedule_at(at.max(now), Event::Slice { station, antenna })?;
        Ok(())
    }

    /// Sends chunks for `session` from `from`, starting none at or after `checkpoint`.
    /// Returns when the antenna is next free and why it stopped.
    fn transmit(&mut self, session: usize, from: UtcTime, checkpoint: UtcTime) -> (UtcTime, SliceEnd) {
        let record = &mut self.sessions[session];
        let c = self.contacts[record.contact as usize];
        let model = &self.scenario.model;
        let upload = &self.scenario.upload;
        let fountain = upload.protocol == Protocol::Fountain;
        let profile = &c.profile;
        let contact_end = c.end.min(self.scenario.end);
        let nak_ns = upload.nak_round_trip_ns;
        let sat = &mut self.satellites[record.satellite as usize];
        let header = model.chunk_header;
        let packets = |bytes: u64| bytes.div_ceil(upload.packet_size);
        let needed = if fountain { self.needed_symbols } else { model.chunks };
        let mut t = from;
        let reason = loop {
            if t >= contact_end {
                break SliceEnd::ContactOver;
            }
            if t >= checkpoint {
                break SliceEnd::Checkpoint;
            }
            // What to send next.
            let (chunk, retransmission) = if fountain {
                (sat.next_new, false)
            } else if let Some(&(chunk, eligible)) = sat.pending.front()
                && eligible <= t.unix_nanos()
            {
                (chunk, true)
            } else if sat.next_new < model.chunks {
                (sat.next_new, false)
            } else if let Some(&(_, eligible)) = sat.pending.front() {
                // Everything is out; wait for the next NAK.
                t = UtcTime::from_unix_nanos(eligible).min(contact_end);
                continue;
            } else {
                break SliceEnd::ContactOver;
            };
            let payload = if fountain { model.chunk_payload } else { model.payload_of(chunk) };
            let size = payload + header;
            let Some(done) = profile.time_to_deliver(t, size).filter(|&d| d <= contact_end) else {
                // Cut by LOS: the partial chunk's bytes were sent for nothing.
                record.bytes_sent += profile.bytes_between(t, contact_end);
                t = contact_end;
                break SliceEnd::ContactOver;
            };
            if sat.result.first_byte.is_none() {
                sat.result.first_byte = Some(t);
            }
            record.bytes_sent += size;
            if retransmission {
                record.retransmitted_bytes += size;
                sat.pending.pop_front();
            }
            let attempt = if fountain { 0 } else { sat.attempts[chunk as usize] as u32 };
            let lost = sat.loss.lost(chunk, attempt, packets(size));
            if fountain {
                sat.next_new += 1;
                if !lost {
                    sat.received += 1;
                    record.new_bytes_delivered += payload;
                }
            } else {
                if !retransmission {
                    sat.next_new += 1;
                }
                sat.attempts[chunk as usize] = sat.attempts[chunk as usize].saturating_add(1);
                if lost {
                    sat.pending.push_back((chunk, done.unix_nanos() + nak_ns));
                } else if !sat.holds(chunk) {
                    sat.held[(chunk / 64) as usize] |= 1 << (chunk % 64);
                    sat.received += 1;
                    record.new_bytes_delivered += payload;
                }
            }
            t = done;
            if sat.received >= needed {
                sat.result.last_chunk = Some(done);
                if fountain {
                    // The sender learns of success one round trip later and stops then.
                    let stop = done.plus_nanos(nak_ns).min(contact_end);
                    record.bytes_sent += profile.bytes_between(done, stop);
                    t = stop;
                }
                break SliceEnd::Complete;
            }
        };
        record.end = t;
        record.chunks_complete_after = sat.received;
        (t, reason)
    }

    /// Ends the session on an antenna and books its results to the satellite.
    fn release(&mut self, now: UtcTime, station: u32, antenna: u32) {
        let Some(running) = self.antennas[station as usize][antenna as usize].take() else {
            return;
        };
        let record = &mut self.sessions[running.session];
        // The antenna was held until now (setup and NAK waits included).
        record.end = now.max(record.start);
        let model = &self.scenario.model;
        let onboard = &self.scenario.onboard;
        let sat = &mut self.satellites[record.satellite as usize];
        sat.receivers_busy -= 1;
        sat.last_session_end = now.unix_nanos();
        let r = &mut sat.result;
        if record.bytes_sent > 0 {
            if !sat.contacts_used.contains(&record.contact) {
                sat.contacts_used.push(record.contact);
                r.passes_used += 1;
            }
            if !sat.stations_used.contains(&station) {
                sat.stations_used.push(station);
                r.stations_used += 1;
            }
        }
        r.total_bytes_sent += record.bytes_sent;
        r.retransmitted_bytes += record.retransmitted_bytes;
        r.chunks_received = sat.received;
        if let Some(last) = r.last_chunk
            && r.deployed.is_none()
        {
            let seconds = |bytes: u64, rate: f64| ((bytes as f64 / rate) * NANOS_PER_SECOND as f64).round() as i64;
            let stored = last.plus_nanos(seconds(model.transfer_bytes, onboard.write_rate));
            let verified = stored.plus_nanos(seconds(model.transfer_bytes, onboard.hash_rate));
            let decompressed = if model.size_bytes > model.transfer_bytes {
                verified.plus_nanos(seconds(model.size_bytes, onboard.decompress_rate))
            } else {
                verified
            };
            r.stored = Some(stored);
            r.verified = Some(verified);
            r.decompressed = Some(decompressed);
            r.deployed = Some(decompressed.plus_nanos(onboard.deploy_time_ns));
            self.remaining_targets -= 1;
        }
    }

    fn finish(mut self) -> UploadOutcome {
        // Sessions still open at the end of the window end there.
        for station in 0..self.antennas.len() {
            for antenna in 0..self.antennas[station].len() {
                self.release(self.scenario.end, station as u32, antenna as u32);
            }
        }
        UploadOutcome {
            sessions: self.sessions,
            satellites: self.satellites.into_iter().map(|s| s.result).collect(),
            events: 0,
        }
    }
}

fn sat_of(c: &Contact) -> u32 {
    c.satellite().expect("uplink contacts have a satellite")
}

fn station_of(c: &Contact) -> u32 {
    c.station().expect("uplink contacts have a station")
}
