//! Transfer protocols of the ground upload: what a station sends a satellite next, whether
//! it arrives, and how much must arrive before the file is whole.
//!
//! - **CFDP class 2 (NAK selective repeat)** ([`Cfdp`]): a lost chunk becomes eligible for
//!   retransmission one NAK round trip after it was sent; retransmissions go first. A NAK
//!   cannot reach the ground while no contact is up, so chunks still unacknowledged when a
//!   session ends are re-requested one round trip after the next session starts.
//! - **Fountain** ([`Fountain`]): the sender streams fresh encoded symbols (each the size of
//!   a chunk); any ⌈K(1+ε)⌉ received symbols decode the K-chunk file. The acknowledgement
//!   takes one round trip, during which the sender keeps transmitting (counted as overhead).
//!
//! A new protocol is a type implementing [`TransferProtocol`] in a file of its own, and one
//! line where the rollout maps the scenario's `upload.protocol` to it.

use std::collections::VecDeque;

use super::chunks::bit;

/// What a transmission carries: a chunk of the file, or an encoded symbol (of a chunk's
/// size) of which enough decode the file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Unit {
    Chunk(u32),
    Symbol(u32),
}

impl Unit {
    /// The chunk or symbol id, which addresses the loss stream.
    pub(super) fn id(self) -> u32 {
        match self {
            Unit::Chunk(id) | Unit::Symbol(id) => id,
        }
    }
}

/// What the sender does next.
#[derive(Debug, PartialEq)]
pub(super) enum Next {
    Send {
        unit: Unit,
        retransmission: bool,
    },
    /// Nothing to send before this instant (ns since 1970), when a NAK is due.
    WaitUntil(i64),
    /// Nothing left to send: everything the satellite lacks is on its way by other means.
    Nothing,
}

/// How a ground station moves the file to a satellite. The model transmits what
/// [`TransferProtocol::next`] says, books what arrives, and calls the file whole once the
/// satellite has received [`TransferProtocol::needed`] units.
pub(super) trait TransferProtocol {
    /// What the sender keeps per satellite.
    type Sender;

    fn sender(&self) -> Self::Sender;

    /// Units (chunks or symbols) the satellite must receive for the file to be whole.
    fn needed(&self) -> u32;

    /// What to send next at `now_ns`, given the chunks the satellite holds and those on
    /// their way to it. New chunks start from `first_chunk` (where the dissemination
    /// strategy wants this satellite's upload to begin) and wrap around the file.
    fn next(&self, sender: &mut Self::Sender, held: &[u64], incoming: &[u64], now_ns: i64, first_chunk: u32) -> Next;

    /// `unit` went out and its last bit reaches the satellite at `done_ns`: draws its fate
    /// with `lost(attempt)` (`attempt`: how often it went out before) and returns whether
    /// it arrived.
    fn sent(
        &self,
        sender: &mut Self::Sender,
        unit: Unit,
        retransmission: bool,
        done_ns: i64,
        lost: impl FnOnce(u32) -> bool,
    ) -> bool;

    /// Whether the sender has nothing left to send, ever (the satellite's missing chunks
    /// are all on their way over inter-satellite links).
    fn exhausted(&self, _sender: &Self::Sender) -> bool {
        false
    }

    /// A session starts transmitting at `start_ns`; the satellite's previous session
    /// ended at `last_session_end_ns`.
    fn session_starts(&self, _sender: &mut Self::Sender, _start_ns: i64, _last_session_end_ns: i64) {}

    /// The satellite asks at `now_ns` for chunk `chunk` again (its copy was found
    /// corrupted after the file was whole).
    fn resend(&self, sender: &mut Self::Sender, chunk: u32, now_ns: i64);

    /// How long the sender keeps transmitting after the unit that makes the file whole,
    /// before it learns so.
    fn overrun_ns(&self) -> i64 {
        0
    }
}

/// CCSDS CFDP class 2: chunks in order, lost ones re-sent when their NAK arrives.
pub(super) struct Cfdp {
    chunks: u32,
    nak_round_trip_ns: i64,
}

impl Cfdp {
    pub(super) fn new(chunks: u32, nak_round_trip_ns: i64) -> Self {
        Cfdp { chunks, nak_round_trip_ns }
    }
}

pub(super) struct CfdpSender {
    /// Attempts so far per chunk, addressing the loss stream.
    attempts: Vec<u16>,
    /// Where the sequential scan for unsent chunks is (counted from the first chunk).
    next_new: u32,
    /// Lost chunks awaiting retransmission, with the time the sender learns of the loss.
    pending: VecDeque<(u32, i64)>,
}

impl TransferProtocol for Cfdp {
    type Sender = CfdpSender;

    fn sender(&self) -> CfdpSender {
        CfdpSender { attempts: vec![0; self.chunks as usize], next_new: 0, pending: VecDeque::new() }
    }

    fn needed(&self) -> u32 {
        self.chunks
    }

    fn next(&self, s: &mut CfdpSender, held: &[u64], incoming: &[u64], now_ns: i64, first_chunk: u32) -> Next {
        if let Some(&(chunk, eligible)) = s.pending.front()
            && eligible <= now_ns
        {
            return Next::Send { unit: Unit::Chunk(chunk), retransmission: true };
        }
        // The first chunk the satellite has neither received nor been sent.
        while s.next_new < self.chunks {
            let chunk = (first_chunk + s.next_new) % self.chunks;
            if !bit(held, chunk) && !bit(incoming, chunk) && s.attempts[chunk as usize] == 0 {
                return Next::Send { unit: Unit::Chunk(chunk), retransmission: false };
            }
            s.next_new += 1;
        }
        match s.pending.front() {
            Some(&(_, eligible)) => Next::WaitUntil(eligible),
            None => Next::Nothing,
        }
    }

    fn sent(
        &self,
        s: &mut CfdpSender,
        unit: Unit,
        retransmission: bool,
        done_ns: i64,
        lost: impl FnOnce(u32) -> bool,
    ) -> bool {
        let chunk = unit.id();
        if retransmission {
            s.pending.pop_front();
        }
        let attempts = &mut s.attempts[chunk as usize];
        let lost = lost(*attempts as u32);
        *attempts = attempts.saturating_add(1);
        if lost {
            s.pending.push_back((chunk, done_ns + self.nak_round_trip_ns));
        }
        !lost
    }

    fn exhausted(&self, s: &CfdpSender) -> bool {
        s.next_new >= self.chunks && s.pending.is_empty()
    }

    /// The request reaches the ground like a NAK, one round trip after it is made (or
    /// after the next session starts, if none is up).
    fn resend(&self, s: &mut CfdpSender, chunk: u32, now_ns: i64) {
        s.pending.push_back((chunk, now_ns + self.nak_round_trip_ns));
    }

    /// NAKs that could not reach the ground since the last session go out now.
    fn session_starts(&self, s: &mut CfdpSender, start_ns: i64, last_session_end_ns: i64) {
        for entry in s.pending.iter_mut() {
            if entry.1 > last_session_end_ns {
                entry.1 = entry.1.max(start_ns + self.nak_round_trip_ns);
            }
        }
    }
}

/// Fountain coding: fresh symbols until enough have arrived to decode.
pub(super) struct Fountain {
    needed: u32,
    nak_round_trip_ns: i64,
}

impl Fountain {
    /// `overhead`: the ε of ⌈K(1+ε)⌉ symbols to decode K chunks.
    pub(super) fn new(chunks: u32, overhead: f64, nak_round_trip_ns: i64) -> Self {
        Fountain { needed: (chunks as f64 * (1.0 + overhead)).ceil() as u32, nak_round_trip_ns }
    }
}

impl TransferProtocol for Fountain {
    /// The next symbol's id.
    type Sender = u32;

    fn sender(&self) -> u32 {
        0
    }

    fn needed(&self) -> u32 {
        self.needed
    }

    fn next(&self, next_symbol: &mut u32, _held: &[u64], _incoming: &[u64], _now_ns: i64, _first_chunk: u32) -> Next {
        Next::Send { unit: Unit::Symbol(*next_symbol), retransmission: false }
    }

    fn sent(
        &self,
        next_symbol: &mut u32,
        _unit: Unit,
        _retransmission: bool,
        _done_ns: i64,
        lost: impl FnOnce(u32) -> bool,
    ) -> bool {
        *next_symbol += 1;
        // Every symbol is new: none is sent twice.
        !lost(0)
    }

    /// Fresh symbols repair it: the model counts one more needed per damaged chunk.
    fn resend(&self, _next_symbol: &mut u32, _chunk: u32, _now_ns: i64) {}

    /// The sender learns of success one round trip later and stops then.
    fn overrun_ns(&self) -> i64 {
        self.nak_round_trip_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never_lost(_attempt: u32) -> bool {
        false
    }

    fn always_lost(_attempt: u32) -> bool {
        true
    }

    #[test]
    fn cfdp_sends_new_chunks_from_the_first_chunk_skipping_held_and_incoming_ones() {
        let cfdp = Cfdp::new(4, 10);
        let mut s = cfdp.sender();
        let (held, incoming) = ([0b0100], [0b1000]);
        let next = |s: &mut CfdpSender| cfdp.next(s, &held, &incoming, 0, 2);
        assert_eq!(next(&mut s), Next::Send { unit: Unit::Chunk(0), retransmission: false });
        assert!(cfdp.sent(&mut s, Unit::Chunk(0), false, 5, never_lost));
        assert_eq!(next(&mut s), Next::Send { unit: Unit::Chunk(1), retransmission: false });
        assert!(cfdp.sent(&mut s, Unit::Chunk(1), false, 6, never_lost));
        assert_eq!(next(&mut s), Next::Nothing);
        assert!(cfdp.exhausted(&s));
    }

    #[test]
    fn cfdp_waits_for_the_nak_then_retransmits_first() {
        let cfdp = Cfdp::new(2, 10);
        let mut s = cfdp.sender();
        assert!(!cfdp.sent(&mut s, Unit::Chunk(0), false, 5, always_lost));
        assert_eq!(cfdp.next(&mut s, &[0], &[0], 6, 0), Next::Send { unit: Unit::Chunk(1), retransmission: false });
        assert!(cfdp.sent(&mut s, Unit::Chunk(1), false, 7, never_lost));
        assert_eq!(cfdp.next(&mut s, &[0b10], &[0], 8, 0), Next::WaitUntil(15));
        assert!(!cfdp.exhausted(&s));
        assert_eq!(cfdp.next(&mut s, &[0b10], &[0], 15, 0), Next::Send { unit: Unit::Chunk(0), retransmission: true });
        // The retransmission is the chunk's second attempt in the loss stream.
        assert!(cfdp.sent(&mut s, Unit::Chunk(0), true, 20, |attempt| attempt != 1));
        assert!(cfdp.exhausted(&s));
    }

    #[test]
    fn cfdp_naks_held_back_between_sessions_go_out_when_the_next_starts() {
        let cfdp = Cfdp::new(2, 10);
        let mut s = cfdp.sender();
        cfdp.sent(&mut s, Unit::Chunk(0), false, 5, always_lost);
        cfdp.sent(&mut s, Unit::Chunk(1), false, 50, always_lost);
        // The session ended at 40: the first NAK (due at 15) went out in it, the second not.
        cfdp.session_starts(&mut s, 100, 40);
        assert_eq!(s.pending, [(0, 15), (1, 110)]);
    }

    #[test]
    fn cfdp_resends_a_chunk_asked_for_again_one_round_trip_later() {
        let cfdp = Cfdp::new(2, 10);
        let mut s = cfdp.sender();
        for chunk in 0..2 {
            assert_eq!(
                cfdp.next(&mut s, &[0], &[0], 0, 0),
                Next::Send { unit: Unit::Chunk(chunk), retransmission: false }
            );
            cfdp.sent(&mut s, Unit::Chunk(chunk), false, 5, never_lost);
        }
        assert_eq!(cfdp.next(&mut s, &[0b11], &[0], 6, 0), Next::Nothing);
        assert!(cfdp.exhausted(&s));
        cfdp.resend(&mut s, 1, 100);
        assert!(!cfdp.exhausted(&s));
        assert_eq!(cfdp.next(&mut s, &[0b01], &[0], 100, 0), Next::WaitUntil(110));
        assert_eq!(cfdp.next(&mut s, &[0b01], &[0], 110, 0), Next::Send { unit: Unit::Chunk(1), retransmission: true });
    }

    #[test]
    fn fountain_streams_fresh_symbols_until_enough_arrive() {
        let fountain = Fountain::new(10, 0.05, 7);
        assert_eq!(fountain.needed(), 11);
        assert_eq!(fountain.overrun_ns(), 7);
        let mut next_symbol = fountain.sender();
        for symbol in 0..3 {
            assert_eq!(
                fountain.next(&mut next_symbol, &[0], &[0], 0, 0),
                Next::Send { unit: Unit::Symbol(symbol), retransmission: false }
            );
            fountain.sent(&mut next_symbol, Unit::Symbol(symbol), false, 0, always_lost);
        }
        assert!(!fountain.exhausted(&next_symbol));
    }
}
