//! What checking an API key costs a lookup, over gRPC against the real server: the same
//! fingerprint lookup made with a key and without one (the server allows anonymous lookups, so
//! both are answered), interleaved in blocks so that drift on a shared machine falls on both.
//!
//! Run: `cargo bench --bench access` (`-- N` lookups in all, half of each kind; default 4000).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Client, Server};
use firstseen::fingerprint::Fingerprint;
use firstseen::media::DecodeLimits;
use firstseen::proto::v1;

/// Lookups of one kind in a row before switching to the other.
const BLOCK: usize = 100;

fn main() {
    let full = common::bench::full_run();
    let lookups: usize =
        std::env::args().skip(1).find_map(|arg| arg.parse().ok()).unwrap_or(if full { 4000 } else { 2 * BLOCK });
    let work = tempfile::tempdir().unwrap();
    let server = Server::start(&work.path().join("data"), &["--anonymous-lookups"]);
    let fingerprint = Fingerprint::of_file(&common::fixture("bikes.mp4"), &DecodeLimits::default()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut admin = server.client().await;
        admin
            .ingest_fingerprint(v1::IngestFingerprintRequest {
                sighting: Some(common::sighting("https://example.org/original", "2020-11-10", "")),
                fingerprint: Some((&fingerprint).into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let reader = admin
            .create_key(v1::CreateKeyRequest { name: "bench".into(), role: v1::Role::Reader.into() })
            .await
            .unwrap()
            .into_inner()
            .key;
        let mut keyed = server.client_with(Some(&reader)).await;
        let mut anonymous = server.client_with(None).await;
        let request = v1::LookupFingerprintRequest { options: None, fingerprint: Some((&fingerprint).into()) };
        // Connections, caches and the key's "last used" write warm up outside the measurement.
        for _ in 0..BLOCK {
            keyed.lookup_fingerprint(request.clone()).await.expect("a lookup");
            anonymous.lookup_fingerprint(request.clone()).await.expect("a lookup");
        }
        let (mut with_key, mut without_key) = (Vec::new(), Vec::new());
        for block in 0..lookups.div_ceil(BLOCK) {
            let (client, times): (&mut Client, &mut Vec<Duration>) =
                if block % 2 == 0 { (&mut keyed, &mut with_key) } else { (&mut anonymous, &mut without_key) };
            for _ in 0..BLOCK {
                let started = Instant::now();
                client.lookup_fingerprint(request.clone()).await.expect("a lookup");
                times.push(started.elapsed());
            }
        }
        with_key.sort();
        without_key.sort();
        let show = |times: &[Duration]| {
            format!(
                "p50 {:.3} ms, p99 {:.3} ms ({} lookups)",
                common::bench::percentile(times, 0.5).as_secs_f64() * 1e3,
                common::bench::percentile(times, 0.99).as_secs_f64() * 1e3,
                times.len()
            )
        };
        println!("bikes.mp4 fingerprint lookup, one client, index of 1 footage:");
        println!("  with a reader key: {}", show(&with_key));
        println!("  without a key:     {}", show(&without_key));
        let (keyed_p50, anonymous_p50) =
            (common::bench::percentile(&with_key, 0.5), common::bench::percentile(&without_key, 0.5));
        println!(
            "  key check: {:+.1} µs at p50 (ratio {:.3})",
            (keyed_p50.as_secs_f64() - anonymous_p50.as_secs_f64()) * 1e6,
            keyed_p50.as_secs_f64() / anonymous_p50.as_secs_f64()
        );
    });
}
