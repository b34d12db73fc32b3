//! What a lookup costs: latency of `Matcher::lookup` against an index filled with real
//! fingerprints plus footage made from perturbed real hashes (real perceptual hashes cluster;
//! uniform random bits would flatter the bucket scheme).
//!
//! Run: `cargo bench --bench lookup` (optionally `-- FOOTAGE_COUNT`, default 2000).

mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use firstseen::fingerprint::{Fingerprint, Keyframe, PerceptualHash, RegionHashes, ViewHashes};
use firstseen::index::{Durability, Index};
use firstseen::matching::Matcher;
use firstseen::media::DecodeLimits;

const KEYFRAMES_PER_FOOTAGE: usize = 60;
fn main() {
    let full = common::full_run();
    let footage_count: usize =
        std::env::args().skip(1).find_map(|arg| arg.parse().ok()).unwrap_or(if full { 2000 } else { 50 });
    let lookups = if full { 200 } else { 5 };
    let work = common::work_dir();
    let fixtures = common::footage_dir();
    let bikes = fixtures.join("bikes.mp4");
    let query_file = common::derived(
        &work.join("query-bikes.mp4"),
        &[
            "-i",
            bikes.to_str().unwrap(),
            "-vf",
            "trim=start=2:end=9,setpts=PTS-STARTPTS,scale=320:-2",
            "-an",
            "-crf",
            "34",
        ],
    );
    let limits = DecodeLimits::default();
    let real: Vec<Fingerprint> = ["bikes.mp4", "bigbuckbunny.mp4"]
        .iter()
        .map(|name| Fingerprint::of_file(&fixtures.join(name), &limits).expect("fingerprint a fixture"))
        .collect();
    let query = Fingerprint::of_file(&query_file, &limits).expect("fingerprint the query");

    let dir = tempfile::tempdir().expect("temp dir");
    let index = Index::open(dir.path()).expect("open index");
    let sighting = |n: usize| common::sighting(format!("https://example.org/{n}"), Utc::now());
    let started = Instant::now();
    for (n, fingerprint) in real.iter().enumerate() {
        index.insert_footage(fingerprint, &sighting(n), Durability::Synced).expect("insert");
    }
    let pool: Vec<ViewHashes> = real.iter().flat_map(|f| f.keyframes.iter().map(|k| k.hashes)).collect();
    let mut rng = fastrand::Rng::with_seed(7);
    for n in 0..footage_count {
        index
            .insert_footage(&perturbed(&pool, &mut rng), &sighting(real.len() + n), Durability::Synced)
            .expect("insert");
    }
    let fill = started.elapsed();
    let stats = index.stats().expect("stats");

    let matcher = Matcher::default();
    let mut latencies: Vec<Duration> = (0..lookups)
        .map(|_| {
            let started = Instant::now();
            let report = matcher.lookup(&index, &query, None).expect("lookup");
            assert_eq!(report.earliest().map(|m| m.earliest().source_url.as_str()), Some("https://example.org/0"));
            started.elapsed()
        })
        .collect();
    latencies.sort();
    println!(
        "index: {} footage, {} keyframes ({} searchable), {:.1} MiB on disk, filled in {:.1} s",
        stats.footage,
        stats.keyframes,
        stats.indexed_keyframes,
        stats.disk_bytes as f64 / 1048576.0,
        fill.as_secs_f64()
    );
    println!(
        "lookup of a {:.1} s clip ({} informative keyframes, radius {}): p50 {:.2} ms, p99 {:.2} ms, {:.0} lookups/s on one thread",
        f64::from(query.duration_ms) / 1000.0,
        query.informative_keyframes().count(),
        matcher.policy.radius,
        common::percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        common::percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        lookups as f64 / latencies.iter().sum::<Duration>().as_secs_f64(),
    );
}

/// Footage that looks like real footage to the index: a run of real hashes, each moved by 6–20
/// bits, at the real sampling rate.
fn perturbed(pool: &[ViewHashes], rng: &mut fastrand::Rng) -> Fingerprint {
    let start = rng.usize(..pool.len());
    let mut perturb = |hash: PerceptualHash| {
        let mut bits = hash.0;
        for _ in 0..rng.u32(6..=20) {
            bits ^= 1 << rng.u32(..64);
        }
        PerceptualHash(bits)
    };
    let keyframes = (0..KEYFRAMES_PER_FOOTAGE)
        .map(|i| {
            let real = pool[(start + i) % pool.len()];
            let mut regions = |hashes: RegionHashes| RegionHashes {
                whole: perturb(hashes.whole),
                centre: perturb(hashes.centre),
                band: perturb(hashes.band),
            };
            let hashes = ViewHashes { upright: regions(real.upright), mirrored: regions(real.mirrored) };
            Keyframe { time_ms: i as u32 * 500, hashes, informative: true }
        })
        .collect();
    Fingerprint { duration_ms: KEYFRAMES_PER_FOOTAGE as u32 * 500, keyframes }
}
