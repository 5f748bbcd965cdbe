//! Randomness for jitter and create tokens, from the operating system's generator. Not
//! for secrets: a failing generator falls back to the clock rather than failing an API
//! call over a delay.

use std::time::{SystemTime, UNIX_EPOCH};

/// A random 64-bit number.
pub(crate) fn u64() -> u64 {
    let mut bytes = [0u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            // The low bits of the clock, spread (SplitMix64's finaliser).
            let mut z = (nanos as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }
}

/// A random number in `0..n` (`0` when `n` is 0). The modulo bias is irrelevant for delays.
pub(crate) fn below(n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        u64() % n
    }
}

/// 32 random hexadecimal digits.
pub(crate) fn hex128() -> String {
    format!("{:016x}{:016x}", u64(), u64())
}
