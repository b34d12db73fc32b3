//! What the unit tests build their data from (sightings, keyframe views, fingerprints), in one
//! place so that every test means the same by them. The integration tests' kit is
//! `tests/common`.

use chrono::{DateTime, Utc};

use crate::fingerprint::{Fingerprint, Keyframe, PerceptualHash, RegionHashes, ViewHashes};
use crate::index::Sighting;

/// Midnight UTC of `day` (`2020-11-10`).
pub fn day(day: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{day}T00:00:00Z")).expect("a date").to_utc()
}

/// A sighting at `url`, first seen on `first_seen` (a day), recorded by the key "desk" now.
pub fn sighting(url: &str, first_seen: &str) -> Sighting {
    Sighting {
        source_url: url.into(),
        first_seen: day(first_seen),
        ingested_at: Utc::now(),
        recorded_by: "desk".into(),
        ..Sighting::default()
    }
}

/// Views of a picture unrelated to any other: every hash random.
pub fn random_views(rng: &mut fastrand::Rng) -> ViewHashes {
    let mut region = || RegionHashes {
        whole: PerceptualHash(rng.u64(..)),
        centre: PerceptualHash(rng.u64(..)),
        band: PerceptualHash(rng.u64(..)),
    };
    let (upright, mirrored) = (region(), region());
    ViewHashes {
        upright,
        mirrored,
        windows: Vec::new(),
        turned: None,
        tilted: None,
        middle: Some(PerceptualHash(rng.u64(..))),
        filled: Vec::new(),
    }
}

/// Footage with an informative keyframe every half second, of the given views.
pub fn fingerprint(views: &[ViewHashes]) -> Fingerprint {
    let keyframes: Vec<Keyframe> = views
        .iter()
        .enumerate()
        .map(|(i, hashes)| Keyframe { time_ms: i as u32 * 500, hashes: hashes.clone(), informative: true })
        .collect();
    Fingerprint { duration_ms: keyframes.len() as u32 * 500, keyframes }
}
