//! Seeded random-number streams, one per (scenario seed, entity, purpose). The public
//! items carry the documentation: this module is private and re-exported by `engine`.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

/// The engine's random generator: ChaCha with 8 rounds (`rand_chacha::ChaCha8Rng`).
///
/// ChaCha8 passes the statistical batteries (TestU01 BigCrush, PractRand) like the 12- and
/// 20-round variants and still keeps a wide margin over the best known cryptanalysis
/// (7 rounds). Simulation needs statistical quality, not secrecy, so more rounds would buy
/// nothing but time (ChaCha20 is about twice as slow). ChaCha also has a 64-bit stream
/// number next to its 256-bit key, which gives every entity a provably distinct stream
/// (see [`rng_stream`]), and its output is fixed by the algorithm, not by the platform or
/// SIMD backend. `StdRng` is avoided because `rand` may change its algorithm between
/// versions; `thread_rng`/`OsRng` because they are not reproducible.
///
/// A type alias rather than a wrapper so that mission models get every `rand` sampling
/// method (`rand::RngExt`) and distribution without forwarding code.
pub type SimRng = ChaCha8Rng;

const DOMAIN: u64 = 0x6f72_6273_696d_0001;
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// Returns the random stream for one `entity` and one `purpose` under a scenario `seed`.
///
/// If every draw came from one shared generator, the numbers an entity sees would depend
/// on how many draws other entities made before it, so adding a satellite, reordering two
/// events or changing the thread count would change every result. Instead each
/// (seed, entity, purpose) triple names its own stream, computed from the triple alone.
/// Create streams where they are needed, for example one per satellite for packet loss,
/// `rng_stream(seed, sat_index, "upload.loss")`. The `purpose` should be a fixed,
/// descriptive string; renaming it changes the stream.
///
/// # Derivation (stable: changing it changes every simulation result)
/// 1. `p = FNV-1a-64(purpose as UTF-8 bytes)`.
/// 2. `h = mix64(mix64(seed ^ DOMAIN) ^ mix64(p))`, where `mix64` is the SplitMix64
///    finaliser (Stafford's variant 13, a bijection on `u64`) and
///    `DOMAIN = 0x6f72_6273_696d_0001` (`"orbsim"`, version 1).
/// 3. The 32-byte ChaCha key is the first four outputs of SplitMix64 started at `h`
///    (`mix64(h + k·0x9e37_79b9_7f4a_7c15)` for k = 1..=4), little-endian.
/// 4. The ChaCha stream number is `entity` itself.
///
/// Step 4 means two entities under the same seed and purpose share a key but never a
/// stream: their outputs are as independent as ChaCha's keystreams, with no chance of
/// collision. Different purposes or seeds give different keys: `mix64` is a bijection, so
/// for a fixed purpose two seeds never give the same `h`, and for a fixed seed two purposes
/// collide only if their 64-bit FNV-1a hashes do. The stream does not depend on which
/// other streams exist, on creation order, or on threads.
///
/// ```
/// use orbsim::engine::rng_stream;
/// use rand::RngExt;
///
/// let mut a = rng_stream(42, 7, "upload.loss");
/// let mut b = rng_stream(42, 7, "upload.loss");
/// assert_eq!(a.random::<u64>(), b.random::<u64>());
/// let p: f64 = a.random();
/// assert!((0.0..1.0).contains(&p));
/// ```
pub fn rng_stream(seed: u64, entity: u64, purpose: &str) -> SimRng {
    let mut rng = SimRng::from_seed(stream_key(seed, purpose));
    rng.set_stream(entity);
    rng
}

/// The 32-byte ChaCha key for (seed, purpose): steps 1–3 of the module's derivation.
fn stream_key(seed: u64, purpose: &str) -> [u8; 32] {
    let p = fnv1a64(purpose.as_bytes());
    let h = mix64(mix64(seed ^ DOMAIN) ^ mix64(p));
    let mut key = [0u8; 32];
    for (k, chunk) in key.chunks_exact_mut(8).enumerate() {
        let word = mix64(h.wrapping_add((k as u64 + 1).wrapping_mul(GOLDEN_GAMMA)));
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    key
}

/// SplitMix64's output function (Stafford variant 13): a bijective, well-avalanched mix.
const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// 64-bit FNV-1a: stable across platforms and Rust versions, unlike `std`'s `Hasher`s.
const fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_published_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn mix64_matches_splitmix64_reference() {
        // First output of SplitMix64 seeded with 0 (Vigna's reference implementation).
        assert_eq!(mix64(GOLDEN_GAMMA), 0xe220_a839_7b1d_cdaf);
    }
}
