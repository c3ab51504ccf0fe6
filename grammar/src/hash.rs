//! A stable 64-bit hash (FNV-1a) for names that must be the same on every
//! machine and with every version: `std`'s hasher promises neither.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a of `bytes`.
///
/// ```
/// use runlayout_grammar::hash::fnv1a;
///
/// assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
/// ```
#[must_use]
pub const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = OFFSET;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(PRIME);
        i += 1;
    }
    hash
}

/// The first `N` lowercase hex digits of [`fnv1a`] of `bytes`: short enough
/// for a file name, enough to tell apart the few names one folder holds.
///
/// ```
/// use runlayout_grammar::hash::short_hex;
///
/// assert_eq!(short_hex::<8>(b"a"), *b"af63dc4c");
/// ```
#[must_use]
pub fn short_hex<const N: usize>(bytes: &[u8]) -> [u8; N] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let hash = fnv1a(bytes);
    let mut out = [b'0'; N];
    for (i, slot) in out.iter_mut().enumerate().take(16) {
        let shift = 60 - 4 * i;
        *slot = DIGITS[((hash >> shift) & 0xf) as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_vectors() {
        // From the FNV reference test suite.
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
