//! Sets of chunks: plain bitsets (one bit per chunk of the file) and [`ChunkSet`], a bitset
//! whose members are found without scanning the file.

pub(super) fn bit(set: &[u64], i: u32) -> bool {
    set[(i / 64) as usize] & (1 << (i % 64)) != 0
}

pub(super) fn set_bit(set: &mut [u64], i: u32) {
    set[(i / 64) as usize] |= 1 << (i % 64);
}

pub(super) fn clear_bit(set: &mut [u64], i: u32) {
    set[(i / 64) as usize] &= !(1 << (i % 64));
}

/// The chunks of word `w` that a holder of `held` could pass to a satellite that holds
/// `to_held` and has `to_incoming` on their way to it.
pub(super) fn passable(held: &[u64], to_held: &[u64], to_incoming: &[u64], to_wanted: &[u64], w: usize) -> u64 {
    held[w] & !to_held[w] & !to_incoming[w] & to_wanted[w]
}

/// A set of chunks as a bitset with a summary bit per non-empty word and a count, so its
/// members are found in time proportional to the members and the summary, not the file.
#[derive(Default, Clone)]
pub(super) struct ChunkSet {
    pub(super) words: Vec<u64>,
    summary: Vec<u64>,
    pub(super) count: u32,
}

impl ChunkSet {
    pub(super) fn from_words(words: Vec<u64>) -> Self {
        let mut summary = vec![0; words.len().div_ceil(64)];
        let mut count = 0;
        for (w, &bits) in words.iter().enumerate() {
            if bits != 0 {
                set_bit(&mut summary, w as u32);
                count += bits.count_ones();
            }
        }
        ChunkSet { words, summary, count }
    }

    pub(super) fn insert(&mut self, chunk: u32) {
        if !bit(&self.words, chunk) {
            set_bit(&mut self.words, chunk);
            set_bit(&mut self.summary, chunk / 64);
            self.count += 1;
        }
    }

    pub(super) fn remove(&mut self, chunk: u32) {
        if bit(&self.words, chunk) {
            clear_bit(&mut self.words, chunk);
            if self.words[(chunk / 64) as usize] == 0 {
                clear_bit(&mut self.summary, chunk / 64);
            }
            self.count -= 1;
        }
    }

    /// Appends members to `out`, whole words at a time in word order from word `from`
    /// (wrapping around), until `out` holds at least `enough` or every member; returns
    /// the word after the last one visited.
    pub(super) fn collect_from(&self, from: usize, enough: usize, out: &mut Vec<u32>) -> usize {
        let n = self.words.len();
        let mut next = from;
        let wanted = enough.min(self.count as usize);
        for (lo, hi) in [(from, n), (0, from)] {
            let mut sw = lo / 64;
            while sw * 64 < hi && out.len() < wanted {
                let mut bits = self.summary[sw];
                if sw == lo / 64 {
                    bits &= u64::MAX << (lo % 64);
                }
                while bits != 0 && out.len() < wanted {
                    let w = sw * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if w >= hi {
                        break;
                    }
                    let mut member = self.words[w];
                    while member != 0 {
                        out.push(w as u32 * 64 + member.trailing_zeros());
                        member &= member - 1;
                    }
                    next = (w + 1) % n;
                }
                sw += 1;
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(chunks: &[u32], words: usize) -> ChunkSet {
        let mut set = ChunkSet::from_words(vec![0; words]);
        for &c in chunks {
            set.insert(c);
        }
        set
    }

    #[test]
    fn insert_and_remove_keep_the_count() {
        let mut set = set_of(&[3, 3, 70, 700], 12);
        assert_eq!(set.count, 3);
        set.remove(70);
        set.remove(70);
        assert_eq!(set.count, 2);
        assert_eq!(ChunkSet::from_words(set.words.clone()).count, 2);
    }

    #[test]
    fn collection_takes_whole_words_from_the_start_word_and_wraps() {
        // Words 1 (chunks 64, 65), 5 (chunk 320) and 70 (chunk 4480, past the first summary word).
        let set = set_of(&[64, 65, 320, 4480], 80);
        let mut out = Vec::new();
        let next = set.collect_from(5, 2, &mut out);
        assert_eq!(out, [320, 4480]);
        assert_eq!(next, 71);
        out.clear();
        // A word's members all come at once, even past `enough`.
        let next = set.collect_from(71, 1, &mut out);
        assert_eq!(out, [64, 65]);
        assert_eq!(next, 2);
        out.clear();
        set.collect_from(0, 100, &mut out);
        assert_eq!(out, [64, 65, 320, 4480]);
    }

    #[test]
    fn passable_chunks_are_held_and_neither_held_nor_incoming_at_the_receiver() {
        assert_eq!(passable(&[0b1111], &[0b0001], &[0b0100], &[u64::MAX], 0), 0b1010);
        assert_eq!(passable(&[0b1111], &[0b0001], &[0b0100], &[0b0010], 0), 0b0010, "only wanted chunks pass");
    }
}
