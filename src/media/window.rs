//! Finding a window of footage shown over other footage: picture-in-picture.
//!
//! A re-upload sometimes shows the clip in a smaller window over something else: a news
//! programme's inset picture, a reaction video, a screen recording of a player. Hashed whole, or through
//! any of the fixed views of `fingerprint::views`, such a frame is mostly the other footage. The
//! window cut out on its own is the clip at a smaller scale, which pHash does not mind.
//!
//! What gives the window away is its frame: four straight edges that stay in place for the whole
//! video while the pictures on either side change independently. Averaged over the video, the
//! difference across such an edge stays high, while differences inside moving footage average
//! out to the footage's own texture. So the detector keeps, at every pixel, the mean difference
//! between the pixels two apart across it (two, so that the one pixel a scaled-down edge blends
//! into does not hide it), and looks for rectangles whose sides are persistently stronger than
//! the picture just beside them. Of those that move, it keeps the one with the most sides of its
//! own, then the one whose sides are edge nearly all along (over busy footage, a line through
//! the background is edge only here and there), then the one that holds the most moving picture
//! and the least still picture: the footage, not the static page or panel around it. Over a soft background (a blurred copy of the clip, a flat
//! card) the edges may not stand out; there the window is the run of detailed picture that
//! `media::detail` finds.
//!
//! A split screen (a reaction beside the clip, two clips stacked in a vertical frame) has no
//! frame around either part, only a seam: one such edge running across the whole frame. Each
//! part on either side of it is searched as a window too, after the bars a clip fitted into a
//! part of another shape carries are trimmed off.
//!
//! Like the bars, the window is decided over the whole video, so every keyframe gets the same
//! crop. Only lookups search the window (see `fingerprint::views`), beside the usual views: a
//! window found where there is none costs a few searches, not a false match, because the crop
//! of real footage still has to meet indexed footage within the radius, in time order.

use super::ANALYSIS_SIDE;
use super::borders::ContentBox;
use super::detail::{SoftBackground, detailed_box};

/// Least mean difference across a window's edge, on the 0–255 scale.
const MIN_EDGE_STRENGTH: u32 = 12;
/// An edge stands above the picture [`BESIDE`] pixels to either side of it, and measures this
/// many times the calmer side: the background beside a window is often plain, the footage
/// inside it rarely is.
const EDGE_CONTRAST: u32 = 2;
/// Share of a side's pixels, in percent, that must be edge: a side may run through a stretch
/// where window and background happen to look alike.
const MIN_SIDE_COVERAGE: usize = 60;
/// Share of a side's pixels, in percent, that are edge along a window's own side: over busy
/// footage a line through the background reaches [`MIN_SIDE_COVERAGE`] here and there, and the
/// window's sides stand out by being edge nearly all along.
const CLEAN_SIDE_COVERAGE: usize = 80;
/// Smallest window, in analysis pixels per side: a quarter of the frame. Smaller windows are
/// logos and thumbnails, too small to hash.
const MIN_WINDOW_SIDE: usize = ANALYSIS_SIDE / 4;
/// Share of a seam's length, in percent, that must be edge: a seam runs the whole frame, and only
/// where the two parts happen to look alike does it fade.
const MIN_SEAM_COVERAGE: usize = 80;
/// Lines where a split screen's seam may lie: its parts take 30–70 % of the frame each way.
const SPLIT_ZONE: std::ops::RangeInclusive<usize> = ANALYSIS_SIDE * 3 / 10..=ANALYSIS_SIDE * 7 / 10;
/// Thinnest part of a split screen, in analysis pixels: a landscape clip fitted into half of a
/// vertical frame is a fifth of its height, less the lines its blurred edges take.
const MIN_PART_SIDE: usize = ANALYSIS_SIDE * 3 / 16;
/// A line along a split screen's part with less than this share, in percent, of the part's
/// detail per pixel is flat: a bar, where a clip's own lines, however calm, keep detail.
const FLAT_SHARE: u64 = 20;
/// Pixels at each end of a line along a split screen's part left out when measuring its
/// detail: at a seam, they carry the seam's difference blurred over a pixel or two.
const SEAM_BLUR: usize = 2;
// A part's lines, at least `MIN_PART_SIDE` long, keep pixels between their ends.
const _: () = assert!(MIN_PART_SIDE > 2 * SEAM_BLUR);
/// Most windows a video is searched in: both parts of a split screen and a framed window. Each
/// costs three more searches per query keyframe, and a fingerprint from elsewhere may carry no
/// more.
pub const MAX_WINDOWS: usize = 3;
/// Pixels between an edge and the picture it is compared with.
const BESIDE: usize = 3;
/// Lines with a difference measured across them: the frame's first and last have a neighbour on
/// one side only.
const MEASURED_LINES: std::ops::RangeInclusive<usize> = 1..=ANALYSIS_SIDE - 2;

/// Watches every frame of a video and then tells where a window within it is, if there is one.
pub struct WindowDetector {
    frames: u32,
    /// Per pixel, the sum over frames of |left neighbour − right neighbour|: high on vertical edges.
    across_columns: Vec<u32>,
    /// Per pixel, the sum over frames of |upper neighbour − lower neighbour|: high on horizontal
    /// edges.
    across_rows: Vec<u32>,
    /// Per pixel, the sum over frames of |this frame − the frame before|: high where the picture
    /// moves, which tells the footage's window from static chrome framed the same way.
    activity: Vec<u32>,
    /// The frame observed last, which the next one is compared with for `activity`.
    previous: Option<Vec<u8>>,
}

impl Default for WindowDetector {
    fn default() -> Self {
        let pixels = ANALYSIS_SIDE * ANALYSIS_SIDE;
        WindowDetector {
            frames: 0,
            across_columns: vec![0; pixels],
            across_rows: vec![0; pixels],
            activity: vec![0; pixels],
            previous: None,
        }
    }
}

impl WindowDetector {
    pub fn observe(&mut self, luma: &[u8]) {
        self.frames += 1;
        let at = |row: usize, column: usize| luma[row * ANALYSIS_SIDE + column];
        for row in 0..ANALYSIS_SIDE {
            for column in 1..ANALYSIS_SIDE - 1 {
                self.across_columns[row * ANALYSIS_SIDE + column] +=
                    u32::from(at(row, column - 1).abs_diff(at(row, column + 1)));
            }
        }
        for row in 1..ANALYSIS_SIDE - 1 {
            for column in 0..ANALYSIS_SIDE {
                self.across_rows[row * ANALYSIS_SIDE + column] +=
                    u32::from(at(row - 1, column).abs_diff(at(row + 1, column)));
            }
        }
        if let Some(previous) = &mut self.previous {
            for ((sum, now), before) in self.activity.iter_mut().zip(luma).zip(previous.iter()) {
                *sum += u32::from(now.abs_diff(*before));
            }
            previous.copy_from_slice(luma);
        } else {
            self.previous = Some(luma.to_vec());
        }
    }

    /// Where footage may be shown within the frame, at most [`MAX_WINDOWS`]: the parts of a split
    /// screen, and the window framed by four edges (or two seams, for a window as tall or as wide
    /// as the frame) or else footage on a soft background found by its detail (`media::detail`).
    /// Empty when there is none of these, and never the picture inside the bars, `content`,
    /// which is hashed anyway.
    pub fn windows(&self, content: ContentBox) -> Vec<ContentBox> {
        if self.frames == 0 {
            return Vec::new();
        }
        let motion = MotionMap::new(&self.activity, ContentBox::WHOLE_FRAME);
        // A window's margins stand still or move by its own footage's motion: over busy footage
        // the frame's average is the background's, beside which a clip's calm side is still.
        let without_still_margins =
            |window: ContentBox| MotionMap::new(&self.activity, window).without_still_margins(window);
        let vertical = EdgeMap::new(&self.across_columns, self.frames, Axis::Columns);
        let horizontal = EdgeMap::new(&self.across_rows, self.frames, Axis::Rows);
        let detail: Vec<u32> =
            self.across_columns.iter().zip(&self.across_rows).map(|(across, down)| across + down).collect();
        let mut windows = split_parts(&vertical, &horizontal, &motion, &detail);
        let framed = framed_window(&vertical, &horizontal, &motion)
            .map(|(framed, real_sides)| (without_still_margins(framed), real_sides));
        // Less its still margins, like a framed window: a page's title above a player shares
        // the player's columns.
        let detailed = detailed_box(&self.across_columns, &self.across_rows)
            .filter(|found| motion.moves(&found.footage()))
            .map(|found| found.map(without_still_margins));
        // Footage has rectangles of its own (a car's window, a doorway), which the edge test
        // takes for a window when nothing better frames one. Any such rectangle within detailed
        // picture that has calm all around it is the footage's own; within the detailed picture
        // of a padded copy, one that leans on the frame's edge is too, while one with four edges
        // of its own is a window over the copy.
        let window = match (framed, detailed) {
            (Some((framed, _)), Some(SoftBackground::Around(detailed)))
                if detailed.contains(&framed) && flat_around(detailed, &detail) =>
            {
                Some(detailed)
            }
            (Some((framed, real_sides)), Some(SoftBackground::Padding(detailed)))
                if real_sides < 4 && detailed.contains(&framed) =>
            {
                Some(detailed)
            }
            (framed, detailed) => framed.map(|(framed, _)| framed).or(detailed.map(SoftBackground::footage)),
        };
        windows.extend(window);
        let mut distinct: Vec<ContentBox> = Vec::new();
        for window in windows {
            if !window.nearly_equals(&content) && !distinct.iter().any(|kept| kept.nearly_equals(&window)) {
                distinct.push(window);
            }
        }
        distinct.truncate(MAX_WINDOWS);
        distinct
    }
}

/// The picture inside the window found, without its edges: of the closed rectangles that move
/// more than they stand still, the one with the most real sides, then the one whose real sides
/// are all [`CLEAN_SIDE_COVERAGE`] edge, then the one that holds the most motion and the least
/// stillness, with how many of its sides are edges of its own rather than the frame's. `None`
/// when there is no such rectangle.
///
/// Motion decides between rectangles because a page around a player is full of them (the
/// player, a side panel of thumbnails, both together) and only the footage moves. What counts
/// against a rectangle is stillness, not moving less than the frame does on average: over a
/// busy background, a clip's calm parts (the inside of a car, a dark sky) move less than the
/// average, and ranking against it would prefer a busy part of the clip to the whole window.
/// Over busy footage, though, a larger box that takes in some of the background moves more
/// than the window does; its side through the background is edge only here and there, where
/// the window's own sides are edge nearly all along, so clean sides come before motion.
///
/// A window may run off the frame (a split screen, or a window placed partly outside), so the
/// frame's own edges count as sides; but at least one side across and one down must be a
/// real edge, or the "window" is the whole frame. The one exception is a window as tall (or as
/// wide) as the frame, over busy footage that fills the rest: its two real sides then run the
/// frame's whole length, as the seams of a split screen do, and must be edge as much of it.
fn framed_window(vertical: &EdgeMap, horizontal: &EdgeMap, motion: &MotionMap) -> Option<(ContentBox, usize)> {
    let lines = |map: &EdgeMap| -> Vec<usize> {
        let edges = MEASURED_LINES
            .filter(|&line| map.edge_pixels(line, 0, ANALYSIS_SIDE - 1) * 100 >= MIN_WINDOW_SIDE * MIN_SIDE_COVERAGE);
        std::iter::once(FRAME_START).chain(edges).chain(std::iter::once(FRAME_END)).collect()
    };
    let (columns, rows) = (lines(vertical), lines(horizontal));
    let mut best: Option<((usize, bool, i32), ContentBox)> = None;
    let spans_the_frame = |first: usize, last: usize| (first, last) == (FRAME_START, FRAME_END);
    for (left, right) in pairs(&columns) {
        for (top, bottom) in pairs(&rows) {
            let sides_cover = |coverage: usize| {
                vertical.covers(left, top, bottom, coverage)
                    && vertical.covers(right, top, bottom, coverage)
                    && horizontal.covers(top, left, right, coverage)
                    && horizontal.covers(bottom, left, right, coverage)
            };
            let closed = match (spans_the_frame(left, right), spans_the_frame(top, bottom)) {
                (true, true) => false,
                (false, true) => vertical.is_seam(left) && vertical.is_seam(right),
                (true, false) => horizontal.is_seam(top) && horizontal.is_seam(bottom),
                (false, false) => sides_cover(MIN_SIDE_COVERAGE),
            };
            if !closed {
                continue;
            }
            let window = window_within([left, right, top, bottom]);
            // A rectangle that stands still is no window: trimming its stillness would leave any
            // 16-pixel patch.
            if !motion.moves(&window) {
                continue;
            }
            // Real edges before motion: a window's own four sides, not a larger box that
            // leans on the frame's edges.
            let real_sides = [left, right, top, bottom].iter().filter(|&&side| !is_frame_line(side)).count();
            let rank = (real_sides, sides_cover(CLEAN_SIDE_COVERAGE), motion.moving_within(&window));
            if best.is_none_or(|(best_rank, _)| rank > best_rank) {
                best = Some((rank, window));
            }
        }
    }
    let ((real_sides, _, _), window) = best?;
    Some((window, real_sides))
}

/// The parts of a split screen: the frame cut along one axis by seams, straight edges across
/// its whole length that persist while the pictures on either side change independently, at
/// least one of them in the middle [`SPLIT_ZONE`]. A seam blurred over adjacent lines by scaling
/// is one seam, cut at its middle. A clip fitted into its part keeps bars of its own, whose
/// edges are seams too: strips that stand still (those bars, a static panel) are no part, and
/// each part is trimmed of the flat, still lines along its sides. Empty unless exactly one axis
/// has a moving part: a frame cut both ways is a grid, left to the framed window.
fn split_parts(vertical: &EdgeMap, horizontal: &EdgeMap, motion: &MotionMap, detail: &[u32]) -> Vec<ContentBox> {
    let along = |map: &EdgeMap, axis: Axis| -> Vec<ContentBox> {
        let mut seams: Vec<(usize, usize)> = Vec::new();
        for line in MEASURED_LINES {
            if !map.is_seam(line) {
                continue;
            }
            match seams.last_mut() {
                Some((_, last)) if *last + 1 == line => *last = line,
                _ => seams.push((line, line)),
            }
        }
        if !seams.iter().any(|&(first, last)| (first..=last).any(|line| SPLIT_ZONE.contains(&line))) {
            return Vec::new();
        }
        let cuts: Vec<usize> = std::iter::once(0)
            .chain(seams.iter().map(|&(first, last)| (first + last).div_ceil(2)))
            .chain(std::iter::once(ANALYSIS_SIDE))
            .collect();
        cuts.windows(2)
            .filter(|cut| cut[1] - cut[0] >= MIN_PART_SIDE)
            .map(|cut| {
                let (first, length) = (cut[0], cut[1] - cut[0]);
                let strip = match axis {
                    Axis::Columns => ContentBox { left: first, top: 0, width: length, height: ANALYSIS_SIDE },
                    Axis::Rows => ContentBox { left: 0, top: first, width: ANALYSIS_SIDE, height: length },
                };
                without_bars(strip, motion, detail)
            })
            .filter(|part| motion.moves(part))
            .collect()
    };
    let (side_by_side, stacked) = (along(vertical, Axis::Columns), along(horizontal, Axis::Rows));
    match (side_by_side.is_empty(), stacked.is_empty()) {
        (false, true) => side_by_side,
        (true, false) => stacked,
        _ => Vec::new(),
    }
}

/// `part` without the lines along its sides that are bars: still, and with less than
/// [`FLAT_SHARE`] of the part's detail. Still alone is not enough: a clip's own calm edge (the
/// inside of a car) stands still, but has the clip's detail, and cutting it off makes the part
/// a different picture from the footage.
fn without_bars(part: ContentBox, motion: &MotionMap, detail: &[u32]) -> ContentBox {
    let detail_within = |area: ContentBox| detail_within(area, detail);
    let area = |area: ContentBox| (area.width * area.height) as u64;
    let typical = detail_within(part) / area(part).max(1);
    // A line's ends are left out: they carry the seam's difference, blurred over a pixel or two.
    let inner = |line: ContentBox| match line.height {
        1 => ContentBox { left: line.left + SEAM_BLUR, width: line.width - 2 * SEAM_BLUR, ..line },
        _ => ContentBox { top: line.top + SEAM_BLUR, height: line.height - 2 * SEAM_BLUR, ..line },
    };
    let bar = |line: ContentBox| {
        let line = inner(line);
        motion.moving_within(&line) < 0 && detail_within(line) * 100 < FLAT_SHARE * typical * area(line)
    };
    trimmed(part, MIN_PART_SIDE, bar)
}

/// `area` without the rows and columns along its sides that are `margin`, one line at a time,
/// top, bottom, left and right, until none is or a side would be `min_side` or less.
fn trimmed(mut area: ContentBox, min_side: usize, margin: impl Fn(ContentBox) -> bool) -> ContentBox {
    loop {
        let ContentBox { left, top, width, height } = area;
        let row = |top| ContentBox { left, top, width, height: 1 };
        let column = |left| ContentBox { left, top, width: 1, height };
        area = if height > min_side && margin(row(top)) {
            ContentBox { top: top + 1, height: height - 1, ..area }
        } else if height > min_side && margin(row(top + height - 1)) {
            ContentBox { height: height - 1, ..area }
        } else if width > min_side && margin(column(left)) {
            ContentBox { left: left + 1, width: width - 1, ..area }
        } else if width > min_side && margin(column(left + width - 1)) {
            ContentBox { width: width - 1, ..area }
        } else {
            return area;
        };
    }
}

/// Whether the picture around `footage` is flat: under [`FLAT_SHARE`] of the footage's detail per
/// pixel. A window over a calm stretch of busy footage (a fractal's smooth bands) has a detailed
/// box around it too, but with detail outside it; over a flat card there is next to none.
fn flat_around(footage: ContentBox, detail: &[u32]) -> bool {
    let within = detail_within(footage, detail);
    let outside = detail.iter().map(|&pixel| u64::from(pixel)).sum::<u64>() - within;
    let area = (footage.width * footage.height) as u64;
    let around = (ANALYSIS_SIDE * ANALYSIS_SIDE) as u64 - area;
    outside * area * 100 < FLAT_SHARE * within * around
}

/// The summed detail of the pixels within `area`.
fn detail_within(area: ContentBox, detail: &[u32]) -> u64 {
    area.pixel_indices().map(|pixel| u64::from(detail[pixel])).sum()
}

/// The frame's own first and last line, standing in for a window's side that runs off it.
const FRAME_START: usize = 0;
const FRAME_END: usize = ANALYSIS_SIDE - 1;

fn is_frame_line(line: usize) -> bool {
    line == FRAME_START || line == FRAME_END
}

/// The picture inside four sides: left, right, top and bottom lines.
fn window_within([left, right, top, bottom]: [usize; 4]) -> ContentBox {
    let ((left, width), (top, height)) = (inside(left, right), inside(top, bottom));
    ContentBox { left, top, width, height }
}

/// First line inside two sides and how many lines are inside: an edge line is left out (it
/// blends window and background), the frame's own line is kept.
fn inside(first_side: usize, last_side: usize) -> (usize, usize) {
    let first = if first_side == FRAME_START { 0 } else { first_side + 1 };
    let end = if last_side == FRAME_END { ANALYSIS_SIDE } else { last_side };
    (first, end - first)
}

/// Every pair of lines at least a minimal window apart, first before second.
fn pairs(lines: &[usize]) -> impl Iterator<Item = (usize, usize)> + '_ {
    lines.iter().flat_map(move |&first| {
        lines.iter().filter(move |&&second| second > first + MIN_WINDOW_SIDE).map(move |&second| (first, second))
    })
}

#[derive(Clone, Copy)]
enum Axis {
    /// Lines are columns; edges are vertical.
    Columns,
    /// Lines are rows; edges are horizontal.
    Rows,
}

/// A pixel moving less than this share of the average motion (of the frame, or of a window when
/// its margins are trimmed) counts as still: a page's chrome does not move at all, while footage,
/// even a locked-off shot, carries noise and small motion. Measured on the accuracy benchmark's
/// windows, any share from 1/16 to 1/4 picks the same rectangles; at 1/2 the calm inside of a
/// car already counts as still.
const STILL_SHARE_OF_AVERAGE: u32 = 8;

/// Which pixels move and which stand still, counted over any rectangle at once.
///
/// Pixels are counted, not weighed by how much they move: a window is every pixel of its
/// footage, calm parts included, and a busy stretch of the clip must not outweigh them.
struct MotionMap {
    /// `summed[row * (ANALYSIS_SIDE + 1) + column]`: over every pixel above and left, the moving
    /// ones less the still ones.
    summed: Vec<i32>,
}

impl MotionMap {
    /// Pixels moving less than [`STILL_SHARE_OF_AVERAGE`] of the average over `area` stand still.
    fn new(activity: &[u32], area: ContentBox) -> MotionMap {
        let side = ANALYSIS_SIDE + 1;
        let total: u64 = area.pixel_indices().map(|pixel| u64::from(activity[pixel])).sum();
        let average = total / (area.width * area.height).max(1) as u64;
        let still = u32::try_from(average).expect("an average of u32 fits a u32") / STILL_SHARE_OF_AVERAGE;
        let mut summed = vec![0; side * side];
        for row in 0..ANALYSIS_SIDE {
            for column in 0..ANALYSIS_SIDE {
                let moves = if activity[row * ANALYSIS_SIDE + column] > still { 1 } else { -1 };
                summed[(row + 1) * side + column + 1] =
                    moves + summed[row * side + column + 1] + summed[(row + 1) * side + column]
                        - summed[row * side + column];
            }
        }
        MotionMap { summed }
    }

    /// `window` without the rows and columns along its sides where more pixels stand still than
    /// move: chrome inside the window's frame, such as a player's control bar, whose edge with
    /// dark footage may not show at all.
    fn without_still_margins(&self, window: ContentBox) -> ContentBox {
        trimmed(window, MIN_WINDOW_SIDE, |line| self.moving_within(&line) < 0)
    }

    /// Whether at least as much of `area` moves as stands still. Less, and it is a still
    /// picture, not footage: a frozen test card is full of rectangles and of detail.
    fn moves(&self, area: &ContentBox) -> bool {
        self.moving_within(area) >= 0
    }

    /// Moving pixels less still ones within `area`.
    fn moving_within(&self, area: &ContentBox) -> i32 {
        let side = ANALYSIS_SIDE + 1;
        let (right, bottom) = (area.left + area.width, area.top + area.height);
        self.summed[bottom * side + right]
            - self.summed[area.top * side + right]
            - self.summed[bottom * side + area.left]
            + self.summed[area.top * side + area.left]
    }
}

/// Which pixels are edges along one axis, with running counts along each line so that any
/// stretch of a line is counted at once.
struct EdgeMap {
    /// `counted[line * (ANALYSIS_SIDE + 1) + position]`: edge pixels on `line` before `position`.
    counted: Vec<usize>,
}

impl EdgeMap {
    fn new(sums: &[u32], frames: u32, axis: Axis) -> EdgeMap {
        let strength = |line: usize, position: usize| match axis {
            Axis::Columns => sums[position * ANALYSIS_SIDE + line] / frames,
            Axis::Rows => sums[line * ANALYSIS_SIDE + position] / frames,
        };
        let mut counted = vec![0; ANALYSIS_SIDE * (ANALYSIS_SIDE + 1)];
        for line in MEASURED_LINES {
            for position in 0..ANALYSIS_SIDE {
                let edge = strength(line, position);
                // Next to the frame's border only one side is there to compare with: a window
                // a few pixels in from the border is common (a broadcaster's window, a player).
                // What lies beyond it is a strip of background a few pixels wide, taken as calm,
                // so the edge has to stand above the picture on its inner side only.
                let beside = [line.checked_sub(BESIDE), Some(line + BESIDE)].map(|other| {
                    other.filter(|other| MEASURED_LINES.contains(other)).map_or(0, |other| strength(other, position))
                });
                let (calmer, busier) = (beside[0].min(beside[1]), beside[0].max(beside[1]));
                let is_edge = edge >= MIN_EDGE_STRENGTH && edge > busier && edge >= EDGE_CONTRAST * calmer;
                let at = line * (ANALYSIS_SIDE + 1) + position;
                counted[at + 1] = counted[at] + usize::from(is_edge);
            }
        }
        EdgeMap { counted }
    }

    /// Edge pixels on `line` from `first` to `last`, both included.
    fn edge_pixels(&self, line: usize, first: usize, last: usize) -> usize {
        let start = line * (ANALYSIS_SIDE + 1);
        self.counted[start + last + 1] - self.counted[start + first]
    }

    /// Whether `line` is edge along `coverage` percent of the stretch from `first` to `last`; the
    /// frame's own lines always are.
    fn covers(&self, line: usize, first: usize, last: usize, coverage: usize) -> bool {
        is_frame_line(line) || self.edge_pixels(line, first, last) * 100 >= (last - first + 1) * coverage
    }

    /// Whether `line`, not the frame's own, is edge along [`MIN_SEAM_COVERAGE`] of the frame's
    /// whole length.
    fn is_seam(&self, line: usize) -> bool {
        !is_frame_line(line) && self.edge_pixels(line, 0, ANALYSIS_SIDE - 1) * 100 >= ANALYSIS_SIDE * MIN_SEAM_COVERAGE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A moving picture, smooth at the scale of a few pixels as footage is once shrunk.
    fn texture(x: usize, y: usize, frame: usize) -> u8 {
        let wave = (x * 2 + y * 3 + frame * 7) % 160;
        (40 + wave.min(160 - wave) * 2) as u8
    }

    type Rectangle = (usize, usize, usize, usize);

    fn within((left, top, right, bottom): Rectangle, x: usize, y: usize) -> bool {
        (left..right).contains(&x) && (top..bottom).contains(&y)
    }

    /// Footage in `window` over a background, with `panels` of static chrome: a screen
    /// recording's page stands still, a broadcast's background moves slowly.
    fn page(window: Option<Rectangle>, panels: &[Rectangle], background_moves: bool) -> WindowDetector {
        let mut detector = WindowDetector::default();
        for frame in 0..40 {
            let luma: Vec<u8> = (0..ANALYSIS_SIDE * ANALYSIS_SIDE)
                .map(|i| {
                    let (x, y) = (i % ANALYSIS_SIDE, i / ANALYSIS_SIDE);
                    if window.is_some_and(|window| within(window, x, y)) {
                        texture(x, y, frame)
                    } else if panels.iter().any(|&panel| within(panel, x, y)) {
                        200
                    } else if background_moves {
                        (60 + (frame * 3 + x / 8) % 40) as u8
                    } else {
                        (60 + x / 8) as u8
                    }
                })
                .collect();
            detector.observe(&luma);
        }
        detector
    }

    fn frames(window: Option<Rectangle>) -> WindowDetector {
        page(window, &[], true)
    }

    /// Asserts that `found` is one window, within a pixel of the rectangle.
    fn assert_found(found: Vec<ContentBox>, (left, top, right, bottom): Rectangle) {
        let [found] = found.try_into().expect("one window");
        assert!(found.left.abs_diff(left) <= 1 && found.top.abs_diff(top) <= 1, "{found:?}");
        assert!(
            (found.left + found.width).abs_diff(right) <= 1 && (found.top + found.height).abs_diff(bottom) <= 1,
            "{found:?}"
        );
    }

    #[test]
    fn finds_a_window_over_other_footage() {
        assert_found(frames(Some((8, 10, 40, 38))).windows(ContentBox::WHOLE_FRAME), (8, 10, 40, 38));
    }

    #[test]
    fn over_a_flat_background_a_rectangle_inside_the_footage_is_not_the_window() {
        // Footage against the frame's left edge (three sides of its own) over a flat card, with
        // a brighter rectangle of its own (four sides), as a car's window is.
        let (window, inner) = ((0, 6, 40, 50), (10, 14, 28, 34));
        let mut detector = WindowDetector::default();
        for frame in 0..40 {
            let luma: Vec<u8> = (0..ANALYSIS_SIDE * ANALYSIS_SIDE)
                .map(|i| {
                    let (x, y) = (i % ANALYSIS_SIDE, i / ANALYSIS_SIDE);
                    match (within(window, x, y), within(inner, x, y)) {
                        (true, true) => texture(x, y, frame).saturating_add(90),
                        (true, false) => texture(x, y, frame),
                        _ => 128,
                    }
                })
                .collect();
            detector.observe(&luma);
        }
        assert_found(detector.windows(ContentBox::WHOLE_FRAME), window);
    }

    #[test]
    fn finds_a_window_close_to_the_frame_border() {
        let window = (30, 2, 62, 34);
        assert_found(frames(Some(window)).windows(ContentBox::WHOLE_FRAME), window);
    }

    #[test]
    fn of_a_player_page_the_window_is_the_one_that_moves() {
        let (player, title, side_panel) = ((4, 10, 44, 50), (4, 2, 30, 5), (48, 10, 60, 50));
        let found = page(Some(player), &[title, side_panel], false).windows(ContentBox::WHOLE_FRAME);
        assert_found(found, player);
    }

    #[test]
    fn still_chrome_inside_the_window_s_frame_is_trimmed_off() {
        // A player whose footage moves above a control bar that never does.
        let (player, footage_bottom) = (ContentBox { left: 4, top: 10, width: 40, height: 40 }, 45);
        let activity: Vec<u32> = (0..ANALYSIS_SIDE * ANALYSIS_SIDE)
            .map(|i| {
                let (x, y) = (i % ANALYSIS_SIDE, i / ANALYSIS_SIDE);
                let in_footage = (4..44).contains(&x) && (10..footage_bottom).contains(&y);
                if in_footage { 400 } else { 0 }
            })
            .collect();
        let trimmed = MotionMap::new(&activity, player).without_still_margins(player);
        assert_eq!(trimmed, ContentBox { height: footage_bottom - player.top, ..player });
    }

    #[test]
    fn a_split_screen_gives_both_parts_and_a_fitted_clip_without_its_bars() {
        // The clip fitted into the left part, on bars above and below it; other footage, moving
        // on its own, in the right part.
        let clip = (0, 8, 28, 40);
        let mut detector = WindowDetector::default();
        for frame in 0..40 {
            let luma: Vec<u8> = (0..ANALYSIS_SIDE * ANALYSIS_SIDE)
                .map(|i| {
                    let (x, y) = (i % ANALYSIS_SIDE, i / ANALYSIS_SIDE);
                    if within(clip, x, y) {
                        texture(x, y, frame)
                    } else if x < clip.2 {
                        16
                    } else {
                        ((x * 5 + y * 2 + frame * 13) % 97) as u8 + 100
                    }
                })
                .collect();
            detector.observe(&luma);
        }
        let windows = detector.windows(ContentBox::WHOLE_FRAME);
        for part in [clip, (28, 0, 64, 64)] {
            let found = windows.iter().filter(|window| {
                let sides = [window.left, window.top, window.left + window.width, window.top + window.height];
                sides.iter().zip([part.0, part.1, part.2, part.3]).all(|(&found, truth)| found.abs_diff(truth) <= 1)
            });
            assert_eq!(found.count(), 1, "{part:?} in {windows:?}");
        }
    }

    /// Footage in `window` over busy footage of its own (a game of life, a crowd): a fine,
    /// flickering texture whose pixels change from frame to frame, with `mark`ed pixels of
    /// something bright and still on it.
    fn over_busy_footage(window: Rectangle, mark: impl Fn(usize, usize) -> bool) -> WindowDetector {
        let mut detector = WindowDetector::default();
        let mut rng = fastrand::Rng::with_seed(5);
        for frame in 0..40 {
            let luma: Vec<u8> = (0..ANALYSIS_SIDE * ANALYSIS_SIDE)
                .map(|i| {
                    let (x, y) = (i % ANALYSIS_SIDE, i / ANALYSIS_SIDE);
                    let flicker = rng.u8(100..130);
                    if within(window, x, y) {
                        texture(x, y, frame)
                    } else if mark(x, y) {
                        230
                    } else {
                        flicker
                    }
                })
                .collect();
            detector.observe(&luma);
        }
        detector
    }

    #[test]
    fn over_busy_footage_the_window_is_the_box_with_clean_sides_not_a_larger_one_that_moves_more() {
        // A bright post in the background, four pixels right of the window, running most of the
        // window's height: with the window's top and bottom it closes a larger box, which takes
        // in flickering background and so moves more.
        let window = (10, 12, 42, 44);
        let post = |x: usize, y: usize| x == 46 && (12..36).contains(&y);
        assert_found(over_busy_footage(window, post).windows(ContentBox::WHOLE_FRAME), window);
    }

    #[test]
    fn over_busy_footage_a_window_as_tall_as_the_frame_is_found_by_its_two_sides() {
        let window = (14, 0, 50, 64);
        assert_found(over_busy_footage(window, |_, _| false).windows(ContentBox::WHOLE_FRAME), window);
    }

    #[test]
    fn over_a_flickering_background_a_calm_side_of_the_window_is_kept() {
        // Beside a background that flashes from frame to frame, the window's left side (a seat,
        // a wall) moves only a little: still beside the frame's average, not beside the window's.
        let window = (10, 12, 42, 44);
        let mut detector = WindowDetector::default();
        let mut rng = fastrand::Rng::with_seed(3);
        for frame in 0..40 {
            let flash = rng.u8(..);
            let luma: Vec<u8> = (0..ANALYSIS_SIDE * ANALYSIS_SIDE)
                .map(|i| {
                    let (x, y) = (i % ANALYSIS_SIDE, i / ANALYSIS_SIDE);
                    match (within(window, x, y), x < window.0 + 6) {
                        (true, true) => texture(x, y, frame / 4),
                        (true, false) => texture(x, y, frame),
                        (false, _) => flash,
                    }
                })
                .collect();
            detector.observe(&luma);
        }
        assert_found(detector.windows(ContentBox::WHOLE_FRAME), window);
    }

    #[test]
    fn a_window_may_run_off_the_frame() {
        let found = frames(Some((12, 8, 64, 64))).windows(ContentBox::WHOLE_FRAME)[0];
        assert!(found.left.abs_diff(12) <= 1 && found.top.abs_diff(8) <= 1, "{found:?}");
        assert_eq!((found.left + found.width, found.top + found.height), (ANALYSIS_SIDE, ANALYSIS_SIDE));
    }

    #[test]
    fn footage_without_a_window_has_none() {
        assert_eq!(frames(None).windows(ContentBox::WHOLE_FRAME), []);
    }

    #[test]
    fn a_frozen_picture_has_no_window() {
        let mut detector = WindowDetector::default();
        let frozen: Vec<u8> = (0..ANALYSIS_SIDE * ANALYSIS_SIDE)
            .map(|i| {
                if within((8, 10, 40, 38), i % ANALYSIS_SIDE, i / ANALYSIS_SIDE) {
                    texture(i % ANALYSIS_SIDE, i / ANALYSIS_SIDE, 0)
                } else {
                    90
                }
            })
            .collect();
        for _ in 0..40 {
            detector.observe(&frozen);
        }
        assert_eq!(detector.windows(ContentBox::WHOLE_FRAME), []);
    }

    #[test]
    fn a_window_that_is_the_picture_inside_the_bars_is_not_a_window() {
        let detector = frames(Some((8, 10, 56, 54)));
        let bars = ContentBox { left: 8, top: 10, width: 48, height: 44 };
        assert_eq!(detector.windows(bars), []);
        assert_eq!(detector.windows(ContentBox::WHOLE_FRAME).len(), 1);
    }
}
