//! What the benchmark harnesses add to the kit: CPU-time accounting, derived footage kept
//! between runs, percentiles, and whether this is a full run.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// User plus system CPU time of this process (all threads) or of its reaped children.
pub fn cpu_time(who: i32) -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(who, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

pub fn self_cpu() -> Duration {
    cpu_time(libc::RUSAGE_SELF)
}

pub fn children_cpu() -> Duration {
    cpu_time(libc::RUSAGE_CHILDREN)
}

/// A sighting, as the index keeps it, with only what the benchmarks vary: where and when.
pub fn indexed_sighting(source_url: String, first_seen: chrono::DateTime<chrono::Utc>) -> firstseen::index::Sighting {
    firstseen::index::Sighting {
        source_url,
        first_seen,
        title: String::new(),
        publisher: String::new(),
        ingested_at: chrono::Utc::now(),
        ..Default::default()
    }
}

pub fn footage_dir() -> PathBuf {
    super::fixture("")
}

/// Makes `output` with the ffmpeg CLI once; later runs reuse it.
pub fn derived<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(output: &Path, args: &[S]) -> PathBuf {
    if !output.exists() {
        super::ffmpeg(args, output);
    }
    output.to_owned()
}

pub fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("firstseen-bench");
    std::fs::create_dir_all(&dir).expect("create the bench work dir");
    dir
}

/// True under `cargo bench`, which passes `--bench`. Under `cargo test` the harnesses run as
/// quick smoke tests instead, so that they cannot rot unnoticed.
pub fn full_run() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

pub fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize]
}

/// The firstseen binary a harness measures: `FIRSTSEEN_BENCH_BINARY` (another build, for a
/// before-and-after in one run), else this build's.
pub fn server_binary() -> PathBuf {
    std::env::var_os("FIRSTSEEN_BENCH_BINARY").map_or_else(|| PathBuf::from(super::BINARY), PathBuf::from)
}
