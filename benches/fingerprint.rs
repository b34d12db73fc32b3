//! Fingerprinting speed in video-seconds per CPU-second, beside two references measured in the
//! same run on the same files: the decode floor, `ffmpeg -threads 1 -i FILE -f null -` (decode
//! only, no output), and Meta's vPDQ, `vpdq.computeHash(path, seconds_per_hash=1)`.
//!
//! Run: `make bench` or `VPDQ_PYTHON=… cargo bench --bench fingerprint` (needs the ffmpeg CLI
//! for the floor and to make the test files; `make bench-deps` installs it, and the Makefile
//! builds the vPDQ venv). Without VPDQ_PYTHON the vPDQ column is left out.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use firstseen::fingerprint::Fingerprint;
use firstseen::media::DecodeLimits;

fn main() {
    let rounds = if common::bench::full_run() { 3 } else { 1 };
    let work = common::bench::work_dir();
    let bunny = common::bench::footage_dir().join("bigbuckbunny.mp4");
    let bunny = bunny.to_str().unwrap();
    // 30 s clips: the 5.3 s fixture looped, re-encoded as real uploads are.
    let loop_args = |codec: &[&'static str], scale: &'static str| {
        let mut args = vec!["-stream_loop", "5", "-i", bunny, "-t", "30", "-an", "-vf", scale];
        args.extend_from_slice(codec);
        args
    };
    let h264 = ["-c:v", "libx264", "-preset", "medium", "-crf", "23"];
    let vp9 = ["-c:v", "libvpx-vp9", "-b:v", "1500k", "-deadline", "realtime", "-cpu-used", "8"];
    let clips = [
        ("720p H.264", "720p-h264.mp4", loop_args(&h264, "scale=1280:720")),
        ("1080p H.264", "1080p-h264.mp4", loop_args(&h264, "scale=1920:1080")),
        ("720p VP9", "720p-vp9.webm", loop_args(&vp9, "scale=1280:720")),
    ];
    let measured = if common::bench::full_run() { clips.len() } else { 1 };

    let vpdq_python = std::env::var_os("VPDQ_PYTHON");
    println!("fingerprinting, best of {rounds} rounds; rate = video seconds per CPU second (higher is better)");
    println!(
        "{:<12} {:>9} {:>11} {:>11} {:>9} {:>10} {:>12} {:>14}",
        "file", "video s", "firstseen", "ffmpeg -t1", "vPDQ", "vs floor", "vs vPDQ", "firstseen wall"
    );
    for (name, file_name, args) in &clips[..measured] {
        let path = &common::bench::derived(&work.join(file_name), args);
        let (video_seconds, firstseen_cpu, wall) = best_of(rounds, || fingerprint_cpu(path));
        let (_, floor_cpu, _) = best_of(rounds, || decode_floor_cpu(path));
        let vpdq_cpu = vpdq_python.as_ref().map(|python| best_of(rounds, || vpdq_cpu(python, path)).1);
        let (vpdq_rate, speedup) = match vpdq_cpu {
            Some(cpu) => (format!("{:.1}", video_seconds / cpu), format!("{:.1}x faster", cpu / firstseen_cpu)),
            None => ("-".to_owned(), "-".to_owned()),
        };
        println!(
            "{name:<12} {video_seconds:>9.1} {:>11.1} {:>11.1} {vpdq_rate:>9} {:>9.2}x {speedup:>12} {:>13.2}s",
            video_seconds / firstseen_cpu,
            video_seconds / floor_cpu,
            firstseen_cpu / floor_cpu,
            wall,
        );
    }
    println!("vs floor = firstseen CPU time / decode-floor CPU time (1.0 = as cheap as decoding alone)");
    println!("vs vPDQ = vPDQ CPU time / firstseen CPU time, Python start-up and import subtracted");

    // Evidence thumbnails: what an ingest that keeps them costs beside one that does not; and
    // what the fingerprint weighs on the wire, which is what a client sends instead of the video.
    println!();
    println!(
        "{:<12} {:>11} {:>11} {:>10} {:>12} {:>14} {:>16}",
        "file", "cpu plain", "cpu thumbs", "thumbs", "bytes each", "bytes/keyframe", "wire B/keyframe"
    );
    for (name, file_name, args) in &clips[..measured] {
        let path = &common::bench::derived(&work.join(file_name), args);
        let (_, plain_cpu, _) = best_of(rounds, || fingerprint_cpu(path));
        let limits = DecodeLimits::default();
        let started = common::bench::self_cpu();
        let (fingerprint, thumbnails) = Fingerprint::of_file_with_thumbnails(path, &limits).expect("fingerprint");
        let thumbs_cpu = (common::bench::self_cpu() - started).as_secs_f64();
        let bytes: usize = thumbnails.iter().map(|thumbnail| thumbnail.jpeg.len()).sum();
        let keyframes = fingerprint.keyframes.len().max(1);
        let wire = prost::Message::encoded_len(&firstseen::proto::v1::Fingerprint::from(&fingerprint));
        println!(
            "{name:<12} {plain_cpu:>10.2}s {thumbs_cpu:>10.2}s {:>10} {:>12} {:>14} {:>16}",
            thumbnails.len(),
            bytes / thumbnails.len().max(1),
            bytes / keyframes,
            wire / keyframes
        );
    }
}

/// The round with the least CPU time: the others lost time to the machine's other tenants.
fn best_of(rounds: usize, measure: impl Fn() -> (f64, f64, f64)) -> (f64, f64, f64) {
    (0..rounds).map(|_| measure()).min_by(|a, b| a.1.total_cmp(&b.1)).unwrap()
}

fn fingerprint_cpu(path: &Path) -> (f64, f64, f64) {
    let (cpu, wall) = (common::bench::self_cpu(), Instant::now());
    let fingerprint = Fingerprint::of_file(path, &DecodeLimits::default()).expect("fingerprint");
    let cpu = (common::bench::self_cpu() - cpu).as_secs_f64();
    (firstseen::time::seconds(fingerprint.duration_ms), cpu, wall.elapsed().as_secs_f64())
}

/// CPU time of `vpdq.computeHash(path, seconds_per_hash=1)`, less that of starting Python and
/// importing vpdq, measured the same way just before.
fn vpdq_cpu(python: &std::ffi::OsStr, path: &Path) -> (f64, f64, f64) {
    let run = |script: &str| {
        let (cpu, wall) = (common::bench::children_cpu(), Instant::now());
        let status = Command::new(python).args(["-c", script]).arg(path).status().expect("run vPDQ's Python");
        assert!(status.success(), "vPDQ failed on {}", path.display());
        ((common::bench::children_cpu() - cpu).as_secs_f64(), wall.elapsed().as_secs_f64())
    };
    let (startup_cpu, startup_wall) = run("import sys, vpdq");
    let (cpu, wall) = run("import sys, vpdq; vpdq.computeHash(sys.argv[1], seconds_per_hash=1)");
    (0.0, cpu - startup_cpu, wall - startup_wall)
}

fn decode_floor_cpu(path: &Path) -> (f64, f64, f64) {
    let (cpu, wall) = (common::bench::children_cpu(), Instant::now());
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-threads", "1", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .status()
        .expect("run ffmpeg");
    assert!(status.success());
    (0.0, (common::bench::children_cpu() - cpu).as_secs_f64(), wall.elapsed().as_secs_f64())
}
