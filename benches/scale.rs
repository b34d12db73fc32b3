//! Archive scale, over gRPC against the real server: fill an index of N keyframes through the
//! bulk ingest RPC, then measure lookups under a concurrent load generator, the footprint, and a
//! restart.
//!
//! Run: `cargo bench --bench scale -- 1000000 10000000` (keyframe counts; default 1,000,000).
//! `FIRSTSEEN_BENCH_BINARY=path/to/firstseen` measures another build's server instead.
//!
//! The fill is what a real index holds, not uniform random bits: runs of real keyframe hashes,
//! decoded and hashed by firstseen, each moved by 8–24 random bits (unrelated pictures sit 32
//! bits apart, copies within 7). Most runs come from other pictures cut from the fixtures
//! (zoomed windows, flips, negatives, edge maps): real hashes, which cluster and so crowd some
//! buckets far beyond the average, but not the query's pictures. A fixed 100 runs, at every
//! index size, come from the query's own pictures (re-encoded, blurred, colour-graded): the
//! degraded re-uploads a viral clip leaves in an archive, which a lookup must sift.
//!
//! Measured, per index size:
//! - ingest: keyframes/s through `IngestFingerprints` (the server's dedup lookup included);
//! - footprint: bytes on disk per keyframe, server RSS (current and peak);
//! - lookups: p50/p99 and lookups/s of (a) a 60 s clip's fingerprint, a re-encode of footage in
//!   the index, and (b) a single keyframe, each with several clients at once; and with one
//!   client, of (c) the 60 s clip cropped off-centre, found only by the survey for crops, and
//!   (d) 60 s of footage the index does not hold, which surveys and finds nothing;
//! - restart: from process start to the first answered request, table rebuilt, after a kill.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Client, Server};
use firstseen::fingerprint::{Fingerprint, Keyframe, PerceptualHash, RegionHashes, ViewHashes};
use firstseen::media::DecodeLimits;
use firstseen::proto::v1;

const KEYFRAMES_PER_FOOTAGE: usize = 60;
/// Filler footage cut from the query's own pictures: a viral clip has been re-uploaded many
/// times, and a lookup reports every copy it finds.
const REUPLOADS_OF_THE_QUERY: usize = 100;
const REFERENCE_URL: &str = "https://example.org/the-60-second-original";

fn main() {
    let full = common::bench::full_run();
    let mut sizes: Vec<usize> = std::env::args().skip(1).filter_map(|arg| arg.parse().ok()).collect();
    if sizes.is_empty() {
        sizes.push(if full { 1_000_000 } else { 3_000 });
    }
    let load = if full { Duration::from_secs(15) } else { Duration::from_millis(500) };
    let pools = real_hash_pools(full);
    let clips = sixty_second_clips();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    println!(
        "real keyframe hashes: {} of the query's pictures, {} unrelated",
        pools.copies.len(),
        pools.unrelated.len()
    );
    for size in sizes {
        runtime.block_on(measure(size, &pools, &clips, load));
    }
}

async fn measure(size: usize, pools: &HashPools, clips: &Clips, load: Duration) {
    let Clips { reference, query, cropped, unindexed } = clips;
    let work = tempfile::tempdir().expect("temp dir");
    let data = work.path().join("data");
    let server = Server::start_binary(&common::bench::server_binary(), &data, &[]);
    let mut client = connect(&server).await;
    client
        .ingest_fingerprint(v1::IngestFingerprintRequest {
            sighting: Some(common::sighting(REFERENCE_URL, "2020-11-10", "")),
            fingerprint: Some(reference.into()),
            ..Default::default()
        })
        .await
        .expect("ingest the reference");

    let footage = size.div_ceil(KEYFRAMES_PER_FOOTAGE);
    let started = Instant::now();
    let mut rng = fastrand::Rng::with_seed(7);
    let (copies, unrelated) = (pools.copies.clone(), pools.unrelated.clone());
    // Re-uploads spread evenly through the fill, the same number at every index size.
    let copy_every = footage.div_ceil(REUPLOADS_OF_THE_QUERY).max(1);
    let items = (0..footage).map(move |n| {
        let pool = if n % copy_every == copy_every / 2 { &copies } else { &unrelated };
        v1::IngestFingerprintRequest {
            sighting: Some(common::sighting(&format!("https://example.org/filler/{n}"), "2021-01-01", "")),
            fingerprint: Some((&filler(pool, &mut rng)).into()),
            ..Default::default()
        }
    });
    let summary = client.ingest_fingerprints(tokio_stream::iter(items)).await.expect("bulk ingest").into_inner();
    let fill = started.elapsed();
    let stats = client.stats(v1::StatsRequest {}).await.expect("stats").into_inner();
    println!();
    println!("== {} keyframes ({} footage) ==", stats.keyframes, stats.footage);
    println!(
        "ingest: {:.0} keyframes/s ({} keyframes in {:.1} s; {} new footage, {} became sightings)",
        summary.keyframes as f64 / fill.as_secs_f64(),
        summary.keyframes,
        fill.as_secs_f64(),
        summary.new_footage,
        summary.items - summary.new_footage,
    );
    println!(
        "footprint: {:.1} B/keyframe on disk ({:.0} MiB), server RSS {} (peak {})",
        stats.disk_bytes as f64 / stats.keyframes as f64,
        stats.disk_bytes as f64 / 1048576.0,
        memory(&server, "VmRSS"),
        memory(&server, "VmHWM"),
    );

    let clip = lookup_request(query);
    let (cropped, unindexed) = (lookup_request(cropped), lookup_request(unindexed));
    for (what, request, expected) in [
        ("the 60 s clip", &clip, Some(REFERENCE_URL)),
        ("its crop", &cropped, Some(REFERENCE_URL)),
        ("unindexed footage", &unindexed, None),
    ] {
        let report = client.lookup_fingerprint(request.clone()).await.expect("lookup").into_inner();
        let found = report.earliest.as_ref().map(|earliest| earliest.source_url.as_str());
        assert_eq!(found, expected, "what {what} finds");
    }
    let mut rng = fastrand::Rng::with_seed(11);
    let singles: Vec<v1::LookupFingerprintRequest> =
        (0..1000).map(|_| lookup_request(&single_keyframe(&pools.unrelated, &mut rng))).collect();
    for (what, requests, clients) in [
        ("60 s clip", vec![clip.clone()], 1),
        ("60 s clip", vec![clip], 4),
        ("single keyframe", singles.clone(), 1),
        ("single keyframe", singles, 8),
        ("cropped 60 s", vec![cropped], 1),
        ("unindexed 60 s", vec![unindexed], 1),
    ] {
        let (latencies, rate) = load_test(&server, &requests, clients, load).await;
        println!(
            "lookup {what:<15} {clients} clients: p50 {:>7.2} ms, p99 {:>7.2} ms, {rate:>7.0} lookups/s",
            common::bench::percentile(&latencies, 0.5).as_secs_f64() * 1e3,
            common::bench::percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        );
    }
    println!("server RSS after lookups: {} (peak {})", memory(&server, "VmRSS"), memory(&server, "VmHWM"));

    server.crash();
    let started = Instant::now();
    let server = Server::start_binary(&common::bench::server_binary(), &data, &[]);
    let mut client = connect(&server).await;
    let reopened = client.stats(v1::StatsRequest {}).await.expect("stats after restart").into_inner();
    println!(
        "restart after kill: {:.2} s to the first answer, {} keyframes, RSS {}",
        started.elapsed().as_secs_f64(),
        reopened.keyframes,
        memory(&server, "VmRSS")
    );
    assert_eq!(reopened.keyframes, stats.keyframes, "a restart keeps every keyframe");
}

async fn connect(server: &Server) -> Client {
    server.client().await.max_decoding_message_size(64 << 20).max_encoding_message_size(64 << 20)
}

fn lookup_request(fingerprint: &Fingerprint) -> v1::LookupFingerprintRequest {
    v1::LookupFingerprintRequest { options: None, fingerprint: Some(fingerprint.into()) }
}

/// `clients` concurrent callers cycling through `requests` for `duration`: every latency, and
/// the overall rate.
async fn load_test(
    server: &Server,
    requests: &[v1::LookupFingerprintRequest],
    clients: usize,
    duration: Duration,
) -> (Vec<Duration>, f64) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for caller in 0..clients {
        let mut client = connect(server).await;
        let requests = requests.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for request in requests.iter().cycle().skip(caller * 7) {
                if started.elapsed() >= duration && !latencies.is_empty() {
                    break;
                }
                let sent = Instant::now();
                client.lookup_fingerprint(request.clone()).await.expect("lookup");
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("load task"));
    }
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    latencies.sort();
    (latencies, rate)
}

/// `VmRSS` or `VmHWM` of the server process, as /proc reports it.
fn memory(server: &Server, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|line| {
            line.strip_prefix(field)?.trim_start_matches(':').trim().strip_suffix("kB")?.trim().parse().ok()
        })
        .unwrap_or(0.0);
    format!("{:.0} MiB", kib / 1024.0)
}

/// Real keyframe hashes, decoded and hashed by firstseen from the fixtures and variants of them.
struct HashPools {
    /// The fixtures' own pictures, re-encoded, blurred or colour-graded: runs of these are
    /// re-uploads of the footage the 60 s query is cut from.
    copies: Vec<ViewHashes>,
    /// Other pictures cut from the same real footage: zoomed windows at nine places, flips,
    /// rotations, negatives and edge maps. Real hashes, clustered as real hashes are, but not
    /// the query's pictures.
    unrelated: Vec<ViewHashes>,
}

fn real_hash_pools(full: bool) -> HashPools {
    let work = common::bench::work_dir().join("scale-pool");
    std::fs::create_dir_all(&work).expect("pool dir");
    let mut copies = vec!["null".to_owned(), "boxblur=8".to_owned()];
    copies.extend([60, 120, 180, 240, 300].map(|hue| format!("hue=h={hue}:s=2,eq=contrast=1.6")));
    let mut unrelated = vec!["vflip".to_owned(), "transpose=1".to_owned(), "negate".to_owned()];
    for (x, y) in [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1), (0, 2), (1, 2), (2, 2)] {
        for zoom in [2, 3] {
            // A window 1/zoom of each side, at one of nine places.
            unrelated.push(format!("crop=iw/{zoom}:ih/{zoom}:(iw-iw/{zoom})*{x}/2:(ih-ih/{zoom})*{y}/2"));
        }
    }
    unrelated
        .extend(["transpose=2,vflip", "edgedetect", "rotate=0.3", "lutyuv=y=negval:u=128:v=128"].map(String::from));
    if !full {
        copies.truncate(1);
        unrelated.truncate(2);
    }
    HashPools { copies: hashes_of_variants(&work, &copies), unrelated: hashes_of_variants(&work, &unrelated) }
}

/// The informative keyframe hashes of every fixture under every filter.
fn hashes_of_variants(work: &std::path::Path, filters: &[String]) -> Vec<ViewHashes> {
    let limits = DecodeLimits::default();
    let mut pool = Vec::new();
    for name in ["bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"] {
        let source = common::bench::footage_dir().join(name);
        for filter in filters {
            let file_name = format!("{}-{name}", filter.replace(['=', ':', '/', ',', '(', ')', '*', '-'], "_"));
            let variant = common::bench::derived(
                &work.join(file_name),
                &["-i", source.to_str().unwrap(), "-vf", &format!("{filter},scale=320:-2"), "-an"],
            );
            let fingerprint = Fingerprint::of_file(&variant, &limits).expect("fingerprint a pool variant");
            pool.extend(fingerprint.informative_keyframes().map(|keyframe| keyframe.hashes.clone()));
        }
    }
    pool
}

/// The fingerprints a scale run looks up, or ingests first.
struct Clips {
    /// 60 s of the fixtures one after another, looped: ingested before the fill.
    reference: Fingerprint,
    /// A 360p re-encode of it.
    query: Fingerprint,
    /// It cropped to 75 % × 80 % from 20 % across and the top, off-centre, which only the
    /// survey for crops finds.
    cropped: Fingerprint,
    /// 60 s of a synthetic source nothing in the index shows.
    unindexed: Fingerprint,
}

fn sixty_second_clips() -> Clips {
    let work = common::bench::work_dir();
    let fixtures = common::bench::footage_dir();
    let inputs: Vec<String> = ["bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"]
        .iter()
        .flat_map(|name| ["-i".to_owned(), fixtures.join(name).to_str().unwrap().to_owned()])
        .collect();
    let mut args: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let graph = "[0:v]scale=640:360,setsar=1,fps=25[a];[1:v]scale=640:360,setsar=1,fps=25[b];\
                 [2:v]scale=640:360,setsar=1,fps=25[c];[a][b][c]concat=n=3:v=1:a=0,loop=loop=-1:size=32767[out]";
    args.extend(["-filter_complex", graph, "-map", "[out]", "-t", "60", "-an"]);
    let reference = common::bench::derived(&work.join("scale-reference-60s.mp4"), &args);
    let reupload = common::bench::derived(
        &work.join("scale-query-60s.mp4"),
        &["-i", reference.to_str().unwrap(), "-vf", "scale=-2:360", "-crf", "32", "-an"],
    );
    let cropped = common::bench::derived(
        &work.join("scale-cropped-60s.mp4"),
        &["-i", reference.to_str().unwrap(), "-vf", "crop=iw*3/4:ih*4/5:iw/5:0,scale=640:360", "-crf", "28", "-an"],
    );
    let mut synthetic = common::corpus::synthetic("mandelbrot=s=640x360:r=25,trim=duration=60");
    synthetic.push("-an".into());
    let unindexed = common::bench::derived(&work.join("scale-unindexed-60s.mp4"), &synthetic);
    let limits = DecodeLimits::default();
    let fingerprint = |path: &std::path::Path| {
        Fingerprint::of_file(path, &limits).unwrap_or_else(|error| panic!("fingerprint {}: {error}", path.display()))
    };
    Clips {
        reference: fingerprint(&reference),
        query: fingerprint(&reupload),
        cropped: fingerprint(&cropped),
        unindexed: fingerprint(&unindexed),
    }
}

/// Filler footage: a run of real hashes from the pool, each moved by 8–24 random bits (unrelated
/// pictures sit 32 bits apart; copies within 7).
fn filler(pool: &[ViewHashes], rng: &mut fastrand::Rng) -> Fingerprint {
    let start = rng.usize(..pool.len());
    let keyframes = (0..KEYFRAMES_PER_FOOTAGE)
        .map(|i| {
            let real = pool[(start + i) % pool.len()].clone();
            Keyframe { time_ms: i as u32 * 500, hashes: perturbed(real, 8..=24, rng), informative: true, picture: None }
        })
        .collect();
    Fingerprint { duration_ms: KEYFRAMES_PER_FOOTAGE as u32 * 500, keyframes }
}

/// One real keyframe moved by 0–4 bits, as a lookup of a single frame grab would send.
fn single_keyframe(pool: &[ViewHashes], rng: &mut fastrand::Rng) -> Fingerprint {
    let hashes = perturbed(pool[rng.usize(..pool.len())].clone(), 0..=4, rng);
    Fingerprint { duration_ms: 500, keyframes: vec![Keyframe { time_ms: 0, hashes, informative: true, picture: None }] }
}

fn perturbed(real: ViewHashes, flips: std::ops::RangeInclusive<u32>, rng: &mut fastrand::Rng) -> ViewHashes {
    let mut move_bits = |hash: PerceptualHash| {
        let mut bits = hash.0;
        for _ in 0..rng.u32(flips.clone()) {
            bits ^= 1 << rng.u32(..64);
        }
        PerceptualHash(bits)
    };
    let mut regions = |hashes: RegionHashes| RegionHashes {
        whole: move_bits(hashes.whole),
        centre: move_bits(hashes.centre),
        band: move_bits(hashes.band),
    };
    // The turned and tilted views travel with every fingerprint the CLI makes, so lookups and
    // ingests search them as they would in use; a window is rare, and left out.
    let upright = regions(real.upright);
    let mirrored = regions(real.mirrored);
    let turned = real.turned.map(|turned| turned.map(&mut regions));
    let tilted = real.tilted.map(|tilted| tilted.map(|hashes| hashes.map(&mut move_bits)));
    let middle = real.middle.map(&mut move_bits);
    let core = real.core.map(&mut move_bits);
    let filled = real.filled.into_iter().map(&mut move_bits).collect();
    ViewHashes { upright, mirrored, windows: Vec::new(), turned, tilted, middle, core, filled }
}
