//! Several looks at one keyframe, so that a copy that was cropped, captioned or mirrored still
//! meets its original.
//!
//! A whole-picture pHash survives re-encoding, scaling and colour changes, but not geometry: a
//! copy cropped by 15 %, one with a caption bar over its bottom fifth, and a mirrored copy all
//! hash far from the original. Each keyframe is therefore hashed four ways:
//!
//! | view | indexed | searched | what it meets |
//! |---|:-:|:-:|---|
//! | whole picture | ✓ | ✓ | plain copies |
//! | centre (the middle 80 % of each side) | ✓ | ✓ | crops and zooms (copy's whole ≈ original's centre); captions, logos and borders at the edges (centre ≈ centre) |
//! | mirrored whole picture | | ✓ | mirrored copies |
//! | mirrored centre | | ✓ | mirrored crops and captions |
//!
//! Mirrored views are only searched, never indexed: a mirrored query meets the original's
//! unmirrored views, so indexing them too would double the index for nothing. The cost is paid at
//! lookup: four searches per keyframe instead of one, each against twice the postings.

use super::hash::{FrameHasher, PerceptualHash};

/// Share of each side, in percent, that the centre view keeps. Crops of real re-uploads take
/// 10–20 % away; 80 % sits at their far end, so that a crop's whole picture still lies within
/// reach of the original's centre, and a caption over the bottom fifth mostly falls outside it.
pub const CENTRE_PERCENT: usize = 80;

/// The hashes of one keyframe, one per view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewHashes {
    pub whole: PerceptualHash,
    pub centre: PerceptualHash,
    pub mirrored: PerceptualHash,
    pub mirrored_centre: PerceptualHash,
}

/// How a query keyframe's view relates to the original it met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    AsIndexed,
    Mirrored,
}

impl ViewHashes {
    /// Hashes the four views of a row-major grey picture of `width` × `height` pixels.
    pub fn of_picture(hasher: &FrameHasher, pixels: &[u8], width: usize, height: usize) -> ViewHashes {
        let (centre, centre_width, centre_height) = centre_of(pixels, width, height);
        ViewHashes {
            whole: hasher.hash_luma(pixels.to_vec(), width, height),
            centre: hasher.hash_luma(centre.clone(), centre_width, centre_height),
            mirrored: hasher.hash_luma(mirror(pixels, width), width, height),
            mirrored_centre: hasher.hash_luma(mirror(&centre, centre_width), centre_width, centre_height),
        }
    }

    /// The views an index files the keyframe under.
    pub fn indexed(&self) -> [PerceptualHash; 2] {
        [self.whole, self.centre]
    }

    /// The views a lookup searches with, and whether each is mirrored.
    pub fn searched(&self) -> [(PerceptualHash, Orientation); 4] {
        [
            (self.whole, Orientation::AsIndexed),
            (self.centre, Orientation::AsIndexed),
            (self.mirrored, Orientation::Mirrored),
            (self.mirrored_centre, Orientation::Mirrored),
        ]
    }
}

/// The middle `CENTRE_PERCENT` of each side, with its width and height.
fn centre_of(pixels: &[u8], width: usize, height: usize) -> (Vec<u8>, usize, usize) {
    let keep = |side: usize| (side * CENTRE_PERCENT).div_ceil(100).max(1);
    let (centre_width, centre_height) = (keep(width), keep(height));
    let (left, top) = ((width - centre_width) / 2, (height - centre_height) / 2);
    let centre = (top..top + centre_height)
        .flat_map(|row| &pixels[row * width + left..row * width + left + centre_width])
        .copied()
        .collect();
    (centre, centre_width, centre_height)
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
    fn a_mirrored_picture_meets_the_original_through_its_mirrored_view() {
        let hasher = FrameHasher::default();
        let original = ViewHashes::of_picture(&hasher, &picture(64, 48), 64, 48);
        let flipped = ViewHashes::of_picture(&hasher, &mirror(&picture(64, 48), 64), 64, 48);
        assert!(original.whole.distance(flipped.whole) >= 16);
        assert_eq!(flipped.mirrored, original.whole);
        assert_eq!(flipped.mirrored_centre, original.centre);
    }

    #[test]
    fn the_centre_keeps_the_middle_of_each_side() {
        let pixels: Vec<u8> = (0..100).map(|i| i as u8).collect();
        let (centre, width, height) = centre_of(&pixels, 10, 10);
        assert_eq!((width, height), (8, 8));
        assert_eq!(centre[0], 11);
        assert_eq!(centre[63], 88);
    }
}
