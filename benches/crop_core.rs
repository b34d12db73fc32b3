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
use std::time::{Duration, Instant};

use common::random_edits::{CROP_KEPT, Crop};
use firstseen::fingerprint::{FrameHasher, PerceptualHash};
use firstseen::media::{ANALYSIS_SIDE, ContentBox, DecodeLimits, decode_video};

const SIDE: usize = ANALYSIS_SIDE;
const RADIUS: u32 = 7;
/// Candidate core sizes, each this factor larger than the last: pHash shrugs off about 5 %.
const SCALE_STEP: f64 = 1.08;
/// Candidate core positions, in analysis pixels (a 64-pixel frame).
const POSITION_STEP: f64 = 2.0;
/// How far, in analysis pixels, a later keyframe's rectangles may be from the one the first
/// keyframe met (its size and its start, on each axis).
const NEAR_PIXELS: usize = 2;
/// Crops per reference and keyframes per crop: in full, and under `cargo test`.
const FULL: (usize, usize) = (6, 6);
const SMOKE: (usize, usize) = (1, 1);

/// Part of one side of the analysis frame: its size and where it starts, in pixels.
#[derive(Clone, Copy)]
struct Span {
    size: usize,
    start: usize,
}

impl Span {
    fn near(self, other: Span) -> bool {
        self.size.abs_diff(other.size) <= NEAR_PIXELS && self.start.abs_diff(other.start) <= NEAR_PIXELS
    }
}

/// A rectangle of the analysis frame: a span across and a span down.
#[derive(Clone, Copy)]
struct Rectangle {
    across: Span,
    down: Span,
}

impl Rectangle {
    fn hash(self, hasher: &FrameHasher, luma: &[u8]) -> PerceptualHash {
        let (width, height) = (self.across.size, self.down.size);
        let area = ContentBox { left: self.across.start, top: self.down.start, width, height };
        hasher.hash_luma(area.crop(luma, SIDE), width, height)
    }

    fn near(self, other: Rectangle) -> bool {
        self.across.near(other.across) && self.down.near(other.down)
    }
}

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
        let span = Span {
            size: (SIDE as f64 * self.share()).round() as usize,
            start: (SIDE as f64 * self.from).round() as usize,
        };
        Rectangle { across: span, down: span }.hash(hasher, luma)
    }

    /// Whether `crop` holds this core.
    fn held_by(self, crop: &Crop) -> bool {
        let (left, top) = crop.offsets();
        let holds = |kept: f64, offset: f64| offset <= self.from && offset + kept >= 1.0 - self.from;
        holds(crop.kept.0, left) && holds(crop.kept.1, top)
    }

    /// Every rectangle the core can be in a copy of the crop family: every size the family allows
    /// along each side, at every position it fits at.
    fn candidates(self) -> Vec<Rectangle> {
        let mut spans = Vec::new();
        let mut size = SIDE as f64 * self.share() / CROP_KEPT.1;
        while size <= SIDE as f64 * self.share() / CROP_KEPT.0 * SCALE_STEP.sqrt() {
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
        let spans: Vec<Span> = spans.into_iter().map(|(size, start)| Span { size, start }).collect();
        spans.iter().flat_map(|&across| spans.iter().map(move |&down| Rectangle { across, down })).collect()
    }
}

fn frames(path: &Path) -> Vec<(u32, Vec<u8>)> {
    let mut frames = Vec::new();
    decode_video(path, &DecodeLimits::default(), |frame| frames.push((frame.time_ms, frame.luma)))
        .unwrap_or_else(|error| panic!("cannot decode {}: {error}", path.display()));
    frames
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

/// What one core measured over every copy.
#[derive(Default)]
struct Row {
    crops_holding: usize,
    held: Tally,
    not_held: Tally,
    carried: Tally,
    hashed: usize,
    hashing: Duration,
    compared: usize,
    stray: usize,
}

fn measure(
    core: Core,
    hasher: &FrameHasher,
    originals: &[Vec<(u32, Vec<u8>)>],
    copies: &[CroppedCopy],
    keyframes_per_copy: usize,
) -> Row {
    let cores: Vec<Vec<PerceptualHash>> = originals
        .iter()
        .map(|frames| {
            frames.iter().map(|(_, luma)| core.of_original(hasher, luma)).filter(|hash| !hash.is_flat()).collect()
        })
        .collect();
    let candidates = core.candidates();
    let mut row = Row::default();
    for copy in copies {
        let holds = core.held_by(&copy.crop);
        row.crops_holding += usize::from(holds);
        // The rectangle the first keyframe met best, whose neighbourhood the later ones search.
        let mut first_met: Option<Rectangle> = None;
        let every = (copy.frames.len() / keyframes_per_copy).max(1);
        for (time_ms, luma) in copy.frames.iter().step_by(every).take(keyframes_per_copy) {
            let Some((_, original)) = originals[copy.reference].iter().min_by_key(|(time, _)| time.abs_diff(*time_ms))
            else {
                continue;
            };
            let target = core.of_original(hasher, original);
            if target.is_flat() {
                continue;
            }
            let mut best: Option<(u32, Rectangle)> = None;
            for &rectangle in &candidates {
                let started = Instant::now();
                let candidate = rectangle.hash(hasher, luma);
                row.hashing += started.elapsed();
                row.hashed += 1;
                if candidate.is_flat() {
                    continue;
                }
                let distance = target.distance(candidate);
                if best.is_none_or(|(closest, _)| distance < closest) {
                    best = Some((distance, rectangle));
                }
                for (_, hashes) in cores.iter().enumerate().filter(|(other, _)| *other != copy.reference) {
                    row.compared += hashes.len();
                    row.stray += hashes.iter().filter(|hash| hash.distance(candidate) <= RADIUS).count();
                }
            }
            let met = best.filter(|(distance, _)| *distance <= RADIUS);
            if holds {
                match first_met {
                    Some(first) => row.carried.count(
                        candidates
                            .iter()
                            .filter(|rectangle| rectangle.near(first))
                            .any(|rectangle| target.distance(rectangle.hash(hasher, luma)) <= RADIUS),
                    ),
                    None => first_met = met.map(|(_, rectangle)| rectangle),
                }
            }
            let tally = if holds { &mut row.held } else { &mut row.not_held };
            tally.count(met.is_some());
        }
    }
    row
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
    println!(
        "{} references × {crops_per_reference} crops keeping {:.0}–{:.0} % of each side at random offsets (seed 1), \
         {keyframes_per_copy} keyframes each; grid: sizes ×{SCALE_STEP}, positions every {POSITION_STEP} px of {SIDE}\n",
        references.len(),
        CROP_KEPT.0 * 100.0,
        CROP_KEPT.1 * 100.0
    );
    println!(
        "| core | crops holding it | candidates a keyframe | keyframes whose best candidate is within {RADIUS} bits: crop holds the core / does not | later keyframes within {RADIUS} bits through rectangles within {NEAR_PIXELS} px of the first met one's best | µs to hash a candidate | stray hits: candidates within {RADIUS} bits of another reference's core, of comparisons |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for core in [Core { from: 0.3 }, Core { from: 0.35 }] {
        let row = measure(core, &hasher, &originals, &copies, keyframes_per_copy);
        println!(
            "| {:.0}–{:.0} % | {}/{} | {} | {} / {} | {} | {:.1} | {} of {} |",
            core.from * 100.0,
            (1.0 - core.from) * 100.0,
            row.crops_holding,
            copies.len(),
            core.candidates().len(),
            row.held.line(),
            row.not_held.line(),
            row.carried.line(),
            row.hashing.as_secs_f64() * 1e6 / row.hashed as f64,
            row.stray,
            row.compared,
        );
    }
}
