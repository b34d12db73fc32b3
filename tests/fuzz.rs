//! Property-based fuzzing of what the server reads from strangers: fingerprints off the wire, and
//! uploaded files through the decoder, mutated from real videos.
//!
//! Each property runs `PROPTEST_CASES` cases (proptest's own variable); CI keeps the default of
//! this file, bounded in time. A longer campaign, as ARCHITECTURE.md says:
//!
//! ```sh
//! PROPTEST_CASES=5000 cargo test --release --test fuzz
//! ```

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::{ffmpeg, fixture};
use firstseen::fingerprint::{Fingerprint, RECIPE_VERSION};
use firstseen::media::{DecodeLimits, decode_video};
use firstseen::proto::v1;
use proptest::prelude::*;

/// Cases a property runs unless `PROPTEST_CASES` says otherwise.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(default);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

fn regions() -> impl Strategy<Value = Option<v1::RegionHashes>> {
    prop::option::of((any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(whole, centre, band)| v1::RegionHashes {
        whole,
        centre,
        band,
    }))
}

fn keyframe() -> impl Strategy<Value = v1::Keyframe> {
    // Turned views: none, the three a fingerprint carries, or a wrong count.
    let turned = prop_oneof![Just(0usize), Just(3), 0..5usize]
        .prop_flat_map(|count| prop::collection::vec(regions().prop_map(Option::unwrap_or_default), count));
    // Windows: up to the three a fingerprint may carry, or one too many.
    let windows = prop::collection::vec(regions().prop_map(Option::unwrap_or_default), 0..5usize);
    // Fill-crop views: up to the 28 a fingerprint may carry, or a few too many; tilted views:
    // none, the two a fingerprint carries, or a wrong count.
    let tilted =
        prop_oneof![Just(0usize), Just(2), 0..4usize].prop_flat_map(|count| prop::collection::vec(any::<u64>(), count));
    // Pictures: absent, as big as they say, or not; within the size a picture may have or past it.
    let picture = prop::option::of((0..70u32, 0..70u32, any::<bool>()).prop_flat_map(|(width, height, exact)| {
        let bytes = if exact { (width * height) as usize..=(width * height) as usize } else { 0..=16 };
        prop::collection::vec(any::<u8>(), bytes).prop_map(move |luma| v1::Picture { width, height, luma })
    }));
    let filled = (
        prop::option::of(any::<u64>()),
        prop::collection::vec(any::<u64>(), 0..32usize),
        tilted,
        prop::option::of(any::<u64>()),
        picture,
    );
    (prop_oneof![0..20_000u32, any::<u32>()], any::<bool>(), regions(), regions(), windows, turned, filled).prop_map(
        |(time_ms, informative, upright, mirrored, windows, turned, (middle, filled, tilted, core, picture))| {
            v1::Keyframe {
                time_ms,
                informative,
                upright,
                mirrored,
                windows,
                turned,
                middle,
                filled,
                tilted,
                core,
                picture,
            }
        },
    )
}

fn wire_fingerprint() -> impl Strategy<Value = v1::Fingerprint> {
    (
        prop_oneof![0..30_000u32, any::<u32>()],
        prop::collection::vec(keyframe(), 0..40),
        prop_oneof![Just(RECIPE_VERSION), any::<u32>()],
        any::<bool>(),
    )
        .prop_map(|(duration_ms, mut keyframes, recipe_version, sorted)| {
            // Half the cases are in time order, so that validation gets past its first checks.
            if sorted {
                keyframes.sort_by_key(|keyframe| keyframe.time_ms);
            }
            v1::Fingerprint { duration_ms, keyframes, recipe_version }
        })
}

proptest! {
    #![proptest_config(cases(2000))]

    /// Whatever a client sends as a fingerprint is either refused with a sentence or accepted as
    /// one that converts back to the same message.
    #[test]
    fn a_wire_fingerprint_is_refused_with_a_reason_or_round_trips(wire in wire_fingerprint()) {
        match Fingerprint::try_from(&wire) {
            Ok(fingerprint) => {
                let back: v1::Fingerprint = (&fingerprint).into();
                prop_assert_eq!(Fingerprint::try_from(&back).expect("accepted once, accepted again"), fingerprint);
            }
            Err(refused) => prop_assert!(refused.0.contains("fingerprint"), "{}", refused.0),
        }
    }
}

/// Small real videos in the containers uploads come in, made once per run from a fixture.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let source = fixture("bikes.mp4");
        let source = source.to_str().unwrap();
        let cut = ["-t", "1.5", "-vf", "scale=96:-2"];
        let made: Vec<PathBuf> = [
            ("mp4", vec!["-c:v", "libx264", "-preset", "veryfast"]),
            ("mkv", vec!["-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "200k"]),
            ("avi", vec!["-c:v", "mjpeg"]),
            ("ts", vec!["-c:v", "mpeg2video"]),
        ]
        .into_iter()
        .map(|(extension, codec)| {
            let mut args = vec!["-i", source, "-an"];
            args.extend(cut);
            args.extend(codec);
            ffmpeg(&args, &dir.path().join(format!("seed.{extension}")))
        })
        .collect();
        made.iter().map(|path| std::fs::read(path).unwrap()).collect()
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    /// XOR a byte at a fraction of the file's length.
    Flip(f64, u8),
    /// Cut the file at a fraction of its length.
    Truncate(f64),
    /// Insert bytes at a fraction of its length.
    Insert(f64, Vec<u8>),
    /// Overwrite a 4-byte field with a hostile value (sizes, counts, dimensions).
    Field(f64, u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        4 => (at.clone(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip(at, mask)),
        1 => at.clone().prop_map(Mutation::Truncate),
        1 => (at.clone(), prop::collection::vec(any::<u8>(), 1..64)).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        2 => (at, prop_oneof![Just(0u32), Just(u32::MAX), Just(0x7fff_ffff), Just(8192), any::<u32>()])
            .prop_map(|(at, value)| Mutation::Field(at, value)),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for mutation in mutations {
        let at = |fraction: f64, len: usize| ((fraction * len as f64) as usize).min(len.saturating_sub(1));
        match mutation {
            Mutation::Flip(fraction, mask) => {
                let at = at(*fraction, bytes.len());
                bytes[at] ^= mask;
            }
            Mutation::Truncate(fraction) => bytes.truncate(at(*fraction, bytes.len())),
            Mutation::Insert(fraction, inserted) => {
                let at = at(*fraction, bytes.len());
                bytes.splice(at..at, inserted.iter().copied());
            }
            Mutation::Field(fraction, value) => {
                let at = at(*fraction, bytes.len().saturating_sub(4));
                if bytes.len() >= at + 4 {
                    bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
                }
            }
        }
        if bytes.is_empty() {
            break;
        }
    }
    bytes
}

proptest! {
    #![proptest_config(cases(48))]

    /// A mutated real video is decoded or refused with a MediaError, never a panic or a hang,
    /// within a small memory budget, as an upload is on the server.
    #[test]
    fn a_mutated_real_video_is_decoded_or_refused_never_a_crash(
        seed in 0..4usize,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let bytes = mutate(seeds()[seed].clone(), &mutations);
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &bytes).unwrap();
        let limits = DecodeLimits {
            memory: std::sync::Arc::new(firstseen::media::MemoryBudget::new(256 << 20)),
            ..DecodeLimits::default()
        };
        let mut frames = 0usize;
        match decode_video(file.path(), &limits, |_| frames += 1) {
            Ok(info) => prop_assert!(frames > 0 && info.duration_ms > 0),
            Err(refused) => prop_assert!(refused.is_invalid_input(), "{refused}"),
        }
        prop_assert_eq!(limits.memory.reserved(), 0, "the decode gave its memory back");
    }
}
