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
//! A video that shows footage in a window over other footage (picture-in-picture, found by
//! `media::WindowDetector`) also gets the three regions of the window, upright. Like the mirrored
//! views they are only searched: it is the copy that puts footage in a window, not the original.

use super::hash::{FrameHasher, PerceptualHash};
use crate::media::ContentBox;

/// A rectangle of a picture, in percent of its width and height.
#[derive(Clone, Copy, Debug)]
struct Region {
    left: usize,
    top: usize,
    right: usize,
    bottom: usize,
}

const WHOLE: Region = Region { left: 0, top: 0, right: 100, bottom: 100 };
const CENTRE: Region = Region { left: 10, top: 10, right: 90, bottom: 90 };
const BAND: Region = Region { left: 10, top: 20, right: 90, bottom: 80 };

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

/// The hashes of one keyframe: every region upright and mirrored left to right, and the regions
/// of the window when the video shows footage in a window over other footage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewHashes {
    pub upright: RegionHashes,
    pub mirrored: RegionHashes,
    /// Only searched, never indexed or stored: indexed footage is matched as the whole picture
    /// it is, and a window is what a copy puts it in.
    pub window: Option<RegionHashes>,
}

/// How a query keyframe's view relates to the original it met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    Upright,
    Mirrored,
}

impl ViewHashes {
    /// Hashes the views of a row-major grey picture of `width` × `height` pixels.
    pub fn of_picture(hasher: &FrameHasher, pixels: &[u8], width: usize, height: usize) -> ViewHashes {
        ViewHashes {
            upright: RegionHashes::of(hasher, pixels, width, height),
            mirrored: RegionHashes::of(hasher, &mirror(pixels, width), width, height),
            window: None,
        }
    }

    /// The views an index files the keyframe under.
    pub fn indexed(&self) -> [PerceptualHash; 3] {
        self.upright.all()
    }

    /// How close this keyframe comes to `reference` (an indexed keyframe): the least distance from
    /// any view a lookup searches with to any view the index files, and the orientation of the
    /// searched view that came closest.
    pub fn closest_to(&self, reference: &ViewHashes) -> (u32, Orientation) {
        self.searched()
            .flat_map(|(hash, orientation)| {
                reference.indexed().into_iter().map(move |indexed| (hash.distance(indexed), orientation))
            })
            .min_by_key(|&(distance, _)| distance)
            .expect("every keyframe has upright views")
    }

    /// The views a lookup searches with, and their orientation.
    pub fn searched(&self) -> impl Iterator<Item = (PerceptualHash, Orientation)> {
        let upright = self.upright.all().into_iter().chain(self.window.iter().flat_map(RegionHashes::all));
        let upright = upright.map(|hash| (hash, Orientation::Upright));
        upright.chain(self.mirrored.all().into_iter().map(|hash| (hash, Orientation::Mirrored)))
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
        ViewHashes { upright: regions(hash), mirrored: regions(!hash), window: None }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
