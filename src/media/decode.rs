//! Decoding a video file into small grey analysis frames, in presentation order.
//!
//! The decoder is pushed frame by frame into a callback instead of returning a list: a long video
//! never sits in memory, and the caller decides what to keep. Frames that no other frame
//! references are skipped inside the decoder, so "every frame" means every frame the codec had to
//! reconstruct anyway: for typical H.264 uploads about half of them, at a quarter less CPU. Each
//! frame is scaled straight from the decoder's output to [`ANALYSIS_SIDE`]² grey pixels with an
//! area filter, the cheapest place to throw resolution away.
//!
//! A video file is untrusted input, and FFmpeg can do far more than read one file: a playlist
//! or a concat list makes it open other files or URLs, an image-sequence pattern whole folders.
//! So the demuxer is opened with two allow-lists: the `file` protocol alone, for the one path
//! it was given, and the container formats real uploads come in ([`ACCEPTED_FORMATS`]). A
//! header is a promise about memory, so before any frame is decoded the stream's declared size
//! is charged to a [`MemoryBudget`] (see [`super::budget`]), and the decoder refuses frames
//! larger than the size it was admitted with.

use std::ffi::CString;
use std::path::Path;
use std::sync::{Arc, Once};

use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::util::frame;
use ffmpeg::{Rational, codec, media};
use ffmpeg_next as ffmpeg;

use super::MediaError;
use super::budget::{DecodeCost, MemoryBudget};
use super::thumbnails::{MAX_THUMBNAILS, THUMBNAIL_WIDTH, Thumbnail, ThumbnailGrid};

/// FFmpeg's names of the demuxers an upload may use: MP4/MOV/3GP, Matroska/WebM, AVI,
/// MPEG-TS/PS, FLV, Ogg and ASF/WMV. Every demuxer that opens further files or URLs (HLS and
/// DASH playlists, concat lists, image sequences, SDP, and the rest) is absent.
pub const ACCEPTED_FORMATS: &str = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,flv,ogg,asf";

/// Largest frame the stream probe may decode. Probing decodes a frame or two on one thread to
/// learn what the header leaves out, before the stream's cost is known and reserved: this bound
/// keeps that first decode small (a 4K frame) whatever the header claims.
/// It is also the size a stream that declares none is charged as.
const PROBE_MAX_SIZE: (u32, u32) = (3840, 2160);
const PROBE_MAX_PIXELS: u32 = PROBE_MAX_SIZE.0 * PROBE_MAX_SIZE.1;

/// Pixels by which the decoder may pad a frame's width and height beyond what the stream
/// declares (row alignment for SIMD, whole macroblocks).
const ALIGNMENT_SLACK: i64 = 256;

/// Frame threads one decode uses, at most: each keeps a frame in flight, so more threads cost
/// memory the budget has to hold, for a speed-up that flattens past a few cores.
const MAX_DECODE_THREADS: usize = 8;

/// Side of the square grey frame every decoded frame is reduced to.
pub const ANALYSIS_SIDE: usize = 64;

/// Frame interval assumed when a stream declares no usable frame rate (25 fps).
const FALLBACK_FRAME_MS: u32 = 40;

/// The largest frame side real footage comes in (8K); above it the input is absurd.
const MAX_FRAME_SIDE: u32 = 8192;

/// glibc's mmap threshold, fixed: blocks this large and up are frame buffers (see
/// [`return_frame_buffers_to_the_system`]).
const MMAP_THRESHOLD_BYTES: i32 = 256 * 1024;

/// A stream's picture shape when it declares none usable: most footage is 16:9.
const ASSUMED_DISPLAY_ASPECT: f64 = 16.0 / 9.0;

/// Heights a thumbnail may have, whatever aspect a stream declares: a sliver or a tower is a
/// lie of the header, not a picture.
const THUMBNAIL_HEIGHTS: (u32, u32) = (16, 480);

/// A video that decodes to less than half of its declared length, and more than this short of
/// it, was cut off: what is there is not the footage the header describes.
const TRUNCATION_SLACK_MS: u64 = 2000;

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

/// The longest video accepted: a full broadcast segment or a long livestream.
pub const MAX_VIDEO_SECONDS: u32 = 6 * 3600;

/// Bounds on what a decode will accept; absurd inputs are rejected instead of exhausting memory
/// or time.
#[derive(Clone, Debug)]
pub struct DecodeLimits {
    /// Largest accepted width or height, in pixels.
    pub max_side: u32,
    /// Longest accepted video.
    pub max_seconds: u32,
    /// The memory every decode sharing these limits reserves from.
    pub memory: Arc<MemoryBudget>,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_side: MAX_FRAME_SIDE,
            max_seconds: MAX_VIDEO_SECONDS,
            memory: Arc::new(MemoryBudget::default()),
        }
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
        return_frame_buffers_to_the_system();
    });
}

/// glibc's malloc raises its mmap threshold each time a large block is freed, so after one big
/// decode every later frame buffer comes from heap arenas that are never given back: a server's
/// RSS ratchets up with each hostile header. A fixed threshold keeps frame-sized blocks (256 KiB
/// and up) in their own mappings, returned to the system when FFmpeg frees them.
fn return_frame_buffers_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called once, before any decode.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
    }
}

/// Gives the heap's free pages back after a decode: what FFmpeg freed below the mmap threshold
/// (packet buffers, codec tables) would otherwise stay resident.
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Opens `path` as a container of an accepted format through the `file` protocol only, and
/// probes its streams with bounded decoding. The refusal never says more than "not a video":
/// its wording must not depend on what else exists on the machine.
fn open_input(path: &Path) -> Result<ffmpeg::format::context::Input, MediaError> {
    use std::os::unix::ffi::OsStrExt;

    let absolute = std::path::absolute(path).map_err(|source| MediaError::Io { path: path.to_owned(), source })?;
    // The explicit `file:` keeps a path that looks like a URL ("concat:a|b", "http://...") a path.
    let mut url = b"file:".to_vec();
    url.extend_from_slice(absolute.as_os_str().as_bytes());
    let url = CString::new(url).map_err(|_| MediaError::NotAVideo)?;
    let mut options = ffmpeg::Dictionary::new();
    options.set("protocol_whitelist", "file");
    options.set("format_whitelist", ACCEPTED_FORMATS);
    let mut context = std::ptr::null_mut();
    // SAFETY: the pointers passed are valid for the call; on success `context` is an opened
    // input that `Input::wrap` takes ownership of (and closes on drop); on failure FFmpeg
    // freed it. The options dictionary is taken back and freed whatever happens.
    unsafe {
        let mut raw_options = options.disown();
        let opened = ffmpeg::ffi::avformat_open_input(&mut context, url.as_ptr(), std::ptr::null(), &mut raw_options);
        drop(ffmpeg::Dictionary::own(raw_options));
        if opened < 0 {
            return Err(MediaError::NotAVideo);
        }
    }
    // SAFETY: `context` was opened above and is owned by nothing else.
    let mut input = unsafe { ffmpeg::format::context::Input::wrap(context) };
    probe_streams(&mut input)?;
    Ok(input)
}

/// `avformat_find_stream_info` with every probing decoder on one thread and refusing frames over
/// [`PROBE_MAX_PIXELS`].
fn probe_streams(input: &mut ffmpeg::format::context::Input) -> Result<(), MediaError> {
    // SAFETY: one options dictionary per stream, as the call requires, each freed afterwards;
    // the context is a valid opened input.
    unsafe {
        let context = input.as_mut_ptr();
        let streams = (*context).nb_streams as usize;
        let mut options: Vec<*mut ffmpeg::ffi::AVDictionary> = (0..streams)
            .map(|_| {
                let mut stream_options = ffmpeg::Dictionary::new();
                stream_options.set("threads", "1");
                stream_options.set("max_pixels", &PROBE_MAX_PIXELS.to_string());
                stream_options.disown()
            })
            .collect();
        let probed = ffmpeg::ffi::avformat_find_stream_info(context, options.as_mut_ptr());
        for stream_options in options {
            drop(ffmpeg::Dictionary::own(stream_options));
        }
        if probed < 0 {
            return Err(MediaError::NotAVideo);
        }
    }
    Ok(())
}

/// Decodes the best video stream of `path`, calling `on_frame` for every frame in presentation
/// order.
pub fn decode_video(
    path: &Path,
    limits: &DecodeLimits,
    on_frame: impl FnMut(AnalysisFrame),
) -> Result<VideoInfo, MediaError> {
    decode(path, limits, on_frame, false).map(|(info, _)| info)
}

/// [`decode_video`], keeping a colour [`Thumbnail`] of the frames its [`ThumbnailGrid`] picks.
pub fn decode_video_with_thumbnails(
    path: &Path,
    limits: &DecodeLimits,
    on_frame: impl FnMut(AnalysisFrame),
) -> Result<(VideoInfo, Vec<Thumbnail>), MediaError> {
    decode(path, limits, on_frame, true)
}

fn decode(
    path: &Path,
    limits: &DecodeLimits,
    mut on_frame: impl FnMut(AnalysisFrame),
    thumbnails: bool,
) -> Result<(VideoInfo, Vec<Thumbnail>), MediaError> {
    init_ffmpeg();
    let size = std::fs::metadata(path).map_err(|source| MediaError::Io { path: path.to_owned(), source })?.len();
    if size == 0 {
        return Err(MediaError::Empty);
    }
    // The demuxer allocates its index while opening: what a file declares is checked first.
    super::sample_tables::check(path)?;
    let mut input = open_input(path)?;
    let stream = StreamFacts::of_best_video(&input)?;
    // The declared size is checked and paid for before any frame is allocated.
    let (width, height) = stream.declared_size;
    check_frame_size(width, height, limits)?;
    let threads = decode_threads();
    let cost = DecodeCost::of_stream(width, height, stream.bits_per_sample, &stream.codec, threads as u32);
    let _reservation = limits.memory.reserve(cost)?;
    let thumbnails = thumbnails.then(|| ThumbnailSink::new(ThumbnailGrid::for_duration(stream.declared_ms)));
    let decoded = decode_stream(&mut input, &stream, limits, threads, thumbnails, &mut on_frame);
    drop(input);
    trim_heap();
    decoded
}

fn decode_threads() -> usize {
    crate::available_cores().min(MAX_DECODE_THREADS)
}

fn decode_stream(
    input: &mut ffmpeg::format::context::Input,
    stream: &StreamFacts,
    limits: &DecodeLimits,
    threads: usize,
    thumbnails: Option<ThumbnailSink>,
    on_frame: &mut impl FnMut(AnalysisFrame),
) -> Result<(VideoInfo, Vec<Thumbnail>), MediaError> {
    let mut decoder = stream.open_decoder(input, threads)?;

    let mut state = DecodeState::new(stream, limits, thumbnails);
    let mut packet = ffmpeg::Packet::empty();
    let mut consecutive_read_errors = 0;
    loop {
        match packet.read(input) {
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
        state.drain(&mut decoder, on_frame)?;
    }
    // Flushing returns the frames a threaded decoder still holds.
    if decoder.send_eof().is_ok() {
        state.drain(&mut decoder, on_frame)?;
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
    /// Width and height from the header and the probe; a stream that declares none is charged
    /// as the largest frame the probe decodes.
    declared_size: (u32, u32),
    bits_per_sample: u32,
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
            declared_size: declared_size(&stream),
            // SAFETY: the parameters pointer of an opened stream is valid while `input` is.
            bits_per_sample: unsafe { (*stream.parameters().as_ptr()).bits_per_raw_sample }.max(8) as u32,
        })
    }

    fn open_decoder(
        &self,
        input: &ffmpeg::format::context::Input,
        threads: usize,
    ) -> Result<ffmpeg::decoder::Video, MediaError> {
        let unsupported =
            |error: ffmpeg::Error| MediaError::UnsupportedCodec { reason: format!("{}: {error}", self.codec) };
        let stream = input.stream(self.index).ok_or(MediaError::NoVideoStream)?;
        let mut context = codec::context::Context::from_parameters(stream.parameters()).map_err(unsupported)?;
        // Frame threading keeps every core busy on one video, a known number of threads so that
        // the memory they hold is what the budget was charged for.
        context.set_threading(codec::threading::Config {
            kind: codec::threading::Type::Frame,
            count: threads,
            ..Default::default()
        });
        let (width, height) = self.declared_size;
        // SAFETY: setting a plain field of a context not yet opened. A frame larger than the one
        // the decode was admitted with is refused by the decoder instead of allocated. FFmpeg
        // checks the size with its rows padded for SIMD (up to 64 pixels, more for some codecs'
        // macroblocks), so the bound leaves that much room on each side.
        unsafe {
            (*context.as_mut_ptr()).max_pixels =
                (i64::from(width) + ALIGNMENT_SLACK) * (i64::from(height) + ALIGNMENT_SLACK);
        }
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

fn declared_size(stream: &ffmpeg::format::stream::Stream) -> (u32, u32) {
    // SAFETY: the parameters pointer of an opened stream is valid while its input is.
    let (width, height) = unsafe {
        let parameters = stream.parameters().as_ptr();
        ((*parameters).width, (*parameters).height)
    };
    match (u32::try_from(width), u32::try_from(height)) {
        (Ok(width), Ok(height)) if width > 0 && height > 0 => (width, height),
        _ => PROBE_MAX_SIZE,
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
    thumbnails: Option<ThumbnailSink>,
}

/// The thumbnails a decode keeps, and the scaler that makes them.
struct ThumbnailSink {
    grid: ThumbnailGrid,
    taken: Vec<Thumbnail>,
    scaler: Option<(scaling::Context, (Pixel, u32, u32))>,
    rgb: frame::Video,
}

impl ThumbnailSink {
    fn new(grid: ThumbnailGrid) -> Self {
        ThumbnailSink { grid, taken: Vec::new(), scaler: None, rgb: frame::Video::empty() }
    }

    /// Keeps `decoded` as the thumbnail at `time_ms` when the grid wants one then. A frame that
    /// cannot be scaled or encoded is skipped: thumbnails illustrate, they are never evidence.
    fn offer(&mut self, decoded: &frame::Video, time_ms: u32, display_aspect: f64) {
        if self.taken.len() >= MAX_THUMBNAILS || !self.grid.wants(time_ms) {
            return;
        }
        let (format, width, height) = (decoded.format(), decoded.width(), decoded.height());
        let shape = (format, width, height);
        if self.scaler.as_ref().is_none_or(|(_, built_for)| *built_for != shape) {
            let out_height = ((f64::from(THUMBNAIL_WIDTH) / display_aspect.max(0.1)).round() as u32 / 2 * 2)
                .clamp(THUMBNAIL_HEIGHTS.0, THUMBNAIL_HEIGHTS.1);
            match scaling::Context::get(
                format,
                width,
                height,
                Pixel::RGB24,
                THUMBNAIL_WIDTH,
                out_height,
                scaling::Flags::AREA,
            ) {
                Ok(scaler) => self.scaler = Some((scaler, shape)),
                Err(_) => return,
            }
        }
        let Some((scaler, _)) = self.scaler.as_mut() else { return };
        if scaler.run(decoded, &mut self.rgb).is_err() {
            return;
        }
        let (out_width, out_height) = (self.rgb.width(), self.rgb.height());
        let stride = self.rgb.stride(0);
        let row = out_width as usize * 3;
        let plane = self.rgb.data(0);
        let rgb: Vec<u8> =
            (0..out_height as usize).flat_map(|y| plane[y * stride..y * stride + row].iter().copied()).collect();
        self.taken.extend(Thumbnail::encode(time_ms, &rgb, out_width, out_height));
    }
}

impl<'a> DecodeState<'a> {
    fn new(stream: &'a StreamFacts, limits: &'a DecodeLimits, thumbnails: Option<ThumbnailSink>) -> Self {
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
            thumbnails,
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
            if let Some(thumbnails) = &mut self.thumbnails {
                thumbnails.offer(&self.decoded, time_ms, self.display_aspect.unwrap_or(ASSUMED_DISPLAY_ASPECT));
            }
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
    fn finish(self) -> Result<(VideoInfo, Vec<Thumbnail>), MediaError> {
        let Some(last_ms) = self.last_ms else {
            return Err(MediaError::NoDecodableFrames);
        };
        if self.failed_packets * 2 > self.packets {
            return Err(MediaError::Corrupt { failed: self.failed_packets, packets: self.packets });
        }
        let duration_ms = last_ms.saturating_add(self.stream.frame_ms);
        if let Some(declared_ms) = self.stream.declared_ms {
            let decoded = u64::from(duration_ms);
            if decoded * 2 < declared_ms && declared_ms - decoded > TRUNCATION_SLACK_MS {
                return Err(MediaError::Truncated {
                    declared_seconds: declared_ms as f64 / 1000.0,
                    decoded_seconds: decoded as f64 / 1000.0,
                });
            }
        }
        let thumbnails = self.thumbnails.map(|sink| sink.taken).unwrap_or_default();
        Ok((VideoInfo { duration_ms, display_aspect: self.display_aspect.unwrap_or(1.0) }, thumbnails))
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
