//! Why a file could not be turned into frames.

use std::path::PathBuf;

/// Everything that can go wrong reading a video. All but [`MediaError::Io`] and
/// [`MediaError::Busy`] are the input's fault: callers report them as invalid input, never as a
/// server failure.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "not a video firstseen can read: it is damaged, or not in an accepted container (MP4/MOV/3GP, Matroska/WebM, AVI, MPEG-TS/PS, FLV, Ogg, ASF)"
    )]
    NotAVideo,
    #[error("the file has no video stream (is it audio only?)")]
    NoVideoStream,
    #[error("the video's codec is not supported by this FFmpeg ({reason})")]
    UnsupportedCodec { reason: String },
    #[error("the video's frame size {width}x{height} is outside what firstseen accepts (1x1 to {max_side}x{max_side})")]
    AbsurdFrameSize { width: u32, height: u32, max_side: u32 },
    #[error("the video is longer than the {max_seconds} s firstseen accepts")]
    TooLong { max_seconds: u32 },
    #[error("no frame of the video could be decoded: the stream is corrupt or truncated")]
    NoDecodableFrames,
    #[error(
        "the video is truncated: its header declares {declared_seconds:.1} s but only {decoded_seconds:.1} s could be decoded"
    )]
    Truncated { declared_seconds: f64, decoded_seconds: f64 },
    #[error("the video is corrupt: {failed} of {packets} packets failed to decode")]
    Corrupt { failed: u64, packets: u64 },
    #[error(
        "decoding the video needs up to {needed_mib} MiB of memory, more than the {budget_mib} MiB this machine decodes within"
    )]
    TooMuchMemory { needed_mib: u64, budget_mib: u64 },
    #[error(
        "the video declares {declared} samples in a track; at most {max} (six hours at 120 frames a second) are accepted"
    )]
    TooManySamples { declared: u64, max: u64 },
    #[error("the decode memory budget had no room for this video for {waited_seconds} s; try again later")]
    Busy { waited_seconds: u64 },
    #[error("could not read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl MediaError {
    /// True when the input itself is unusable, as opposed to the machine failing to read it.
    pub fn is_invalid_input(&self) -> bool {
        !matches!(self, MediaError::Io { .. } | MediaError::Busy { .. })
    }
}
