//! Picking keyframes so that two encodes of the same footage agree on where they are.
//!
//! The encoder's own I-frames are useless for this: every encode places them differently. What
//! two encodes share is the content, so the selector follows it:
//! - a **scene cut** (a large jump between consecutive frames) always starts a keyframe, and
//!   re-anchors the sampling grid to the content;
//! - between cuts, a **sampling floor** takes a keyframe every `interval_ms`, so a long shot is
//!   covered as densely as matching needs.
//!
//! Two encodes therefore pick the same frames after every cut, and frames at most half an
//! interval apart elsewhere. A trimmed copy starts on its own grid; it re-joins the original's at
//! its first cut, and until then matching tolerates the half-interval misalignment.
//!
//! A **short video** (every frame before `short_video_ms`) is sampled more densely, every
//! `short_interval_ms`: at the floor's interval a one-second clip has two or three keyframes,
//! fewer than the matcher's quorum, however well each one matches. Dense keyframes of a short
//! copy still meet a longer original's sparse ones: each of the original's keyframes has one of
//! the copy's within about half the short interval (a frame's length more, when frames do not
//! fall on it). Whether a video is short is known only at its end, so both samplings run until
//! a frame at or past `short_video_ms` rules the dense one out.
//!
//! Frames with little information (black, flat colour, a title card that is mostly one colour,
//! the bottom of a fade) hash to near-noise: they are kept for timing but marked, and the stages
//! after this one never take them as evidence.

#[cfg(test)]
use super::ANALYSIS_SIDE;
use super::AnalysisFrame;

/// The sampling floor's interval: the longest stretch without a keyframe. Other numbers derive
/// from it (how far two copies' keyframes of one moment may sit apart in time).
pub const SAMPLING_INTERVAL_MS: u32 = 500;

/// How keyframes are chosen. The defaults are part of the fingerprint recipe: changing them
/// changes which frames are hashed, so fingerprints made with other values do not compare.
#[derive(Clone, Debug)]
pub struct KeyframePolicy {
    /// The sampling floor: the longest stretch without a keyframe.
    pub interval_ms: u32,
    /// A video whose every frame comes before this is sampled every `short_interval_ms` instead.
    pub short_video_ms: u32,
    /// The sampling floor of a short video.
    pub short_interval_ms: u32,
    /// Mean absolute luma difference (0–255) between consecutive frames that counts as a cut.
    pub cut_threshold: f32,
    /// Cuts closer than this to the previous keyframe do not start another: flashes and strobes
    /// would otherwise flood the fingerprint.
    pub min_gap_ms: u32,
    /// Luma standard deviation (0–255) below which a frame is flat.
    pub min_contrast: f32,
    /// Share of pixels in the most common brightness band above which a frame is mostly one
    /// colour (a black frame with a logo, a title card).
    pub max_dominant_share: f32,
}

impl Default for KeyframePolicy {
    fn default() -> Self {
        KeyframePolicy {
            interval_ms: SAMPLING_INTERVAL_MS,
            // Up to three seconds, the length of the shortest excerpts a re-upload is cut to,
            // where the floor gives at most six keyframes: every fourth frame of 25 fps video.
            short_video_ms: 3_000,
            short_interval_ms: SAMPLING_INTERVAL_MS / 4,
            cut_threshold: 28.0,
            min_gap_ms: 120,
            min_contrast: 10.0,
            max_dominant_share: 0.8,
        }
    }
}

/// Streams frames in; once the video has ended, tells which were keyframes.
pub struct KeyframeSelector {
    policy: KeyframePolicy,
    previous: Option<Vec<u8>>,
    floor: Sampling,
    /// The short video's sampling, until a frame shows the video is not short. Holds at most
    /// `short_video_ms / short_interval_ms` frames and the cuts between them.
    dense: Option<Sampling>,
}

/// One sampling of a video: a keyframe at every cut and at least every `interval_ms`.
struct Sampling {
    interval_ms: u32,
    last_keyframe_ms: Option<u32>,
    picked: Vec<AnalysisFrame>,
}

impl Sampling {
    fn new(interval_ms: u32) -> Sampling {
        Sampling { interval_ms, last_keyframe_ms: None, picked: Vec::new() }
    }

    /// Whether the frame at `time_ms` is a keyframe of this sampling, remembered as one if so.
    fn takes(&mut self, time_ms: u32, is_cut: bool, min_gap_ms: u32) -> bool {
        let take = match self.last_keyframe_ms.map(|last| time_ms.saturating_sub(last)) {
            None => true,
            Some(elapsed) => elapsed >= self.interval_ms || (is_cut && elapsed >= min_gap_ms),
        };
        if take {
            self.last_keyframe_ms = Some(time_ms);
        }
        take
    }
}

impl KeyframeSelector {
    pub fn new(policy: KeyframePolicy) -> Self {
        KeyframeSelector {
            floor: Sampling::new(policy.interval_ms),
            dense: Some(Sampling::new(policy.short_interval_ms)),
            policy,
            previous: None,
        }
    }

    /// Feeds the next frame in presentation order.
    pub fn push(&mut self, frame: AnalysisFrame) {
        let is_cut = self
            .previous
            .as_deref()
            .is_some_and(|previous| mean_abs_difference(previous, &frame.luma) >= self.policy.cut_threshold);
        match &mut self.previous {
            Some(previous) => previous.copy_from_slice(&frame.luma),
            None => self.previous = Some(frame.luma.clone()),
        }
        let min_gap_ms = self.policy.min_gap_ms;
        if frame.time_ms >= self.policy.short_video_ms {
            self.dense = None;
        }
        if let Some(dense) = &mut self.dense
            && dense.takes(frame.time_ms, is_cut, min_gap_ms)
        {
            dense.picked.push(frame.clone());
        }
        if self.floor.takes(frame.time_ms, is_cut, min_gap_ms) {
            self.floor.picked.push(frame);
        }
    }

    /// The keyframes, in time order: the dense sampling's if the video was short.
    pub fn keyframes(self) -> Vec<AnalysisFrame> {
        self.dense.unwrap_or(self.floor).picked
    }
}

fn mean_abs_difference(a: &[u8], b: &[u8]) -> f32 {
    let total: u64 = a.iter().zip(b).map(|(&x, &y)| u64::from(x.abs_diff(y))).sum();
    total as f32 / a.len().max(1) as f32
}

impl KeyframePolicy {
    /// Whether a picture (grey pixels, `width` to a row: a whole analysis frame, or the part of
    /// it inside the bars) has enough in it to identify footage by.
    ///
    /// A picture mostly of one brightness still does when the rest is spread all over it (a star
    /// field, a city at night), not gathered in one place (a logo, a line of title text).
    pub fn is_informative(&self, pixels: &[u8], width: usize) -> bool {
        let count = pixels.len().max(1) as f32;
        let mean = pixels.iter().map(|&v| f32::from(v)).sum::<f32>() / count;
        let variance = pixels.iter().map(|&v| (f32::from(v) - mean).powi(2)).sum::<f32>() / count;
        if variance.sqrt() < self.min_contrast {
            return false;
        }
        let dominant = DominantBand::of(pixels);
        if dominant.pixels as f32 / count <= self.max_dominant_share {
            return true;
        }
        detail_is_spread(pixels, width, &dominant)
    }
}

/// Whether the pixels outside the dominant band reach at least half of the picture's cells.
fn detail_is_spread(pixels: &[u8], width: usize, dominant: &DominantBand) -> bool {
    let width = width.max(1);
    let columns = width.div_ceil(CELL_SIDE);
    let rows = (pixels.len() / width).div_ceil(CELL_SIDE);
    let mut outside_per_cell = vec![0usize; columns * rows];
    for (index, &value) in pixels.iter().enumerate() {
        if !dominant.contains(value) {
            let (x, y) = (index % width, index / width);
            outside_per_cell[(y / CELL_SIDE) * columns + x / CELL_SIDE] += 1;
        }
    }
    let with_detail =
        outside_per_cell.iter().filter(|&&outside| outside * CELL_SHARE_DENOMINATOR >= CELL_SIDE * CELL_SIDE).count();
    with_detail * 2 >= outside_per_cell.len()
}

/// The picture is cut into cells this many pixels on a side to tell spread detail from gathered.
const CELL_SIDE: usize = 8;
/// A cell holds detail when at least one pixel in this many is outside the dominant band: a
/// few galaxies in a deep field are enough, compression noise in a dark sky is not.
const CELL_SHARE_DENOMINATOR: usize = 16;
/// Width of a brightness band, in levels: wide enough that compression noise stays in its band.
const BAND_WIDTH: usize = 16;

/// The band of [`BAND_WIDTH`] brightness levels that holds the most pixels. It slides level by
/// level, so a dark sky at the edge of a fixed band is not split in two and called varied, only
/// to be called uniform once a brightness change moves it inside one.
struct DominantBand {
    lowest: u8,
    pixels: usize,
}

impl DominantBand {
    fn of(pixels: &[u8]) -> DominantBand {
        let mut histogram = [0usize; 256];
        for &value in pixels {
            histogram[usize::from(value)] += 1;
        }
        let mut in_band: usize = histogram[..BAND_WIDTH].iter().sum();
        let mut best = DominantBand { lowest: 0, pixels: in_band };
        for lowest in 1..=256 - BAND_WIDTH {
            in_band = in_band + histogram[lowest + BAND_WIDTH - 1] - histogram[lowest - 1];
            if in_band > best.pixels {
                best = DominantBand { lowest: lowest as u8, pixels: in_band };
            }
        }
        best
    }

    fn contains(&self, value: u8) -> bool {
        (usize::from(self.lowest)..usize::from(self.lowest) + BAND_WIDTH).contains(&usize::from(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(time_ms: u32, luma: Vec<u8>) -> AnalysisFrame {
        AnalysisFrame { time_ms, luma }
    }

    fn gradient(shift: u8) -> Vec<u8> {
        (0..ANALYSIS_SIDE * ANALYSIS_SIDE)
            .map(|i| ((i % ANALYSIS_SIDE) as u8).wrapping_mul(4).wrapping_add(shift))
            .collect()
    }

    /// The keyframe times a selector picks from `frames` frames 40 ms apart, the `n`th frame's
    /// picture `luma(n)`.
    fn picked(frames: u32, luma: impl Fn(u32) -> Vec<u8>) -> Vec<u32> {
        let mut selector = KeyframeSelector::new(KeyframePolicy::default());
        for n in 0..frames {
            selector.push(frame(n * 40, luma(n)));
        }
        selector.keyframes().iter().map(|kept| kept.time_ms).collect()
    }

    #[test]
    fn samples_a_still_shot_at_the_floor_interval() {
        assert_eq!(picked(100, |_| gradient(0)), vec![0, 520, 1040, 1560, 2080, 2600, 3120, 3640]);
    }

    #[test]
    fn a_cut_starts_a_keyframe_and_re_anchors_the_grid() {
        let inverted: Vec<u8> = gradient(0).iter().map(|v| 255 - v).collect();
        let luma = |n| if n < 10 { gradient(0) } else { inverted.clone() };
        assert_eq!(picked(90, luma), vec![0, 400, 920, 1440, 1960, 2480, 3000, 3520]);
    }

    #[test]
    fn a_short_video_is_sampled_densely_and_still_cut_at_its_cuts() {
        // 2 s: every 125 ms of 40 ms frames is every fourth frame, and the cut at 440 ms
        // re-anchors the grid.
        let inverted: Vec<u8> = gradient(0).iter().map(|v| 255 - v).collect();
        let luma = |n| if n < 11 { gradient(0) } else { inverted.clone() };
        let times = picked(50, luma);
        assert_eq!(times[..6], [0, 160, 320, 440, 600, 760]);
        assert_eq!(times.len(), 13);
        assert!(times.windows(2).all(|pair| pair[1] - pair[0] == 160 || pair == [320, 440]), "{times:?}");
    }

    #[test]
    fn a_video_that_reaches_the_short_length_is_sampled_at_the_floor() {
        // The last frame at 3000 ms: not short.
        assert_eq!(picked(76, |_| gradient(0)), vec![0, 520, 1040, 1560, 2080, 2600]);
        assert_eq!(picked(75, |_| gradient(0)).len(), 19);
    }

    #[test]
    fn black_flat_and_mostly_black_frames_are_not_informative() {
        let policy = KeyframePolicy::default();
        let informative = |pixels: &[u8]| policy.is_informative(pixels, ANALYSIS_SIDE);
        assert!(!informative(&vec![0; ANALYSIS_SIDE * ANALYSIS_SIDE]));
        assert!(!informative(&vec![128; ANALYSIS_SIDE * ANALYSIS_SIDE]));
        let mut logo_on_black = vec![4u8; ANALYSIS_SIDE * ANALYSIS_SIDE];
        logo_on_black[..300].fill(240);
        assert!(!informative(&logo_on_black));
        assert!(informative(&gradient(0)));
    }

    #[test]
    fn a_star_field_is_informative_wherever_its_sky_falls_between_brightness_bands() {
        let policy = KeyframePolicy::default();
        for sky in [8u8, 14, 16, 30] {
            // A dark sky with a small bright object in every 8×8 cell: 1 pixel in 8 of each.
            let stars: Vec<u8> =
                (0..ANALYSIS_SIDE * ANALYSIS_SIDE)
                    .map(|i| {
                        if (i % ANALYSIS_SIDE) % 8 < 2 && (i / ANALYSIS_SIDE) % 8 < 4 {
                            220
                        } else {
                            sky + (i % 3) as u8
                        }
                    })
                    .collect();
            assert!(policy.is_informative(&stars, ANALYSIS_SIDE), "sky at {sky}");
        }
    }
}
