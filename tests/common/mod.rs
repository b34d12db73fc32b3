//! What every integration test needs: the real `firstseen` server on a temporary data
//! directory, a gRPC client to it, and footage made at test time from the committed fixtures.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use firstseen::proto::v1::first_seen_client::FirstSeenClient;
use firstseen::proto::{UploadMessage, v1};
use tonic::transport::Channel;

pub const BINARY: &str = env!("CARGO_BIN_EXE_firstseen");

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A `firstseen serve` process; killed when dropped.
pub struct Server {
    process: Child,
    pub url: String,
}

impl Server {
    pub fn start(data_dir: &Path, extra_args: &[&str]) -> Server {
        let mut process = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra_args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the firstseen server");
        let stdout = process.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the server's first line");
        let url = line
            .trim()
            .strip_prefix("firstseen listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"))
            .to_owned();
        Server { process, url }
    }

    /// A server on a data directory inside a fresh temporary directory, which the test may also
    /// use for its own files; the directory lives as long as the returned handle.
    pub fn in_temp_dir(extra_args: &[&str]) -> (tempfile::TempDir, Server) {
        let work = tempfile::tempdir().expect("create a temporary directory");
        let server = Server::start(&work.path().join("data"), extra_args);
        (work, server)
    }

    pub async fn client(&self) -> FirstSeenClient<Channel> {
        FirstSeenClient::connect(self.url.clone()).await.expect("connect to the server")
    }

    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Kills the server without warning, as a crash or power cut would.
    pub fn crash(mut self) {
        self.process.kill().expect("kill the server");
        self.process.wait().expect("reap the server");
    }

    /// Whether the process is still running (it must survive any input).
    pub fn is_running(&mut self) -> bool {
        self.process.try_wait().expect("poll the server").is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Runs the `ffmpeg` CLI (tests may; the product never does) and returns `output`.
pub fn ffmpeg(args: &[&str], output: &Path) -> PathBuf {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(output)
        .status()
        .expect("run ffmpeg: is it installed? (`make deps`)");
    assert!(status.success(), "ffmpeg {args:?} failed");
    output.to_owned()
}

/// Re-encodes `input` with the given video filter, as a re-upload would be.
pub fn reencode(input: &Path, filter: &str, extra: &[&str], output: &Path) -> PathBuf {
    let input = input.to_str().expect("utf-8 path");
    let mut args = vec!["-i", input, "-vf", filter, "-an", "-c:v", "libx264", "-preset", "veryfast"];
    args.extend_from_slice(extra);
    ffmpeg(&args, output)
}

pub fn date(text: &str) -> prost_types::Timestamp {
    let time = chrono::DateTime::parse_from_rfc3339(&format!("{text}T00:00:00Z")).expect("a date");
    prost_types::Timestamp { seconds: time.timestamp(), nanos: 0 }
}

pub fn sighting(url: &str, day: &str, title: &str) -> v1::Sighting {
    v1::Sighting {
        source_url: url.to_owned(),
        first_seen: Some(date(day)),
        title: title.to_owned(),
        publisher: String::new(),
        ingested_at: None,
    }
}

/// The messages of an upload: the header, then the video in 256 KiB chunks.
fn upload<M: UploadMessage>(path: &Path, header: M::Header) -> tokio_stream::Iter<std::vec::IntoIter<M>> {
    let bytes = std::fs::read(path).expect("read the video");
    let chunks = bytes.chunks(256 * 1024).map(|chunk| M::chunk(chunk.to_vec()));
    tokio_stream::iter(std::iter::once(M::header(header)).chain(chunks).collect::<Vec<_>>())
}

/// Uploads a video through the streaming Ingest RPC.
pub async fn ingest(
    client: &mut FirstSeenClient<Channel>,
    path: &Path,
    sighting: v1::Sighting,
) -> Result<v1::IngestResponse, tonic::Status> {
    client.ingest(upload::<v1::IngestRequest>(path, sighting)).await.map(tonic::Response::into_inner)
}

/// Uploads a video through the streaming Lookup RPC.
pub async fn lookup(
    client: &mut FirstSeenClient<Channel>,
    path: &Path,
    claimed: Option<prost_types::Timestamp>,
) -> Result<v1::LookupReport, tonic::Status> {
    let options = v1::LookupOptions { claimed_date: claimed };
    client.lookup(upload::<v1::LookupRequest>(path, options)).await.map(tonic::Response::into_inner)
}

pub fn seconds_of(timestamp: &Option<prost_types::Timestamp>) -> i64 {
    timestamp.as_ref().expect("a timestamp").seconds
}
