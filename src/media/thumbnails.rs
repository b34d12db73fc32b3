//! Small colour pictures of a video, every few seconds: what a person compares by eye when the
//! fingerprints say two videos are the same footage.
//!
//! The decoder scales the frames a [`ThumbnailGrid`] asks for to [`THUMBNAIL_WIDTH`] pixels wide
//! RGB (the display aspect kept), and each is encoded as a JPEG at once, so a picture costs a
//! few kilobytes while it waits, not the frame. The grid is every two seconds, widened for long
//! videos so that no video yields more than [`MAX_THUMBNAILS`].

/// Width of a thumbnail, in pixels: enough to recognise a scene side by side on a laptop.
pub const THUMBNAIL_WIDTH: u32 = 160;
/// Most thumbnails one video yields (an hour at one every two seconds).
pub const MAX_THUMBNAILS: usize = 1800;
/// Largest JPEG accepted as a thumbnail from a client.
pub const MAX_THUMBNAIL_BYTES: usize = 32 * 1024;
/// Interval between thumbnails of a video up to an hour long.
const EVERY_MS: u32 = 2000;
/// JPEG quality: a 160×90 picture in 3–6 KB.
const JPEG_QUALITY: u8 = 70;

/// One picture of a video at a moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub time_ms: u32,
    /// A baseline JPEG.
    pub jpeg: Vec<u8>,
}

impl Thumbnail {
    /// Whether `bytes` look like a JPEG at all (its start-of-image marker): what a server checks
    /// of a thumbnail a client sends before storing it.
    pub fn is_jpeg(bytes: &[u8]) -> bool {
        bytes.starts_with(&[0xFF, 0xD8, 0xFF])
    }

    pub fn encode(time_ms: u32, rgb: &[u8], width: u32, height: u32) -> Option<Thumbnail> {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
            .encode(rgb, width, height, image::ExtendedColorType::Rgb8)
            .ok()?;
        Some(Thumbnail { time_ms, jpeg })
    }
}

/// Which frames of a decode become thumbnails.
#[derive(Clone, Debug)]
pub struct ThumbnailGrid {
    every_ms: u32,
    next_ms: u32,
}

impl ThumbnailGrid {
    /// The grid for a video the container says lasts `declared_ms` (unknown: the plain grid,
    /// bounded by the count).
    pub fn for_duration(declared_ms: Option<u64>) -> ThumbnailGrid {
        let spread = declared_ms.map_or(0, |ms| ms.div_ceil(MAX_THUMBNAILS as u64)).min(u64::from(u32::MAX)) as u32;
        ThumbnailGrid { every_ms: EVERY_MS.max(spread), next_ms: 0 }
    }

    /// Whether the frame at `time_ms` is the next thumbnail; moves the grid on when it is.
    pub fn wants(&mut self, time_ms: u32) -> bool {
        if time_ms < self.next_ms {
            return false;
        }
        self.next_ms = time_ms.saturating_add(self.every_ms);
        true
    }
}

/// The thumbnail of `thumbnails` nearest `time_ms`.
pub fn nearest(thumbnails: &[Thumbnail], time_ms: u32) -> Option<&Thumbnail> {
    thumbnails.iter().min_by_key(|thumbnail| thumbnail.time_ms.abs_diff(time_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_takes_one_frame_every_two_seconds_and_spreads_for_long_videos() {
        let mut grid = ThumbnailGrid::for_duration(Some(10_000));
        let taken: Vec<u32> = (0..250).map(|frame| frame * 40).filter(|&time| grid.wants(time)).collect();
        assert_eq!(taken, [0, 2000, 4000, 6000, 8000]);
        let mut long = ThumbnailGrid::for_duration(Some(6 * 3600 * 1000));
        let taken = (0..6 * 3600).map(|second| second * 1000).filter(|&time| long.wants(time)).count();
        assert!(taken <= MAX_THUMBNAILS, "{taken}");
    }

    #[test]
    fn a_thumbnail_is_a_small_jpeg() {
        let (width, height) = (160, 90);
        let rgb: Vec<u8> = (0..width * height * 3).map(|n| (n % 251) as u8).collect();
        let thumbnail = Thumbnail::encode(0, &rgb, width, height).unwrap();
        assert!(Thumbnail::is_jpeg(&thumbnail.jpeg));
        assert!(thumbnail.jpeg.len() < MAX_THUMBNAIL_BYTES, "{} bytes", thumbnail.jpeg.len());
    }
}
