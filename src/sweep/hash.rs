//! Content hashes that identify a sweep's inputs across machines.
//!
//! Shards of one sweep may run on different nodes with different checkouts; `merge` must
//! refuse shards whose inputs differ. The hash covers file *contents* only (never paths, so
//! the same files mounted elsewhere hash the same), is stable across platforms and Rust
//! versions (unlike `std`'s `Hasher`s), and guards against accidents, not adversaries.

/// 128-bit FNV-1a: simple, specified (IETF draft-eastlake-fnv), and wide enough that two
/// different inputs of one project never collide by chance.
#[derive(Debug, Clone, Copy)]
pub struct Fnv128(u128);

const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

impl Default for Fnv128 {
    fn default() -> Self {
        Fnv128(OFFSET)
    }
}

impl Fnv128 {
    /// Hashes more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u128;
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }

    /// Hashes a byte string with its length first, so that a sequence of fields cannot be
    /// confused with another split of the same bytes.
    pub fn field(&mut self, bytes: &[u8]) {
        self.update(&(bytes.len() as u64).to_le_bytes());
        self.update(bytes);
    }

    /// The hash as `fnv1a128:` and 32 lower-case hex digits: self-describing in manifests.
    pub fn hex(&self) -> String {
        format!("fnv1a128:{:032x}", self.0)
    }
}

/// The hash of one byte string, as [`Fnv128::hex`].
pub fn hash_bytes(bytes: &[u8]) -> String {
    let mut h = Fnv128::default();
    h.update(bytes);
    h.hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_vectors() {
        assert_eq!(hash_bytes(b""), "fnv1a128:6c62272e07bb014262b821756295c58d");
        assert_eq!(hash_bytes(b"a"), "fnv1a128:d228cb696f1a8caf78912b704e4a8964");
        assert_eq!(hash_bytes(b"foobar"), "fnv1a128:343e1662793c64bf6f0d3597ba446f18");
    }

    #[test]
    fn fields_are_length_prefixed() {
        let (mut a, mut b) = (Fnv128::default(), Fnv128::default());
        a.field(b"ab");
        a.field(b"c");
        b.field(b"a");
        b.field(b"bc");
        assert_ne!(a.hex(), b.hex());
    }
}
