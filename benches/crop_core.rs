//! How the survey for off-centre crops sees the crop family (BENCHMARKS.md, "Off-centre crops:
//! the core and the survey"): on the tuning references cropped at random (fixed seed), how close
//! the best [`Placement`] of the grid comes to the original's core, how often a copy's keyframes
//! meet it at all, what hashing a placement costs with the survey's [`PartHasher`] and with
//! `image_hasher` (which every other view uses) on the same rectangles in the same run, and how
//! many placements come within the search radius of *another* reference's cores (stray hits).
//!
//! ```sh
//! cargo bench --bench crop_core
//! ```
//!
//! Under `cargo test` it crops two references once each and looks at one keyframe of each, so it
//! cannot rot.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::random_edits::{CROP_KEPT, Crop};
use firstseen::fingerprint::{CORE_SHARE, FrameHasher, PerceptualHash, Picture, Placement, ViewHashes};
use firstseen::media::{ANALYSIS_SIDE, ContentBox, DecodeLimits, decode_video};

const SIDE: usize = ANALYSIS_SIDE;
const RADIUS: u32 = 7;
/// Where the core starts and ends on each side.
const CORE: (f64, f64) = ((1.0 - CORE_SHARE) / 2.0, (1.0 + CORE_SHARE) / 2.0);
/// Crops per reference and keyframes per crop: in full, and under `cargo test`.
const FULL: (usize, usize) = (6, 6);
const SMOKE: (usize, usize) = (1, 1);

fn frames(path: &Path) -> Vec<(u32, Vec<u8>)> {
    let mut frames = Vec::new();
    decode_video(path, &DecodeLimits::default(), |frame| frames.push((frame.time_ms, frame.luma)))
        .unwrap_or_else(|error| panic!("cannot decode {}: {error}", path.display()));
    frames
}

/// The core's hash, as the index files it, of a whole 64 × 64 frame.
fn core_of(hasher: &FrameHasher, luma: &[u8]) -> Option<PerceptualHash> {
    ViewHashes::of_picture(hasher, luma, SIDE, SIDE).indexed_core()
}

/// Whether `crop` keeps all of the core.
fn holds_core(crop: &Crop) -> bool {
    let (left, top) = crop.offsets();
    let holds = |kept: f64, offset: f64| offset <= CORE.0 && offset + kept >= CORE.1;
    holds(crop.kept.0, left) && holds(crop.kept.1, top)
}

/// Keyframes looked at, and how many of them met the original's core.
#[derive(Default)]
struct Tally {
    keyframes: usize,
    met: usize,
}

impl Tally {
    fn count(&mut self, met: bool) {
        self.keyframes += 1;
        self.met += usize::from(met);
    }

    fn line(&self) -> String {
        format!("{}/{}", self.met, self.keyframes)
    }
}

/// A reference cropped, and the copy's decoded frames.
struct CroppedCopy {
    reference: usize,
    crop: Crop,
    frames: Vec<(u32, Vec<u8>)>,
}

#[derive(Default)]
struct Measured {
    crops_holding: usize,
    held: Tally,
    not_held: Tally,
    /// Every placement's best distance, over the keyframes of crops that hold the core.
    best_distances: Vec<u32>,
    hashed: usize,
    part_hashing: Duration,
    image_hasher_hashing: Duration,
    compared: usize,
    stray: usize,
}

fn measure(originals: &[Vec<(u32, Vec<u8>)>], copies: &[CroppedCopy], keyframes_per_copy: usize) -> Measured {
    let hasher = FrameHasher::default();
    let cores: Vec<Vec<PerceptualHash>> =
        originals.iter().map(|frames| frames.iter().filter_map(|(_, luma)| core_of(&hasher, luma)).collect()).collect();
    let placements = Placement::every();
    let mut measured = Measured::default();
    for copy in copies {
        let holds = holds_core(&copy.crop);
        measured.crops_holding += usize::from(holds);
        let every = (copy.frames.len() / keyframes_per_copy).max(1);
        for (time_ms, luma) in copy.frames.iter().step_by(every).take(keyframes_per_copy) {
            let Some((_, original)) = originals[copy.reference].iter().min_by_key(|(time, _)| time.abs_diff(*time_ms))
            else {
                continue;
            };
            let Some(target) = core_of(&hasher, original) else { continue };
            let picture = Picture::new(SIDE, SIDE, luma.clone()).expect("a 64 × 64 frame");
            let started = Instant::now();
            let parts = picture.parts();
            let hashes: Vec<PerceptualHash> = placements.iter().map(|&placement| parts.at(placement)).collect();
            measured.part_hashing += started.elapsed();
            let started = Instant::now();
            for placement in &placements {
                std::hint::black_box(image_hasher_hash(&hasher, luma, *placement));
            }
            measured.image_hasher_hashing += started.elapsed();
            measured.hashed += placements.len();
            let candidates: Vec<PerceptualHash> = hashes.into_iter().filter(|hash| !hash.is_flat()).collect();
            let best = candidates.iter().map(|candidate| target.distance(*candidate)).min().unwrap_or(u64::BITS);
            for (_, hashes) in cores.iter().enumerate().filter(|(other, _)| *other != copy.reference) {
                measured.compared += hashes.len() * candidates.len();
                measured.stray += candidates
                    .iter()
                    .map(|candidate| hashes.iter().filter(|core| core.distance(*candidate) <= RADIUS).count())
                    .sum::<usize>();
            }
            if holds {
                measured.best_distances.push(best);
            }
            let tally = if holds { &mut measured.held } else { &mut measured.not_held };
            tally.count(best <= RADIUS);
        }
    }
    measured
}

/// The placement hashed as every other view is: its pixels cut out and given to `image_hasher`.
fn image_hasher_hash(hasher: &FrameHasher, luma: &[u8], placement: Placement) -> PerceptualHash {
    let ((left, width), (top, height)) = placement.shares();
    let pixels = |from: f64, share: f64| {
        let length = ((share * SIDE as f64).round() as usize).clamp(1, SIDE);
        (((from * SIDE as f64).round() as usize).min(SIDE - length), length)
    };
    let ((left, width), (top, height)) = (pixels(left, width), pixels(top, height));
    hasher.hash_luma(ContentBox { left, top, width, height }.crop(luma, SIDE), width, height)
}

fn main() {
    let full = common::bench::full_run();
    let (crops_per_reference, keyframes_per_copy) = if full { FULL } else { SMOKE };
    let references: Vec<_> = ["bikes.mp4", "carphone_pristine.mp4", "bigbuckbunny.mp4"]
        .into_iter()
        .map(|name| (name, common::fixture(name)))
        .take(if full { 3 } else { 2 })
        .collect();
    let work = tempfile::tempdir().expect("a temporary directory");
    let originals: Vec<Vec<(u32, Vec<u8>)>> = references.iter().map(|(_, path)| frames(path)).collect();
    let mut rng = fastrand::Rng::with_seed(1);
    let mut copies = Vec::new();
    for (reference, (name, path)) in references.iter().enumerate() {
        for draw_number in 0..crops_per_reference {
            let crop = Crop::draw(&mut rng);
            let input = path.as_os_str().to_owned();
            let arguments =
                ["-i".into(), input, "-vf".into(), crop.filter().into(), "-crf".into(), "30".into(), "-an".into()];
            let output = common::ffmpeg(&arguments, &work.path().join(format!("{name}-{draw_number}.mp4")));
            copies.push(CroppedCopy { reference, crop, frames: frames(&output) });
        }
    }
    let measured = measure(&originals, &copies, keyframes_per_copy);
    let mut distances = measured.best_distances.clone();
    distances.sort_unstable();
    let median = distances.get(distances.len() / 2).copied().unwrap_or(u64::BITS);
    let per_placement = |time: Duration| time.as_secs_f64() * 1e6 / measured.hashed.max(1) as f64;
    println!(
        "{} references × {crops_per_reference} crops keeping {:.0}–{:.0} % of each side at random offsets (seed 1), \
         {keyframes_per_copy} keyframes each; {} placements a keyframe\n",
        references.len(),
        CROP_KEPT.0 * 100.0,
        CROP_KEPT.1 * 100.0,
        Placement::every().len(),
    );
    println!(
        "| crops holding the core | keyframes whose best placement is within {RADIUS} bits: crop holds the core / does not | median best distance (holds) | µs to hash a placement: `PartHasher` / `image_hasher` | stray hits: placements within {RADIUS} bits of another reference's core, of comparisons |"
    );
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {}/{} | {} / {} | {median} | {:.2} / {:.2} ({:.1}×) | {} of {} |",
        measured.crops_holding,
        copies.len(),
        measured.held.line(),
        measured.not_held.line(),
        per_placement(measured.part_hashing),
        per_placement(measured.image_hasher_hashing),
        measured.image_hasher_hashing.as_secs_f64() / measured.part_hashing.as_secs_f64().max(1e-9),
        measured.stray,
        measured.compared,
    );
}
