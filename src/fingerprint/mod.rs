//! Fingerprint: the second stage. Turns a video into a short list of timed perceptual hashes.
//!
//! A [`Fingerprint`] is everything the later stages ever see of a video: its duration and its
//! keyframes, each with a presentation time, the [`PerceptualHash`]es of its [views](ViewHashes)
//! and whether it carries enough picture to count as evidence. It is small (69 bytes a keyframe
//! as stored, two keyframes a second, and the grey 64 × 64 pictures of at most
//! [`PICTURED_KEYFRAMES`] keyframes), so it travels instead of the video when a client
//! fingerprints locally.
//!
//! Fingerprints arriving over the network are untrusted: [`Fingerprint::validate`] is the one
//! gate they all pass.

mod crops;
mod hash;
mod views;

use std::path::Path;

pub use crops::{CORE_SHARE, PICTURED_KEYFRAMES, PartHasher, Picture, Placement, spread_evenly};
pub use hash::{FrameHasher, PerceptualHash};
pub use views::{MAX_FILLED, Orientation, RegionHashes, SearchedViews, TILTED_VIEWS, Tilt, Turn, ViewHashes};

use crate::media::{
    ANALYSIS_SIDE, AnalysisFrame, BorderDetector, ContentBox, DecodeLimits, KeyframePolicy, KeyframeSelector,
    MAX_VIDEO_SECONDS, MediaError, Thumbnail, VideoInfo, WindowDetector, decode_video, decode_video_with_thumbnails,
};

/// Version of the keyframe-selection and hashing recipe. Bump it whenever a change would make a
/// new fingerprint of a video differ from an old one; old and new are then never compared.
///
/// 2: keyframes are cropped to the picture inside letterbox / vertical-video bars before
/// hashing and before the information test.
/// 3: every keyframe is hashed in six views (whole, centre and band, each upright and mirrored).
/// 4: frames that nothing references are not decoded, so a cut on one is seen a frame later;
/// a video that shows footage in a window over other footage also carries the window's views.
/// 5: a picture mostly of one brightness is informative when its detail is spread all over it,
/// and "one brightness" is a sliding band, not a fixed one; window detection ranks by motion.
/// 6: window detection counts a rectangle's moving pixels against its still ones, instead of
/// weighing motion against the frame's average, trims still rows and columns off the window's
/// sides, and an edge near the frame's border only has to stand above the picture on its inner
/// side.
/// 7: bars of one fill at both ends are cut wherever the footage sits between them, not only
/// when it is centred; every keyframe also carries its picture turned back from each quarter
/// turn (searched only).
/// 8: footage on a soft background (a blurred copy, a flat card) is searched as a window, and so
/// is each part of a split screen: a keyframe carries up to three windows.
/// 9: a video under three seconds is sampled every 125 ms instead of every 500; of the windows
/// over busy footage, the one whose sides are edge nearly all along wins, a window as tall or as
/// wide as the frame is found by its two sides, and its still margins are judged against its
/// own motion.
/// 10: every keyframe carries its middle strip (35–65 %, 10–90 %), which is indexed, and each
/// informative keyframe carries the strips where an original's middle would be if a picture of
/// it were a fill crop, which are searched.
/// 11: each informative keyframe carries the centre and band of its picture tilted back 3° and
/// 5° each way, which are searched.
/// 12: every keyframe is searched, informative or not, and so carries the searched-only views
/// (fill-crop strips, tilts) too; the information test decides only which keyframes are filed.
/// 13: every keyframe carries its core (30–70 %, 30–70 %), which is indexed, and up to
/// [`PICTURED_KEYFRAMES`] informative keyframes, spread over the video, carry their picture, in
/// which a lookup looks for the core of footage cropped off-centre.
pub const RECIPE_VERSION: u32 = 13;

/// Oldest recipe version whose fingerprints this server reads. Versions 11 to 13 only added
/// views that are searched and never filed, or filed one more (the core), so a fingerprint made
/// since version 10 files the hashes this recipe would but the core (an export of an older
/// server imports whole, its footage not met by off-centre crops), and looked up it searches the
/// views it carries, without the newer ones.
pub const OLDEST_READABLE_RECIPE_VERSION: u32 = 10;

/// Most keyframes a fingerprint may carry: the decode limit's six hours at two a second, plus
/// room for scene cuts.
pub const MAX_KEYFRAMES: usize = 64_000;

/// Longest video a fingerprint may describe: what a decode accepts.
pub const MAX_DURATION_MS: u32 = MAX_VIDEO_SECONDS * 1000;

/// One keyframe of a video.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyframe {
    pub time_ms: u32,
    pub hashes: ViewHashes,
    /// Whether the picture has enough in it to identify footage by, so that the keyframe is
    /// filed in the index. Every keyframe of a query is searched either way: a copy darkened,
    /// flattened or cropped into plainness still meets its original's informative keyframes, so
    /// the information test is no cliff a contrast change can push a copy over.
    pub informative: bool,
    /// The picture as it was hashed, on at most [`PICTURED_KEYFRAMES`] keyframes of a
    /// fingerprint: a lookup hashes it wherever an off-centre crop may show an original's core.
    /// Never stored.
    pub picture: Option<Picture>,
}

/// The keyframes of one video, in time order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub duration_ms: u32,
    pub keyframes: Vec<Keyframe>,
}

/// Why a fingerprint received from elsewhere cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InvalidFingerprint {
    #[error(
        "the fingerprint was made with recipe version {got}; this server reads versions \
         {OLDEST_READABLE_RECIPE_VERSION} to {RECIPE_VERSION}"
    )]
    RecipeVersion { got: u32 },
    #[error("the fingerprint has no keyframes")]
    Empty,
    #[error(
        "the fingerprint says the video lasts {duration_ms} ms; at most {MAX_DURATION_MS} ms (six hours) are accepted"
    )]
    TooLong { duration_ms: u32 },
    #[error("the fingerprint has {count} keyframes; at most {MAX_KEYFRAMES} are accepted")]
    TooManyKeyframes { count: usize },
    #[error("{count} keyframes carry their picture; at most {PICTURED_KEYFRAMES} may")]
    TooManyPictures { count: usize },
    #[error("keyframe {index} is at {time_ms} ms, before the keyframe preceding it: keyframes must be in time order")]
    OutOfOrder { index: usize, time_ms: u32 },
    #[error("keyframe {index} is at {time_ms} ms, after the end of the video ({duration_ms} ms)")]
    PastTheEnd { index: usize, time_ms: u32, duration_ms: u32 },
}

impl Fingerprint {
    /// Decodes `path` and fingerprints it with the current recipe.
    ///
    /// Keyframes are hashed only once the whole video has been seen, because where the bars are
    /// is decided over every frame; until then they wait as 4 KiB analysis frames.
    pub fn of_file(path: &Path, limits: &DecodeLimits) -> Result<Fingerprint, MediaError> {
        Fingerprint::of_decode(|on_frame| decode_video(path, limits, on_frame).map(|info| (info, ())))
            .map(|(fingerprint, ())| fingerprint)
    }

    /// [`Fingerprint::of_file`], with the video's thumbnails: the pictures stored beside new
    /// footage and shown beside a lookup's matches.
    pub fn of_file_with_thumbnails(
        path: &Path,
        limits: &DecodeLimits,
    ) -> Result<(Fingerprint, Vec<Thumbnail>), MediaError> {
        Fingerprint::of_decode(|on_frame| decode_video_with_thumbnails(path, limits, on_frame))
    }

    /// The fingerprint of what `decode` feeds it, beside what else the decode returns.
    fn of_decode<T>(
        decode: impl FnOnce(&mut dyn FnMut(AnalysisFrame)) -> Result<(VideoInfo, T), MediaError>,
    ) -> Result<(Fingerprint, T), MediaError> {
        let policy = KeyframePolicy::default();
        let mut selector = KeyframeSelector::new(policy.clone());
        let mut borders = BorderDetector::default();
        let mut windows = WindowDetector::default();
        let (info, extra) = decode(&mut |frame| {
            borders.observe(&frame.luma);
            windows.observe(&frame.luma);
            selector.push(frame);
        })?;
        let bars = borders.content_box();
        let windows = windows.windows(bars);
        let content = bars.landscape_band(info.display_aspect);
        let hasher = FrameHasher::default();
        // The picture inside the bars and each window, with the shape each is displayed at:
        // the pictures a copy may have cropped to fill.
        let fill_candidates: Vec<(ContentBox, f64)> = std::iter::once(bars)
            .chain(windows.iter().copied())
            .filter_map(|area| Some((area, area.display_aspect(info.display_aspect)?)))
            .collect();
        let bars_aspect = bars.display_aspect(info.display_aspect);
        let frames = selector.keyframes();
        let informative: Vec<bool> = frames
            .iter()
            .map(|frame| policy.is_informative(&content.crop(&frame.luma, ANALYSIS_SIDE), content.width))
            .collect();
        let pictured = spread_over_informative(&informative, PICTURED_KEYFRAMES);
        let keyframes = frames
            .into_iter()
            .zip(informative)
            .enumerate()
            .map(|(position, (frame, informative))| {
                let pixels = content.crop(&frame.luma, ANALYSIS_SIDE);
                let of_area = |area: &ContentBox| area.crop(&frame.luma, ANALYSIS_SIDE);
                let hashes = ViewHashes {
                    filled: fill_candidates
                        .iter()
                        .flat_map(|(area, aspect)| {
                            ViewHashes::fill_crop_strips(&hasher, &of_area(area), area.width, area.height, *aspect)
                        })
                        .collect(),
                    windows: windows
                        .iter()
                        .map(|window| RegionHashes::of(&hasher, &of_area(window), window.width, window.height))
                        .collect(),
                    // Turned back from inside the bars only, not from the landscape band a tall
                    // picture is cut to: a landscape video turned a quarter is a tall picture.
                    turned: Some(ViewHashes::turned_back(&hasher, &of_area(&bars), bars.width, bars.height)),
                    // Tilted back from inside the bars too: a tilted copy's black corners are no
                    // bars, and a tilt is undone in the shape the picture is displayed at.
                    tilted: bars_aspect.map(|aspect| {
                        ViewHashes::tilted_back(&hasher, &of_area(&bars), bars.width, bars.height, aspect)
                    }),
                    ..ViewHashes::of_picture(&hasher, &pixels, content.width, content.height)
                };
                let picture = pictured.contains(&position).then(|| {
                    Picture::new(content.width, content.height, pixels).expect("the content box is within the frame")
                });
                Keyframe { time_ms: frame.time_ms, informative, hashes, picture }
            })
            .collect();
        Ok((Fingerprint { duration_ms: info.duration_ms, keyframes }, extra))
    }

    /// Checks a fingerprint made elsewhere before anything trusts it.
    pub fn validate(&self, recipe_version: u32) -> Result<(), InvalidFingerprint> {
        if !(OLDEST_READABLE_RECIPE_VERSION..=RECIPE_VERSION).contains(&recipe_version) {
            return Err(InvalidFingerprint::RecipeVersion { got: recipe_version });
        }
        if self.keyframes.is_empty() {
            return Err(InvalidFingerprint::Empty);
        }
        if self.duration_ms > MAX_DURATION_MS {
            return Err(InvalidFingerprint::TooLong { duration_ms: self.duration_ms });
        }
        if self.keyframes.len() > MAX_KEYFRAMES {
            return Err(InvalidFingerprint::TooManyKeyframes { count: self.keyframes.len() });
        }
        let pictured = self.keyframes.iter().filter(|keyframe| keyframe.picture.is_some()).count();
        if pictured > PICTURED_KEYFRAMES {
            return Err(InvalidFingerprint::TooManyPictures { count: pictured });
        }
        let mut previous = 0;
        for (index, keyframe) in self.keyframes.iter().enumerate() {
            if keyframe.time_ms < previous {
                return Err(InvalidFingerprint::OutOfOrder { index, time_ms: keyframe.time_ms });
            }
            if keyframe.time_ms > self.duration_ms {
                return Err(InvalidFingerprint::PastTheEnd {
                    index,
                    time_ms: keyframe.time_ms,
                    duration_ms: self.duration_ms,
                });
            }
            previous = keyframe.time_ms;
        }
        Ok(())
    }

    /// The keyframes an index files.
    pub fn informative_keyframes(&self) -> impl Iterator<Item = &Keyframe> {
        self.keyframes.iter().filter(|keyframe| keyframe.informative)
    }
}

/// Positions of at most `count` informative keyframes (of those `informative` flags), spread
/// evenly from the first to the last, both included: a crop found through them is seen from one
/// end of the video to the other.
fn spread_over_informative(informative: &[bool], count: usize) -> Vec<usize> {
    let candidates: Vec<usize> = (0..informative.len()).filter(|&position| informative[position]).collect();
    spread_evenly(candidates.len(), count).into_iter().map(|n| candidates[n]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_kit::{fingerprint, random_views};

    #[test]
    fn pictures_are_spread_over_the_informative_keyframes_from_end_to_end() {
        let informative = [false, true, true, false, true, true, true, false, true, false];
        assert_eq!(spread_over_informative(&informative, 3), vec![1, 4, 8]);
        assert_eq!(spread_over_informative(&informative, 10), vec![1, 2, 4, 5, 6, 8]);
        assert!(spread_over_informative(&[false; 4], 3).is_empty());
    }

    fn four_keyframes() -> Fingerprint {
        let mut rng = fastrand::Rng::with_seed(9);
        fingerprint(&(0..4).map(|_| random_views(&mut rng)).collect::<Vec<_>>())
    }

    #[test]
    fn a_fingerprint_from_elsewhere_is_refused_for_what_would_mislead_a_lookup() {
        assert!(four_keyframes().validate(RECIPE_VERSION).is_ok());
        let refused = |fingerprint: Fingerprint, version: u32| fingerprint.validate(version).unwrap_err().to_string();
        assert!(refused(four_keyframes(), RECIPE_VERSION + 1).contains("recipe version"));
        // Recipes that file the same hashes are read; the one before them is not.
        assert!(four_keyframes().validate(OLDEST_READABLE_RECIPE_VERSION).is_ok());
        assert_eq!(
            refused(four_keyframes(), OLDEST_READABLE_RECIPE_VERSION - 1),
            "the fingerprint was made with recipe version 9; this server reads versions 10 to 13"
        );
        assert_eq!(
            refused(Fingerprint { duration_ms: 1_000, keyframes: Vec::new() }, RECIPE_VERSION),
            "the fingerprint has no keyframes"
        );
        let too_long = Fingerprint { duration_ms: MAX_DURATION_MS + 1, ..four_keyframes() };
        assert!(refused(too_long, RECIPE_VERSION).contains("six hours"));
        let mut shuffled = four_keyframes();
        shuffled.keyframes.swap(1, 2);
        assert!(refused(shuffled, RECIPE_VERSION).starts_with("keyframe 2 is at 500 ms, before"));
        let mut late = four_keyframes();
        late.keyframes[3].time_ms = late.duration_ms + 1;
        assert!(refused(late, RECIPE_VERSION).starts_with("keyframe 3 is at 2001 ms, after the end"));
        let keyframe = four_keyframes().keyframes[0].clone();
        let crowded = Fingerprint { duration_ms: 1_000, keyframes: vec![keyframe; MAX_KEYFRAMES + 1] };
        assert!(refused(crowded, RECIPE_VERSION).contains("at most 64000"));
        let mut pictured = fingerprint(&vec![random_views(&mut fastrand::Rng::with_seed(9)); PICTURED_KEYFRAMES + 1]);
        let picture = Picture::new(2, 2, vec![0; 4]).unwrap();
        pictured.keyframes.iter_mut().for_each(|keyframe| keyframe.picture = Some(picture.clone()));
        assert_eq!(refused(pictured, RECIPE_VERSION), "65 keyframes carry their picture; at most 64 may");
    }
}
