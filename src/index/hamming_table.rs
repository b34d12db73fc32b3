//! The in-memory table a radius search reads: every indexed view hash, filed by multi-index
//! hashing, with the keyframe it belongs to.
//!
//! Why in memory: a lookup probes 68 buckets for each searched view of every query keyframe (6
//! as shown, 3 more per window and 1 per fill-crop strip, and up to 9 turned back and 8 tilted
//! back; see `matching`), and a RocksDB seek costs 5–10 µs:
//! with six views, a 60 s clip cost 300 ms from disk. Here a probe is one bucket
//! read and a linear scan of its hashes, which the CPU streams through with `popcnt`.
//!
//! Why it can be trusted: RocksDB stays the source of truth. The table is rebuilt from the
//! `keyframes` column family at open, and a footage's keyframes are added only after the batch
//! that stores them is written, under the index's write lock, so the table never holds a keyframe
//! the store does not. It is not persisted, so it cannot disagree with the store after a crash.
//!
//! Layout, chosen for memory at 10 million keyframes (40 million indexed views):
//! - a keyframe is a *slot*, a `u32` handed out in insertion order; `times[slot]` is its time and
//!   `footage_starts` maps slot ranges to footage, because a footage's keyframes are added together;
//! - each of the four chunk tables has 65,536 buckets holding the hashes filed there and,
//!   beside them, their slots. A bucket's number is the 16 bits of its chunk, so it keeps only the
//!   other 48 (a `u32` and a `u16`): 10 bytes per view per chunk, 160 bytes per keyframe.
//!   Keeping the hash in the bucket costs memory but makes the distance check a sequential scan
//!   instead of a cache miss per candidate;
//! - buckets grow by an eighth, not by doubling, and are sized exactly at rebuild, so a grown
//!   table does not carry a third of its size in spare capacity.

use rustc_hash::FxHashMap;

use super::multi_index::{self, CHUNKS};
use super::{FootageId, Hit};
use crate::fingerprint::{Keyframe, PerceptualHash};

const BUCKETS: usize = 1 << multi_index::CHUNK_BITS;

/// The hashes filed under one value of one chunk, as [`residual`]s split in two, beside their
/// slots.
#[derive(Default)]
struct Bucket {
    low: Vec<u32>,
    high: Vec<u16>,
    slots: Vec<u32>,
}

impl Bucket {
    fn with_capacity(count: usize) -> Bucket {
        Bucket { low: Vec::with_capacity(count), high: Vec::with_capacity(count), slots: Vec::with_capacity(count) }
    }

    fn push(&mut self, residual: u64, slot: u32) {
        if self.slots.len() == self.slots.capacity() {
            let more = (self.slots.len() / 8).max(4);
            self.low.reserve_exact(more);
            self.high.reserve_exact(more);
            self.slots.reserve_exact(more);
        }
        self.low.push(residual as u32);
        self.high.push((residual >> 32) as u16);
        self.slots.push(slot);
    }
}

/// `hash` without the bits of chunk `chunk_index`, the bits below them moved up to close the
/// gap: the 48 bits a bucket of that chunk keeps. Two hashes' residuals differ in as many bits
/// as the hashes do outside the chunk.
fn residual(hash: PerceptualHash, chunk_index: usize) -> u64 {
    let shift = multi_index::CHUNK_BITS * (CHUNKS - 1 - chunk_index) as u32;
    let below = hash.0 & ((1u64 << shift) - 1);
    let above = hash.0.checked_shr(shift + multi_index::CHUNK_BITS).unwrap_or(0);
    (above << shift) | below
}

/// How many views fall in each bucket: taken in a first pass at rebuild so every bucket is
/// allocated once, at its final size.
pub struct BucketCounts {
    counts: Vec<u32>,
}

impl Default for BucketCounts {
    fn default() -> Self {
        BucketCounts { counts: vec![0; CHUNKS * BUCKETS] }
    }
}

impl BucketCounts {
    pub fn add(&mut self, keyframes: &[Keyframe]) {
        for hash in indexed_hashes(keyframes) {
            for chunk_index in 0..CHUNKS {
                self.counts[bucket_number(hash, chunk_index)] += 1;
            }
        }
    }
}

pub struct HammingTable {
    /// `CHUNKS` × `BUCKETS`, chunk-major.
    buckets: Vec<Bucket>,
    times: Vec<u32>,
    /// The first slot of each footage with informative keyframes, ascending.
    footage_starts: Vec<(u32, FootageId)>,
}

impl HammingTable {
    /// An empty table with room for what `counts` counted.
    pub fn with_capacity(counts: &BucketCounts) -> HammingTable {
        let buckets = counts.counts.iter().map(|&count| Bucket::with_capacity(count as usize)).collect();
        HammingTable { buckets, times: Vec::new(), footage_starts: Vec::new() }
    }

    /// Files the informative keyframes of a footage.
    pub fn add(&mut self, footage: FootageId, keyframes: &[Keyframe]) {
        let first_slot = self.times.len() as u32;
        for keyframe in keyframes.iter().filter(|keyframe| keyframe.informative) {
            let slot = self.times.len() as u32;
            self.times.push(keyframe.time_ms);
            for hash in keyframe.hashes.indexed() {
                for chunk_index in 0..CHUNKS {
                    self.buckets[bucket_number(hash, chunk_index)].push(residual(hash, chunk_index), slot);
                }
            }
        }
        if self.times.len() as u32 > first_slot {
            self.footage_starts.push((first_slot, footage));
        }
    }

    /// Appends to `out` every filed keyframe with a view within `radius` bits of `hash`, each
    /// once, at the distance of its closest view. `closest` is scratch space, kept by the caller
    /// so that its memory is reused.
    pub fn search(&self, hash: PerceptualHash, radius: u32, closest: &mut FxHashMap<u32, u32>, out: &mut Vec<Hit>) {
        // A close keyframe shares several chunks with the query and is met once per chunk and view.
        closest.clear();
        multi_index::for_each_probe(hash, radius, |chunk_index, chunk| {
            let bucket = &self.buckets[chunk_index * BUCKETS + usize::from(chunk)];
            // The probed chunk differs from the query's in these bits; the scan counts the rest.
            let in_chunk = u32::from(chunk ^ multi_index::chunk(hash, chunk_index)).count_ones();
            let Some(left) = radius.checked_sub(in_chunk) else { return };
            scan(&bucket.low, &bucket.high, residual(hash, chunk_index), left, |position, distance| {
                let distance = in_chunk + distance;
                let best = closest.entry(bucket.slots[position]).or_insert(distance);
                *best = (*best).min(distance);
            });
        });
        out.extend(closest.drain().map(|(slot, distance)| Hit {
            footage: self.footage_of(slot),
            time_ms: self.times[slot as usize],
            distance,
        }));
    }

    fn footage_of(&self, slot: u32) -> FootageId {
        let after = self.footage_starts.partition_point(|&(start, _)| start <= slot);
        self.footage_starts[after - 1].1
    }
}

fn indexed_hashes(keyframes: &[Keyframe]) -> impl Iterator<Item = PerceptualHash> + '_ {
    keyframes.iter().filter(|keyframe| keyframe.informative).flat_map(|keyframe| keyframe.hashes.indexed())
}

fn bucket_number(hash: PerceptualHash, chunk_index: usize) -> usize {
    chunk_index * BUCKETS + usize::from(multi_index::chunk(hash, chunk_index))
}

/// Calls `hit` with the position and distance of every residual (its low 32 bits in `low`, its
/// high 16 in `high`) within `radius` of `query`.
///
/// The scan is the innermost loop of every lookup. The x86-64 baseline has no `popcnt`
/// instruction, and without it `count_ones` is a dozen instructions; rather than build the
/// whole program for a newer CPU, the loop is compiled a second time with `popcnt` and chosen at
/// run time.
#[inline]
fn scan(low: &[u32], high: &[u16], query: u64, radius: u32, hit: impl FnMut(usize, u32)) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU was just checked for the one feature the function is compiled with.
        return unsafe { scan_with_popcnt(low, high, query, radius, hit) };
    }
    scan_portable(low, high, query, radius, hit);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn scan_with_popcnt(low: &[u32], high: &[u16], query: u64, radius: u32, hit: impl FnMut(usize, u32)) {
    scan_portable(low, high, query, radius, hit);
}

#[inline(always)]
fn scan_portable(low: &[u32], high: &[u16], query: u64, radius: u32, mut hit: impl FnMut(usize, u32)) {
    for (position, (&low, &high)) in low.iter().zip(high).enumerate() {
        let distance = (((u64::from(high) << 32) | u64::from(low)) ^ query).count_ones();
        if distance <= radius {
            hit(position, distance);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::ViewHashes;

    fn keyframe(time_ms: u32, whole: u64, informative: bool) -> Keyframe {
        Keyframe { time_ms, hashes: ViewHashes::spread_from(whole), informative }
    }

    fn search(table: &HammingTable, hash: u64, radius: u32) -> Vec<Hit> {
        let mut out = Vec::new();
        table.search(PerceptualHash(hash), radius, &mut FxHashMap::default(), &mut out);
        out.sort_by_key(|hit| (hit.footage, hit.time_ms));
        out
    }

    #[test]
    fn slots_map_back_to_their_footage_and_time_across_footage() {
        let first = [keyframe(0, 0x1111_2222_3333_4444, true), keyframe(500, 0xdead_beef_0000_ffff, true)];
        let skipped = [keyframe(0, 0x0f0f_0f0f_0f0f_0f0f, false)];
        let second = [keyframe(0, 0, false), keyframe(700, 0xdead_beef_0000_fff0, true)];
        let mut counts = BucketCounts::default();
        for keyframes in [&first[..], &skipped, &second] {
            counts.add(keyframes);
        }
        let mut table = HammingTable::with_capacity(&counts);
        table.add(FootageId(4), &first);
        table.add(FootageId(5), &skipped);
        table.add(FootageId(9), &second);
        assert_eq!(
            search(&table, 0xdead_beef_0000_ffff, 7),
            [
                Hit { footage: FootageId(4), time_ms: 500, distance: 0 },
                Hit { footage: FootageId(9), time_ms: 700, distance: 4 },
            ]
        );
        assert!(search(&table, 0x0f0f_0f0f_0f0f_0f0f, 7).is_empty(), "uninformative keyframes are not filed");
    }

    #[test]
    fn the_scan_agrees_with_a_plain_distance_check() {
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        let hashes: Vec<u64> = (0..1000)
            .map(|_| {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                rng >> 16
            })
            .collect();
        let query = hashes[17] ^ 0b1011 ^ (1 << 40);
        let (low, high): (Vec<u32>, Vec<u16>) = hashes.iter().map(|&hash| (hash as u32, (hash >> 32) as u16)).unzip();
        let mut found = Vec::new();
        scan(&low, &high, query, 20, |position, distance| found.push((position, distance)));
        let expected: Vec<(usize, u32)> = hashes
            .iter()
            .enumerate()
            .map(|(position, hash)| (position, (hash ^ query).count_ones()))
            .filter(|&(_, distance)| distance <= 20)
            .collect();
        assert_eq!(found, expected);
        assert!(found.contains(&(17, 4)));
    }

    #[test]
    fn a_residual_keeps_every_bit_outside_its_chunk() {
        let hash = PerceptualHash(0x1234_5678_9abc_def0);
        assert_eq!(residual(hash, 0), 0x5678_9abc_def0);
        assert_eq!(residual(hash, 1), 0x1234_9abc_def0);
        assert_eq!(residual(hash, 2), 0x1234_5678_def0);
        assert_eq!(residual(hash, 3), 0x1234_5678_9abc);
        let other = PerceptualHash(hash.0 ^ (1 << 63) ^ (1 << 20) ^ 1);
        for chunk_index in 0..CHUNKS {
            let outside = (residual(hash, chunk_index) ^ residual(other, chunk_index)).count_ones();
            let inside =
                u32::from(multi_index::chunk(hash, chunk_index) ^ multi_index::chunk(other, chunk_index)).count_ones();
            assert_eq!(outside + inside, hash.distance(other), "chunk {chunk_index}");
        }
    }
}
