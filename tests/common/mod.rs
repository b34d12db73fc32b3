//! The test kit, one for the integration tests and the benchmark harnesses alike: the real
//! `firstseen` server on a temporary data directory, a gRPC client to it, footage made at test
//! time from the committed fixtures with the ffmpeg CLI, what accuracy is measured on
//! ([`corpus`]) and what the harnesses measure with ([`bench`]). The harnesses include it with
//! `#[path = "../tests/common/mod.rs"]`.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use firstseen::proto::{BearerKey, KeyedClient, UploadMessage, v1};
use tonic::transport::Channel;

pub mod bench;
pub mod corpus;
pub mod random_edits;

/// What the tests talk to the server with: a FirstSeen client that presents a key, or none.
pub type Client = KeyedClient;

pub const BINARY: &str = env!("CARGO_BIN_EXE_firstseen");

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A `firstseen serve` process; killed when dropped.
pub struct Server {
    process: Child,
    pub url: String,
    pub data_dir: PathBuf,
}

impl Server {
    pub fn start(data_dir: &Path, extra_args: &[&str]) -> Server {
        Server::start_binary(Path::new(BINARY), data_dir, extra_args)
    }

    /// A server from another build of firstseen (a benchmark's baseline).
    pub fn start_binary(binary: &Path, data_dir: &Path, extra_args: &[&str]) -> Server {
        let mut process = Command::new(binary)
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
        Server { process, url, data_dir: data_dir.to_owned() }
    }

    /// A server on a data directory inside a fresh temporary directory, which the test may also
    /// use for its own files; the directory lives as long as the returned handle.
    pub fn in_temp_dir(extra_args: &[&str]) -> (tempfile::TempDir, Server) {
        let work = tempfile::tempdir().expect("create a temporary directory");
        let server = Server::start(&work.path().join("data"), extra_args);
        (work, server)
    }

    /// `host:port`, for raw TCP connections.
    pub fn address(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }

    /// The first admin key, which the server wrote to its data directory.
    pub fn admin_key_file(&self) -> PathBuf {
        self.data_dir.join(firstseen::service::ADMIN_KEY_FILE)
    }

    pub fn admin_key(&self) -> String {
        std::fs::read_to_string(self.admin_key_file()).expect("read the admin key").trim().to_owned()
    }

    /// A client with the admin key (or none, for a build of firstseen from before keys).
    pub async fn client(&self) -> Client {
        let key = std::fs::read_to_string(self.admin_key_file()).ok();
        self.client_with(key.as_deref()).await
    }

    /// A client presenting `key`, or no key at all.
    pub async fn client_with(&self, key: Option<&str>) -> Client {
        BearerKey::new(key).expect("a printable key").client(self.channel().await)
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url.clone()).expect("a URL").connect().await.expect("connect to the server")
    }

    /// The `firstseen` command line, pointed at this server with its admin key.
    pub fn command(&self) -> Command {
        let mut command = Command::new(BINARY);
        command
            .env("FIRSTSEEN_SERVER", &self.url)
            .env("FIRSTSEEN_API_KEY_FILE", self.admin_key_file())
            .env_remove("FIRSTSEEN_API_KEY");
        command
    }

    /// Runs a client command of the `firstseen` CLI against this server, as its admin.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run firstseen")
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

/// The server run inside the test's own process by `service::serve_on`, on a listener bound to
/// port 0: the same server as the binary, for a test that wants to stop it gracefully and
/// see what it left.
pub struct InProcessServer {
    pub url: String,
    pub data_dir: PathBuf,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl InProcessServer {
    pub async fn start(data_dir: &Path) -> InProcessServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let address = listener.local_addr().expect("a bound address");
        let config = firstseen::service::ServerConfig::new(data_dir.to_owned(), address);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(firstseen::service::serve_on(listener, config, async {
            let _ = stopped.await;
        }));
        // The first admin key is written once the index is open, just before serving; the file
        // exists a moment before its contents do.
        let key = data_dir.join(firstseen::service::ADMIN_KEY_FILE);
        let started = std::time::Instant::now();
        while std::fs::read_to_string(&key).map_or(true, |written| written.trim().is_empty()) {
            assert!(!serving.is_finished(), "the in-process server stopped while starting");
            assert!(started.elapsed() < std::time::Duration::from_secs(60), "the in-process server did not start");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        InProcessServer { url: format!("http://{address}"), data_dir: data_dir.to_owned(), stop, serving }
    }

    pub async fn client(&self) -> Client {
        let key = std::fs::read_to_string(self.data_dir.join(firstseen::service::ADMIN_KEY_FILE)).expect("the key");
        let channel = Channel::from_shared(self.url.clone()).expect("a URL").connect().await.expect("connect");
        BearerKey::new(Some(key.trim())).expect("a printable key").client(channel)
    }

    /// Asks the server to stop, as a shutdown signal would, and waits until it has.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.serving.await?
    }
}

/// Runs the `ffmpeg` CLI (tests may; the product never does) and returns `output`.
pub fn ffmpeg<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S], output: &Path) -> PathBuf {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(output)
        .status()
        .expect("run ffmpeg: is it installed? (`make deps`)");
    assert!(status.success(), "ffmpeg {args:?} failed");
    output.to_owned()
}

/// An MJPEG AVI made now whose frames declare `side`×`side` pixels, in the container's
/// header too when `header_too`: two SOF0 bytes and two header fields are all it takes.
pub fn mjpeg_declaring(dir: &Path, side: u16, header_too: bool) -> PathBuf {
    let small = ffmpeg(
        &["-f", "lavfi", "-i", "testsrc=s=64x64:d=1:r=5", "-c:v", "mjpeg", "-f", "avi"],
        &dir.join(format!("small-{header_too}.avi")),
    );
    let mut bytes = std::fs::read(small).unwrap();
    let mut frames = 0;
    for at in 0..bytes.len() - 9 {
        // SOF0: FF C0, length 00 11, precision 08, then height and width.
        if bytes[at..at + 5] == [0xFF, 0xC0, 0x00, 0x11, 0x08] {
            bytes[at + 5..at + 7].copy_from_slice(&side.to_be_bytes());
            bytes[at + 7..at + 9].copy_from_slice(&side.to_be_bytes());
            frames += 1;
        }
    }
    assert_eq!(frames, 5, "every frame's header was found");
    if header_too {
        let find = |tag: &[u8]| bytes.windows(4).position(|window| window == tag).expect("an AVI chunk");
        let avih = find(b"avih") + 8;
        let strf = find(b"strf") + 8;
        for field in [avih + 32, avih + 36, strf + 4, strf + 8] {
            bytes[field..field + 4].copy_from_slice(&u32::from(side).to_le_bytes());
        }
    }
    let crafted = dir.join(format!("huge-{side}-{header_too}.avi"));
    std::fs::write(&crafted, bytes).unwrap();
    crafted
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
        ..Default::default()
    }
}

/// The messages of an upload: the header, then the video in 256 KiB chunks.
pub fn upload<M: UploadMessage>(path: &Path, header: M::Header) -> tokio_stream::Iter<std::vec::IntoIter<M>> {
    let bytes = std::fs::read(path).expect("read the video");
    let chunks = bytes.chunks(256 * 1024).map(|chunk| M::chunk(chunk.to_vec()));
    tokio_stream::iter(std::iter::once(M::header(header)).chain(chunks).collect::<Vec<_>>())
}

/// Uploads a video through the streaming Ingest RPC.
pub async fn ingest(
    client: &mut Client,
    path: &Path,
    sighting: v1::Sighting,
) -> Result<v1::IngestResponse, tonic::Status> {
    client.ingest(upload::<v1::IngestRequest>(path, sighting)).await.map(tonic::Response::into_inner)
}

/// Uploads a video through the streaming Lookup RPC.
pub async fn lookup(
    client: &mut Client,
    path: &Path,
    claimed: Option<prost_types::Timestamp>,
) -> Result<v1::LookupReport, tonic::Status> {
    let options = v1::LookupOptions { claimed_date: claimed };
    client.lookup(upload::<v1::LookupRequest>(path, options)).await.map(tonic::Response::into_inner)
}

/// The source URL of each match's earliest sighting, in the report's order.
pub fn matched_urls(report: &v1::LookupReport) -> Vec<&str> {
    report.matches.iter().map(|found| found.sightings[0].source_url.as_str()).collect()
}

pub fn seconds_of(timestamp: &Option<prost_types::Timestamp>) -> i64 {
    timestamp.as_ref().expect("a timestamp").seconds
}
