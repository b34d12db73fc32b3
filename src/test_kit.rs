//! What the unit tests build their data from (sightings, keyframe views, fingerprints), in one
//! place so that every test means the same by them. The integration tests' kit is
//! `tests/common`.

use chrono::{DateTime, Utc};

use crate::fingerprint::{Fingerprint, Keyframe, PerceptualHash, RegionHashes, ViewHashes};
use crate::index::Sighting;
use crate::media::ContentBox;

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
        core: Some(PerceptualHash(rng.u64(..))),
        filled: Vec::new(),
    }
}

/// Footage with an informative keyframe every half second, of the given views.
pub fn fingerprint(views: &[ViewHashes]) -> Fingerprint {
    let keyframes: Vec<Keyframe> = views
        .iter()
        .enumerate()
        .map(|(i, hashes)| Keyframe {
            time_ms: i as u32 * 500,
            hashes: hashes.clone(),
            informative: true,
            picture: None,
        })
        .collect();
    Fingerprint { duration_ms: keyframes.len() as u32 * 500, keyframes }
}

/// A smooth, detailed picture, like footage shrunk to the analysis frame: blobs of light and
/// shade anywhere, none repeating, different for every `seed`.
pub fn scene(seed: u64, width: usize, height: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let blobs: Vec<(f64, f64, f64, f64)> = (0..24)
        .map(|_| (rng.f64() * width as f64, rng.f64() * height as f64, 3.0 + rng.f64() * 6.0, rng.f64() * 160.0 - 80.0))
        .collect();
    (0..width * height)
        .map(|i| {
            let (x, y) = ((i % width) as f64, (i / width) as f64);
            let light: f64 = blobs
                .iter()
                .map(|&(cx, cy, r, a)| a * (-((x - cx).powi(2) + (y - cy).powi(2)) / (2.0 * r * r)).exp())
                .sum();
            (128.0 + light).clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// `area` of `pixels` (`width` × `height`) scaled back up to `width` × `height`: what a copy
/// cropped to `area` shows in its analysis frame.
pub fn cropped_back(pixels: &[u8], width: usize, height: usize, area: ContentBox) -> Vec<u8> {
    let kept =
        image::GrayImage::from_raw(area.width as u32, area.height as u32, area.crop(pixels, width)).expect("pixels");
    image::imageops::resize(&kept, width as u32, height as u32, image::imageops::FilterType::Triangle).into_raw()
}
