//! Decoding a video file into small grey analysis frames, in presentation order.
//!
//! The decoder is pushed frame by frame into a callback instead of returning a list: a long video
//! never sits in memory, and the caller decides what to keep. Frames that no other frame
//! references are skipped inside the decoder, so "every frame" means every frame the codec had to
//! reconstruct anyway: for typical H.264 uploads about half of them, at a quarter less CPU. Each
//! frame is scaled straight from the decoder's output to [`ANALYSIS_SIDE`]² grey pixels with an
//! area filter, the cheapest place to throw resolution away.

use std::path::Path;
use std::sync::Once;

use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::util::frame;
use ffmpeg::{Rational, codec, media};
use ffmpeg_next as ffmpeg;

use super::MediaError;

/// Side of the square grey frame every decoded frame is reduced to.
pub const ANALYSIS_SIDE: usize = 64;

/// Frame interval assumed when a stream declares no usable frame rate (25 fps).
const FALLBACK_FRAME_MS: u32 = 40;

/// Read errors in a row after which the container is treated as ended: FFmpeg can report the
/// same damaged region again and again, and a loop that retries forever is a hung upload.
const MAX_CONSECUTIVE_READ_ERRORS: u32 = 64;

/// One decoded frame, reduced for analysis.
#[derive(Clone, Debug)]
pub struct AnalysisFrame {
    /// Presentation time from the start of the stream.
    pub time_ms: u32,
    /// `ANALYSIS_SIDE * ANALYSIS_SIDE` luma values, row-major.
    pub luma: Vec<u8>,
}

/// Bounds on what a decode will accept; absurd inputs are rejected instead of exhausting memory
/// or time.
#[derive(Clone, Debug)]
pub struct DecodeLimits {
    /// Largest accepted width or height, in pixels.
    pub max_side: u32,
    /// Longest accepted video.
    pub max_seconds: u32,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        // 8K is the largest frame real footage comes in; six hours covers a full broadcast day
        // segment or a long livestream.
        DecodeLimits { max_side: 8192, max_seconds: 6 * 3600 }
    }
}

/// What the decode learnt about the video as a whole.
#[derive(Clone, Debug)]
pub struct VideoInfo {
    /// Time from the first decoded frame to the end of the last one.
    pub duration_ms: u32,
    /// Width over height of the picture as displayed (pixel aspect included), from the first
    /// frame: analysis frames are square whatever the video's shape, and framing needs it back.
    pub display_aspect: f64,
}

fn init_ffmpeg() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if let Err(error) = ffmpeg::init() {
            tracing::warn!(%error, "FFmpeg initialisation reported an error");
        }
        // Damaged uploads make FFmpeg log per packet; the caller gets one MediaError instead.
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}

/// Decodes the best video stream of `path`, calling `on_frame` for every frame in presentation
/// order.
pub fn decode_video(
    path: &Path,
    limits: &DecodeLimits,
    mut on_frame: impl FnMut(AnalysisFrame),
) -> Result<VideoInfo, MediaError> {
    init_ffmpeg();
    let size = std::fs::metadata(path).map_err(|source| MediaError::Io { path: path.to_owned(), source })?.len();
    if size == 0 {
        return Err(MediaError::Empty);
    }
    let mut input = ffmpeg::format::input(path).map_err(|error| MediaError::NotAVideo { reason: error.to_string() })?;
    let stream = StreamFacts::of_best_video(&input)?;
    let mut decoder = stream.open_decoder(&input)?;
    // A size the container declares is checked before any frame is allocated; zero means
    // unknown until the first frame, which `shrink` checks.
    if (decoder.width(), decoder.height()) != (0, 0) {
        check_frame_size(decoder.width(), decoder.height(), limits)?;
    }

    let mut state = DecodeState::new(&stream, limits);
    let mut packet = ffmpeg::Packet::empty();
    let mut consecutive_read_errors = 0;
    loop {
        match packet.read(&mut input) {
            Ok(()) => consecutive_read_errors = 0,
            Err(ffmpeg::Error::Eof) => break,
            Err(_) => {
                consecutive_read_errors += 1;
                if consecutive_read_errors >= MAX_CONSECUTIVE_READ_ERRORS {
                    break;
                }
                continue;
            }
        }
        if packet.stream() != stream.index {
            continue;
        }
        state.packets += 1;
        if decoder.send_packet(&packet).is_err() {
            state.failed_packets += 1;
        }
        state.drain(&mut decoder, &mut on_frame)?;
    }
    // Flushing returns the frames a threaded decoder still holds.
    if decoder.send_eof().is_ok() {
        state.drain(&mut decoder, &mut on_frame)?;
    }
    state.finish()
}

/// What the container says about the chosen video stream, read before decoding starts.
struct StreamFacts {
    index: usize,
    time_base: Rational,
    start_pts: Option<i64>,
    frame_ms: u32,
    declared_ms: Option<u64>,
    codec: String,
}

impl StreamFacts {
    fn of_best_video(input: &ffmpeg::format::context::Input) -> Result<Self, MediaError> {
        let stream = input.streams().best(media::Type::Video).ok_or(MediaError::NoVideoStream)?;
        let time_base = stream.time_base();
        let rate = stream.avg_frame_rate();
        let frame_ms = if rate.numerator() > 0 && rate.denominator() > 0 {
            (1000.0 * f64::from(rate.denominator()) / f64::from(rate.numerator())).round() as u32
        } else {
            FALLBACK_FRAME_MS
        };
        let stream_declared = (stream.duration() > 0).then(|| ticks_to_ms(stream.duration(), time_base)).flatten();
        // The container's duration covers every stream; it is only a fallback for the video's.
        let container_declared = (input.duration() > 0).then(|| input.duration() as u64 / 1000);
        Ok(StreamFacts {
            index: stream.index(),
            time_base,
            start_pts: (stream.start_time() != ffmpeg::ffi::AV_NOPTS_VALUE).then_some(stream.start_time()),
            frame_ms: frame_ms.clamp(1, 10_000),
            declared_ms: stream_declared.or(container_declared),
            codec: stream.parameters().id().name().to_owned(),
        })
    }

    fn open_decoder(&self, input: &ffmpeg::format::context::Input) -> Result<ffmpeg::decoder::Video, MediaError> {
        let unsupported =
            |error: ffmpeg::Error| MediaError::UnsupportedCodec { reason: format!("{}: {error}", self.codec) };
        let stream = input.stream(self.index).ok_or(MediaError::NoVideoStream)?;
        let mut context = codec::context::Context::from_parameters(stream.parameters()).map_err(unsupported)?;
        // Frame threading keeps every core busy on one video; `count: 0` lets FFmpeg size it.
        context.set_threading(codec::threading::Config::kind(codec::threading::Type::Frame));
        let mut decoder = context.decoder();
        // Frames no other frame references (most B-frames) are never decoded: skipping them
        // leaves every decoded frame exact, and the keyframe selector's half-interval tolerance
        // absorbs the gaps. The harder skips measured worse; see BENCHMARKS.md's fingerprinting.
        decoder.skip_frame(ffmpeg::Discard::NonReference);
        decoder.video().map_err(unsupported)
    }

    fn time_ms(&self, pts: i64) -> Option<u32> {
        let relative = pts.saturating_sub(self.start_pts.unwrap_or(0)).max(0);
        ticks_to_ms(relative, self.time_base).map(|ms| ms.min(u64::from(u32::MAX)) as u32)
    }
}

fn ticks_to_ms(ticks: i64, time_base: Rational) -> Option<u64> {
    if time_base.denominator() == 0 {
        return None;
    }
    let ms = ticks as f64 * 1000.0 * f64::from(time_base.numerator()) / f64::from(time_base.denominator());
    (ms.is_finite() && ms >= 0.0).then_some(ms as u64)
}

fn check_frame_size(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), MediaError> {
    if width == 0 || height == 0 || width > limits.max_side || height > limits.max_side {
        return Err(MediaError::AbsurdFrameSize { width, height, max_side: limits.max_side });
    }
    Ok(())
}

/// Counters and reusable buffers of one decode.
struct DecodeState<'a> {
    stream: &'a StreamFacts,
    limits: &'a DecodeLimits,
    packets: u64,
    failed_packets: u64,
    /// Time of the latest decoded frame; `None` until one is.
    last_ms: Option<u32>,
    /// Display aspect of the first frame.
    display_aspect: Option<f64>,
    scaler: Option<(scaling::Context, (Pixel, u32, u32))>,
    decoded: frame::Video,
    scaled: frame::Video,
}

impl<'a> DecodeState<'a> {
    fn new(stream: &'a StreamFacts, limits: &'a DecodeLimits) -> Self {
        DecodeState {
            stream,
            limits,
            packets: 0,
            failed_packets: 0,
            last_ms: None,
            display_aspect: None,
            scaler: None,
            decoded: frame::Video::empty(),
            scaled: frame::Video::empty(),
        }
    }

    /// Takes every frame the decoder has ready.
    fn drain(
        &mut self,
        decoder: &mut ffmpeg::decoder::Video,
        on_frame: &mut impl FnMut(AnalysisFrame),
    ) -> Result<(), MediaError> {
        loop {
            match decoder.receive_frame(&mut self.decoded) {
                Ok(()) => {}
                Err(ffmpeg::Error::Eof) => return Ok(()),
                Err(ffmpeg::Error::Other { errno: ffmpeg::util::error::EAGAIN }) => return Ok(()),
                Err(_) => {
                    self.failed_packets += 1;
                    return Ok(());
                }
            }
            let time_ms = self.next_time_ms()?;
            let luma = self.shrink()?;
            on_frame(AnalysisFrame { time_ms, luma });
        }
    }

    /// The frame's presentation time, kept monotonic: damaged or oddly muxed streams repeat or
    /// lack timestamps, and every later stage relies on time never going backwards.
    fn next_time_ms(&mut self) -> Result<u32, MediaError> {
        let estimated = self.last_ms.map_or(0, |last| last.saturating_add(self.stream.frame_ms));
        let stamped = self.decoded.timestamp().or(self.decoded.pts());
        let time_ms = stamped.and_then(|pts| self.stream.time_ms(pts)).unwrap_or(estimated);
        let time_ms = time_ms.max(self.last_ms.unwrap_or(0));
        if u64::from(time_ms) > u64::from(self.limits.max_seconds) * 1000 {
            return Err(MediaError::TooLong { max_seconds: self.limits.max_seconds });
        }
        self.last_ms = Some(time_ms);
        Ok(time_ms)
    }

    /// Scales the decoded frame to the analysis size. The scaler is rebuilt whenever the stream
    /// changes format or size mid-way, which adaptive-bitrate captures do.
    fn shrink(&mut self) -> Result<Vec<u8>, MediaError> {
        let (format, width, height) = (self.decoded.format(), self.decoded.width(), self.decoded.height());
        check_frame_size(width, height, self.limits)?;
        self.display_aspect.get_or_insert_with(|| {
            let sample_aspect = self.decoded.aspect_ratio();
            let pixel_aspect = if sample_aspect.numerator() > 0 && sample_aspect.denominator() > 0 {
                f64::from(sample_aspect)
            } else {
                1.0
            };
            f64::from(width) * pixel_aspect / f64::from(height)
        });
        let shape = (format, width, height);
        if self.scaler.as_ref().is_none_or(|(_, built_for)| *built_for != shape) {
            let side = ANALYSIS_SIDE as u32;
            let scaler = scaling::Context::get(format, width, height, Pixel::GRAY8, side, side, scaling::Flags::AREA)
                .map_err(|error| MediaError::UnsupportedCodec {
                reason: format!("cannot convert {format:?} frames: {error}"),
            })?;
            self.scaler = Some((scaler, shape));
        }
        let (scaler, _) = self.scaler.as_mut().expect("scaler was just built");
        scaler
            .run(&self.decoded, &mut self.scaled)
            .map_err(|error| MediaError::UnsupportedCodec { reason: format!("cannot scale a frame: {error}") })?;
        let stride = self.scaled.stride(0);
        let plane = self.scaled.data(0);
        let mut luma = Vec::with_capacity(ANALYSIS_SIDE * ANALYSIS_SIDE);
        for row in 0..ANALYSIS_SIDE {
            luma.extend_from_slice(&plane[row * stride..row * stride + ANALYSIS_SIDE]);
        }
        Ok(luma)
    }

    /// Judges the decode as a whole: a stream that yielded nothing, mostly failed, or stopped far
    /// short of its declared length is not something to fingerprint.
    fn finish(self) -> Result<VideoInfo, MediaError> {
        let Some(last_ms) = self.last_ms else {
            return Err(MediaError::NoDecodableFrames);
        };
        if self.failed_packets * 2 > self.packets {
            return Err(MediaError::Corrupt { failed: self.failed_packets, packets: self.packets });
        }
        let duration_ms = last_ms.saturating_add(self.stream.frame_ms);
        if let Some(declared_ms) = self.stream.declared_ms {
            let decoded = u64::from(duration_ms);
            if decoded * 2 < declared_ms && declared_ms - decoded > 2000 {
                return Err(MediaError::Truncated {
                    declared_seconds: declared_ms as f64 / 1000.0,
                    decoded_seconds: decoded as f64 / 1000.0,
                });
            }
        }
        Ok(VideoInfo { duration_ms, display_aspect: self.display_aspect.unwrap_or(1.0) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_nothing_references_are_skipped_yet_the_video_is_covered_end_to_end() {
        // bikes.mp4 is an x264 encode with B-frames, 250 frames at 25 fps.
        let bikes = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bikes.mp4");
        let mut times = Vec::new();
        let info = decode_video(&bikes, &DecodeLimits::default(), |frame| times.push(frame.time_ms)).unwrap();
        let stored = ffmpeg::format::input(&bikes).unwrap().streams().best(media::Type::Video).unwrap().frames();
        assert!(times.len() * 4 < stored as usize * 3, "decoded {} of {stored} frames", times.len());
        let widest_gap = times.windows(2).map(|pair| pair[1] - pair[0]).max().unwrap();
        assert!(widest_gap <= 160, "{widest_gap} ms between decoded frames");
        assert_eq!(info.duration_ms, 10_000);
    }
}
