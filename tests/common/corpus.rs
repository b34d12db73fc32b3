//! What accuracy is measured on: the edits re-uploads get (as ffmpeg filters), unrelated
//! distractors, and footage that must match nothing. Shared by the accuracy benchmark and the
//! accuracy floor test (`tests/accuracy_floor.rs`), so that both measure the same thing.

use std::path::PathBuf;

/// Issue #3's target for the error of a reported segment boundary.
pub const BOUNDARY_TARGET_SECONDS: f64 = 1.0;

/// 50 unrelated clips from FFmpeg's synthetic sources, several styles so some resemble each
/// other and the generated references.
pub fn distractor_sources(count: usize) -> Vec<String> {
    (0..count)
        .map(|n| match n % 5 {
            0 => format!("life=s=320x240:r=25:seed={n}:mold=10:ratio=0.{}", 2 + n % 6),
            1 => format!("cellauto=s=320x240:r=25:rule={}:scroll=1", 18 + n * 7 % 200),
            2 => format!(
                "mandelbrot=s=320x240:r=25:start_x=-{:.3}:start_y={:.3}",
                0.5 + n as f64 * 0.01,
                n as f64 * 0.013
            ),
            3 => format!("gradients=s=320x240:r=25:seed={n}:speed=0.0{}", 1 + n % 5),
            _ => format!("sierpinski=s=320x240:r=25:seed={n}:jump={}", 1 + n % 20),
        })
        .map(|source| format!("{source},trim=duration=5"))
        .collect()
}

/// ffmpeg arguments, output excluded, that encode one of FFmpeg's synthetic sources (a lavfi
/// graph from [`distractor_sources`], [`must_find_nothing`] or a generated reference).
pub fn synthetic(source: &str) -> Vec<String> {
    ["-f", "lavfi", "-i", source, "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
        .map(str::to_owned)
        .to_vec()
}

/// Queries whose answer must be "nothing": footage that is not indexed, near-static, or dark.
pub fn must_find_nothing() -> Vec<(&'static str, String)> {
    vec![
        ("unindexed: life", "life=s=320x240:r=25:seed=1000:mold=10,trim=duration=6".into()),
        ("unindexed: gradients", "gradients=s=320x240:r=25:seed=999:speed=0.03,trim=duration=6".into()),
        ("unindexed: cellauto", "cellauto=s=320x240:r=25:rule=45:scroll=1,trim=duration=6".into()),
        ("near-static: colour bars", "smptehdbars=s=640x360:r=25,noise=alls=4:allf=t,trim=duration=6".into()),
        (
            "near-static: test card",
            "testsrc2=s=640x360:r=25,select='eq(n\\,0)',loop=loop=150:size=1,trim=duration=6".into(),
        ),
        (
            "mostly dark: small drifting box",
            "color=c=black:s=640x360:r=25:d=6,drawbox=x=20+t*30:y=30:w=40:h=24:c=white:t=fill".into(),
        ),
        ("mostly dark: dim noise", "color=c=0x080808:s=640x360:r=25:d=6,noise=alls=6:allf=t".into()),
        // Short videos are sampled four times as densely: their keyframes, so much alike, must
        // not add up to a quorum on their own.
        (
            "short, unindexed: 1.5 s of gradients",
            "gradients=s=320x240:r=25:seed=998:speed=0.03,trim=duration=1.5".into(),
        ),
        (
            "short, near-static: 2 s of a test card",
            "testsrc2=s=640x360:r=25,select='eq(n\\,0)',loop=loop=50:size=1,trim=duration=2".into(),
        ),
        ("short, mostly dark: 1 s of dim noise", "color=c=0x080808:s=640x360:r=25:d=1,noise=alls=6:allf=t".into()),
    ]
}

/// A look-alike: footage indexed beside a query that resembles it but is not it, as lavfi
/// sources for [`synthetic`]. The query must not match the indexed look-alike.
pub struct LookAlike {
    pub name: &'static str,
    pub indexed: String,
    pub query: String,
}

/// Pairs of different videos that share what fools a matcher: a game's screen layout, a room,
/// a title card.
pub fn look_alikes() -> Vec<LookAlike> {
    // A game's screen: a top bar and a side panel around the play, the play itself a session of
    // the game of life.
    let game = |seed: u32| {
        format!(
            "life=s=640x360:r=25:seed={seed}:mold=10:ratio=0.3:life_color=#40ff80:death_color=#101830,\
             drawbox=x=0:y=0:w=iw:h=48:c=0x222244:t=fill,drawbox=x=16:y=12:w=180:h=24:c=0xffcc00:t=fill,\
             drawbox=x=480:y=48:w=160:h=312:c=0x333355:t=fill,drawbox=x=496:y=70:w=128:h=96:c=0x6688aa:t=fill,\
             trim=duration=8"
        )
    };
    // A room filmed by a fixed camera: the same still scene, someone moving through it along
    // another path each time.
    let room = |path: &str, seconds: f64| {
        format!(
            "gradients=s=640x360:r=25:seed=77:speed=0.0001:n=4,drawbox=x=60:y=200:w=200:h=120:c=0x5a3a1a:t=fill,\
             drawbox=x=420:y=40:w=140:h=100:c=0xd0d8e0:t=fill[room];color=c=0x202020:s=60x150:r=25[person];\
             [room][person]overlay={path}:shortest=1,trim=duration={seconds}[out0]"
        )
    };
    // A channel's title card (a logo of boxes on its colour) before different footage.
    let titled = |footage: &str| {
        format!(
            "color=c=0x0b3d91:s=640x360:r=25:d=2,drawbox=x=220:y=120:w=200:h=60:c=white:t=fill,\
             drawbox=x=250:y=200:w=140:h=24:c=0xfc3d21:t=fill,format=yuv420p[card];\
             {footage},trim=duration=5,format=yuv420p[footage];[card][footage]concat=n=2:v=1[out0]"
        )
    };
    vec![
        LookAlike { name: "same game, another session", indexed: game(4242), query: game(5151) },
        LookAlike {
            name: "same room, another recording",
            indexed: room("x=40+t*60:y=170", 8.0),
            query: room("x=560-t*50:y=150+10*sin(t)", 8.0),
        },
        LookAlike {
            name: "only a title card in common",
            indexed: titled("cellauto=s=640x360:r=25:rule=110:scroll=1"),
            query: titled("mandelbrot=s=640x360:r=25:start_x=-1.4:start_y=0.01"),
        },
        // Sampled densely, two seconds of the still room are a dozen keyframes of one picture.
        LookAlike {
            name: "same room, 2 s of another recording",
            indexed: room("x=40+t*60:y=170", 8.0),
            query: room("x=560-t*50:y=150+10*sin(t)", 2.0),
        },
    ]
}

/// A reference clip and how long it is.
pub struct Reference {
    pub name: &'static str,
    pub path: PathBuf,
    pub seconds: f64,
}

/// How the camera moves over a photograph during one shot.
#[derive(Clone, Copy)]
pub enum Move {
    ZoomIn,
    ZoomOut,
    PanRight,
    PanLeft,
    PanDown,
}

/// One shot of held-out footage: a photograph from `benches/photos`, filmed moving.
pub struct Shot {
    pub photo: &'static str,
    pub movement: Move,
    pub seconds: f64,
}

/// Footage no recipe choice was made on: slow pans and zooms over photographs, with hard cuts
/// between shots, as in an edited news package. Every threshold of the recipe was chosen on the
/// four tuning references; these measure how it does on pictures it has not seen.
pub fn held_out_footage() -> Vec<(&'static str, Vec<Shot>)> {
    let shot = |photo, movement, seconds| Shot { photo, movement, seconds };
    vec![
        (
            "photos-1",
            vec![
                shot("astronaut", Move::ZoomIn, 3.0),
                shot("coffee", Move::PanRight, 3.0),
                shot("rocket", Move::ZoomOut, 3.0),
            ],
        ),
        (
            "photos-2",
            vec![
                shot("chelsea", Move::PanLeft, 3.0),
                shot("camera", Move::ZoomIn, 3.0),
                shot("retina", Move::PanDown, 3.0),
            ],
        ),
        ("hubble", vec![shot("hubble", Move::ZoomIn, 8.0)]),
    ]
}

/// ffmpeg arguments, output excluded, that film `shots` one after the other at 640x360, 25 fps:
/// each photograph cut to 16:9, then panned or zoomed by 30 % over the shot (`zoompan`).
pub fn filmed(shots: &[Shot]) -> Vec<String> {
    let photos = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/photos");
    let mut args = Vec::new();
    let mut graph = String::new();
    for (n, shot) in shots.iter().enumerate() {
        args.extend([
            "-i".to_owned(),
            photos.join(format!("{}.jpg", shot.photo)).to_str().expect("utf-8 path").to_owned(),
        ]);
        let frames = (shot.seconds * 25.0).round();
        let progress = format!("on/{frames}");
        // The window stays centred on the axes the shot does not pan along.
        let (centred_x, centred_y) = ("iw/2-iw/zoom/2".to_owned(), "ih/2-ih/zoom/2".to_owned());
        let (zoom, x, y) = match shot.movement {
            Move::ZoomIn => (format!("1+0.3*{progress}"), centred_x, centred_y),
            Move::ZoomOut => (format!("1.3-0.3*{progress}"), centred_x, centred_y),
            Move::PanRight => ("1.3".to_owned(), format!("(iw-iw/zoom)*{progress}"), centred_y),
            Move::PanLeft => ("1.3".to_owned(), format!("(iw-iw/zoom)*(1-{progress})"), centred_y),
            Move::PanDown => ("1.3".to_owned(), centred_x, format!("(ih-ih/zoom)*{progress}")),
        };
        graph.push_str(&format!(
            "[{n}:v]scale=1920:1080:force_original_aspect_ratio=increase,crop=1920:1080,\
             zoompan=z='{zoom}':x='{x}':y='{y}':d={frames}:s=640x360:fps=25,setsar=1[shot{n}];"
        ));
    }
    let labels: String = (0..shots.len()).map(|n| format!("[shot{n}]")).collect();
    graph.push_str(&format!("{labels}concat=n={}:v=1[out]", shots.len()));
    args.extend(
        [
            "-filter_complex",
            &graph,
            "-map",
            "[out]",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "20",
            "-pix_fmt",
            "yuv420p",
        ]
        .map(str::to_owned),
    );
    args
}

/// An edit as ffmpeg applies it, and where the reference's content lands in the edited copy.
pub struct Edit {
    pub family: &'static str,
    /// ffmpeg arguments between the input and the output; `{in}` is the reference's path.
    pub args: fn(&Reference) -> Vec<String>,
    /// Truth for the boundary error: (query start, reference start) in seconds, when defined.
    pub truth: fn(&Reference) -> Option<(f64, f64)>,
}

fn video(filter: &str, crf: u32) -> Vec<String> {
    let mut args = vec!["-vf".to_owned(), filter.to_owned()];
    args.extend(x264(crf));
    args
}

fn complex(filter: &str, inputs: &[&str]) -> Vec<String> {
    let mut args = Vec::new();
    for input in inputs {
        args.extend(["-f", "lavfi", "-i", input].map(str::to_owned));
    }
    args.extend(["-filter_complex", filter, "-map", "[out]"].map(str::to_owned));
    args.extend(x264(28));
    args
}

/// Video only, H.264 at constant quality `crf`: what every edited copy is encoded with.
fn x264(crf: u32) -> [String; 7] {
    ["-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", &crf.to_string()].map(str::to_owned)
}

fn starts_at_zero(_: &Reference) -> Option<(f64, f64)> {
    Some((0.0, 0.0))
}

impl Edit {
    /// The ffmpeg arguments that make this edit of `reference`, output path excluded.
    pub fn ffmpeg_args(&self, reference: &Reference) -> Vec<String> {
        let mut args = vec!["-i".to_owned(), reference.path.to_str().expect("utf-8 path").to_owned()];
        args.extend((self.args)(reference));
        args
    }

    /// A file name for the edited copy of `reference`.
    pub fn file_name(&self, reference: &Reference) -> String {
        let slug: String = self.family.chars().filter(char::is_ascii_alphanumeric).take(24).collect();
        format!("{}-{slug}.mp4", reference.name)
    }
}

/// The larger of the query-start and reference-start errors, in seconds, of a reported segment
/// against where the edit put the reference's content.
pub fn boundary_error(truth: (f64, f64), reported: (f64, f64)) -> f64 {
    (reported.0 - truth.0).abs().max((reported.1 - truth.1).abs())
}

pub fn edits() -> Vec<Edit> {
    vec![
        Edit {
            family: "re-encoded 360p, 15 fps, CRF 38",
            args: |_| video("scale=-2:360,fps=15", 38),
            truth: starts_at_zero,
        },
        Edit {
            family: "trimmed: 3 s from the middle",
            args: |r| video(&format!("trim=start={:.2}:duration=3,setpts=PTS-STARTPTS", r.seconds / 3.0), 28),
            truth: |r| Some((0.0, r.seconds / 3.0)),
        },
        Edit {
            family: "vertical 9:16 on blurred copy",
            args: |_| {
                video(
                    "split[a][b];[a]scale=360:640:force_original_aspect_ratio=increase,crop=360:640,boxblur=20[bg];\
                     [b]scale=360:-2[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2",
                    30,
                )
            },
            truth: starts_at_zero,
        },
        Edit {
            family: "vertical 9:16 on black bars",
            args: |_| video("scale=360:-2,pad=360:640:(ow-iw)/2:(oh-ih)/2", 30),
            truth: starts_at_zero,
        },
        Edit {
            family: "letterboxed",
            args: |_| video("scale=640:-2,pad=640:ih*1.5:0:(oh-ih)/2", 30),
            truth: starts_at_zero,
        },
        Edit { family: "mirrored", args: |_| video("hflip", 28), truth: starts_at_zero },
        Edit {
            family: "caption bar + logo (20 %)",
            args: |_| {
                video(
                    "drawbox=y=ih*0.82:w=iw:h=ih*0.18:c=navy@0.9:t=fill,drawbox=x=iw*0.85:y=ih*0.04:w=iw*0.1:h=ih*0.1:c=white:t=fill",
                    28,
                )
            },
            truth: starts_at_zero,
        },
        Edit {
            family: "cropped 15 % and zoomed",
            args: |_| video("crop=iw*0.85:ih*0.85,scale=640:-2", 28),
            truth: starts_at_zero,
        },
        Edit {
            family: "turned 90° (orientation lost)", args: |_| video("transpose=clock", 28), truth: starts_at_zero
        },
        Edit { family: "upside down", args: |_| video("hflip,vflip", 28), truth: starts_at_zero },
        Edit {
            family: "turned 270° + cropped 10 %",
            args: |_| video("transpose=cclock,crop=iw*0.9:ih*0.9", 28),
            truth: starts_at_zero,
        },
        Edit { family: "sped up 1.25x", args: |_| video("setpts=PTS/1.25", 28), truth: starts_at_zero },
        Edit { family: "slowed down 0.8x", args: |_| video("setpts=PTS/0.8", 28), truth: starts_at_zero },
        Edit {
            family: "greyscale + contrast/brightness",
            args: |_| video("hue=s=0,eq=contrast=1.3:brightness=0.06", 28),
            truth: starts_at_zero,
        },
        Edit {
            family: "inside a longer video (3 s intro)",
            args: |_| {
                complex(
                    "[1:v]scale=640:360,setsar=1,fps=25[intro];[0:v]scale=640:360,setsar=1,fps=25[clip];\
                     [2:v]scale=640:360,setsar=1,fps=25[outro];[intro][clip][outro]concat=n=3:v=1[out]",
                    &[
                        "gradients=s=640x360:d=3:seed=3:speed=0.05:r=25",
                        "life=s=640x360:r=25:seed=9:mold=20,trim=duration=3",
                    ],
                )
            },
            truth: |_| Some((3.0, 0.0)),
        },
        Edit {
            family: "picture-in-picture: ½-width window",
            args: |r| {
                complex(
                    "[1:v]setsar=1[bg];[0:v]scale=320:180:force_original_aspect_ratio=decrease,setsar=1[small];\
                     [bg][small]overlay=W-w-24:24:shortest=1[out]",
                    &[&format!(
                        "mandelbrot=s=640x360:r=25:start_x=-0.75:start_y=0.1:end_pts=200,trim=duration={:.2}",
                        r.seconds
                    )],
                )
            },
            truth: starts_at_zero,
        },
        Edit {
            family: "split screen: fitted beside other footage",
            // The clip is brought to the other part's 25 fps: hstack mixing 25 and 29.97 fps
            // writes at a time base of its own, thousands of frames a second.
            args: |r| {
                complex(
                    "[1:v]setsar=1[other];\
                     [0:v]scale=320:360:force_original_aspect_ratio=decrease,pad=320:360:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25[part];\
                     [other][part]hstack=inputs=2:shortest=1[out]",
                    &[&format!("testsrc2=s=320x360:r=25,trim=duration={:.2}", r.seconds)],
                )
            },
            truth: starts_at_zero,
        },
        Edit {
            family: "screen recording of a player",
            args: |r| {
                complex(
                    "[1:v]drawbox=x=0:y=0:w=iw:h=40:c=0x3c4043:t=fill,drawbox=x=64:y=52:w=560:h=28:c=0x5f6368:t=fill,\
                     drawbox=x=64:y=572:w=854:h=40:c=0x111111:t=fill,drawbox=x=72:y=580:w=300:h=6:c=red:t=fill,\
                     drawbox=x=960:y=92:w=256:h=144:c=0x3c4043:t=fill,drawbox=x=960:y=252:w=256:h=144:c=0x3c4043:t=fill,\
                     drawbox=x=960:y=412:w=256:h=144:c=0x3c4043:t=fill[page];\
                     [0:v]scale=854:480:force_original_aspect_ratio=decrease,pad=854:480:(ow-iw)/2:(oh-ih)/2,setsar=1[player];\
                     [page][player]overlay=64:92:shortest=1,fps=30[out]",
                    &[&format!("color=c=0x202124:s=1280x720:r=30:d={:.2}", r.seconds)],
                )
            },
            truth: starts_at_zero,
        },
    ]
}
