//! Finding the picture inside letterbox, pillarbox and vertical-video bars.
//!
//! Re-uploads often put footage on bars: a 16:9 clip in a 9:16 vertical frame, a 4:3 clip in
//! 16:9. Hashed as a whole, such a frame looks nothing like the original. So the bars are found
//! and cut away before hashing, for every video alike (a video without bars keeps its whole
//! frame, so reference and copy are treated the same).
//!
//! A bar is an edge row or column that is flat (nearly one value across) in *every* frame and
//! keeps the same brightness throughout. Deciding over the whole video, not per frame, keeps a
//! dark shot or a flat sky from being taken for a bar, and gives every keyframe of a video the
//! same crop.
//!
//! Vertical re-uploads do not always use bars: the footage often sits on a blurred, zoomed copy
//! of itself, or on a coloured card with captions, which no flatness test finds. What they share
//! is the layout: landscape footage across the full width, centred. So a picture that is still
//! portrait once bars are gone is cut to its centred 16:9 band ([`ContentBox::landscape_band`]).
//! The rule applies to every video alike, so genuinely vertical footage and its copies are cut the
//! same way and still meet; they are matched on the middle third of their height.

use super::ANALYSIS_SIDE;

/// Largest spread of values along a line, on the 0–255 scale, for it to count as flat.
const FLAT_SPREAD: u8 = 12;
/// Largest drift of a line's mean brightness over the video for it to still be a bar.
const STABLE_DRIFT: u8 = 10;
/// Largest difference, in analysis pixels, between the bars at the two ends of an axis when one
/// end's bar is missing or of another fill: odd pixel counts and scaling put one more blended
/// line on one side.
const MAX_BAR_ASYMMETRY: usize = 2;
/// A content box narrower or lower than this share of the frame is not trusted: a video that
/// is nearly all flat would otherwise be cropped to a sliver of noise.
const MIN_CONTENT_SHARE: usize = 4;

/// A rectangle of a picture in pixels: mostly the region of an analysis frame that holds picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentBox {
    pub left: usize,
    pub top: usize,
    pub width: usize,
    pub height: usize,
}

/// Display aspect (width over height) below which a picture counts as portrait.
const PORTRAIT_ASPECT: f64 = 0.9;
/// Shape of the band a portrait picture is cut to: landscape footage is 16:9.
const LANDSCAPE_ASPECT: f64 = 16.0 / 9.0;

impl ContentBox {
    pub const WHOLE_FRAME: ContentBox = ContentBox { left: 0, top: 0, width: ANALYSIS_SIDE, height: ANALYSIS_SIDE };

    /// The centred 16:9 band of a portrait box; any other box as it is. `frame_aspect` is the
    /// display aspect of the whole frame, which the square analysis frame no longer shows.
    pub fn landscape_band(self, frame_aspect: f64) -> ContentBox {
        let Some(aspect) = self.display_aspect(frame_aspect).filter(|&aspect| aspect < PORTRAIT_ASPECT) else {
            return self;
        };
        let height = ((self.height as f64 * aspect / LANDSCAPE_ASPECT).round() as usize).clamp(1, self.height);
        ContentBox { top: self.top + (self.height - height) / 2, height, ..self }
    }

    /// The box's width over its height as displayed, in a frame displayed `frame_aspect` wide
    /// to its height; `None` for an empty box or a frame of no sensible shape.
    pub fn display_aspect(self, frame_aspect: f64) -> Option<f64> {
        let aspect = self.width as f64 * frame_aspect / self.height as f64;
        (aspect.is_finite() && aspect > 0.0).then_some(aspect)
    }

    /// Whether every side of `other` is within two analysis pixels of this box's: what scaling
    /// blurs an edge by.
    pub fn nearly_equals(&self, other: &ContentBox) -> bool {
        let sides = |b: &ContentBox| [b.left, b.top, b.left + b.width, b.top + b.height];
        sides(self).iter().zip(sides(other)).all(|(&mine, theirs)| mine.abs_diff(theirs) <= 2)
    }

    /// Whether `other` lies within this box, give or take the two analysis pixels scaling blurs an
    /// edge by.
    pub fn contains(&self, other: &ContentBox) -> bool {
        other.left + 2 >= self.left
            && other.top + 2 >= self.top
            && other.left + other.width <= self.left + self.width + 2
            && other.top + other.height <= self.top + self.height + 2
    }

    /// Where the box's pixels are in an analysis frame, row-major.
    pub fn pixel_indices(self) -> impl Iterator<Item = usize> {
        (self.top..self.top + self.height)
            .flat_map(move |row| (self.left..self.left + self.width).map(move |column| row * ANALYSIS_SIDE + column))
    }

    /// The box's pixels of a row-major picture `row_width` pixels wide (an analysis frame, or a
    /// part of one), row-major.
    pub fn crop(&self, pixels: &[u8], row_width: usize) -> Vec<u8> {
        (self.top..self.top + self.height)
            .flat_map(|row| &pixels[row * row_width + self.left..row * row_width + self.left + self.width])
            .copied()
            .collect()
    }
}

/// What one edge line (a row or a column) has looked like so far.
#[derive(Clone, Copy, Debug, Default)]
struct LineHistory {
    seen: bool,
    is_bar: bool,
    first_mean: u8,
}

impl LineHistory {
    fn observe(&mut self, values: impl Iterator<Item = u8>) {
        let (mut low, mut high, mut sum, mut count) = (u8::MAX, u8::MIN, 0u32, 0u32);
        for value in values {
            low = low.min(value);
            high = high.max(value);
            sum += u32::from(value);
            count += 1;
        }
        let mean = (sum / count.max(1)) as u8;
        let flat = high.saturating_sub(low) <= FLAT_SPREAD;
        if !self.seen {
            *self = LineHistory { seen: true, is_bar: flat, first_mean: mean };
        } else {
            self.is_bar &= flat && mean.abs_diff(self.first_mean) <= STABLE_DRIFT;
        }
    }
}

/// Watches every frame of a video and then tells where its picture is.
pub struct BorderDetector {
    rows: [LineHistory; ANALYSIS_SIDE],
    columns: [LineHistory; ANALYSIS_SIDE],
}

impl Default for BorderDetector {
    fn default() -> Self {
        BorderDetector {
            rows: [LineHistory::default(); ANALYSIS_SIDE],
            columns: [LineHistory::default(); ANALYSIS_SIDE],
        }
    }
}

impl BorderDetector {
    pub fn observe(&mut self, luma: &[u8]) {
        for (index, row) in self.rows.iter_mut().enumerate() {
            row.observe(luma[index * ANALYSIS_SIDE..(index + 1) * ANALYSIS_SIDE].iter().copied());
        }
        for (index, column) in self.columns.iter_mut().enumerate() {
            column.observe((0..ANALYSIS_SIDE).map(|row| luma[row * ANALYSIS_SIDE + index]));
        }
    }

    /// The box inside the bars, or the whole frame when no trustworthy box is found.
    pub fn content_box(&self) -> ContentBox {
        let (Some((top, height)), Some((left, width))) = (inner_span(&self.rows), inner_span(&self.columns)) else {
            return ContentBox::WHOLE_FRAME;
        };
        if height * MIN_CONTENT_SHARE < ANALYSIS_SIDE || width * MIN_CONTENT_SHARE < ANALYSIS_SIDE {
            return ContentBox::WHOLE_FRAME;
        }
        ContentBox { left, top, width, height }
    }
}

/// Start and length of the lines between the bars at both ends.
///
/// Bars come in matching pairs (the picture is centred, the padding one colour): a flat edge on
/// one side only is picture, such as sky, and may not stay flat in another excerpt of the same
/// footage. Unmatched, it would give an excerpt a different crop from its original.
fn inner_span(lines: &[LineHistory]) -> Option<(usize, usize)> {
    let first = lines.iter().position(|line| !line.is_bar)?;
    let last = lines.iter().rposition(|line| !line.is_bar)?;
    let trailing = lines.len() - 1 - last;
    let centred = first.abs_diff(trailing) <= MAX_BAR_ASYMMETRY;
    let same_fill = lines[0].first_mean.abs_diff(lines[lines.len() - 1].first_mean) <= STABLE_DRIFT;
    // Bars of one fill at both ends are a padded canvas, wherever the footage sits on it. At one
    // end only, a flat stable strip is a caption bar or a flat sky as often as padding, so it
    // must be matched by the other end.
    let matched = if first == 0 || trailing == 0 { centred } else { same_fill };
    if !matched {
        return Some((0, lines.len()));
    }
    Some((first, last - first + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame with black bars above and below rows `top..bottom`, moving picture between.
    fn letterboxed(top: usize, bottom: usize, phase: usize) -> Vec<u8> {
        (0..ANALYSIS_SIDE * ANALYSIS_SIDE)
            .map(|i| {
                let (x, y) = (i % ANALYSIS_SIDE, i / ANALYSIS_SIDE);
                if (top..bottom).contains(&y) { ((x * 7 + y * 3 + phase * 11) % 200) as u8 + 30 } else { 16 }
            })
            .collect()
    }

    /// The picture a detector finds after ten moving frames letterboxed to rows `top..bottom`.
    fn content_box_of_letterboxed(top: usize, bottom: usize) -> ContentBox {
        let mut detector = BorderDetector::default();
        for phase in 0..10 {
            detector.observe(&letterboxed(top, bottom, phase));
        }
        detector.content_box()
    }

    #[test]
    fn finds_the_picture_off_centre_between_bars_of_one_fill_but_not_beside_one_flat_strip() {
        assert_eq!(content_box_of_letterboxed(6, 40), ContentBox { left: 0, top: 6, width: 64, height: 34 });
        assert_eq!(content_box_of_letterboxed(0, 52), ContentBox::WHOLE_FRAME, "a caption bar is not padding");
    }

    #[test]
    fn finds_the_picture_between_letterbox_bars() {
        let found = content_box_of_letterboxed(20, 44);
        assert_eq!(found, ContentBox { left: 0, top: 20, width: 64, height: 24 });
        let cropped = found.crop(&letterboxed(20, 44, 0), ANALYSIS_SIDE);
        assert_eq!(cropped.len(), 64 * 24);
        assert_eq!(cropped[0], letterboxed(20, 44, 0)[20 * 64]);
    }

    #[test]
    fn a_dark_shot_in_a_video_without_bars_is_not_a_bar() {
        let mut detector = BorderDetector::default();
        detector.observe(&letterboxed(20, 44, 0));
        detector.observe(&letterboxed(0, 64, 1));
        assert_eq!(detector.content_box(), ContentBox::WHOLE_FRAME);
    }

    #[test]
    fn a_flat_edge_on_one_side_only_is_picture_not_a_bar() {
        assert_eq!(content_box_of_letterboxed(12, 64), ContentBox::WHOLE_FRAME);
    }

    #[test]
    fn a_portrait_picture_is_cut_to_its_centred_landscape_band() {
        // A 9:16 frame without bars: the band is 16:9 of its width, 9/16 × 9/16 of its height.
        let band = ContentBox::WHOLE_FRAME.landscape_band(9.0 / 16.0);
        assert_eq!(band, ContentBox { left: 0, top: 22, width: 64, height: 20 });
        // Landscape and square pictures keep their box.
        assert_eq!(ContentBox::WHOLE_FRAME.landscape_band(16.0 / 9.0), ContentBox::WHOLE_FRAME);
        assert_eq!(ContentBox::WHOLE_FRAME.landscape_band(1.0), ContentBox::WHOLE_FRAME);
        // A 16:9 picture on bars in a 9:16 frame is already landscape.
        let on_bars = ContentBox { left: 0, top: 22, width: 64, height: 20 };
        assert_eq!(on_bars.landscape_band(9.0 / 16.0), on_bars);
    }

    #[test]
    fn an_all_flat_video_keeps_the_whole_frame() {
        let mut detector = BorderDetector::default();
        detector.observe(&vec![0; ANALYSIS_SIDE * ANALYSIS_SIDE]);
        assert_eq!(detector.content_box(), ContentBox::WHOLE_FRAME);
    }
}
