//! Copies cropped off-centre: the core every footage is filed under, and the places a copy may
//! show it.
//!
//! A copy that keeps 60–95 % of each side of the picture, anywhere in it, holds none of the
//! regions [`ViewHashes`](super::ViewHashes) files, which all reach the picture's edges or its
//! centre band. It does hold, whenever it kept enough around the middle, the original's
//! **core**: the square 30–70 % across and down, which the index files beside the other regions.
//! Where the core sits in the copy depends on what was kept: a copy keeping 80 % of the width
//! from its left edge shows the core 37–87 % across, a quarter wider than the original did. So a lookup that finds
//! nothing as the copy shows it hashes the copy's picture at every [`Placement`] the core can
//! have (every size from a 95 % crop's to a 60 % crop's, [`SIZE_STEP`] apart, at every position
//! [`POSITION_STEP`] apart) and searches those hashes.
//!
//! The grid is what pHash tolerates: a size mismatch of about 5 % and a shift of about 3 % of the
//! side cost a few bits. It is 108 spans per side, 11,664 placements, which is why it is searched
//! only on a few keyframes and only when nothing else was found (see `matching::crop_search`).
//! Measured on the tuning fixtures (`cargo bench --bench crop_core`), the best placement comes
//! within the search radius on most keyframes of crops that hold the core (BENCHMARKS.md,
//! "Off-centre crops").
//!
//! The hashes cannot travel in a fingerprint (11,664 a keyframe), so a fingerprint carries the
//! analysis [`Picture`] of some of its keyframes instead, at most [`PICTURED_KEYFRAMES`] of
//! 4 KiB each, and the server hashes them when it needs to.

use super::hash::PerceptualHash;
use crate::media::ANALYSIS_SIDE;

/// The core's share of each side, and where it starts.
pub const CORE_SHARE: f64 = 0.4;
const CORE_FROM: f64 = (1.0 - CORE_SHARE) / 2.0;
/// Shares of each side a crop is assumed to keep: crops to as little as 60 % of the frame either
/// way, up to the widest crop the centre region (80 %) does not already meet.
const CROP_KEPT: (f64, f64) = (0.6, 0.95);
/// Each candidate core size is this factor larger than the last: pHash shrugs off about 5 %.
const SIZE_STEP: f64 = 1.08;
/// Candidate positions, as a share of the side: 2 pixels of the 64-pixel analysis frame.
const POSITION_STEP: f64 = 2.0 / ANALYSIS_SIDE as f64;
/// How many sizes the grid has: from [`CORE_SHARE`] over the widest crop to over the narrowest
/// (the largest size, 0.668, is that of a crop keeping 59.9 %).
const SIZES: usize = 7;

/// Most keyframes of a fingerprint that carry their [`Picture`]: every informative keyframe of
/// a video up to half a minute, so that a crop's segment ends where its keyframes do, and
/// spread over a longer one. 256 KiB at most, a sixty-fourth of the message limit.
pub const PICTURED_KEYFRAMES: usize = 64;

/// The picture of one keyframe as it was hashed: grey, row-major, inside the bars, at most
/// [`ANALYSIS_SIDE`] pixels on a side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    width: usize,
    height: usize,
    luma: Vec<u8>,
}

/// Why a picture received from elsewhere cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "a picture of {width}×{height} pixels with {bytes} bytes: pictures are 1 to {ANALYSIS_SIDE} pixels on a \
     side, one byte a pixel"
)]
pub struct InvalidPicture {
    width: usize,
    height: usize,
    bytes: usize,
}

impl Picture {
    /// A picture from elsewhere, checked.
    pub fn new(width: usize, height: usize, luma: Vec<u8>) -> Result<Picture, InvalidPicture> {
        let side = 1..=ANALYSIS_SIDE;
        if !side.contains(&width) || !side.contains(&height) || luma.len() != width * height {
            return Err(InvalidPicture { width, height, bytes: luma.len() });
        }
        Ok(Picture { width, height, luma })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// One byte of brightness a pixel, row by row from the top left.
    pub fn luma(&self) -> &[u8] {
        &self.luma
    }

    /// What hashes this picture wherever the core may sit in it.
    pub fn parts(&self) -> PartHasher {
        PartHasher::new(&self.luma, self.width, self.height)
    }
}

/// The core's hash of a row-major grey picture of `width` × `height` pixels, as the index files
/// it.
pub(super) fn core(luma: &[u8], width: usize, height: usize) -> PerceptualHash {
    PartHasher::new(luma, width, height).hash((CORE_FROM, CORE_SHARE), (CORE_FROM, CORE_SHARE))
}

/// Hashes parts of one picture: pHash's recipe (the part reduced to 16 × 16, the 8 × 8 lowest
/// frequencies of its DCT, each bit set when its coefficient is above their median), with the
/// reduction read from the picture's area sums.
///
/// Why not `FrameHasher`, which hashes every other view: a survey hashes 11,664 parts of each
/// of three pictures, and `image_hasher` copies, resamples and transforms each part from scratch
/// (`cargo bench --bench crop_core` times both). With the sums taken once, a part's 16 × 16
/// averages are the sums at its 289 cell corners, each interpolated from four, exact for any
/// fractional rectangle, and the DCT of the 64 coefficients that count is a few thousand
/// multiplications. Cores and the parts a
/// survey hashes are both hashed here, so they compare like with like.
pub struct PartHasher {
    /// `(width + 1) × (height + 1)`: the sum of the pixels above and left of each corner.
    sums: Vec<f64>,
    width: usize,
    height: usize,
}

/// The side of the reduced picture, and of the low frequencies kept.
const REDUCED: usize = 16;
const KEPT: usize = 8;

impl PartHasher {
    fn new(luma: &[u8], width: usize, height: usize) -> PartHasher {
        let mut sums = vec![0.0; (width + 1) * (height + 1)];
        for y in 0..height {
            let mut row = 0.0;
            for x in 0..width {
                row += f64::from(luma[y * width + x]);
                sums[(y + 1) * (width + 1) + x + 1] = sums[y * (width + 1) + x + 1] + row;
            }
        }
        PartHasher { sums, width, height }
    }

    /// The hash of the picture at `placement`: what the core would hash to if it sat there.
    pub fn at(&self, placement: Placement) -> PerceptualHash {
        let (across, down) = placement.shares();
        self.hash(across, down)
    }

    /// The hash of the part from `across.0` for `across.1` of the width and likewise down, as
    /// shares of the side.
    fn hash(&self, across: (f64, f64), down: (f64, f64)) -> PerceptualHash {
        let (width, height) = (self.width as f64, self.height as f64);
        let (left, part_width) = (across.0 * width, across.1 * width);
        let (top, part_height) = (down.0 * height, down.1 * height);
        let (cell_width, cell_height) = (part_width / REDUCED as f64, part_height / REDUCED as f64);
        // The sums at the corners of the 16 × 16 cells.
        let mut corners = [[0.0; REDUCED + 1]; REDUCED + 1];
        for (row, corners) in corners.iter_mut().enumerate() {
            for (column, corner) in corners.iter_mut().enumerate() {
                *corner = self.sum_to(left + column as f64 * cell_width, top + row as f64 * cell_height);
            }
        }
        let mut reduced = [[0.0; REDUCED]; REDUCED];
        for (row, cells) in reduced.iter_mut().enumerate() {
            for (column, cell) in cells.iter_mut().enumerate() {
                *cell = corners[row + 1][column + 1] - corners[row][column + 1] - corners[row + 1][column]
                    + corners[row][column];
            }
        }
        let cosines = dct_cosines();
        // The 2-D DCT, kept to its lowest frequencies: across each row, then down each column.
        let mut across_rows = [[0.0; KEPT]; REDUCED];
        for (row, out) in across_rows.iter_mut().enumerate() {
            for (frequency, out) in out.iter_mut().enumerate() {
                *out = (0..REDUCED).map(|x| cosines[frequency][x] * reduced[row][x]).sum();
            }
        }
        let mut coefficients = [0.0; KEPT * KEPT];
        for vertical in 0..KEPT {
            for horizontal in 0..KEPT {
                coefficients[vertical * KEPT + horizontal] =
                    (0..REDUCED).map(|y| cosines[vertical][y] * across_rows[y][horizontal]).sum();
            }
        }
        // A flat part's coefficients are all zero but the first, give or take rounding: made
        // exactly zero, they tie, and the part hashes flat (see `PerceptualHash::is_flat`).
        let total: f64 = reduced.iter().flatten().sum();
        for coefficient in &mut coefficients {
            if coefficient.abs() <= total * 1e-9 {
                *coefficient = 0.0;
            }
        }
        let mut sorted = coefficients;
        sorted.sort_by(f64::total_cmp);
        let median = (sorted[KEPT * KEPT / 2 - 1] + sorted[KEPT * KEPT / 2]) / 2.0;
        let bits = coefficients.iter().fold(0u64, |bits, &coefficient| (bits << 1) | u64::from(coefficient > median));
        PerceptualHash(bits)
    }

    /// The sum of the picture above and left of `(x, y)`, in pixels: the area sums interpolated,
    /// which is exact for a picture constant over each pixel.
    fn sum_to(&self, x: f64, y: f64) -> f64 {
        let x = x.clamp(0.0, self.width as f64);
        let y = y.clamp(0.0, self.height as f64);
        let (column, row) = ((x as usize).min(self.width - 1), (y as usize).min(self.height - 1));
        let (across, down) = (x - column as f64, y - row as f64);
        let at = |column: usize, row: usize| self.sums[row * (self.width + 1) + column];
        let top = at(column, row) * (1.0 - across) + at(column + 1, row) * across;
        let bottom = at(column, row + 1) * (1.0 - across) + at(column + 1, row + 1) * across;
        top * (1.0 - down) + bottom * down
    }
}

/// `cos((2x + 1) u π / 32)` for each kept frequency `u` and position `x` of the reduced side.
fn dct_cosines() -> &'static [[f64; REDUCED]; KEPT] {
    static COSINES: std::sync::OnceLock<[[f64; REDUCED]; KEPT]> = std::sync::OnceLock::new();
    COSINES.get_or_init(|| {
        std::array::from_fn(|frequency| {
            std::array::from_fn(|x| {
                ((2 * x + 1) as f64 * frequency as f64 * std::f64::consts::PI / (2 * REDUCED) as f64).cos()
            })
        })
    })
}

/// Positions of at most `count` of `len` items, spread evenly from the first to the last, both
/// included when `count` is two or more.
pub fn spread_evenly(len: usize, count: usize) -> Vec<usize> {
    let count = count.min(len);
    let mut positions: Vec<usize> = (0..count).map(|n| n * (len - 1) / (count - 1).max(1)).collect();
    positions.dedup();
    positions
}

/// Where the core may sit along one side of a copy: a size step and a position step of the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    size: u8,
    start: u8,
}

impl Span {
    fn share(self) -> f64 {
        CORE_SHARE / CROP_KEPT.1 * SIZE_STEP.powi(i32::from(self.size))
    }

    fn start_share(self) -> f64 {
        f64::from(self.start) * POSITION_STEP
    }

    /// Whether the span lies within the side.
    fn fits(self) -> bool {
        usize::from(self.size) < SIZES && self.start_share() + self.share() <= 1.0 + 1e-9
    }

    /// Every span of the grid along one side.
    fn every() -> impl Iterator<Item = Span> {
        (0..SIZES as u8)
            .flat_map(|size| (0..=u8::MAX).map(move |start| Span { size, start }).take_while(|span| span.fits()))
    }

    /// Whether the two are at most one step apart in size and in position: the same place, as
    /// far as the grid can tell.
    fn near(self, other: Span) -> bool {
        self.size.abs_diff(other.size) <= 1 && self.start.abs_diff(other.start) <= 1
    }

    /// Spans one step or none from this one that fit.
    fn neighbourhood(self) -> impl Iterator<Item = Span> {
        let steps = |value: u8| value.saturating_sub(1)..=value.saturating_add(1);
        steps(self.size)
            .flat_map(move |size| steps(self.start).map(move |start| Span { size, start }))
            .filter(|span| span.fits())
    }
}

/// Where the core may sit in a copy: a span across and a span down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Placement {
    pub across: Span,
    pub down: Span,
}

impl Placement {
    /// Every placement of the grid.
    pub fn every() -> Vec<Placement> {
        let spans: Vec<Span> = Span::every().collect();
        spans.iter().flat_map(|&across| spans.iter().map(move |&down| Placement { across, down })).collect()
    }

    /// Where it starts and how much it spans across, then down, as shares of the side.
    pub fn shares(self) -> ((f64, f64), (f64, f64)) {
        let span = |span: Span| (span.start_share(), span.share());
        (span(self.across), span(self.down))
    }

    /// Whether two placements are the same place as far as the grid can tell.
    pub fn near(self, other: Placement) -> bool {
        self.across.near(other.across) && self.down.near(other.down)
    }

    /// The placements [near](Placement::near) this one, itself included.
    pub fn neighbourhood(self) -> Vec<Placement> {
        self.across
            .neighbourhood()
            .flat_map(|across| self.down.neighbourhood().map(move |down| Placement { across, down }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_covers_every_crop_it_assumes_and_nothing_past_the_picture() {
        let every = Placement::every();
        assert_eq!(every.len(), 108 * 108);
        let spans: Vec<Span> = Span::every().collect();
        // The core of a crop keeping 60 % or 95 % of a side is within half a size step of one.
        for kept in [CROP_KEPT.0, CROP_KEPT.1] {
            let share = CORE_SHARE / kept;
            assert!(spans.iter().any(|span| (span.share() / share).ln().abs() <= SIZE_STEP.ln() / 2.0 + 1e-9));
        }
        let placement = every[500];
        let neighbourhood = placement.neighbourhood();
        assert!(neighbourhood.contains(&placement) && neighbourhood.len() <= 81);
        assert!(neighbourhood.iter().all(|&other| other.near(placement)));
    }

    #[test]
    fn a_part_hashes_as_the_same_part_cropped_and_scaled_up_does_and_unlike_another_picture() {
        use crate::media::ContentBox;
        use crate::test_kit::{cropped_back, scene};
        let side = ANALYSIS_SIDE;
        let picture = scene(3, side, side);
        let whole = |pixels: &[u8]| PartHasher::new(pixels, side, side).hash((0.0, 1.0), (0.0, 1.0));
        // The part 25–75 % across and 12.5–62.5 % down, as a copy cropped to it shows it.
        let part = PartHasher::new(&picture, side, side).hash((0.25, 0.5), (0.125, 0.5));
        let cropped = cropped_back(&picture, side, side, ContentBox { left: 16, top: 8, width: 32, height: 32 });
        assert!(part.distance(whole(&cropped)) <= 4, "{}", part.distance(whole(&cropped)));
        assert!(!part.is_flat());
        assert!(part.distance(whole(&scene(4, side, side))) >= 16);
        assert!(whole(&vec![90; side * side]).is_flat(), "a flat picture hashes flat");
    }

    #[test]
    fn a_picture_from_elsewhere_must_be_as_big_as_it_says() {
        assert!(Picture::new(2, 3, vec![0; 6]).is_ok());
        let refused = Picture::new(2, 3, vec![0; 5]).unwrap_err().to_string();
        assert_eq!(
            refused,
            "a picture of 2×3 pixels with 5 bytes: pictures are 1 to 64 pixels on a side, one byte a pixel"
        );
        assert!(Picture::new(65, 1, vec![0; 65]).is_err());
        assert!(Picture::new(0, 0, Vec::new()).is_err());
    }

    #[test]
    fn positions_spread_evenly_reach_both_ends() {
        assert_eq!(spread_evenly(10, 3), vec![0, 4, 9]);
        assert_eq!(spread_evenly(2, 3), vec![0, 1]);
        assert_eq!(spread_evenly(5, 1), vec![0]);
        assert!(spread_evenly(0, 3).is_empty());
    }
}
