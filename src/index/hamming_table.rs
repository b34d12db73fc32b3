//! The in-memory table a radius search reads: every indexed view hash, filed by multi-index
//! hashing, with the keyframe it belongs to.
//!
//! The views are filed on two shelves, searched apart ([`Shelf`]): the four views every lookup
//! searches, and the core, which only the search for off-centre crops does. A core is a small
//! middle part of its picture, and looked for among every lookup's views it met the whole or
//! the centre of other footage alike in texture (a game, a test card): on the accuracy
//! benchmark, one look-alike and three must-find-nothing queries more.
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
//! Layout, chosen for memory at 10 million keyframes (50 million indexed views):
//! - a keyframe is a *slot*, a `u32` handed out in insertion order; `times[slot]` is its time and
//!   `footage_starts` maps slot ranges to footage, because a footage's keyframes are added together;
//! - each of the four chunk tables of each shelf has 65,536 buckets holding the hashes filed
//!   there and, beside them, their slots. A bucket's number is the 16 bits of its chunk, so it
//!   keeps only the other 48 (a `u32` and a `u16`): 10 bytes per view per chunk, 200 bytes per
//!   keyframe.
//!   Keeping the hash in the bucket costs memory but makes the distance check a sequential scan
//!   instead of a cache miss per candidate;
//! - buckets grow by an eighth, not by doubling, and are sized exactly at rebuild, so a grown
//!   table does not carry a third of its size in spare capacity.

use rustc_hash::FxHashMap;

use super::multi_index::{self, CHUNKS};
use super::{FootageId, Hit};
use crate::fingerprint::{Keyframe, PerceptualHash};

const BUCKETS: usize = 1 << multi_index::CHUNK_BITS;
/// Chunk tables over both shelves: chunk-major, each chunk's table on one shelf beside its
/// table on the other, so that threads given consecutive tables to file share the work evenly.
const TABLES: usize = Shelf::ALL.len() * CHUNKS;

/// Which of a keyframe's indexed views a search reads: the shelf they are filed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shelf {
    /// Whole, centre, band and middle strip, upright: what every lookup searches.
    Views,
    /// The core: what the search for off-centre crops searches.
    Cores,
}

impl Shelf {
    const ALL: [Shelf; 2] = [Shelf::Views, Shelf::Cores];

    fn position(self) -> usize {
        match self {
            Shelf::Views => 0,
            Shelf::Cores => 1,
        }
    }

    /// The hashes of `keyframe` on this shelf: none of an uninformative keyframe.
    fn hashes(self, keyframe: &Keyframe) -> impl Iterator<Item = PerceptualHash> + '_ {
        let informative = keyframe.informative.then_some(&keyframe.hashes);
        let views = informative.filter(|_| self == Shelf::Views).into_iter().flat_map(|views| views.indexed());
        let core = informative.filter(|_| self == Shelf::Cores).and_then(|views| views.indexed_core());
        views.chain(core)
    }

    /// The shelf and chunk of table `table` of the `TABLES`.
    fn of_table(table: usize) -> (Shelf, usize) {
        (Shelf::ALL[table % Shelf::ALL.len()], table / Shelf::ALL.len())
    }
}

/// Fewest hashes worth filing on several threads: below it, starting them costs more than the
/// filing (an ingested footage files a few hundred).
const PARALLEL_FILING: usize = 1 << 16;

/// The hashes filed under one value of one chunk, as [`residual`]s split in two, beside their
/// slots.
#[derive(Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
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
        BucketCounts { counts: vec![0; TABLES * BUCKETS] }
    }
}

impl BucketCounts {
    pub fn add(&mut self, keyframes: &[Keyframe]) {
        for shelf in Shelf::ALL {
            for hash in keyframes.iter().flat_map(|keyframe| shelf.hashes(keyframe)) {
                for chunk_index in 0..CHUNKS {
                    self.counts[bucket_number(hash, shelf, chunk_index)] += 1;
                }
            }
        }
    }
}

/// Hashes that have their slots but are not yet filed in the chunk tables, with those slots,
/// per shelf.
#[derive(Default)]
pub struct Unfiled([Vec<(PerceptualHash, u32)>; Shelf::ALL.len()]);

impl Unfiled {
    /// How many hashes wait to be filed.
    pub fn count(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }
}

pub struct HammingTable {
    /// `TABLES` × `BUCKETS`, in the order [`Shelf::of_table`] gives.
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
        let mut unfiled = Unfiled::default();
        self.take_slots(footage, keyframes, &mut unfiled);
        self.file(&mut unfiled);
    }

    /// Hands the informative keyframes of a footage their slots and records their times, and
    /// leaves their hashes in `unfiled`: searches do not see them until they are [filed].
    ///
    /// [filed]: HammingTable::file
    pub fn take_slots(&mut self, footage: FootageId, keyframes: &[Keyframe], unfiled: &mut Unfiled) {
        let first_slot = self.times.len() as u32;
        for keyframe in keyframes.iter().filter(|keyframe| keyframe.informative) {
            let slot = self.times.len() as u32;
            self.times.push(keyframe.time_ms);
            for shelf in Shelf::ALL {
                unfiled.0[shelf.position()].extend(shelf.hashes(keyframe).map(|hash| (hash, slot)));
            }
        }
        if self.times.len() as u32 > first_slot {
            self.footage_starts.push((first_slot, footage));
        }
    }

    /// Files every hash of `unfiled` under each of its chunks, and empties it.
    ///
    /// The eight chunk tables are disjoint, so a large batch (a rebuild's) is filed by up to eight
    /// threads, one per core, each filing whole tables: a restart at ten million keyframes spent
    /// four fifths of its time filing. The gain is the cores alone; filing one table at a time on
    /// one thread, for locality, measured no faster than filing hash by hash.
    pub fn file(&mut self, unfiled: &mut Unfiled) {
        // Asked only for a large batch: an ingest files under the table's write lock, and the
        // core count is read afresh from the system on every call.
        let threads = if unfiled.count() < PARALLEL_FILING {
            1
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        };
        self.file_on_threads(unfiled, threads);
    }

    fn file_on_threads(&mut self, unfiled: &mut Unfiled, threads: usize) {
        let shelves = &unfiled.0;
        let tables_per_thread = TABLES.div_ceil(threads.clamp(1, TABLES));
        // A share is whole chunk tables, the first of them table `first_table`.
        let file_share = &|first_table: usize, share: &mut [Bucket]| {
            for (offset, buckets) in share.chunks_mut(BUCKETS).enumerate() {
                let (shelf, chunk_index) = Shelf::of_table(first_table + offset);
                for &(hash, slot) in &shelves[shelf.position()] {
                    buckets[bucket_in_table(hash, chunk_index)].push(residual(hash, chunk_index), slot);
                }
            }
        };
        let mut shares = self.buckets.chunks_mut(tables_per_thread * BUCKETS).enumerate();
        // The first share is filed on this thread, so filing on one thread spawns nothing.
        let here = shares.next();
        std::thread::scope(|scope| {
            for (n, share) in shares {
                scope.spawn(move || file_share(n * tables_per_thread, share));
            }
            if let Some((_, share)) = here {
                file_share(0, share);
            }
        });
        unfiled.0.iter_mut().for_each(Vec::clear);
    }

    /// Appends to `out` every filed keyframe with a view on `shelf` within `radius`
    /// bits of `hash`, each once, at the distance of its closest view. `closest` is scratch
    /// space, kept by the caller so that its memory is reused.
    pub fn search(
        &self,
        hash: PerceptualHash,
        radius: u32,
        shelf: Shelf,
        closest: &mut FxHashMap<u32, u32>,
        out: &mut Vec<Hit>,
    ) {
        // A close keyframe shares several chunks with the query and is met once per chunk and view.
        closest.clear();
        multi_index::for_each_probe(hash, radius, |chunk_index, chunk| {
            let bucket = &self.buckets[table_start(shelf, chunk_index) + usize::from(chunk)];
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

/// The bucket of `hash` within the table of chunk `chunk_index`.
fn bucket_in_table(hash: PerceptualHash, chunk_index: usize) -> usize {
    usize::from(multi_index::chunk(hash, chunk_index))
}

/// Where the table of chunk `chunk_index` on `shelf` starts among all buckets.
fn table_start(shelf: Shelf, chunk_index: usize) -> usize {
    (chunk_index * Shelf::ALL.len() + shelf.position()) * BUCKETS
}

/// The bucket of `hash` on `shelf` among all of `TABLES` × `BUCKETS`.
fn bucket_number(hash: PerceptualHash, shelf: Shelf, chunk_index: usize) -> usize {
    table_start(shelf, chunk_index) + bucket_in_table(hash, chunk_index)
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
        Keyframe { time_ms, hashes: ViewHashes::spread_from(whole), informative, picture: None }
    }

    fn search(table: &HammingTable, hash: u64, radius: u32) -> Vec<Hit> {
        let mut out = Vec::new();
        table.search(PerceptualHash(hash), radius, Shelf::Views, &mut FxHashMap::default(), &mut out);
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
    fn a_batch_filed_on_several_threads_builds_the_table_footage_added_one_by_one_builds() {
        let mut rng = fastrand::Rng::with_seed(8);
        let footage: Vec<Vec<Keyframe>> =
            (0..300).map(|_| (0..30).map(|i| keyframe(i * 500, rng.u64(..), rng.u8(..) > 20)).collect()).collect();
        let mut counts = BucketCounts::default();
        footage.iter().for_each(|keyframes| counts.add(keyframes));
        let mut one_by_one = HammingTable::with_capacity(&counts);
        for (n, keyframes) in footage.iter().enumerate() {
            one_by_one.add(FootageId(n as u64), keyframes);
        }
        for threads in [1, 2, 3, 4] {
            let mut batched = HammingTable::with_capacity(&counts);
            let mut unfiled = Unfiled::default();
            for (n, keyframes) in footage.iter().enumerate() {
                batched.take_slots(FootageId(n as u64), keyframes, &mut unfiled);
            }
            let first = &footage[7][3];
            assert!(search(&batched, first.hashes.upright.whole.0, 7).is_empty(), "not searchable before filing");
            batched.file_on_threads(&mut unfiled, threads);
            assert_eq!(unfiled.count(), 0);
            // Bucket for bucket, in the same order, and each at the size counted for it.
            assert!(batched.buckets == one_by_one.buckets, "{threads} threads filed another table");
            assert!(batched.buckets.iter().all(|bucket| bucket.slots.len() == bucket.slots.capacity()));
            assert_eq!((&batched.times, &batched.footage_starts), (&one_by_one.times, &one_by_one.footage_starts));
            for (n, keyframes) in footage.iter().enumerate().step_by(37) {
                for keyframe in keyframes {
                    let near = keyframe.hashes.upright.centre.0 ^ 0b101;
                    let itself = Hit { footage: FootageId(n as u64), time_ms: keyframe.time_ms, distance: 2 };
                    assert_eq!(search(&batched, near, 7).contains(&itself), keyframe.informative);
                }
            }
        }
    }

    #[test]
    fn a_core_is_met_only_by_a_search_of_the_cores_and_a_view_only_by_a_search_of_the_views() {
        let (whole, core) = (0xdead_beef_0000_ffff, 0x0123_4567_89ab_cdef);
        let mut filed = keyframe(500, whole, true);
        filed.hashes.core = Some(PerceptualHash(core));
        let mut table = HammingTable::with_capacity(&BucketCounts::default());
        table.add(FootageId(3), &[filed]);
        let found = |hash: u64, shelf: Shelf| {
            let mut out = Vec::new();
            table.search(PerceptualHash(hash), 7, shelf, &mut FxHashMap::default(), &mut out);
            out
        };
        assert_eq!(found(core ^ 1, Shelf::Cores), vec![Hit { footage: FootageId(3), time_ms: 500, distance: 1 }]);
        assert!(found(core ^ 1, Shelf::Views).is_empty());
        assert!(found(whole, Shelf::Cores).is_empty());
        assert_eq!(found(whole, Shelf::Views), vec![Hit { footage: FootageId(3), time_ms: 500, distance: 0 }]);
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
