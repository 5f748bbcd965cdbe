//! Randomness for the `random` and `null` providers: the operating system's generator,
//! or a deterministic stream derived from a seed (`random_integer.seed`), so that the
//! same seed always gives the same result. Only uniform draws are offered; callers never
//! reduce a raw draw with `%` themselves.

use aic_provider::ProviderError;
use sha2::{Digest, Sha256};

/// A source of uniformly distributed random bytes.
pub(crate) enum Entropy {
    /// The operating system's cryptographically secure generator.
    Os,
    /// SHA-256 of the seed's hash and a block counter, in counter mode.
    Seeded { key: [u8; 32], counter: u64 },
}

impl Entropy {
    pub(crate) fn os() -> Entropy {
        Entropy::Os
    }

    pub(crate) fn seeded(seed: &str) -> Entropy {
        Entropy::Seeded {
            key: Sha256::digest(seed.as_bytes()).into(),
            counter: 0,
        }
    }

    pub(crate) fn fill(&mut self, out: &mut [u8]) -> Result<(), ProviderError> {
        match self {
            Entropy::Os => getrandom::fill(out).map_err(|err| {
                ProviderError::transient(format!(
                    "the operating system's random number generator failed: {err}"
                ))
            }),
            Entropy::Seeded { key, counter } => {
                for chunk in out.chunks_mut(32) {
                    let block = Sha256::new()
                        .chain_update(*key)
                        .chain_update(counter.to_le_bytes())
                        .finalize();
                    let n = chunk.len();
                    chunk.copy_from_slice(block.get(..n).unwrap_or_default());
                    *counter += 1;
                }
                Ok(())
            }
        }
    }

    pub(crate) fn next_u64(&mut self) -> Result<u64, ProviderError> {
        let mut bytes = [0u8; 8];
        self.fill(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    /// A uniform draw from `0..n`; `n` must not be zero (zero is treated as one).
    pub(crate) fn below(&mut self, n: u64) -> Result<u64, ProviderError> {
        let n = n.max(1);
        // Draws below 2^64 mod n would make the low residues more likely: reject them.
        let reject_below = n.wrapping_neg() % n;
        loop {
            let x = self.next_u64()?;
            if x >= reject_below {
                return Ok(x % n);
            }
        }
    }

    /// `count` elements drawn uniformly, with replacement, from `alphabet` (non-empty).
    pub(crate) fn choose(
        &mut self,
        alphabet: &[char],
        count: usize,
    ) -> Result<Vec<char>, ProviderError> {
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let i = self.below(alphabet.len() as u64)?;
            if let Some(c) = usize::try_from(i).ok().and_then(|i| alphabet.get(i)) {
                out.push(*c);
            }
        }
        Ok(out)
    }

    /// Shuffles `items` uniformly (Fisher–Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) -> Result<(), ProviderError> {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1)?;
            items.swap(i, usize::try_from(j).unwrap_or(i));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_streams_repeat_and_differ_by_seed() {
        let draw = |seed: &str| {
            let mut e = Entropy::seeded(seed);
            (0..5)
                .map(|_| e.below(1000).unwrap_or(0))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw("a"), draw("a"));
        assert_ne!(draw("a"), draw("b"));
    }

    #[test]
    fn draws_stay_in_range_and_cover_it() {
        let mut e = Entropy::os();
        let mut seen = [false; 7];
        for _ in 0..2000 {
            let x = e.below(7).unwrap_or(99);
            assert!(x < 7);
            if let Some(slot) = seen.get_mut(x as usize) {
                *slot = true;
            }
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn shuffle_keeps_the_elements() {
        let mut e = Entropy::seeded("shuffle");
        let mut items: Vec<u32> = (0..50).collect();
        assert!(e.shuffle(&mut items).is_ok());
        let mut sorted = items.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    }
}
