//! Several looks at one keyframe, so that a copy that was cropped, captioned or mirrored still
//! meets its original.
//!
//! A whole-picture pHash survives re-encoding, scaling and colour changes, but not geometry: a
//! copy cropped by 15 %, one with a caption bar over its bottom fifth, and a mirrored copy all
//! hash far from the original. Each keyframe is therefore hashed over three regions, each as it
//! is and mirrored:
//!
//! | region | kept (left–right, top–bottom) | what it meets |
//! |---|---|---|
//! | whole | all | plain copies |
//! | centre | 10–90 %, 10–90 % | crops and zooms of 10–20 % (the copy's whole ≈ the original's centre) |
//! | band | 10–90 %, 20–80 % | caption bars, banners, subtitles and logos in the top or bottom fifth |
//!
//! Mirrored views are only searched, never indexed: a mirrored query meets the original's
//! upright views, so indexing them too would double the index for nothing. Measured on the
//! accuracy benchmark, pHash tolerates a scale change of about 5 % (a 6 % mismatch costs 4–6 bits),
//! which is why the centre sits at the deep end of the crops it must meet.
//!
//! A video that shows footage in a window over other footage (picture-in-picture), or in a part of
//! a split screen, found by `media::WindowDetector`, also gets the three regions of each window,
//! upright. Like the mirrored views they are only searched: it is the copy that puts footage in a
//! window, not the original.
//!
//! A copy whose orientation was lost (a phone video re-encoded without its rotation flag, a clip
//! turned upside down to dodge a filter) shows the footage turned by a quarter or a half turn.
//! Analysis frames are squares whatever the video's shape, and scaling each axis to the square
//! commutes with a quarter turn, so turning the copy's picture back gives the original's picture:
//! the query also carries the three regions of its picture turned back by each of the three
//! turns. Searched only, like the others: the index holds every footage once, upright.
//!
//! A copy *tilted* by a few degrees (a phone held askew while filming a screen, a clip rotated a
//! little to dodge a filter, black in the corners) moves every side of the picture, and pHash
//! shrugs off only about two degrees of it (a 2° mismatch costs 2–8 bits of 64 on the unit
//! tests' scenes). So the query also carries its picture tilted back by each of
//! [`TILT_DEGREES`], each way, hashed over the centre and band regions, which a tilt's black
//! corners stay outside of: they meet the original's centre and band for tilts of about 2–6°,
//! and smaller tilts are met as shown. The tilt is undone as the picture is displayed, not on
//! the analysis square, which would shear any other shape. Searched only, like the turned views.
//!
//! A copy *cropped to fill* a narrower frame (a landscape clip filling a vertical 9:16 frame, or
//! one part of a split screen) keeps only a middle slice of the picture's width, which none of
//! the three regions holds. So the index also files each keyframe's **middle** strip, 35–65 %
//! across and 10–90 % down, which any centred crop keeping 30 % of the width or more contains.
//! Where the middle strip sits in a copy depends on how much of the width the copy kept, and
//! that follows from the copy's shape and the original's: a 9:16 frame filled from 16:9 footage
//! keeps 9/16 × 9/16 = 32 % of it. The original's shape is not known, so a query keyframe also
//! carries, for each picture of it (inside the bars, each window) and each of
//! [`ORIGINAL_ASPECTS`] that the picture would be a fill crop of, the strip where the original's
//! middle would be (`filled`): searched only, like the other views of a copy. Centred crops
//! only: a fill crop is centred unless someone moves it, and mirrored fill crops are not
//! searched.
//!
//! A copy cropped *off-centre* keeps none of those, so the index also files each keyframe's
//! **core**, the square 30–70 % across and down, which the lookup looks for anywhere in a copy
//! that nothing else found (see [`super::crops`]).

use super::hash::{FrameHasher, PerceptualHash};
use crate::media::ContentBox;

/// A rectangle of a picture, in percent of its width and height.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Region {
    left: usize,
    top: usize,
    right: usize,
    bottom: usize,
}

const WHOLE: Region = Region { left: 0, top: 0, right: 100, bottom: 100 };
const CENTRE: Region = Region { left: 10, top: 10, right: 90, bottom: 90 };
const BAND: Region = Region { left: 10, top: 20, right: 90, bottom: 80 };
/// Indexed only: the strip a copy cropped to fill a narrower frame still shows.
const MIDDLE: Region = Region { left: 35, top: 10, right: 65, bottom: 90 };

/// The shapes (width over height, as displayed) an original is assumed to have when a query
/// picture is taken for a fill crop of it: 1.25 to 2.47, 12 % apart, so that footage of any
/// common shape (4:3, 16:9, 1.85, 2.39, and 11:9 of old video phones) is within 6 % of one,
/// about what pHash shrugs off. Not the shapes of any footage measured.
const ORIGINAL_ASPECTS: [f64; 7] = [1.25, 1.4, 1.57, 1.76, 1.97, 2.2, 2.47];
/// Shares of the original's width a fill crop is taken to have kept: from the narrowest that
/// still holds [`MIDDLE`] to the widest whose picture the centre region (80 %) does not already
/// meet within pHash's tolerance.
const FILL_KEPT: std::ops::RangeInclusive<f64> = 0.3..=0.76;

/// One hash per region, in the order whole, centre, band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionHashes {
    pub whole: PerceptualHash,
    pub centre: PerceptualHash,
    pub band: PerceptualHash,
}

impl RegionHashes {
    pub fn of(hasher: &FrameHasher, pixels: &[u8], width: usize, height: usize) -> RegionHashes {
        let hash = |region: Region| {
            let (cropped, cropped_width, cropped_height) = crop(pixels, width, height, region);
            hasher.hash_luma(cropped, cropped_width, cropped_height)
        };
        RegionHashes { whole: hash(WHOLE), centre: hash(CENTRE), band: hash(BAND) }
    }

    pub fn all(&self) -> [PerceptualHash; 3] {
        [self.whole, self.centre, self.band]
    }
}

/// The hashes of one keyframe: every region upright and mirrored left to right, the regions of
/// the windows when the video shows footage in windows or parts of the frame, the regions of
/// the picture turned back by each [`Turn`], the middle strip, and the fill-crop strips.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewHashes {
    pub upright: RegionHashes,
    pub mirrored: RegionHashes,
    /// Only searched, never indexed or stored: indexed footage is matched as the whole picture
    /// it is, and a window is what a copy puts it in.
    /// At most [`crate::media::MAX_WINDOWS`].
    pub windows: Vec<RegionHashes>,
    /// The regions of the picture as it looks turned back from each of [`Turn::ALL`], in that
    /// order. Only searched, never indexed or stored, like the window; absent from fingerprints
    /// made before turns were searched, which are then simply not searched turned.
    pub turned: Option<[RegionHashes; 3]>,
    /// The picture as it looks tilted back from each of [`Tilt::ALL`], in that order: for each of
    /// [`TILT_DEGREES`], its centre and band. Only searched, like the turned views; absent from
    /// fingerprints made before tilts were searched and from pictures without a known aspect.
    pub tilted: Option<[TiltedHashes; 2]>,
    /// The middle strip of the upright picture, indexed beside its regions. Absent from
    /// keyframes stored before recipe version 10, which fill crops then do not meet.
    pub middle: Option<PerceptualHash>,
    /// The core of the upright picture, indexed beside its regions. Absent from keyframes made
    /// before recipe version 13, which off-centre crops then do not meet.
    pub core: Option<PerceptualHash>,
    /// Only searched, never indexed or stored: where the original's middle strip would be if a
    /// picture of this keyframe were a fill crop of it (see the module's docs), at most
    /// [`MAX_FILLED`].
    pub filled: Vec<PerceptualHash>,
}

/// Most fill-crop strips a keyframe carries: one per assumed original shape, for the picture
/// inside the bars and for each window.
pub const MAX_FILLED: usize = ORIGINAL_ASPECTS.len() * (1 + crate::media::MAX_WINDOWS);

/// A turn a copy shows the footage with, clockwise as the viewer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Turn {
    Quarter,
    Half,
    ThreeQuarters,
}

impl Turn {
    pub const ALL: [Turn; 3] = [Turn::Quarter, Turn::Half, Turn::ThreeQuarters];

    /// Where this turn is in [`Turn::ALL`], and so in [`ViewHashes::turned`].
    pub fn position(self) -> usize {
        match self {
            Turn::Quarter => 0,
            Turn::Half => 1,
            Turn::ThreeQuarters => 2,
        }
    }

    pub fn degrees(self) -> u32 {
        match self {
            Turn::Quarter => 90,
            Turn::Half => 180,
            Turn::ThreeQuarters => 270,
        }
    }

    /// The turn of `degrees` clockwise, if it is one of the three.
    pub fn of_degrees(degrees: u32) -> Option<Turn> {
        Turn::ALL.into_iter().find(|turn| turn.degrees() == degrees)
    }
}

/// How far a tilted copy is assumed to be tilted, either way. pHash shrugs off about 2°, so two
/// assumed tilts 2° apart cover about 2–6°, and less than that is met as shown.
pub const TILT_DEGREES: [f64; 2] = [3.0, 5.0];

/// The hashes of a picture tilted back one way: for each of [`TILT_DEGREES`], its centre and
/// band, in that order.
pub type TiltedHashes = [PerceptualHash; 2 * TILT_DEGREES.len()];

/// How many tilted views a keyframe carries, when it carries them: [`TiltedHashes`] each way.
pub const TILTED_VIEWS: usize = Tilt::ALL.len() * 2 * TILT_DEGREES.len();

/// The way a copy shows the footage tilted by a few degrees, as the viewer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tilt {
    Clockwise,
    Anticlockwise,
}

impl Tilt {
    pub const ALL: [Tilt; 2] = [Tilt::Clockwise, Tilt::Anticlockwise];

    /// Where this tilt is in [`Tilt::ALL`], and so in [`ViewHashes::tilted`].
    pub fn position(self) -> usize {
        match self {
            Tilt::Clockwise => 0,
            Tilt::Anticlockwise => 1,
        }
    }

    /// How a viewer says it: "clockwise" or "anticlockwise".
    pub fn name(self) -> &'static str {
        match self {
            Tilt::Clockwise => "clockwise",
            Tilt::Anticlockwise => "anticlockwise",
        }
    }

    /// `degrees` this way, clockwise positive.
    fn signed(self, degrees: f64) -> f64 {
        match self {
            Tilt::Clockwise => degrees,
            Tilt::Anticlockwise => -degrees,
        }
    }
}

/// A part of the views a lookup searches with: the picture as the copy shows it (upright,
/// mirrored, each window, the fill-crop strips), or the picture turned back from one [`Turn`] or
/// tilted back from one [`Tilt`]. A copy is turned or tilted as a whole, so a lookup may search
/// those parts of a few keyframes before the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchedViews {
    AsShown,
    TurnedBack(Turn),
    TiltedBack(Tilt),
}

impl SearchedViews {
    pub const ALL: [SearchedViews; 6] = [
        SearchedViews::AsShown,
        SearchedViews::TurnedBack(Turn::Quarter),
        SearchedViews::TurnedBack(Turn::Half),
        SearchedViews::TurnedBack(Turn::ThreeQuarters),
        SearchedViews::TiltedBack(Tilt::Clockwise),
        SearchedViews::TiltedBack(Tilt::Anticlockwise),
    ];

    /// Every part but the views as shown: the ones a copy shows only when it was turned or
    /// tilted as a whole.
    pub fn reoriented() -> &'static [SearchedViews] {
        &SearchedViews::ALL[1..]
    }
}

/// How a query keyframe's view relates to the original it met.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Orientation {
    #[default]
    Upright,
    Mirrored,
    /// The copy shows the original turned clockwise by this.
    Turned(Turn),
    /// The copy shows the original tilted a few degrees this way.
    Tilted(Tilt),
}

impl Orientation {
    /// Every orientation, upright last.
    pub const ALL: [Orientation; 7] = [
        Orientation::Mirrored,
        Orientation::Turned(Turn::Quarter),
        Orientation::Turned(Turn::Half),
        Orientation::Turned(Turn::ThreeQuarters),
        Orientation::Tilted(Tilt::Clockwise),
        Orientation::Tilted(Tilt::Anticlockwise),
        Orientation::Upright,
    ];
}

impl ViewHashes {
    /// Hashes the views of a row-major grey picture of `width` × `height` pixels.
    pub fn of_picture(hasher: &FrameHasher, pixels: &[u8], width: usize, height: usize) -> ViewHashes {
        let (strip, strip_width, strip_height) = crop(pixels, width, height, MIDDLE);
        ViewHashes {
            upright: RegionHashes::of(hasher, pixels, width, height),
            mirrored: RegionHashes::of(hasher, &mirror(pixels, width), width, height),
            windows: Vec::new(),
            turned: None,
            tilted: None,
            middle: Some(hasher.hash_luma(strip, strip_width, strip_height)),
            core: Some(super::crops::core(pixels, width, height)),
            filled: Vec::new(),
        }
    }

    /// The strips where an original's [`MIDDLE`] would be if the picture (row-major grey
    /// pixels, `width` × `height`, displayed `aspect` wide to its height) were a centred crop of
    /// it that fills the picture's shape: one per assumed original shape under which the crop
    /// kept a share of the width within [`FILL_KEPT`], without repeats.
    pub fn fill_crop_strips(
        hasher: &FrameHasher,
        pixels: &[u8],
        width: usize,
        height: usize,
        aspect: f64,
    ) -> Vec<PerceptualHash> {
        let mut regions: Vec<Region> = Vec::new();
        for original in ORIGINAL_ASPECTS {
            let kept = aspect / original;
            if !FILL_KEPT.contains(&kept) {
                continue;
            }
            // The middle's half width, 15 % of the original's, in percent of the picture's.
            let half = ((15.0 / kept).round() as usize).min(50);
            let region = Region { left: 50 - half, top: MIDDLE.top, right: 50 + half, bottom: MIDDLE.bottom };
            if !regions.contains(&region) {
                regions.push(region);
            }
        }
        regions
            .into_iter()
            .map(|region| {
                let (strip, strip_width, strip_height) = crop(pixels, width, height, region);
                hasher.hash_luma(strip, strip_width, strip_height)
            })
            .collect()
    }

    /// The regions of a picture turned back from each of [`Turn::ALL`]: what [`ViewHashes::turned`]
    /// holds.
    pub fn turned_back(hasher: &FrameHasher, pixels: &[u8], width: usize, height: usize) -> [RegionHashes; 3] {
        Turn::ALL.map(|turn| {
            let (upright, upright_width, upright_height) = turn_back(pixels, width, height, turn);
            RegionHashes::of(hasher, &upright, upright_width, upright_height)
        })
    }

    /// A picture (row-major grey, `width` × `height`, displayed `aspect` wide to its height)
    /// tilted back from each of [`Tilt::ALL`]: what [`ViewHashes::tilted`] holds.
    pub fn tilted_back(
        hasher: &FrameHasher,
        pixels: &[u8],
        width: usize,
        height: usize,
        aspect: f64,
    ) -> [TiltedHashes; 2] {
        Tilt::ALL.map(|tilt| {
            let [small, large] = TILT_DEGREES.map(|degrees| {
                let upright = tilt_back(pixels, width, height, aspect, tilt.signed(degrees));
                [CENTRE, BAND].map(|region| {
                    let (cropped, cropped_width, cropped_height) = crop(&upright, width, height, region);
                    hasher.hash_luma(cropped, cropped_width, cropped_height)
                })
            });
            [small[0], small[1], large[0], large[1]]
        })
    }

    /// The views an index files the keyframe under for every lookup to search: none of a flat
    /// region (see [`PerceptualHash::is_flat`]).
    pub fn indexed(&self) -> impl Iterator<Item = PerceptualHash> + '_ {
        self.upright.all().into_iter().chain(self.middle).filter(|hash| !hash.is_flat())
    }

    /// The core, which an index files apart, for the search for off-centre crops alone (see
    /// [`super::crops`]); none when it is flat.
    pub fn indexed_core(&self) -> Option<PerceptualHash> {
        self.core.filter(|hash| !hash.is_flat())
    }

    /// How close this keyframe comes to `reference` (an indexed keyframe): the least distance from
    /// any view a lookup searches with to any view the index files, and the orientation of the
    /// searched view that came closest.
    pub fn closest_to(&self, reference: &ViewHashes) -> (u32, Orientation) {
        closest(self.searched(), reference)
    }

    /// [`ViewHashes::closest_to`] through the views as the copy shows them, none turned back.
    pub fn closest_as_shown(&self, reference: &ViewHashes) -> (u32, Orientation) {
        closest(self.searched_in(SearchedViews::AsShown), reference)
    }

    /// The views a lookup searches with, and their orientation.
    pub fn searched(&self) -> impl Iterator<Item = (PerceptualHash, Orientation)> {
        SearchedViews::ALL.into_iter().flat_map(|views| self.searched_in(views))
    }

    /// The views of one part of what a lookup searches with, and their orientation.
    pub fn searched_in(&self, views: SearchedViews) -> impl Iterator<Item = (PerceptualHash, Orientation)> {
        let as_shown = (views == SearchedViews::AsShown).then(|| {
            let upright = self.upright.all().into_iter().chain(self.windows.iter().flat_map(RegionHashes::all));
            let mirrored = self.mirrored.all().into_iter().map(|hash| (hash, Orientation::Mirrored));
            upright.chain(self.filled.iter().copied()).map(|hash| (hash, Orientation::Upright)).chain(mirrored)
        });
        let turned = match (views, &self.turned) {
            (SearchedViews::TurnedBack(turn), Some(turned)) => {
                let regions = turned[turn.position()];
                Some(regions.all().map(|hash| (hash, Orientation::Turned(turn))))
            }
            _ => None,
        };
        let tilted = match (views, &self.tilted) {
            (SearchedViews::TiltedBack(tilt), Some(tilted)) => {
                Some(tilted[tilt.position()].map(|hash| (hash, Orientation::Tilted(tilt))))
            }
            _ => None,
        };
        let searched =
            as_shown.into_iter().flatten().chain(turned.into_iter().flatten()).chain(tilted.into_iter().flatten());
        searched.filter(|(hash, _)| !hash.is_flat())
    }
}

#[cfg(test)]
impl ViewHashes {
    /// Views derived from one hash and far from each other, so that a test hash is met through
    /// one view only.
    pub fn spread_from(hash: u64) -> ViewHashes {
        let regions = |hash: u64| RegionHashes {
            whole: PerceptualHash(hash),
            centre: PerceptualHash(hash.rotate_left(32)),
            band: PerceptualHash(hash.rotate_left(16)),
        };
        ViewHashes {
            upright: regions(hash),
            mirrored: regions(!hash),
            windows: Vec::new(),
            turned: None,
            tilted: None,
            middle: None,
            core: Some(PerceptualHash(hash.rotate_left(48))),
            filled: Vec::new(),
        }
    }
}

/// The least distance from any of `searched` to any view `reference` is indexed under, and the
/// orientation of the searched view that came closest; when either side has only flat views,
/// nothing compares, and the distance is every bit.
fn closest(
    searched: impl Iterator<Item = (PerceptualHash, Orientation)>,
    reference: &ViewHashes,
) -> (u32, Orientation) {
    searched
        .flat_map(|(hash, orientation)| reference.indexed().map(move |indexed| (hash.distance(indexed), orientation)))
        .min_by_key(|&(distance, _)| distance)
        .unwrap_or((u64::BITS, Orientation::Upright))
}

/// The pixels of `region`, with their width and height; never empty.
fn crop(pixels: &[u8], width: usize, height: usize, region: Region) -> (Vec<u8>, usize, usize) {
    let span = |side: usize, from: usize, to: usize| {
        let start = side * from / 100;
        (start, (side * to / 100).max(start + 1) - start)
    };
    let (left, cropped_width) = span(width, region.left, region.right);
    let (top, cropped_height) = span(height, region.top, region.bottom);
    let area = ContentBox { left, top, width: cropped_width, height: cropped_height };
    (area.crop(pixels, width), cropped_width, cropped_height)
}

fn mirror(pixels: &[u8], width: usize) -> Vec<u8> {
    pixels.chunks_exact(width).flat_map(|row| row.iter().rev()).copied().collect()
}

/// A picture that shows something turned clockwise by `turn`, turned back: its pixels, width
/// and height.
fn turn_back(pixels: &[u8], width: usize, height: usize, turn: Turn) -> (Vec<u8>, usize, usize) {
    let at = |x: usize, y: usize| pixels[y * width + x];
    match turn {
        Turn::Half => (pixels.iter().rev().copied().collect(), width, height),
        // Turning back a quarter turn is turning a quarter anticlockwise: the new picture's row y
        // is the old column width-1-y, read top to bottom.
        Turn::Quarter => ((0..width * height).map(|i| at(width - 1 - i / height, i % height)).collect(), height, width),
        Turn::ThreeQuarters => {
            ((0..width * height).map(|i| at(i / height, height - 1 - i % height)).collect(), height, width)
        }
    }
}

/// A picture (row-major grey, `width` × `height`, displayed `aspect` wide to its height) that
/// shows something tilted clockwise by `degrees`, tilted back about its centre. The turn is
/// made as the picture is displayed, not on the analysis square, which would shear a picture of
/// any other shape. What falls outside the picture is black, as a tilted copy's corners are.
fn tilt_back(pixels: &[u8], width: usize, height: usize, aspect: f64, degrees: f64) -> Vec<u8> {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (half_width, half_height) = (width as f64 / 2.0, height as f64 / 2.0);
    // Display units: the picture is `aspect` wide and 1 high.
    let (to_display, to_pixels) = (aspect / width as f64, width as f64 / aspect);
    let at = |x: isize, y: isize| -> f64 {
        if x < 0 || y < 0 || x as usize >= width || y as usize >= height {
            0.0
        } else {
            f64::from(pixels[y as usize * width + x as usize])
        }
    };
    let mut back = Vec::with_capacity(width * height);
    for y in 0..height {
        for x in 0..width {
            let (dx, dy) = ((x as f64 + 0.5 - half_width) * to_display, (y as f64 + 0.5 - half_height) / height as f64);
            // The copy shows the point at `(dx, dy)` of the original turned clockwise.
            let (tx, ty) = (dx * cos - dy * sin, dx * sin + dy * cos);
            let (sx, sy) = (tx * to_pixels + half_width - 0.5, ty * height as f64 + half_height - 0.5);
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
            let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
            back.push((top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8);
        }
    }
    back
}

/// `pixels` turned clockwise by `turn`: what a copy that lost its orientation shows.
#[cfg(test)]
fn turn(pixels: &[u8], width: usize, height: usize, turn: Turn) -> (Vec<u8>, usize, usize) {
    let back = match turn {
        Turn::Quarter => Turn::ThreeQuarters,
        Turn::Half => Turn::Half,
        Turn::ThreeQuarters => Turn::Quarter,
    };
    turn_back(pixels, width, height, back)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_kit;

    /// An asymmetric picture: brightness grows left to right, with a bright block top-left.
    fn picture(width: usize, height: usize) -> Vec<u8> {
        (0..width * height)
            .map(|i| {
                let (x, y) = (i % width, i / width);
                if x < width / 4 && y < height / 3 { 250 } else { (x * 200 / width + y % 7) as u8 }
            })
            .collect()
    }

    #[test]
    fn a_mirrored_picture_meets_the_original_through_its_mirrored_views() {
        let hasher = FrameHasher::default();
        let original = ViewHashes::of_picture(&hasher, &picture(64, 48), 64, 48);
        let flipped = ViewHashes::of_picture(&hasher, &mirror(&picture(64, 48), 64), 64, 48);
        assert!(original.upright.whole.distance(flipped.upright.whole) >= 16);
        assert_eq!(flipped.mirrored, original.upright);
    }

    #[test]
    fn each_turn_knows_its_place_among_the_turned_views() {
        for (position, turn) in Turn::ALL.into_iter().enumerate() {
            assert_eq!(turn.position(), position);
        }
    }

    #[test]
    fn a_turned_picture_meets_the_original_through_the_view_that_turns_it_back() {
        let hasher = FrameHasher::default();
        let (width, height) = (64, 48);
        let original = ViewHashes::of_picture(&hasher, &picture(width, height), width, height);
        for turn in Turn::ALL {
            let (turned, turned_width, turned_height) = super::turn(&picture(width, height), width, height, turn);
            let back = ViewHashes::turned_back(&hasher, &turned, turned_width, turned_height);
            let index = Turn::ALL.iter().position(|&t| t == turn).expect("listed");
            assert_eq!(back[index], original.upright, "{turn:?}");
            let upright = ViewHashes::of_picture(&hasher, &turned, turned_width, turned_height).upright;
            assert!(upright.whole.distance(original.upright.whole) >= 16, "{turn:?} meets without turning back");
        }
    }

    #[test]
    fn quarter_turns_move_the_corners_where_a_viewer_expects() {
        // 3 wide, 2 high: a b c / d e f. Turned clockwise a quarter: d a / e b / f c.
        let pixels = [1, 2, 3, 4, 5, 6];
        assert_eq!(turn(&pixels, 3, 2, Turn::Quarter), (vec![4, 1, 5, 2, 6, 3], 2, 3));
        assert_eq!(turn(&pixels, 3, 2, Turn::ThreeQuarters), (vec![3, 6, 2, 5, 1, 4], 2, 3));
        assert_eq!(turn(&pixels, 3, 2, Turn::Half), (vec![6, 5, 4, 3, 2, 1], 3, 2));
        for t in Turn::ALL {
            let (turned, width, height) = turn(&pixels, 3, 2, t);
            assert_eq!(turn_back(&turned, width, height, t), (pixels.to_vec(), 3, 2));
        }
    }

    /// `pixels` (`width` × `height`) resized to `width` × `height` again from the columns
    /// `left..right`: a crop filling a narrower frame, as the analysis frame of that frame shows it.
    fn filled_crop(pixels: &[u8], width: usize, height: usize, left: usize, right: usize) -> Vec<u8> {
        test_kit::cropped_back(pixels, width, height, ContentBox { left, top: 0, width: right - left, height })
    }

    fn scene(width: usize, height: usize) -> Vec<u8> {
        test_kit::scene(11, width, height)
    }

    #[test]
    fn a_crop_filling_a_narrower_frame_meets_the_original_through_its_middle_strip() {
        let hasher = FrameHasher::default();
        let (width, height) = (64, 64);
        let original = ViewHashes::of_picture(&hasher, &scene(width, height), width, height);
        let middle = original.middle.expect("the middle strip is hashed");
        // 16:9 footage filling a 9:16 frame keeps its middle 32 %; one part of a 16:9 split
        // screen side by side, its middle 50 %.
        for (left, right, aspect) in [(22, 42, 9.0 / 16.0), (16, 48, 8.0 / 9.0)] {
            let copy = filled_crop(&scene(width, height), width, height, left, right);
            let plain = ViewHashes::of_picture(&hasher, &copy, width, height);
            let closest_before = plain.searched().map(|(hash, _)| hash.distance(middle)).min().unwrap();
            let filled = ViewHashes::fill_crop_strips(&hasher, &copy, width, height, aspect);
            let closest = filled.iter().map(|hash| hash.distance(middle)).min().expect("a strip for 16:9");
            assert!(closest <= 6 && closest < closest_before, "{aspect}: {closest}, {closest_before} before");
        }
        // A landscape 16:9 picture is no fill crop of any shape but the widest.
        assert_eq!(ViewHashes::fill_crop_strips(&hasher, &scene(width, height), width, height, 16.0 / 9.0).len(), 1);
    }

    #[test]
    fn a_tilted_copy_meets_the_original_through_the_views_that_tilt_it_back() {
        let hasher = FrameHasher::default();
        let (width, height, aspect) = (64, 64, 16.0 / 9.0);
        let original = ViewHashes::of_picture(&hasher, &scene(width, height), width, height);
        let closest = |searched: &mut dyn Iterator<Item = (PerceptualHash, Orientation)>| {
            searched
                .flat_map(|(hash, orientation)| {
                    original.indexed().map(move |indexed| (hash.distance(indexed), orientation))
                })
                .min_by_key(|&(distance, _)| distance)
                .expect("views")
        };
        for tilt in [2.0, 3.0, 4.0, 5.0, 6.0, -2.0, -4.0, -6.0] {
            // What a copy tilted clockwise by `tilt` shows: the original turned that far, black
            // where its corners leave the frame.
            let copy = tilt_back(&scene(width, height), width, height, aspect, -tilt);
            let mut views = ViewHashes::of_picture(&hasher, &copy, width, height);
            let (as_shown, _) = closest(&mut views.searched());
            views.tilted = Some(ViewHashes::tilted_back(&hasher, &copy, width, height, aspect));
            let way = if tilt > 0.0 { Tilt::Clockwise } else { Tilt::Anticlockwise };
            let (tilted_back, orientation) = closest(&mut views.searched_in(SearchedViews::TiltedBack(way)));
            assert_eq!(orientation, Orientation::Tilted(way));
            assert!(tilted_back <= 4, "{tilt}°: {tilted_back} bits tilted back");
            if tilt.abs() >= 5.0 {
                assert!(as_shown > 7 && tilted_back < as_shown, "{tilt}°: {as_shown} bits as shown");
            }
        }
    }

    #[test]
    fn flat_views_are_neither_indexed_nor_searched_so_two_flat_regions_never_meet() {
        let hasher = FrameHasher::default();
        let (width, height) = (64, 64);
        let detailed = ViewHashes::of_picture(&hasher, &scene(width, height), width, height);
        // A window over a plain box of one footage, the centre of a blank card in another.
        let flat = hasher.hash_luma(vec![120; width * height], width, height);
        assert!(flat.is_flat());
        let mut query = detailed.clone();
        query.windows = vec![RegionHashes { whole: flat, centre: flat, band: flat }];
        let card = RegionHashes { whole: detailed.upright.whole, centre: flat, band: flat };
        let reference = ViewHashes { upright: card, ..ViewHashes::spread_from(0x0123_4567_89ab_cdef) };
        assert!(query.searched().all(|(hash, _)| !hash.is_flat()));
        assert_eq!(reference.indexed().collect::<Vec<_>>(), vec![detailed.upright.whole]);
        // The detailed pictures still meet as before.
        assert_eq!(query.closest_to(&reference).0, 0);
        // The flat ones would have met at 0 bits.
        let blank = ViewHashes { upright: RegionHashes { whole: flat, centre: flat, band: flat }, ..reference };
        assert_eq!(query.closest_to(&blank).0, u64::BITS, "nothing to compare");
    }

    #[test]
    fn regions_keep_their_share_of_each_side() {
        let pixels: Vec<u8> = (0..100).map(|i| i as u8).collect();
        let (centre, width, height) = crop(&pixels, 10, 10, CENTRE);
        assert_eq!((width, height), (8, 8));
        assert_eq!((centre[0], centre[63]), (11, 88));
        let (band, width, height) = crop(&pixels, 10, 10, BAND);
        assert_eq!((width, height), (8, 6));
        assert_eq!((band[0], band[47]), (21, 78));
        assert_eq!(crop(&pixels, 10, 10, WHOLE).0, pixels);
    }
}
