//! Edits drawn at random: the part of the accuracy benchmark that cannot be fitted.
//!
//! Every query is one reference put through a chain of edits whose parameters are drawn, per
//! query, from the ranges below: where a window sits and how big it is, what is behind it, how
//! much is cropped and where, which aspect the copy is padded to, how fast it plays. A recipe
//! tuned until these pass has learnt the ranges, not one position or one scale, and a fresh
//! seed draws queries nobody has looked at.
//!
//! | step | drawn from |
//! |---|---|
//! | window | 30–90 % of the frame's width, anywhere in the frame, over busy footage, a flickering texture or a still graphic |
//! | split screen | side by side or stacked, the clip's part 40–60 % of the frame, fitted or cropped to fill, beside other moving footage |
//! | padding | to 9:16, 1:1, 4:5 or 21:9, anywhere in the padded frame, solid colour or a blurred copy |
//! | crop | 60–95 % of each side, independently, at any offset, scaled back up |
//! | turn | 90°, 180° or 270° clockwise |
//! | tilt | 1–6° either way, black corners, some noise |
//! | speed | 0.5–2× (0.95–1.05 excluded) |
//! | excerpt | 1–3 s from anywhere in the reference |
//! | faded | contrast 0.15–0.5, brightness −0.3 to +0.15, saturation 0–1: a dark or washed-out copy |
//! | mirror, colour, caption | left–right flip; contrast 0.75–1.4, brightness ±0.08, saturation 0–1.6; a bar over 10–20 % of the top or bottom |
//! | encoding (always, last) | 240–720 px high, 15–30 fps, CRF 23–38 |
//!
//! A re-upload of a re-upload takes two draws: the first re-upload ([`Family::Reupload`]) is
//! 40–70 % of the reference from anywhere in it, put through one of window, split screen,
//! padding, crop, turn, tilt or a mild step, and is indexed, dated after the reference; the
//! query is then a copy of *that* re-upload, drawn from any of the single families above. The
//! question stays the reference's date.
//!
//! Backgrounds and the other half of a split screen are FFmpeg's synthetic sources with seeds no
//! indexed footage uses, so that any footage they match is a false match.

use super::corpus::Reference;

/// The families the benchmark reports, each a lead step (or a chain of them) drawn at random.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Window,
    SplitScreen,
    Padded,
    Cropped,
    Turned,
    Tilted,
    Speed,
    Excerpt,
    /// Two to four steps: an excerpt, a crop, a turn, a speed change, at most one layout (window,
    /// split screen or padding), and the mild ones (mirror, colour, caption).
    Chain,
    /// Listed after the chain, which it joined later, so that the chain's draws stayed the same
    /// (the re-uploads' draws, which come after and choose among [`Family::SINGLE`], changed).
    Faded,
    /// The first hop of a re-upload of a re-upload: part of the reference with one edit that
    /// keeps its timing. Not in [`Family::ALL`]: the benchmark indexes it, then draws the query
    /// from it under one of [`Family::SINGLE`].
    Reupload,
}

impl Family {
    pub const ALL: [Family; 10] = [
        Family::Window,
        Family::SplitScreen,
        Family::Padded,
        Family::Cropped,
        Family::Turned,
        Family::Tilted,
        Family::Speed,
        Family::Excerpt,
        Family::Chain,
        Family::Faded,
    ];

    /// The families of one edit, each of which can be the second hop of a re-upload: all but
    /// the chain, in the order of [`Family::ALL`].
    pub const SINGLE: [Family; Family::ALL.len() - 1] = {
        let mut single = [Family::Window; Family::ALL.len() - 1];
        let (mut from, mut to) = (0, 0);
        while from < Family::ALL.len() {
            if !matches!(Family::ALL[from], Family::Chain) {
                single[to] = Family::ALL[from];
                to += 1;
            }
            from += 1;
        }
        single
    };

    pub fn name(self) -> &'static str {
        match self {
            Family::Window => "window anywhere, 30–90 %",
            Family::SplitScreen => "split screen",
            Family::Padded => "padded to another aspect",
            Family::Cropped => "cropped 60–95 %, off-centre",
            Family::Turned => "turned 90/180/270°",
            Family::Tilted => "tilted 1–6°",
            Family::Speed => "speed 0.5–2×",
            Family::Excerpt => "excerpt of 1–3 s",
            Family::Chain => "chain of 2–4 edits",
            Family::Faded => "faded: dark or washed out",
            Family::Reupload => "re-upload of an indexed re-upload of 40–70 %",
        }
    }
}

/// One drawn query: the ffmpeg arguments that make it, what was drawn, and where the reference
/// starts in it.
pub struct RandomEdit {
    pub family: Family,
    /// Every step with its drawn parameters, for the list of misses.
    pub steps: Vec<String>,
    /// ffmpeg arguments, output excluded.
    pub args: Vec<String>,
    /// (query start, reference start) in seconds.
    pub truth: (f64, f64),
}

/// A query of `family` made from `reference`, its parameters drawn from `rng`.
pub fn draw(family: Family, reference: &Reference, rng: &mut fastrand::Rng) -> RandomEdit {
    let mut graph = Graph::new(reference);
    let steps = match family {
        Family::Window => vec![graph.window(rng)],
        Family::SplitScreen => vec![graph.split_screen(rng)],
        Family::Padded => vec![graph.padded(rng)],
        Family::Cropped => vec![graph.cropped(rng)],
        Family::Turned => vec![graph.turned(rng)],
        Family::Tilted => vec![graph.tilted(rng)],
        Family::Speed => vec![graph.speed(rng)],
        Family::Excerpt => vec![graph.excerpt(rng)],
        Family::Chain => graph.chain(rng),
        Family::Faded => vec![graph.faded(rng)],
        Family::Reupload => graph.reupload(rng),
    };
    let mut steps = steps;
    let (encoding, args) = graph.encode(rng);
    steps.push(encoding);
    RandomEdit { family, steps, args, truth: (0.0, graph.reference_start) }
}

/// A file name for the query, unique to what was drawn: a changed range or seed makes a new
/// file instead of reusing a stale one.
pub fn file_name(reference: &Reference, edit: &RandomEdit) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    edit.args.hash(&mut hasher);
    format!("random-{}-{:?}-{:016x}.mp4", reference.name, edit.family, hasher.finish())
}

/// The share of each side a crop keeps.
pub const CROP_KEPT: (f64, f64) = (0.6, 0.95);

/// A crop of the crop family, scaled back up: how much of each side it keeps, and where the
/// kept part sits within the slack (0 at the left or top, 1 at the right or bottom).
pub struct Crop {
    /// Shares of the width and of the height kept.
    pub kept: (f64, f64),
    pub place: (f64, f64),
}

impl Crop {
    pub fn draw(rng: &mut fastrand::Rng) -> Crop {
        let kept = (uniform(rng, CROP_KEPT.0, CROP_KEPT.1), uniform(rng, CROP_KEPT.0, CROP_KEPT.1));
        Crop { kept, place: (rng.f64(), rng.f64()) }
    }

    pub fn filter(&self) -> String {
        let ((width, height), (x, y)) = (self.kept, self.place);
        format!(
            "crop=iw*{width:.3}:ih*{height:.3}:(iw-iw*{width:.3})*{x:.3}:(ih-ih*{height:.3})*{y:.3},scale=640:-2,setsar=1"
        )
    }

    /// Where the kept part starts, in shares of the original's width and height.
    pub fn offsets(&self) -> (f64, f64) {
        ((1.0 - self.kept.0) * self.place.0, (1.0 - self.kept.1) * self.place.1)
    }
}

fn uniform(rng: &mut fastrand::Rng, low: f64, high: f64) -> f64 {
    low + rng.f64() * (high - low)
}

/// An ffmpeg filter graph under construction: the reference as input 0, extra lavfi inputs,
/// and the label of the stream so far.
struct Graph {
    inputs: Vec<String>,
    filters: Vec<String>,
    current: String,
    labels: usize,
    /// Seconds of the reference the stream shows so far.
    seconds: f64,
    reference_start: f64,
}

impl Graph {
    fn new(reference: &Reference) -> Graph {
        let mut graph = Graph {
            inputs: vec![reference.path.to_str().expect("utf-8 path").to_owned()],
            filters: Vec::new(),
            current: "0:v".to_owned(),
            labels: 0,
            seconds: reference.seconds,
            reference_start: 0.0,
        };
        // One working size, so that every step's sizes are known: 640 wide, even height.
        graph.then("scale=640:-2,setsar=1,fps=25");
        graph
    }

    fn label(&mut self) -> String {
        self.labels += 1;
        format!("s{}", self.labels)
    }

    /// Applies `filter` to the stream so far.
    fn then(&mut self, filter: &str) {
        let output = self.label();
        self.filters.push(format!("[{}]{filter}[{output}]", self.current));
        self.current = output;
    }

    /// A synthetic source as another input, as a stream label of `width` × `height`.
    fn source(&mut self, source: &str, width: u32, height: u32) -> String {
        let separator = if source.contains('=') { ':' } else { '=' };
        self.inputs.push(format!("{source}{separator}s={width}x{height}:r=25"));
        let input = self.inputs.len() - 1;
        let output = self.label();
        self.filters.push(format!("[{input}:v]setsar=1,format=yuv420p[{output}]"));
        output
    }

    /// Something for a window to sit over or a split screen to show beside it: busy footage, a
    /// flickering texture or a still graphic (only the first two with `moving_only`), none of it
    /// indexed. Its kind, and its stream label.
    fn background(
        &mut self,
        rng: &mut fastrand::Rng,
        width: u32,
        height: u32,
        moving_only: bool,
    ) -> (&'static str, String) {
        let seed = 500 + rng.u32(0..10_000);
        let kind = rng.u8(0..if moving_only { 2 } else { 4 });
        let (kind, source) = match kind {
            0 => (
                "busy footage (life)",
                format!("life=seed={seed}:mold=10:ratio=0.{}:life_color=#c0e0ff:death_color=#302010", rng.u8(2..8)),
            ),
            1 => ("busy footage (moving test pattern)", "testsrc2".to_owned()),
            2 => ("a flickering texture", format!("color=c=0x{:06x}", rng.u32(0..0xff_ffff))),
            _ => ("a still graphic", "smptehdbars".to_owned()),
        };
        let label = self.source(&source, width, height);
        if kind != "a flickering texture" {
            return (kind, label);
        }
        let output = self.label();
        self.filters.push(format!("[{label}]noise=alls=70:allf=t+u[{output}]"));
        (kind, output)
    }

    fn window(&mut self, rng: &mut fastrand::Rng) -> String {
        let share = uniform(rng, 0.3, 0.9);
        let (x, y) = (rng.f64(), rng.f64());
        let (kind, background) = self.background(rng, 640, 360, false);
        let clip = self.current.clone();
        let width = ((640.0 * share) as u32).max(2) & !1;
        let (small, output) = (self.label(), self.label());
        self.filters.push(format!("[{clip}]scale={width}:-2[{small}]"));
        self.filters.push(format!("[{background}][{small}]overlay=x=(W-w)*{x:.3}:y=(H-h)*{y:.3}:shortest=1[{output}]"));
        self.current = output;
        format!("window {:.0} % wide at ({:.0} %, {:.0} %) over {kind}", share * 100.0, x * 100.0, y * 100.0)
    }

    fn split_screen(&mut self, rng: &mut fastrand::Rng) -> String {
        let share = uniform(rng, 0.4, 0.6);
        let side_by_side = rng.bool();
        let fill = rng.bool();
        let clip_first = rng.bool();
        // Side by side in a landscape frame, stacked in a vertical one.
        let (frame_width, frame_height) = if side_by_side { (640, 360) } else { (360, 640) };
        let even = |value: f64| (value as u32).max(2) & !1;
        let (clip_size, other_size) = if side_by_side {
            let width = even(f64::from(frame_width) * share);
            ((width, frame_height), (frame_width - width, frame_height))
        } else {
            let height = even(f64::from(frame_height) * share);
            ((frame_width, height), (frame_width, frame_height - height))
        };
        let (_, other) = self.background(rng, other_size.0, other_size.1, true);
        let clip = self.current.clone();
        let part = self.label();
        let (w, h) = clip_size;
        let fitted = if fill {
            format!("scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}")
        } else {
            format!("scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2")
        };
        self.filters.push(format!("[{clip}]{fitted},setsar=1[{part}]"));
        let stack = if side_by_side { "hstack" } else { "vstack" };
        let (first, second) = if clip_first { (&part, &other) } else { (&other, &part) };
        let output = self.label();
        self.filters.push(format!("[{first}][{second}]{stack}=inputs=2:shortest=1[{output}]"));
        self.current = output;
        format!(
            "split screen {}, the clip {} in {:.0} % of it, {}",
            if side_by_side { "side by side" } else { "stacked" },
            if clip_first { "first" } else { "second" },
            share * 100.0,
            if fill { "cropped to fill" } else { "fitted" }
        )
    }

    fn padded(&mut self, rng: &mut fastrand::Rng) -> String {
        let (aspect, width, height) =
            [("9:16", 360, 640), ("1:1", 480, 480), ("4:5", 432, 540), ("21:9", 840, 360)][rng.usize(0..4)];
        let (x, y) = (rng.f64(), rng.f64());
        let blurred = rng.bool();
        let clip = self.current.clone();
        let fit = format!("scale={width}:{height}:force_original_aspect_ratio=decrease,setsar=1");
        let small = self.label();
        let fill = if blurred {
            // The clip feeds both the picture and the blurred copy behind it.
            let (for_picture, for_copy, copy) = (self.label(), self.label(), self.label());
            self.filters.push(format!("[{clip}]split[{for_picture}][{for_copy}]"));
            self.filters.push(format!("[{for_picture}]{fit}[{small}]"));
            self.filters.push(format!(
                "[{for_copy}]scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},boxblur=20,setsar=1[{copy}]"
            ));
            copy
        } else {
            self.filters.push(format!("[{clip}]{fit}[{small}]"));
            self.source(&format!("color=c=0x{:06x}", rng.u32(0..0xff_ffff)), width, height)
        };
        let output = self.label();
        self.filters.push(format!("[{fill}][{small}]overlay=x=(W-w)*{x:.3}:y=(H-h)*{y:.3}:shortest=1[{output}]"));
        self.current = output;
        format!(
            "padded to {aspect} at ({:.0} %, {:.0} %) with {}",
            x * 100.0,
            y * 100.0,
            if blurred { "a blurred copy" } else { "a solid colour" }
        )
    }

    fn cropped(&mut self, rng: &mut fastrand::Rng) -> String {
        let crop = Crop::draw(rng);
        self.then(&crop.filter());
        format!(
            "cropped to {:.0} % × {:.0} % at ({:.0} %, {:.0} %)",
            crop.kept.0 * 100.0,
            crop.kept.1 * 100.0,
            crop.place.0 * 100.0,
            crop.place.1 * 100.0
        )
    }

    fn turned(&mut self, rng: &mut fastrand::Rng) -> String {
        let (degrees, filter) =
            [(90, "transpose=clock"), (180, "hflip,vflip"), (270, "transpose=cclock")][rng.usize(0..3)];
        self.then(filter);
        format!("turned {degrees}° clockwise")
    }

    fn tilted(&mut self, rng: &mut fastrand::Rng) -> String {
        let degrees = uniform(rng, 1.0, 6.0) * if rng.bool() { 1.0 } else { -1.0 };
        self.then(&format!("rotate={:.4}:fillcolor=black,noise=alls=8:allf=t", degrees.to_radians()));
        format!("tilted {degrees:.1}°")
    }

    fn speed(&mut self, rng: &mut fastrand::Rng) -> String {
        let speed = loop {
            let speed = uniform(rng, 0.5, 2.0);
            if !(0.95..=1.05).contains(&speed) {
                break speed;
            }
        };
        self.then(&format!("setpts=PTS/{speed:.4},fps=25"));
        self.seconds /= speed;
        format!("played at {speed:.2}×")
    }

    /// An excerpt of the reference: drawn before any step that changes time, so that its start
    /// is a time in the reference.
    fn excerpt(&mut self, rng: &mut fastrand::Rng) -> String {
        let length = uniform(rng, 1.0, 3.0).min(self.seconds);
        let start = rng.f64() * (self.seconds - length);
        self.then(&format!("trim=start={start:.3}:duration={length:.3},setpts=PTS-STARTPTS"));
        self.seconds = length;
        self.reference_start = start;
        format!("{length:.1} s from {start:.1} s")
    }

    /// Most of the picture's contrast gone, darker or lighter, some or all of its colour: a
    /// night scene, a copy of a copy on a dim screen. The information test's thresholds sit
    /// inside what this draws for ordinary footage.
    fn faded(&mut self, rng: &mut fastrand::Rng) -> String {
        let (contrast, brightness, saturation) =
            (uniform(rng, 0.15, 0.5), uniform(rng, -0.3, 0.15), uniform(rng, 0.0, 1.0));
        self.then(&format!("eq=contrast={contrast:.2}:brightness={brightness:.3}:saturation={saturation:.2}"));
        format!("faded: contrast {contrast:.2}, brightness {brightness:+.2}, saturation {saturation:.2}")
    }

    /// 40–70 % of the reference from anywhere in it, then one edit that keeps its timing.
    fn reupload(&mut self, rng: &mut fastrand::Rng) -> Vec<String> {
        let length = uniform(rng, 0.4, 0.7) * self.seconds;
        let start = rng.f64() * (self.seconds - length);
        self.then(&format!("trim=start={start:.3}:duration={length:.3},setpts=PTS-STARTPTS"));
        self.seconds = length;
        self.reference_start = start;
        let edit = match rng.u8(0..7) {
            0 => self.window(rng),
            1 => self.split_screen(rng),
            2 => self.padded(rng),
            3 => self.cropped(rng),
            4 => self.turned(rng),
            5 => self.tilted(rng),
            _ => self.coloured(rng),
        };
        vec![format!("{length:.1} s from {start:.1} s"), edit]
    }

    fn mirrored(&mut self) -> String {
        self.then("hflip");
        "mirrored".to_owned()
    }

    fn coloured(&mut self, rng: &mut fastrand::Rng) -> String {
        let (contrast, brightness, saturation) =
            (uniform(rng, 0.75, 1.4), uniform(rng, -0.08, 0.08), uniform(rng, 0.0, 1.6));
        self.then(&format!("eq=contrast={contrast:.2}:brightness={brightness:.3}:saturation={saturation:.2}"));
        format!("colour: contrast {contrast:.2}, brightness {brightness:+.2}, saturation {saturation:.2}")
    }

    fn captioned(&mut self, rng: &mut fastrand::Rng) -> String {
        let share = uniform(rng, 0.1, 0.2);
        let top = rng.bool();
        let y = if top { "0".to_owned() } else { format!("ih*{:.3}", 1.0 - share) };
        self.then(&format!("drawbox=x=0:y={y}:w=iw:h=ih*{share:.3}:c=0x{:06x}@0.85:t=fill", rng.u32(0..0xff_ffff)));
        format!("caption bar over the {} {:.0} %", if top { "top" } else { "bottom" }, share * 100.0)
    }

    /// Two to four steps in a random order, at most one layout, an excerpt only first.
    fn chain(&mut self, rng: &mut fastrand::Rng) -> Vec<String> {
        let length = rng.usize(2..=4);
        let mut kinds: Vec<u8> = (0..9).collect();
        rng.shuffle(&mut kinds);
        let layout = |kind: u8| kind >= 6;
        let mut chosen: Vec<u8> = Vec::new();
        for kind in kinds {
            if chosen.len() == length {
                break;
            }
            if layout(kind) && chosen.iter().any(|&other| layout(other)) {
                continue;
            }
            chosen.push(kind);
        }
        // An excerpt is cut from the reference; layouts go last, as a re-uploader's editor puts
        // the finished clip on its canvas.
        chosen.sort_by_key(|&kind| match kind {
            0 => 0,
            kind if layout(kind) => 2,
            _ => 1,
        });
        chosen
            .into_iter()
            .map(|kind| match kind {
                0 => self.excerpt(rng),
                1 => self.cropped(rng),
                2 => self.turned(rng),
                3 => self.speed(rng),
                4 => self.coloured(rng),
                5 => {
                    if rng.bool() {
                        self.mirrored()
                    } else {
                        self.captioned(rng)
                    }
                }
                6 => self.window(rng),
                7 => self.split_screen(rng),
                _ => self.padded(rng),
            })
            .collect()
    }

    /// The encoding every copy ends with, and the whole ffmpeg command line.
    fn encode(&mut self, rng: &mut fastrand::Rng) -> (String, Vec<String>) {
        let (height, fps, crf) = (rng.u32(120..=360) * 2, rng.u32(15..=30), rng.u32(23..=38));
        self.then(&format!("scale=-2:{height},fps={fps},format=yuv420p"));
        let mut args = Vec::new();
        for (n, input) in self.inputs.iter().enumerate() {
            if n == 0 {
                args.extend(["-i".to_owned(), input.clone()]);
            } else {
                args.extend(["-f", "lavfi", "-i"].map(str::to_owned));
                args.push(input.clone());
            }
        }
        let graph = self.filters.join(";");
        args.extend(["-filter_complex".to_owned(), graph, "-map".to_owned(), format!("[{}]", self.current)]);
        // Synthetic inputs never end; the copy is as long as what is left of the reference.
        args.extend(["-t".to_owned(), format!("{:.3}", self.seconds)]);
        args.extend(["-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", &crf.to_string()].map(str::to_owned));
        (format!("encoded {height} px high, {fps} fps, CRF {crf}"), args)
    }
}
