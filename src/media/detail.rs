//! Finding footage on a soft background by where its detail is.
//!
//! A copy padded to another aspect often sits on a blurred, zoomed copy of itself or on a flat
//! card, anywhere on the canvas. Such a fill is not a bar (it moves, or its colour bleeds into
//! the picture's edge under compression) and its boundary with the footage is no clean edge, so
//! neither `borders` nor the window's edge test finds it. What every such fill lacks is detail:
//! blurred or flat, it has next to no difference between neighbouring pixels, while footage at
//! any scale has plenty. So each row and each column is given its mean detail over the whole
//! video, and the footage is the one run of lines whose detail stands well above the rest.
//! When there is such a run both ways, the footage is a window over a plain background (a flat
//! card, or a texture that flickers too finely to survive the analysis scale): a rectangle of
//! detail with calm all around it.
//!
//! Only the copy's side ever uses this: the box is searched as the window is, never indexed, so
//! a video with a calm sky over a busy street costs a few more searches, not a different index.

use super::ANALYSIS_SIDE;
use super::borders::ContentBox;

/// A line whose detail is below this share, in percent, of the typical line is background.
/// Measured on two copies padded with a blurred copy (Big Buck Bunny, 1:1 and 9:16), the fill's
/// lines have 9–36 % of the typical line's detail, the footage's own lines 71 % or more; over
/// whole Big Buck Bunny and bikes frames, no line has less than 62 %.
const BACKGROUND_SHARE: u64 = 50;
/// Share, in percent, of the lines within the run that must be detailed themselves: footage is
/// one piece, and a run broken by long calm stretches is a busy and a calm part of one picture.
const MIN_DETAILED_WITHIN: usize = 90;
/// Fewest background lines, at one end or both together, for the run to be told from the whole
/// picture: scaling blends a line or two of any picture's edge.
const MIN_BACKGROUND_LINES: usize = 4;
/// Fewest lines the run may span: a quarter of the frame, as for a window.
const MIN_RUN: usize = ANALYSIS_SIDE / 4;

/// Detailed picture on a soft background.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SoftBackground {
    /// Fill on one axis: a copy padded to another aspect.
    Padding(ContentBox),
    /// Fill all around: a window over a plain background.
    Around(ContentBox),
}

impl SoftBackground {
    pub(super) fn footage(self) -> ContentBox {
        match self {
            SoftBackground::Padding(footage) | SoftBackground::Around(footage) => footage,
        }
    }

    /// The same layout with its footage changed by `change`.
    pub(super) fn map(self, change: impl FnOnce(ContentBox) -> ContentBox) -> SoftBackground {
        match self {
            SoftBackground::Padding(footage) => SoftBackground::Padding(change(footage)),
            SoftBackground::Around(footage) => SoftBackground::Around(change(footage)),
        }
    }
}

/// The detailed picture on a soft background, given per pixel the summed difference across
/// rows (`across_columns`, neighbours left and right) and across columns (`across_rows`,
/// neighbours above and below). `None` unless the detail makes one run of lines along at least
/// one axis.
pub(super) fn detailed_box(across_columns: &[u32], across_rows: &[u32]) -> Option<SoftBackground> {
    // A row's detail is measured along the row, so a fill's edge with the footage above or below
    // it (a horizontal edge) adds nothing to it; likewise for columns.
    let per_row: Vec<u64> = (0..ANALYSIS_SIDE)
        .map(|row| across_columns[row * ANALYSIS_SIDE..(row + 1) * ANALYSIS_SIDE].iter().map(|&d| u64::from(d)).sum())
        .collect();
    let per_column: Vec<u64> = (0..ANALYSIS_SIDE)
        .map(|column| (0..ANALYSIS_SIDE).map(|row| u64::from(across_rows[row * ANALYSIS_SIDE + column])).sum())
        .collect();
    // Padding fits the footage to the canvas's width or its height, so the detail splits along
    // one axis only. Split along both, it is a window over a plain background, or a picture
    // with detail in one corner only: searched as a window, that costs a few searches, and the
    // search decides.
    match (detailed_run(&per_row), detailed_run(&per_column)) {
        (Some((top, height)), None) => {
            Some(SoftBackground::Padding(ContentBox { left: 0, top, width: ANALYSIS_SIDE, height }))
        }
        (None, Some((left, width))) => {
            Some(SoftBackground::Padding(ContentBox { left, top: 0, width, height: ANALYSIS_SIDE }))
        }
        (Some((top, height)), Some((left, width))) => {
            Some(SoftBackground::Around(ContentBox { left, top, width, height }))
        }
        (None, None) => None,
    }
}

/// Start and length of the one run of detailed lines between background at its ends, if the
/// lines split that way.
fn detailed_run(detail: &[u64]) -> Option<(usize, usize)> {
    let mut sorted = detail.to_vec();
    sorted.sort_unstable();
    // The 80th percentile lies within the footage whenever the footage spans a fifth of the lines
    // or more, which the smallest run does.
    let typical = sorted[sorted.len() * 4 / 5];
    let detailed = |line: &u64| *line * 100 > typical * BACKGROUND_SHARE;
    let first = detail.iter().position(detailed)?;
    let last = detail.iter().rposition(detailed)?;
    let run = last - first + 1;
    let detailed_within = detail[first..=last].iter().filter(|line| detailed(line)).count();
    let split = run >= MIN_RUN
        && detail.len() - run >= MIN_BACKGROUND_LINES
        && detailed_within * 100 >= run * MIN_DETAILED_WITHIN;
    split.then_some((first, run))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Summed detail sums for `frames` frames of a picture: `detail(x, y)` per pixel per frame.
    fn sums(detail: impl Fn(usize, usize) -> u32) -> Vec<u32> {
        (0..ANALYSIS_SIDE * ANALYSIS_SIDE).map(|i| detail(i % ANALYSIS_SIDE, i / ANALYSIS_SIDE) * 40).collect()
    }

    #[test]
    fn finds_footage_off_centre_on_a_blurred_fill() {
        // A landscape clip across the width of a square canvas, low on it, over a blurred copy.
        let rows = |_: usize, y: usize| if (36..60).contains(&y) { 30 + (y as u32 % 7) * 5 } else { 2 };
        assert_eq!(
            detailed_box(&sums(rows), &sums(rows)),
            Some(SoftBackground::Padding(ContentBox { left: 0, top: 36, width: 64, height: 24 }))
        );
        // A tall clip on a wide canvas, at its left edge, over a flat card.
        let columns = |x: usize, _: usize| if x < 30 { 25 } else { 0 };
        let found = detailed_box(&sums(columns), &sums(columns));
        assert_eq!(found, Some(SoftBackground::Padding(ContentBox { left: 0, top: 0, width: 30, height: 64 })));
    }

    #[test]
    fn footage_that_fills_the_frame_has_no_box() {
        let busy = |x: usize, y: usize| 20 + ((x * 3 + y * 5) % 17) as u32;
        assert_eq!(detailed_box(&sums(busy), &sums(busy)), None);
        // Calm above, busy below: a sky with two thirds of the street's detail is still picture.
        let street = |_: usize, y: usize| if y < 20 { 24 } else { 36 };
        assert_eq!(detailed_box(&sums(street), &sums(street)), None);
    }

    #[test]
    fn detail_with_calm_all_around_is_a_window_and_two_parts_are_nothing() {
        let window = |x: usize, y: usize| if (6..36).contains(&x) && (20..50).contains(&y) { 30 } else { 1 };
        assert_eq!(
            detailed_box(&sums(window), &sums(window)),
            Some(SoftBackground::Around(ContentBox { left: 6, top: 20, width: 30, height: 30 }))
        );
        let two_parts = |_: usize, y: usize| if (4..24).contains(&y) || (40..60).contains(&y) { 30 } else { 1 };
        assert_eq!(detailed_box(&sums(two_parts), &sums(two_parts)), None);
    }
}
