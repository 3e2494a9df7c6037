//! Dissemination strategies: what goes over inter-satellite links, and from whom.
//!
//! - **ground-only** ([`GroundOnly`]): every satellite is uploaded from the ground.
//! - **relay** ([`Relay`]): satellites in view of the ground get the model from it; any
//!   satellite holding a *verified* copy forwards the whole file over its active
//!   inter-satellite links to neighbours that lack it (one incoming copy at a time per
//!   receiver; a transfer cut by the end of a link resumes from the chunks already
//!   received).
//! - **swarm** ([`Swarm`]): chunk-level exchange. Any satellite forwards any chunk it holds
//!   (chunks are checked individually) to a neighbour that lacks it, rarest chunk in the
//!   fleet first among the next [`SWARM_WINDOW_BATCHES`] batches' worth of candidates (from
//!   a point that moves along the file, so a batch costs the same whatever the file's chunk
//!   count), and ground stations start each satellite at a different point of the file, so
//!   different satellites get different chunks from the ground and trade them.
//!
//! A new strategy is a type implementing [`Strategy`] in a file of its own, and one line
//! where the rollout maps the scenario's `rollout.strategy` to it.

use std::ops::Range;

use super::chunks::{ChunkSet, passable};

/// A swarm batch takes the rarest chunks among this many times `batch_chunks` candidates.
pub const SWARM_WINDOW_BATCHES: usize = 4;

/// Fractional part of the golden ratio: offsets `i × this mod 1` spread evenly for any count.
const GOLDEN_FRACTION: f64 = 0.618_033_988_749_894_9;

/// The `i`-th of a sequence of starting points in `0..len` that spread evenly however many
/// are taken (golden-ratio offsets).
fn spread_offset(i: u64, len: usize) -> usize {
    ((i as f64 * GOLDEN_FRACTION).fract() * len as f64) as usize
}

/// What happened to a satellite, after which its idle links may have something to carry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum News {
    /// Its copy is verified.
    Verified,
    /// It gained chunks (from the ground or over a link).
    Gained,
}

/// One direction of an active inter-satellite link, as a strategy sees it.
pub(super) struct Direction<'m> {
    pub sender_held: &'m [u64],
    /// The words of the chunk bitsets of the releases whose copy the sender has verified.
    pub sender_verified: &'m [Range<usize>],
    pub receiver_held: &'m [u64],
    /// Chunks on their way to the receiver over any link.
    pub receiver_incoming: &'m [u64],
    /// Chunks the receiver may receive (of releases out, whose base it runs).
    pub receiver_wanted: &'m [u64],
    /// Links bringing the receiver chunks now.
    pub receiver_links_in: u32,
    /// The chunks this direction could carry; kept current only for strategies that read
    /// them ([`Strategy::READS_OFFERS`]).
    pub offers: &'m ChunkSet,
    /// Where this direction's search for chunks starts (a word of the chunk bitsets).
    pub cursor: usize,
    /// How many satellites hold each chunk.
    pub holders: &'m [u32],
    /// Chunks per batch, at most.
    pub limit: usize,
}

impl Direction<'_> {
    /// The chunks of word `w` the sender could pass on.
    fn passable(&self, w: usize) -> u64 {
        passable(self.sender_held, self.receiver_held, self.receiver_incoming, self.receiver_wanted, w)
    }

    fn words(&self) -> usize {
        self.sender_held.len()
    }
}

/// Who passes what to whom over inter-satellite links. The model moves the batches a
/// strategy chooses (one at a time per direction, as many chunks as the contact still
/// fits) and tells it where transfers start.
pub(super) trait Strategy {
    /// Whether inter-satellite contacts carry anything; without, the model ignores them.
    const USES_LINKS: bool;

    /// Whether [`Strategy::choose`] reads [`Direction::offers`], which the model then keeps
    /// current (a cost per chunk gained, per active link), and wakes only the links that
    /// have offers.
    const READS_OFFERS: bool = false;

    /// The chunk where ground stations start a satellite's upload.
    fn ground_start(&self, _sat: u32, _chunks: u32) -> u32 {
        0
    }

    /// The word of the chunk bitsets where a link's searches start (`words` of them).
    fn link_start(&self, _link: u32, _words: usize) -> usize {
        0
    }

    /// Whether a satellite's idle links should be searched after `news` about it.
    fn passes_on(&self, news: News) -> bool;

    /// Puts the chunks of the next batch over `direction` into `batch` (empty: nothing to
    /// send), in the order to send them, at most `limit` of them. Returns where the next
    /// search starts if the batch goes out.
    fn choose(&self, direction: &Direction, batch: &mut Vec<u32>) -> usize;
}

pub(super) struct GroundOnly;

impl Strategy for GroundOnly {
    const USES_LINKS: bool = false;

    fn passes_on(&self, _news: News) -> bool {
        false
    }

    fn choose(&self, direction: &Direction, _batch: &mut Vec<u32>) -> usize {
        direction.cursor
    }
}

pub(super) struct Relay;

impl Strategy for Relay {
    const USES_LINKS: bool = true;

    fn passes_on(&self, news: News) -> bool {
        news == News::Verified
    }

    /// Whole verified copies only, one incoming copy at a time, in chunk order.
    fn choose(&self, d: &Direction, batch: &mut Vec<u32>) -> usize {
        if d.receiver_links_in > 0 {
            return d.cursor;
        }
        'words: for w in d.sender_verified.iter().flat_map(Range::clone) {
            let mut bits = d.passable(w);
            while bits != 0 {
                batch.push(w as u32 * 64 + bits.trailing_zeros());
                bits &= bits - 1;
                if batch.len() == d.limit {
                    break 'words;
                }
            }
        }
        d.cursor
    }
}

pub(super) struct Swarm;

impl Strategy for Swarm {
    const USES_LINKS: bool = true;
    const READS_OFFERS: bool = true;

    /// Satellites start at evenly spread points of the file (golden-ratio offsets), so
    /// that the ground feeds different chunks to different satellites.
    fn ground_start(&self, sat: u32, chunks: u32) -> u32 {
        spread_offset(sat as u64, chunks as usize) as u32
    }

    /// Links start their searches at spread points of the file, so that neighbours are
    /// not all offered the same chunks first.
    fn link_start(&self, link: u32, words: usize) -> usize {
        spread_offset(link as u64, words)
    }

    fn passes_on(&self, news: News) -> bool {
        news == News::Gained
    }

    /// Rarest first among a window of offers found from the link's cursor on, not among
    /// every chunk the receiver lacks: a full search per batch would make the cost grow
    /// with the square of the number of chunks. The cursor moves on, so successive batches
    /// sweep the file.
    fn choose(&self, d: &Direction, batch: &mut Vec<u32>) -> usize {
        let window = d.limit.saturating_mul(SWARM_WINDOW_BATCHES);
        let cursor = d.offers.collect_from(d.cursor, window, batch);
        // (Checked in full only for small files: a full check per batch would be the very
        // cost the offer sets avoid.)
        debug_assert!(
            d.words() > 64 || (0..d.words()).all(|w| d.offers.words[w] == d.passable(w)),
            "swarm offers match the chunks the receiver lacks"
        );
        debug_assert!(
            batch.iter().all(|&c| d.passable(c as usize / 64) & (1 << (c % 64)) != 0),
            "swarm offers are chunks the receiver lacks"
        );
        let rarity = |&c: &u32| (d.holders[c as usize], c);
        if batch.len() > d.limit {
            batch.select_nth_unstable_by_key(d.limit, rarity);
            batch.truncate(d.limit);
        }
        batch.sort_unstable_by_key(rarity);
        cursor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ends {
        sender_held: Vec<u64>,
        sender_verified: Vec<Range<usize>>,
        receiver_held: Vec<u64>,
        receiver_incoming: Vec<u64>,
        receiver_wanted: Vec<u64>,
        receiver_links_in: u32,
        holders: Vec<u32>,
    }

    impl Ends {
        /// A sender holding every chunk of a `chunks`-chunk file to a receiver holding none.
        fn new(chunks: u32) -> Self {
            let words = (chunks as usize).div_ceil(64);
            let mut sender_held = vec![u64::MAX; words];
            sender_held[words - 1] = u64::MAX >> (words as u32 * 64 - chunks);
            Ends {
                sender_held,
                sender_verified: std::iter::once(0..words).collect(),
                receiver_held: vec![0; words],
                receiver_incoming: vec![0; words],
                receiver_wanted: vec![u64::MAX; words],
                receiver_links_in: 0,
                holders: vec![1; chunks as usize],
            }
        }

        fn choose(&self, strategy: &impl Strategy, cursor: usize, limit: usize) -> (Vec<u32>, usize) {
            let offers = ChunkSet::from_words(
                (0..self.sender_held.len())
                    .map(|w| {
                        passable(
                            &self.sender_held,
                            &self.receiver_held,
                            &self.receiver_incoming,
                            &self.receiver_wanted,
                            w,
                        )
                    })
                    .collect(),
            );
            let direction = Direction {
                sender_held: &self.sender_held,
                sender_verified: &self.sender_verified,
                receiver_held: &self.receiver_held,
                receiver_incoming: &self.receiver_incoming,
                receiver_wanted: &self.receiver_wanted,
                receiver_links_in: self.receiver_links_in,
                offers: &offers,
                cursor,
                holders: &self.holders,
                limit,
            };
            let mut batch = Vec::new();
            let next = strategy.choose(&direction, &mut batch);
            (batch, next)
        }
    }

    #[test]
    fn relay_forwards_verified_copies_in_order_one_incoming_copy_at_a_time() {
        let mut ends = Ends::new(100);
        ends.receiver_held[0] = 0b101;
        ends.receiver_incoming[0] = 0b1000;
        assert_eq!(ends.choose(&Relay, 0, 3), (vec![1, 4, 5], 0));
        ends.receiver_links_in = 1;
        assert!(ends.choose(&Relay, 0, 3).0.is_empty());
        ends.receiver_links_in = 0;
        ends.sender_verified.clear();
        assert!(ends.choose(&Relay, 0, 3).0.is_empty());
        assert!(Relay.passes_on(News::Verified) && !Relay.passes_on(News::Gained));
    }

    #[test]
    fn swarm_sends_the_rarest_offers_of_its_window_and_moves_its_cursor_on() {
        let mut ends = Ends::new(300);
        // Chunks 130 and 200 are rare, but 200 lies beyond the window from word 2 (2 × 4
        // chunks: word 2 alone has 64).
        ends.holders[130] = 0;
        ends.holders[200] = 0;
        ends.holders[129] = 2;
        let (batch, next) = ends.choose(&Swarm, 2, 2);
        assert_eq!(batch, [130, 128]);
        assert_eq!(next, 3);
        assert!(Swarm.passes_on(News::Gained) && !Swarm.passes_on(News::Verified));
    }

    #[test]
    fn swarm_starts_spread_over_the_file() {
        let starts: Vec<u32> = (0..5).map(|sat| Swarm.ground_start(sat, 100)).collect();
        assert_eq!(starts, [0, 61, 23, 85, 47]);
        assert_eq!(GroundOnly.ground_start(3, 100), 0);
        assert_eq!(Relay.link_start(3, 100), 0);
    }
}
