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

/// One use of one contact: an antenna serving a satellite.
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
    SessionEnd {
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
    stations_seen: Vec<u32>,
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

struct Antenna {
    busy: bool,
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
    // Sessions still open at the end of the window end there.
    let mut outcome = model.finish();
    outcome.events = sim.processed();
    Ok(outcome)
}

struct UploadModel<'a> {
    scenario: &'a Scenario,
    contacts: &'a [&'a Contact],
    satellites: Vec<SatState>,
    /// Contacts in view per station.
    candidates: Vec<Vec<u32>>,
    antennas: Vec<Vec<Antenna>>,
    /// The session each antenna is running (index into `sessions`).
    running: Vec<Vec<Option<usize>>>,
    sessions: Vec<Session>,
    remaining_targets: usize,
    setup_ns: i64,
    needed_symbols: u32,
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
                stations_seen: Vec::new(),
                loss: ChunkLoss::new(&scenario.upload.loss, scenario.seed, i as u64),
                result: SatelliteUpload { target: scenario.targets[i], ..Default::default() },
            })
            .collect();
        let antennas = scenario.antennas.iter().map(|&n| (0..n).map(|_| Antenna { busy: false }).collect()).collect();
        let running = scenario.antennas.iter().map(|&n| vec![None; n as usize]).collect();
        let needed_symbols = (chunks as f64 * (1.0 + scenario.upload.fountain_overhead)).ceil() as u32;
        UploadModel {
            scenario,
            contacts,
            satellites,
            candidates: vec![Vec::new(); scenario.stations.len()],
            antennas,
            running,
            sessions: Vec::new(),
            remaining_targets: scenario.targets.iter().filter(|&&t| t).count(),
            setup_ns: (scenario.uplink.setup_time_s * NANOS_PER_SECOND as f64).round() as i64,
            needed_symbols,
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
                self.assign(sim, now, station)?;
            }
            Event::ContactEnd(index) => {
                let c = self.contacts[index as usize];
                let (sat, station) = (sat_of(c), station_of(c));
                self.candidates[station as usize].retain(|&k| k != index);
                self.satellites[sat as usize].active.retain(|&k| k != index);
            }
            Event::SessionEnd { station, antenna } => {
                self.antennas[station as usize][antenna as usize].busy = false;
                let session = self.running[station as usize][antenna as usize].take().expect("a running session");
                let sat = self.sessions[session].satellite;
                let state = &mut self.satellites[sat as usize];
                state.receivers_busy -= 1;
                state.last_session_end = now.unix_nanos();
                if self.remaining_targets == 0 {
                    sim.stop();
                    return Ok(());
                }
                // The antenna is free, and the satellite may now be picked up elsewhere.
                let others: Vec<u32> = state.active.iter().map(|&k| station_of(self.contacts[k as usize])).collect();
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
            let Some(antenna) = self.antennas[station as usize].iter().position(|a| !a.busy) else {
                return Ok(());
            };
            let Some(index) = self.pick(now, station) else {
                return Ok(());
            };
            let session = self.run_session(now, index);
            let end = self.sessions[session].end;
            let sat = self.sessions[session].satellite as usize;
            self.satellites[sat].receivers_busy += 1;
            self.antennas[station as usize][antenna].busy = true;
            self.running[station as usize][antenna] = Some(session);
            sim.schedule_at(end.max(now), Event::SessionEnd { station, antenna: antenna as u32 })?;
        }
    }

    /// The candidate the policy prefers, if any can use the antenna.
    fn pick(&self, now: UtcTime, station: u32) -> Option<u32> {
        let usable = |&&k: &&u32| {
            let c = self.contacts[k as usize];
            let s = &self.satellites[sat_of(c) as usize];
            s.result.target
                && !s.complete()
                && s.receivers_busy < self.scenario.upload.receivers
                && c.end.unix_nanos() > now.unix_nanos() + self.setup_ns
        };
        let remaining = |k: u32| {
            let s = &self.satellites[sat_of(self.contacts[k as usize]) as usize];
            self.scenario.model.chunks - s.received.min(self.scenario.model.chunks)
        };
        let candidates = self.candidates[station as usize].iter().filter(usable);
        match self.scenario.upload.scheduling {
            SchedulingPolicy::MostRemaining => candidates.min_by_key(|&&k| (std::cmp::Reverse(remaining(k)), k)),
            SchedulingPolicy::EarliestSet => candidates.min_by_key(|&&k| (self.contacts[k as usize].end, k)),
            SchedulingPolicy::RoundRobin => candidates.min_by_key(|&&k| {
                let s = &self.satellites[sat_of(self.contacts[k as usize]) as usize];
                (s.last_served.unwrap_or(i64::MIN), k)
            }),
        }
        .copied()
    }

    /// Runs one session to its end (upload complete or contact over) and records it.
    fn run_session(&mut self, now: UtcTime, index: u32) -> usize {
        let c = self.contacts[index as usize];
        let (sat_index, station) = (sat_of(c), station_of(c));
        let model = &self.scenario.model;
        let upload = &self.scenario.upload;
        let onboard = &self.scenario.onboard;
        let fountain = upload.protocol == Protocol::Fountain;
        let profile = &c.profile;
        let contact_end = c.end.min(self.scenario.end);
        // A session that starts after AOS must acquire the satellite again.
        let mut t = if now > c.start { now.plus_nanos(self.setup_ns) } else { c.start };
        let sat = &mut self.satellites[sat_index as usize];
        // NAKs that could not reach the ground since the last session go out now.
        let nak_ns = upload.nak_round_trip_ns;
        for entry in sat.pending.iter_mut() {
            if entry.1 > sat.last_session_end {
                entry.1 = entry.1.max(t.unix_nanos() + nak_ns);
            }
        }
        let mut record = Session {
            satellite: sat_index,
            station,
            contact: index,
            start: now,
            end: contact_end,
            bytes_sent: 0,
            new_bytes_delivered: 0,
            retransmitted_bytes: 0,
            chunks_complete_after: 0,
        };
        let header = model.chunk_header;
        let packets = |bytes: u64| bytes.div_ceil(upload.packet_size);
        let mut first_byte = None;
        while t < contact_end {
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
                t = UtcTime::from_unix_nanos(eligible);
                continue;
            } else {
                break;
            };
            let payload = if fountain { model.chunk_payload } else { model.payload_of(chunk) };
            let size = payload + header;
            let Some(done) = profile.time_to_deliver(t, size).filter(|&d| d <= contact_end) else {
                // Cut by LOS: the partial chunk's bytes were sent for nothing.
                record.bytes_sent += profile.bytes_between(t, contact_end);
                break;
            };
            if first_byte.is_none() {
                first_byte = Some(t);
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
            let needed = if fountain { self.needed_symbols } else { model.chunks };
            if sat.received >= needed {
                sat.result.last_chunk = Some(done);
                if fountain {
                    // The sender learns of success one round trip later and stops then.
                    let stop = done.plus_nanos(nak_ns).min(contact_end);
                    record.bytes_sent += profile.bytes_between(done, stop);
                    t = stop;
                }
                record.end = t;
                break;
            }
        }
        if sat.result.last_chunk.is_none() {
            record.end = contact_end;
        }
        record.chunks_complete_after = sat.received;
        let r = &mut sat.result;
        if record.bytes_sent > 0 {
            r.passes_used += 1;
            if !sat.stations_seen.contains(&station) {
                sat.stations_seen.push(station);
                r.stations_used += 1;
            }
            r.first_byte = r.first_byte.or(first_byte);
        }
        r.total_bytes_sent += record.bytes_sent;
        r.retransmitted_bytes += record.retransmitted_bytes;
        r.chunks_received = sat.received;
        sat.last_served = Some(now.unix_nanos());
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
        self.sessions.push(record);
        self.sessions.len() - 1
    }

    fn finish(self) -> UploadOutcome {
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
