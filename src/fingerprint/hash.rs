//! The 64-bit perceptual hash of one keyframe.
//!
//! pHash's recipe through `image_hasher`: the frame is reduced to 16×16, transformed with a
//! 2-D DCT, and the 8×8 lowest frequencies become 64 bits, each set when its coefficient is above
//! the median. Low frequencies survive re-encoding, scaling and colour changes; a median split
//! keeps half the bits set whatever the brightness, so bits stay comparable between copies.

use std::fmt;

use image::GrayImage;
use image_hasher::{HashAlg, Hasher, HasherConfig};

#[cfg(test)]
use crate::media::ANALYSIS_SIDE;

/// A 64-bit DCT perceptual hash; similar pictures differ in few bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PerceptualHash(pub u64);

impl PerceptualHash {
    /// Number of differing bits: 0 for the same picture, about 32 for unrelated ones.
    pub fn distance(self, other: PerceptualHash) -> u32 {
        (self.0 ^ other.0).count_ones()
    }

    /// Whether this is the hash of a flat picture, which says nothing of what it shows. The
    /// median split sets half the bits of any picture's hash (exactly 32 over every hash of the
    /// accuracy benchmark's informative keyframes); the coefficients of a flat one (a window
    /// over a plain box, a fill strip of a blank wall) tie, the ties fall on one side of the
    /// median, and nearly every bit is set (58–64 in the same benchmark). Every flat region
    /// hashes alike, so two of them meet whatever they belong to: such a view is neither
    /// indexed nor searched. The margin, 16 bits from an even split, is four standard deviations
    /// of a random hash's count.
    pub fn is_flat(self) -> bool {
        self.0.count_ones().abs_diff(32) > FLAT_MARGIN
    }
}

/// How far from an even split a hash's count of set bits may be before it is a flat picture's.
const FLAT_MARGIN: u32 = 16;

impl fmt::Display for PerceptualHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Hashes analysis frames. Building the DCT tables is not free, so one is made per video.
pub struct FrameHasher {
    hasher: Hasher<[u8; 8]>,
}

impl Default for FrameHasher {
    fn default() -> Self {
        let hasher = HasherConfig::with_bytes_type::<[u8; 8]>()
            .hash_size(8, 8)
            .preproc_dct()
            .hash_alg(HashAlg::Median)
            .resize_filter(image_hasher::FilterType::Triangle)
            .to_hasher();
        FrameHasher { hasher }
    }
}

impl FrameHasher {
    /// Hashes a row-major grey picture of `width` × `height` pixels.
    pub fn hash_luma(&self, pixels: Vec<u8>, width: usize, height: usize) -> PerceptualHash {
        let image = GrayImage::from_raw(width as u32, height as u32, pixels).expect("width × height pixels");
        let bytes = self.hasher.hash_image(&image);
        PerceptualHash(u64::from_be_bytes(*bytes.as_bytes().first_chunk().expect("8-byte hash")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(f: impl Fn(usize, usize) -> u8) -> Vec<u8> {
        (0..ANALYSIS_SIDE * ANALYSIS_SIDE).map(|i| f(i % ANALYSIS_SIDE, i / ANALYSIS_SIDE)).collect()
    }

    #[test]
    fn small_changes_move_few_bits_and_different_pictures_many() {
        let hasher = FrameHasher::default();
        let picture = pattern(|x, y| ((x * 3 + y * 5) % 200) as u8 + (x / 16 * 10) as u8);
        let brighter = pattern(|x, y| (((x * 3 + y * 5) % 200) as u8 + (x / 16 * 10) as u8).saturating_add(20));
        let other = pattern(|x, y| if (x / 8 + y / 8) % 2 == 0 { 30 } else { 220 });
        let hash = |pixels: Vec<u8>| hasher.hash_luma(pixels, ANALYSIS_SIDE, ANALYSIS_SIDE);
        let base = hash(picture);
        assert!(base.distance(hash(brighter)) <= 4);
        assert!(base.distance(hash(other)) >= 16);
    }

    #[test]
    fn a_flat_picture_hashes_flat_and_a_detailed_one_does_not() {
        let hasher = FrameHasher::default();
        let hash = |pixels: Vec<u8>| hasher.hash_luma(pixels, ANALYSIS_SIDE, ANALYSIS_SIDE);
        assert!(hash(pattern(|_, _| 90)).is_flat());
        assert!(hash(pattern(|_, y| if y < 2 { 40 } else { 200 })).is_flat(), "a box edge at the very border");
        assert!(!hash(pattern(|x, y| ((x * 3 + y * 5) % 200) as u8)).is_flat());
        assert!(!hash(pattern(|x, y| if (x / 8 + y / 8) % 2 == 0 { 30 } else { 220 })).is_flat());
    }
}
