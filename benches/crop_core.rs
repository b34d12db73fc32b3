//! Could an indexed core region find off-centre crops? A measurement for the crop family the
//! recipe does not find yet (BENCHMARKS.md, "Off-centre crops: what a core region would do").
//!
//! A crop keeping 60–95 % of each side at any offset contains none of the indexed regions, but
//! it contains a middle square of the original whenever it keeps enough around it. If the index
//! filed that square (a *core*), a copy's core would sit somewhere inside the copy's picture at a
//! scale set by how much was kept, so a lookup would have to hash many candidate sub-rectangles
//! of each query keyframe. This measures, on the tuning references cropped at random (fixed
//! seed), how close the best candidate comes to the original's core, on a grid of candidate
//! sizes a factor [`SCALE_STEP`] apart and positions [`POSITION_STEP`] pixels apart; how many
//! candidates that is and what hashing them costs; and how many candidates come within the
//! search radius of *another* reference's cores (stray hits).
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
use std::time::Instant;

use firstseen::fingerprint::{FrameHasher, PerceptualHash};
use firstseen::media::{ANALYSIS_SIDE, ContentBox, DecodeLimits, decode_video};

const SIDE: usize = ANALYSIS_SIDE;
const RADIUS: u32 = 7;
/// Candidate core sizes, each this factor larger than the last: pHash shrugs off about 5 %.
const SCALE_STEP: f64 = 1.08;
/// Candidate core positions, in analysis pixels (a 64-pixel frame).
const POSITION_STEP: f64 = 2.0;
/// The crop family's range of the share of each side kept (tests/common/random_edits.rs).
const KEPT: (f64, f64) = (0.6, 0.95);
/// How far, in analysis pixels, a later keyframe's rectangles may be from the one the first
/// keyframe met (its size and its start, on each axis).
const NEAR_PIXELS: usize = 2;
/// Crops per reference and keyframes per crop: in full, and under `cargo test`.
const FULL: (usize, usize) = (6, 6);
const SMOKE: (usize, usize) = (1, 1);

/// A core: the middle square of the picture, from `from` to `1 - from` of each side.
#[derive(Clone, Copy)]
struct Core {
    from: f64,
}

impl Core {
    fn share(self) -> f64 {
        1.0 - 2.0 * self.from
    }

    fn of_original(self, hasher: &FrameHasher, luma: &[u8]) -> PerceptualHash {
        let start = (SIDE as f64 * self.from).round() as usize;
        let side = (SIDE as f64 * self.share()).round() as usize;
        hash(hasher, luma, start, start, side, side)
    }

    /// Whether a crop keeping `kept` of a side from `offset` holds this core's span of it.
    fn held(self, kept: f64, offset: f64) -> bool {
        offset <= self.from && offset + kept >= 1.0 - self.from
    }

    /// (size, start) of the candidate spans along one side of a copy: every size the core can
    /// have in a crop of the family, every position it fits at.
    fn candidate_spans(self) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        let mut size = SIDE as f64 * self.share() / KEPT.1;
        while size <= SIDE as f64 * self.share() / KEPT.0 * SCALE_STEP.sqrt() {
            let whole = (size.round() as usize).min(SIDE);
            let mut start = 0.0;
            while start as usize + whole <= SIDE {
                spans.push((whole, start as usize));
                start += POSITION_STEP;
            }
            size *= SCALE_STEP;
        }
        spans.sort_unstable();
        spans.dedup();
        spans
    }
}

fn hash(hasher: &FrameHasher, luma: &[u8], left: usize, top: usize, width: usize, height: usize) -> PerceptualHash {
    hasher.hash_luma(ContentBox { left, top, width, height }.crop(luma, SIDE), width, height)
}

fn frames(path: &Path) -> Vec<(u32, Vec<u8>)> {
    let mut frames = Vec::new();
    decode_video(path, &DecodeLimits::default(), |frame| frames.push((frame.time_ms, frame.luma)))
        .unwrap_or_else(|error| panic!("cannot decode {}: {error}", path.display()));
    frames
}

struct Tally {
    keyframes: usize,
    met: usize,
}

impl Tally {
    fn line(&self) -> String {
        format!("{}/{}", self.met, self.keyframes)
    }
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
    let hasher = FrameHasher::default();
    let originals: Vec<Vec<(u32, Vec<u8>)>> = references.iter().map(|(_, path)| frames(path)).collect();
    let mut rng = fastrand::Rng::with_seed(1);
    let draw = |rng: &mut fastrand::Rng| KEPT.0 + rng.f64() * (KEPT.1 - KEPT.0);
    let mut copies = Vec::new();
    for (index, (name, path)) in references.iter().enumerate() {
        for draw_number in 0..crops_per_reference {
            let (kept_width, kept_height) = (draw(&mut rng), draw(&mut rng));
            let (x, y) = (rng.f64(), rng.f64());
            let filter = format!(
                "crop=iw*{kept_width:.3}:ih*{kept_height:.3}:(iw-iw*{kept_width:.3})*{x:.3}:(ih-ih*{kept_height:.3})*{y:.3},scale=640:-2,setsar=1"
            );
            let input = path.as_os_str().to_owned();
            let arguments = ["-i".into(), input, "-vf".into(), filter.into(), "-crf".into(), "30".into(), "-an".into()];
            let output = common::ffmpeg(&arguments, &work.path().join(format!("{name}-{draw_number}.mp4")));
            let offsets = ((1.0 - kept_width) * x, (1.0 - kept_height) * y);
            copies.push((index, (kept_width, kept_height), offsets, frames(&output)));
        }
    }
    println!(
        "{} references × {crops_per_reference} crops keeping {:.0}–{:.0} % of each side at random offsets (seed 1), \
         {keyframes_per_copy} keyframes each; grid: sizes ×{SCALE_STEP}, positions every {POSITION_STEP} px of {SIDE}\n",
        references.len(),
        KEPT.0 * 100.0,
        KEPT.1 * 100.0
    );
    println!(
        "| core | crops holding it | candidates a keyframe | keyframes whose best candidate is within {RADIUS} bits: crop holds the core / does not | later keyframes within {RADIUS} bits through rectangles within {NEAR_PIXELS} px of the first met one's best | µs to hash a candidate | stray hits: candidates within {RADIUS} bits of another reference's core, of comparisons |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for core in [Core { from: 0.3 }, Core { from: 0.35 }] {
        let cores: Vec<Vec<PerceptualHash>> = originals
            .iter()
            .map(|frames| {
                frames.iter().map(|(_, luma)| core.of_original(&hasher, luma)).filter(|hash| !hash.is_flat()).collect()
            })
            .collect();
        let spans = core.candidate_spans();
        let (mut held, mut not_held) = (Tally { keyframes: 0, met: 0 }, Tally { keyframes: 0, met: 0 });
        let mut carried = Tally { keyframes: 0, met: 0 };
        let (mut crops_holding, mut stray, mut compared, mut hashed) = (0, 0, 0, 0);
        let mut hashing = std::time::Duration::ZERO;
        for (reference, (kept_width, kept_height), (left, top), copy) in &copies {
            let holds = core.held(*kept_width, *left) && core.held(*kept_height, *top);
            crops_holding += usize::from(holds);
            // The geometry of the first keyframe met, tried alone on the copy's later keyframes.
            let mut first_geometry: Option<(usize, usize, usize, usize)> = None;
            let every = (copy.len() / keyframes_per_copy).max(1);
            for (time_ms, luma) in copy.iter().step_by(every).take(keyframes_per_copy) {
                let Some((_, original)) = originals[*reference].iter().min_by_key(|(time, _)| time.abs_diff(*time_ms))
                else {
                    continue;
                };
                let target = core.of_original(&hasher, original);
                if target.is_flat() {
                    continue;
                }
                let (mut best, mut best_geometry) = (u32::MAX, (0, 0, 0, 0));
                for &(width, x) in &spans {
                    for &(height, y) in &spans {
                        let started = Instant::now();
                        let candidate = hash(&hasher, luma, x, y, width, height);
                        hashing += started.elapsed();
                        hashed += 1;
                        if candidate.is_flat() {
                            continue;
                        }
                        if target.distance(candidate) < best {
                            (best, best_geometry) = (target.distance(candidate), (x, y, width, height));
                        }
                        for (_, hashes) in cores.iter().enumerate().filter(|(other, _)| other != reference) {
                            compared += hashes.len();
                            stray += hashes.iter().filter(|hash| hash.distance(candidate) <= RADIUS).count();
                        }
                    }
                }
                if holds {
                    match first_geometry {
                        Some(first) => {
                            // The rectangles within a pixel or two of it, on every side.
                            let near = |(size, start): (usize, usize), (first_size, first_start): (usize, usize)| {
                                size.abs_diff(first_size) <= NEAR_PIXELS && start.abs_diff(first_start) <= NEAR_PIXELS
                            };
                            let nearest = spans
                                .iter()
                                .filter(|span| near(**span, (first.2, first.0)))
                                .flat_map(|&(width, x)| {
                                    spans
                                        .iter()
                                        .filter(|span| near(**span, (first.3, first.1)))
                                        .map(move |&(height, y)| (x, y, width, height))
                                })
                                .map(|(x, y, width, height)| target.distance(hash(&hasher, luma, x, y, width, height)))
                                .min();
                            carried.keyframes += 1;
                            carried.met += usize::from(nearest.is_some_and(|distance| distance <= RADIUS));
                        }
                        None if best <= RADIUS => first_geometry = Some(best_geometry),
                        None => {}
                    }
                }
                let tally = if holds { &mut held } else { &mut not_held };
                tally.keyframes += 1;
                tally.met += usize::from(best <= RADIUS);
            }
        }
        println!(
            "| {:.0}–{:.0} % | {crops_holding}/{} | {} | {} / {} | {} | {:.1} | {stray} of {compared} |",
            core.from * 100.0,
            (1.0 - core.from) * 100.0,
            copies.len(),
            spans.len() * spans.len(),
            held.line(),
            not_held.line(),
            carried.line(),
            hashing.as_secs_f64() * 1e6 / hashed as f64,
        );
    }
}
