//! Merging sorted results: per-worker lists into one sorted list.
//!
//! Parallel stages produce one list per satellite; the outputs are sorted by time. Sorting
//! each short list and merging them moves every element once, where sorting the
//! concatenation moves each of these 100-byte records some twenty times.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;

/// Sorts each run by `key`, then merges them into one list sorted by `key`; ties keep the
/// order of the runs (so the result does not depend on how runs were scheduled).
pub fn merge_sorted_runs<T, K: Ord + Copy>(mut runs: Vec<Vec<T>>, key: impl Fn(&T) -> K) -> Vec<T> {
    for run in &mut runs {
        run.sort_by_key(|item| key(item));
    }
    let total = runs.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    let mut iters: Vec<std::iter::Peekable<std::vec::IntoIter<T>>> =
        runs.into_iter().map(|r| r.into_iter().peekable()).collect();
    let mut heap: BinaryHeap<Reverse<(K, usize)>> = BinaryHeap::with_capacity(iters.len());
    for (i, it) in iters.iter_mut().enumerate() {
        if let Some(first) = it.peek() {
            heap.push(Reverse((key(first), i)));
        }
    }
    // Take from the run on top, then let its next key sink in place: one sift per item,
    // where a pop and a push cost two.
    while let Some(mut top) = heap.peek_mut() {
        let Reverse((_, i)) = *top;
        let it = &mut iters[i];
        out.extend(it.next());
        match it.peek() {
            Some(next) => *top = Reverse((key(next), i)),
            None => drop(PeekMut::pop(top)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_keeps_run_order_on_ties() {
        let runs = vec![vec![(3, 'a'), (1, 'a')], vec![], vec![(2, 'b'), (1, 'b'), (3, 'b')]];
        let merged = merge_sorted_runs(runs, |x| x.0);
        assert_eq!(merged, [(1, 'a'), (1, 'b'), (2, 'b'), (3, 'a'), (3, 'b')]);
    }
}
