//! Multi-index hashing (Norouzi, Punjani & Fleet): Hamming search without scanning every hash.
//!
//! Each 64-bit hash is filed under each of its four 16-bit chunks. If two hashes are within
//! Hamming distance `r`, by the pigeonhole principle at least one of their four chunks differs in
//! at most `r / 4` bits. A radius search therefore probes, for each chunk, every 16-bit value
//! within `r / 4` bits of the query's chunk, and checks the full distance of what it finds: a
//! handful of buckets instead of the whole index.
//!
//! Probe counts per query hash: radius 0–3 → 4 buckets; 4–7 → 68; 8–11 → 548.

use crate::fingerprint::PerceptualHash;

pub const CHUNKS: usize = 4;
pub const CHUNK_BITS: u32 = 16;

/// The `index`-th 16-bit chunk of a hash, most significant first.
pub fn chunk(hash: PerceptualHash, index: usize) -> u16 {
    (hash.0 >> (CHUNK_BITS * (CHUNKS - 1 - index) as u32)) as u16
}

/// Calls `probe` with every bucket to probe for a search of `radius` around `hash`, as
/// `(chunk index, chunk value)`. A callback rather than a list: a lookup runs hundreds of
/// searches, and none of them should allocate.
pub fn for_each_probe(hash: PerceptualHash, radius: u32, mut probe: impl FnMut(usize, u16)) {
    let chunk_radius = radius / CHUNKS as u32;
    for index in 0..CHUNKS {
        push_within(chunk(hash, index), chunk_radius, 0, &mut |value| probe(index, value));
    }
}

/// Calls `emit` for every value within `flips` bits of `value`, flipping only bits at or above
/// `lowest_bit` so that each value is produced once.
fn push_within(value: u16, flips: u32, lowest_bit: u32, emit: &mut impl FnMut(u16)) {
    emit(value);
    if flips == 0 {
        return;
    }
    for bit in lowest_bit..CHUNK_BITS {
        push_within(value ^ (1 << bit), flips - 1, bit + 1, emit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probes(hash: PerceptualHash, radius: u32) -> Vec<(usize, u16)> {
        let mut probes = Vec::new();
        for_each_probe(hash, radius, |index, value| probes.push((index, value)));
        probes
    }

    #[test]
    fn probe_counts_follow_the_chunk_radius() {
        let hash = PerceptualHash(0x0123_4567_89ab_cdef);
        assert_eq!(probes(hash, 3).len(), 4);
        assert_eq!(probes(hash, 7).len(), 4 * 17);
        assert_eq!(probes(hash, 11).len(), 4 * (1 + 16 + 120));
    }

    #[test]
    fn every_hash_within_the_radius_shares_a_probed_bucket() {
        let query = PerceptualHash(0xdead_beef_0bad_f00d);
        // Spread 9 flipped bits so that no chunk keeps all of them: 3, 2, 2, 2.
        let near = PerceptualHash(query.0 ^ 0x0007_0003_0003_0003);
        assert_eq!(query.distance(near), 9);
        let probed = probes(query, 9);
        assert!((0..CHUNKS).any(|index| probed.contains(&(index, chunk(near, index)))));
    }
}
