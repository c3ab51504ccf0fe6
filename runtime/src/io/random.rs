//! Random characters for run ids and temporary names.
//!
//! Unseeded draws come from rand's thread-local generator, seeded by the OS.
//! Seeded draws must give the same characters on every platform and with every
//! future version of this crate, so they use ChaCha8 (a fixed algorithm, unlike
//! `StdRng`), fed with a seed expanded by SplitMix64, and map raw `u32`s to
//! characters by our own rejection sampling rather than by rand's distributions,
//! whose algorithms may change between versions.

use rand::rngs::ChaCha8Rng;
use rand::{Rng, SeedableRng};

/// The characters of a run id's suffix, ksuit's `[a-z0-9]`.
pub(crate) const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The largest multiple of 36 that fits in a `u32`: draws at or above it are
/// thrown away, so every character is exactly equally likely.
const ZONE: u32 = u32::MAX - u32::MAX % 36;

/// `N` characters from [`ALPHABET`], drawn from `rng`.
pub(crate) fn chars<const N: usize>(rng: &mut impl Rng) -> [u8; N] {
    let mut out = [0u8; N];
    for slot in &mut out {
        *slot = loop {
            let x = rng.next_u32();
            if x < ZONE {
                break ALPHABET[(x % 36) as usize];
            }
        };
    }
    out
}

/// `N` characters from the OS-seeded thread-local generator.
pub(crate) fn fresh_chars<const N: usize>() -> [u8; N] {
    chars(&mut rand::rng())
}

/// `N` characters that depend on `seed` alone.
pub(crate) fn seeded_chars<const N: usize>(seed: u64) -> [u8; N] {
    chars(&mut seeded_rng(seed))
}

/// A ChaCha8 generator whose 32-byte key is `seed` expanded by SplitMix64,
/// so that nearby seeds give unrelated streams.
fn seeded_rng(seed: u64) -> ChaCha8Rng {
    let mut state = seed;
    let mut key = [0u8; 32];
    for word in key.chunks_exact_mut(8) {
        word.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}

/// One step of SplitMix64 (Steele, Lea and Flood, 2014).
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_is_the_largest_multiple_of_36() {
        assert_eq!(ZONE % 36, 0);
        assert!(u64::from(ZONE) + 36 > u64::from(u32::MAX));
    }

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // First outputs of the reference implementation for seed 0.
        let mut s = 0;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut s), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn drawn_characters_come_from_the_alphabet() {
        let drawn: [u8; 64] = fresh_chars();
        assert!(drawn.iter().all(|c| ALPHABET.contains(c)));
    }

    #[test]
    fn seeds_decide_the_characters() {
        assert_eq!(seeded_chars::<5>(7), seeded_chars::<5>(7));
        assert_ne!(seeded_chars::<5>(7), seeded_chars::<5>(8));
    }
}
