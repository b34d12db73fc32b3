//! Memory under hostile uploads, over gRPC against the real server: files whose headers declare
//! huge frames, then a flood of malformed uploads. Reports the server's resident memory before,
//! at its peak and once it has settled, from `/proc/PID/status`.
//!
//! Run: `cargo bench --bench hostile`. `FIRSTSEEN_BENCH_BINARY=path/to/firstseen` measures
//! another build instead (an older one, for a before-and-after figure).
//!
//! The files, made at run time with the ffmpeg CLI:
//! - an H.264 MP4 of 8192×8192 frames (x264, two flat frames: about 200 KB);
//! - an MJPEG AVI whose headers were edited to declare 8000×8000 frames (a few KB);
//! - 64×64-frame videos cut from the fixture, with random bytes flipped (the malformed flood).

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::Duration;

use common::Server;

fn main() {
    let full = common::bench::full_run();
    let (rounds, flood) = if full { (8, 400) } else { (1, 8) };
    let work = common::bench::work_dir().join("hostile");
    std::fs::create_dir_all(&work).unwrap();
    let huge_h264 = common::bench::derived(
        &work.join("h264-8192.mp4"),
        &["-f", "lavfi", "-i", "color=c=gray:s=8192x8192:d=0.4:r=5", "-c:v", "libx264", "-preset", "ultrafast"],
    );
    let huge_mjpeg = common::mjpeg_declaring(&work, 8000, true);
    let small = common::bench::derived(
        &work.join("small.mp4"),
        &[
            "-i",
            common::bench::footage_dir().join("bikes.mp4").to_str().unwrap(),
            "-t",
            "2",
            "-vf",
            "scale=64:64",
            "-an",
        ],
    );

    let binary = common::bench::server_binary();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start_binary(&binary, data.path(), &[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        std::thread::sleep(Duration::from_secs(1));
        let baseline = memory(server.pid());
        println!("binary: {}", binary.display());
        println!("baseline: RSS {:.0} MiB", baseline.0);

        for (name, path) in [("H.264 8192x8192", &huge_h264), ("MJPEG declaring 8000x8000", &huge_mjpeg)] {
            let outcome = lookups(&server, path, rounds, 4).await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            let (rss, peak) = memory(server.pid());
            println!("{name}: {rounds}x4 lookups ({outcome}); peak RSS {peak:.0} MiB, settled {rss:.0} MiB");
        }

        let seed = std::fs::read(&small).unwrap();
        let mut rng = fastrand::Rng::with_seed(7);
        let mut refused = 0;
        for n in 0..flood {
            let mut bytes = seed.clone();
            for _ in 0..1 + n % 8 {
                let at = rng.usize(..bytes.len());
                bytes[at] ^= rng.u8(1..);
            }
            let path = work.join("malformed.mp4");
            std::fs::write(&path, &bytes).unwrap();
            let mut client = server.client().await;
            refused += usize::from(common::lookup(&mut client, &path, None).await.is_err());
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (rss, peak) = memory(server.pid());
        println!("{flood} malformed uploads ({refused} refused): peak RSS {peak:.0} MiB, settled {rss:.0} MiB");
    });
}

/// `rounds` times, `concurrency` lookups of `path` at once; says how they ended.
async fn lookups(server: &Server, path: &Path, rounds: usize, concurrency: usize) -> String {
    let mut codes = Vec::new();
    for _ in 0..rounds {
        let mut calls = Vec::new();
        for _ in 0..concurrency {
            let mut client = server.client().await;
            let path = path.to_owned();
            calls.push(tokio::spawn(async move { common::lookup(&mut client, &path, None).await }));
        }
        for call in calls {
            codes.push(match call.await.unwrap() {
                Ok(_) => "decoded".to_owned(),
                Err(status) => format!("{:?}", status.code()),
            });
        }
    }
    codes.sort();
    codes.dedup();
    codes.join(", ")
}

/// Current and peak resident memory of a process, in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}
