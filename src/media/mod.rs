//! Media: the first stage. Turns a video file into the few frames worth fingerprinting.
//!
//! Decoding happens in-process through FFmpeg (`ffmpeg-next` over the system's libav*), so any
//! container and codec the system FFmpeg reads works. Every decoded frame is shrunk at once to a
//! small grey [`AnalysisFrame`]: nothing downstream needs colour or resolution, and a 64×64 frame
//! is cheap to compare and to keep. [`KeyframeSelector`] then picks the keyframes: the frame after
//! each scene cut, plus a regular sampling floor, so that two encodes of the same footage yield
//! keyframes at nearly the same moments of the content. [`BorderDetector`] finds the picture
//! inside letterbox and vertical-video bars, so that what gets hashed is the footage, not the
//! frame it was put in. [`WindowDetector`] finds a window of footage shown over other footage
//! (picture-in-picture), which lookups search on its own.
//!
//! On request the decode also keeps a small colour [`Thumbnail`] every two seconds, the
//! pictures a person compares by eye.
//!
//! Decoding opens only the one file it is given, in an accepted container, and reserves the
//! memory the stream's header says it will need from a shared [`MemoryBudget`] before it starts.
//!
//! Untrusted input is the normal case here (uploads from anyone), so every way a file can be
//! unusable is a [`MediaError`] variant with a sentence a person understands.

mod borders;
mod budget;
mod decode;
mod detail;
mod error;
mod keyframes;
mod sample_tables;
mod thumbnails;
mod window;

pub use borders::{BorderDetector, ContentBox};
pub use budget::{DEFAULT_DECODE_BUDGET_BYTES, DecodeCost, MemoryBudget};
pub use decode::{
    ACCEPTED_FORMATS, ANALYSIS_SIDE, AnalysisFrame, DecodeLimits, MAX_VIDEO_SECONDS, VideoInfo, decode_video,
    decode_video_with_thumbnails,
};
pub use error::MediaError;
pub use keyframes::{KeyframePolicy, KeyframeSelector, SAMPLING_INTERVAL_MS};
pub use thumbnails::{MAX_THUMBNAIL_BYTES, MAX_THUMBNAILS, THUMBNAIL_WIDTH, Thumbnail, ThumbnailGrid, nearest};
pub use window::{MAX_WINDOWS, WindowDetector};
