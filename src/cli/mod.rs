//! The `firstseen` command line: the server, and a client for people at a terminal.
//!
//! Client commands talk to a running server (`--server`, else `FIRSTSEEN_SERVER`, else
//! `http://127.0.0.1:50051`). By default they fingerprint the video locally and send only the
//! hashes: faster than uploading, and the video never leaves the machine. `--upload` sends the
//! video instead, for when the server's FFmpeg reads formats the client's cannot.
//! `fingerprint` needs no server at all.
//!
//! Output: a report a person reads at a glance on stdout, or with `--json` one JSON object
//! (documented in README.md). Errors go to stderr with exit code 1.

mod batch;
mod client;
mod jobs;
mod json_lines;
mod manifest;
mod render;
mod results;
mod reviews;
mod transfer;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::fingerprint::Fingerprint;
use crate::media::{DecodeLimits, Thumbnail};
use crate::presentation;
use crate::proto::v1;
use crate::service::{self, PerKeyLimits, ServerConfig};

#[derive(Parser, Debug)]
#[command(name = "firstseen", version, about = "When was this video footage first seen?")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the gRPC API over an embedded RocksDB index.
    Serve {
        /// Where the index and in-flight uploads live.
        #[arg(long, env = "FIRSTSEEN_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Address to listen on; port 0 picks a free one (printed on stdout).
        #[arg(long, env = "FIRSTSEEN_LISTEN", default_value = "127.0.0.1:50051")]
        listen: SocketAddr,
        /// Largest video upload accepted, in MiB.
        #[arg(long, default_value_t = 4096)]
        max_upload_mib: u64,
        /// Memory all decodes together may reserve, in MiB; a video that alone needs more is
        /// refused. The default fits a 2 GiB server.
        #[arg(long, default_value_t = 1024)]
        decode_memory_mib: u64,
        /// Close an upload stream that sends nothing for this long, in seconds.
        #[arg(long, default_value_t = 30)]
        upload_idle_timeout_secs: u64,
        /// Close a connection that sends nothing (not even a ping's answer) for this long.
        #[arg(long, default_value_t = 60)]
        connection_idle_timeout_secs: u64,
        /// Let calls without an API key look up, read footage and stats, as a reader; writes
        /// still need a key.
        #[arg(long)]
        anonymous_lookups: bool,
        /// Video uploads one key may have in progress at once.
        #[arg(long, default_value_t = 4)]
        max_uploads_per_key: usize,
        /// Lookups one key may have in progress at once (a batch stream counts once).
        #[arg(long, default_value_t = 16)]
        max_lookups_per_key: usize,
        /// Serve TLS with this PEM certificate chain (with --tls-key).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Add a dated sighting of a video to the index, or every row of a manifest.
    Ingest {
        #[arg(required_unless_present = "manifest", conflicts_with = "manifest")]
        file: Option<PathBuf>,
        /// When the video was first seen at the source: 2020-11-10 or RFC 3339.
        #[arg(long, value_parser = presentation::parse_date, required_unless_present = "manifest")]
        first_seen: Option<chrono::DateTime<chrono::Utc>>,
        #[arg(long, required_unless_present = "manifest")]
        source_url: Option<String>,
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long, default_value = "")]
        publisher: String,
        /// An archived copy of the post (a web-archive snapshot), kept with the sighting.
        #[arg(long, default_value = "")]
        archive_url: String,
        /// A CSV (with a header row) or JSON Lines file of rows: path, first_seen, source_url,
        /// title, publisher, archive_url.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Skip manifest rows already ingested (same content, same sighting) by an earlier run.
        #[arg(long, requires = "manifest")]
        resume: bool,
        /// Manifest rows fingerprinted and ingested at once.
        #[arg(long, default_value_t = default_concurrency())]
        concurrency: usize,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Find when videos' footage was first seen: one file gets a report; several files or
    /// folders (searched recursively for videos) get one result row each.
    Lookup {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The date the footage is claimed to be from: 2023-09-20 or RFC 3339.
        #[arg(long, value_parser = presentation::parse_date)]
        claimed_date: Option<chrono::DateTime<chrono::Utc>>,
        /// Files looked up at once.
        #[arg(long, default_value_t = default_concurrency())]
        concurrency: usize,
        /// Write one row per file here: `.csv`, else JSON Lines. Without it, rows go to stdout
        /// as JSON Lines.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Attach the review given by the review flags (or --claimreview) to the footage found:
        /// refused unless exactly one footage matched.
        #[arg(long)]
        attach_review: bool,
        #[command(flatten)]
        review: Box<reviews::ReviewFields>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Write the whole index (footage, sightings, fingerprints; no video) to a JSON Lines file.
    Export {
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Load a file written by `export` into the server.
    Import {
        file: PathBuf,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Print a video's fingerprint (keyframe times and hashes); needs no server.
    Fingerprint {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Show one indexed footage with all its sightings and fact-checks.
    Footage {
        id: u64,
        #[command(flatten)]
        server: ServerArgs,
        #[arg(long, conflicts_with = "claimreview")]
        json: bool,
        /// Print its standing fact-checks as ClaimReview JSON-LD, ready to publish.
        #[arg(long)]
        claimreview: bool,
    },
    /// Show what the index holds.
    Stats {
        #[command(flatten)]
        server: ServerArgs,
        #[arg(long)]
        json: bool,
    },
    /// Manage API keys (admin).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Act on a recorded sighting (admin).
    Sighting {
        #[command(subcommand)]
        command: SightingCommand,
    },
    /// Attach fact-checks to footage, or withdraw one.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
}

#[derive(Subcommand, Debug)]
enum ReviewCommand {
    /// Attach a fact-check to footage (contributor).
    Add {
        footage_id: u64,
        #[command(flatten)]
        review: Box<reviews::ReviewFields>,
        #[command(flatten)]
        server: ServerArgs,
        #[arg(long)]
        json: bool,
    },
    /// Attach the review of every row of a manifest to the footage its video is (contributor).
    /// CSV with a header row, or JSON Lines: `video`, and the review's fields as columns
    /// (`claim`, `rating`, `url`, `published`, `by`…) or a `claimreview` JSON-LD file.
    Import {
        manifest: PathBuf,
        /// Rows looked up at once.
        #[arg(long, default_value_t = default_concurrency())]
        concurrency: usize,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Withdraw a fact-check (admin): it stays on record with who retracted it, when and why.
    Retract {
        footage_id: u64,
        /// The review's article URL, as recorded.
        #[arg(long)]
        url: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Create a key and print it: the only time it is shown.
    Create {
        /// reader, contributor or admin.
        #[arg(long, value_parser = parse_role)]
        role: v1::Role,
        /// Unique; the sightings the key records carry it.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Every key's name, role, and when it was created, last used and revoked.
    List {
        #[command(flatten)]
        server: ServerArgs,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key: it stops working at once.
    Revoke {
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Subcommand, Debug)]
enum SightingCommand {
    /// Withdraw a sighting: it stays on record with who retracted it, when and why, and no
    /// lookup reports it again.
    Retract {
        footage_id: u64,
        /// The sighting's source URL, as recorded.
        #[arg(long)]
        source_url: String,
        /// The sighting's first-seen date, as recorded: 2020-11-10 or RFC 3339.
        #[arg(long, value_parser = presentation::parse_date)]
        first_seen: chrono::DateTime<chrono::Utc>,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

fn parse_role(text: &str) -> Result<v1::Role, String> {
    match text {
        "reader" => Ok(v1::Role::Reader),
        "contributor" => Ok(v1::Role::Contributor),
        "admin" => Ok(v1::Role::Admin),
        _ => Err(format!("{text:?} is not a role: reader, contributor or admin")),
    }
}

#[derive(Args, Debug)]
struct ServerArgs {
    /// The firstseen server to talk to: http://HOST:PORT, or https:// for one serving TLS.
    #[arg(long = "server", env = "FIRSTSEEN_SERVER", default_value = "http://127.0.0.1:50051")]
    server_url: String,
    /// A file holding the API key (e.g. DATA_DIR/admin.key, written by a new server).
    #[arg(long, env = "FIRSTSEEN_API_KEY_FILE")]
    api_key_file: Option<PathBuf>,
    /// A PEM certificate authority to trust for an https:// server, beside the public ones.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
}

/// Where `firstseen serve` writes the first admin key by default: used when no key is given,
/// so that the quick start works on the machine that runs the server.
const DEFAULT_ADMIN_KEY: &str = "data/admin.key";

impl ServerArgs {
    /// The server and the key to present: `--api-key-file`, else `FIRSTSEEN_API_KEY`, else the
    /// admin key of a server started here with the default data directory, else none.
    fn remote(&self) -> anyhow::Result<client::Remote> {
        let read = |path: &std::path::Path| {
            std::fs::read_to_string(path)
                .map(|key| key.trim().to_owned())
                .with_context(|| format!("cannot read the API key file {}", path.display()))
        };
        let api_key = match &self.api_key_file {
            Some(path) => Some(read(path)?),
            None => match std::env::var("FIRSTSEEN_API_KEY") {
                Ok(key) if !key.trim().is_empty() => Some(key.trim().to_owned()),
                _ => {
                    let local = std::path::Path::new(DEFAULT_ADMIN_KEY);
                    if local.is_file() { Some(read(local)?) } else { None }
                }
            },
        };
        Ok(client::Remote { url: self.server_url.clone(), api_key, ca_cert: self.ca_cert.clone() })
    }

    async fn connect(&self) -> anyhow::Result<client::Client> {
        client::connect(&self.remote()?).await
    }
}

#[derive(Args, Debug)]
struct RemoteArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Send the video to the server instead of only its fingerprint.
    #[arg(long)]
    upload: bool,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    json: bool,
}

/// How long blocking work may go on after the server stops serving, before the process exits.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// One per core: decoding is CPU-bound, and each lookup decodes.
fn default_concurrency() -> usize {
    crate::available_cores()
}

/// Exit code of a batch or manifest run that finished with `failed` files or rows failed: 2
/// when some did, since not everything was done (1 is for runs that could not go on at all).
fn finished_run(failed: usize) -> ExitCode {
    if failed > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS }
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, Command::Serve { .. });
    init_logging(serving);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    };
    // A decode or lookup still running on the blocking pool when the server stops must not
    // hold the process (and the index's lock) open: it is abandoned after a grace period.
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    code
}

fn init_logging(serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve {
            data_dir,
            listen,
            max_upload_mib,
            decode_memory_mib,
            upload_idle_timeout_secs,
            connection_idle_timeout_secs,
            anonymous_lookups,
            max_uploads_per_key,
            max_lookups_per_key,
            tls_cert,
            tls_key,
        } => {
            anyhow::ensure!(
                upload_idle_timeout_secs > 0 && connection_idle_timeout_secs > 0,
                "the idle timeouts must be at least one second"
            );
            anyhow::ensure!(max_uploads_per_key > 0 && max_lookups_per_key > 0, "a key must be allowed one call");
            let config = ServerConfig {
                max_upload_bytes: max_upload_mib << 20,
                decode_memory_bytes: decode_memory_mib << 20,
                upload_idle_timeout: Duration::from_secs(upload_idle_timeout_secs),
                connection_idle_timeout: Duration::from_secs(connection_idle_timeout_secs),
                anonymous_lookups,
                per_key: PerKeyLimits { uploads: max_uploads_per_key, lookups: max_lookups_per_key },
                tls: tls_cert.zip(tls_key),
                ..ServerConfig::new(data_dir, listen)
            };
            service::serve(config, shutdown_signal()).await.map(|()| ExitCode::SUCCESS)
        }
        Command::Ingest { manifest: Some(manifest), resume, concurrency, remote, .. } => {
            let client = remote.server.connect().await?;
            let summary = manifest::run(client, &manifest, manifest::ManifestOptions { concurrency, resume }).await?;
            eprintln!("{}", summary.describe());
            Ok(finished_run(summary.failed))
        }
        Command::Ingest { file, first_seen, source_url, title, publisher, archive_url, remote, .. } => {
            let (Some(file), Some(first_seen), Some(source_url)) = (file, first_seen, source_url) else {
                anyhow::bail!("ingest needs a file, --first-seen and --source-url, or --manifest");
            };
            let mut client = remote.server.connect().await?;
            let sighting = v1::Sighting { archive_url, ..client::sighting(source_url, first_seen, title, publisher) };
            let outcome = if remote.upload {
                client::ingest_upload(&mut client, &file, sighting).await?
            } else {
                let (fingerprint, thumbnails) = fingerprint_with_thumbnails(file.clone()).await?;
                client::ingest_fingerprint(&mut client, &fingerprint, sighting, thumbnails).await?
            };
            render::ingest(&file, &outcome, remote.json).map(|()| ExitCode::SUCCESS)
        }
        Command::Lookup { files, claimed_date, concurrency, out, attach_review, review, remote } => {
            anyhow::ensure!(
                attach_review || !review.is_given(),
                "the review flags (--claim, --rating, --url…) go with --attach-review, which attaches the review to the footage found"
            );
            let mut client = remote.server.connect().await?;
            if let [file] = &files[..]
                && out.is_none()
                && !file.is_dir()
            {
                // Read before the lookup, so that a bad review costs no decode.
                let to_attach = if attach_review { review.reviews(Path::new("."))? } else { Vec::new() };
                let fingerprint =
                    if remote.upload { None } else { Some(fingerprint_in_background(file.clone()).await?) };
                let mut report = batch::look_up_with(&mut client, file, fingerprint.as_ref(), claimed_date).await?;
                if attach_review {
                    let footage_id = reviews::the_one_footage(file, &report)?;
                    let (_, new) = reviews::add(&mut client, footage_id, to_attach).await?;
                    // Looked up again (by the same fingerprint), so the report shows the review it
                    // now leads with.
                    report = batch::look_up_with(&mut client, file, fingerprint.as_ref(), claimed_date).await?;
                    eprintln!("attached {new} new review{} to footage {footage_id}", if new == 1 { "" } else { "s" });
                }
                return render::report(&report, remote.json).map(|()| ExitCode::SUCCESS);
            }
            anyhow::ensure!(
                !attach_review,
                "--attach-review takes one video: with several, use `firstseen review import MANIFEST`"
            );
            let videos = batch::collect_videos(&files);
            anyhow::ensure!(!videos.is_empty(), "no video files found in {}", shown(&files));
            let options = batch::BatchOptions { concurrency, out, claimed: claimed_date, upload: remote.upload };
            let summary = batch::run(client, videos, options).await?;
            eprintln!("{}", summary.describe(claimed_date));
            Ok(finished_run(summary.failed))
        }
        Command::Export { out, server } => {
            let written = transfer::export(&mut server.connect().await?, &out).await?;
            eprintln!("exported {written} footage to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, server } => {
            let summary = transfer::import(&mut server.connect().await?, &file).await?;
            eprintln!(
                "imported {} sightings: {} new footage, {} keyframes, {} new reviews",
                summary.items, summary.new_footage, summary.keyframes, summary.new_reviews
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Fingerprint { file, json } => {
            let fingerprint = fingerprint_in_background(file).await?;
            render::fingerprint(&fingerprint, json).map(|()| ExitCode::SUCCESS)
        }
        Command::Footage { id, server, json, claimreview } => {
            let footage = client::footage(&mut server.connect().await?, id).await?;
            if claimreview {
                return render::claim_reviews(&footage).map(|()| ExitCode::SUCCESS);
            }
            render::footage(&footage, json).map(|()| ExitCode::SUCCESS)
        }
        Command::Stats { server, json } => {
            let stats = client::stats(&mut server.connect().await?).await?;
            render::stats(&stats, json).map(|()| ExitCode::SUCCESS)
        }
        Command::Keys { command: KeysCommand::Create { role, name, server } } => {
            let created = client::create_key(&mut server.connect().await?, name, role).await?;
            render::created_key(&created).map(|()| ExitCode::SUCCESS)
        }
        Command::Keys { command: KeysCommand::List { server, json } } => {
            let keys = client::list_keys(&mut server.connect().await?).await?;
            render::keys(&keys, json).map(|()| ExitCode::SUCCESS)
        }
        Command::Keys { command: KeysCommand::Revoke { name, server } } => {
            let revoked = client::revoke_key(&mut server.connect().await?, name).await?;
            eprintln!("revoked the key {:?}: it no longer works", revoked.name);
            Ok(ExitCode::SUCCESS)
        }
        Command::Sighting {
            command: SightingCommand::Retract { footage_id, source_url, first_seen, reason, server },
        } => {
            let footage =
                client::retract_sighting(&mut server.connect().await?, footage_id, source_url, first_seen, reason)
                    .await?;
            render::footage(&footage, false).map(|()| ExitCode::SUCCESS)
        }
        Command::Review { command: ReviewCommand::Add { footage_id, review, server, json } } => {
            let to_attach = review.reviews(Path::new("."))?;
            let (footage, new) = reviews::add(&mut server.connect().await?, footage_id, to_attach).await?;
            eprintln!("{new} new review{} on footage {footage_id}", if new == 1 { "" } else { "s" });
            render::footage(&footage, json).map(|()| ExitCode::SUCCESS)
        }
        Command::Review { command: ReviewCommand::Import { manifest, concurrency, server } } => {
            let summary = reviews::import(server.connect().await?, &manifest, concurrency).await?;
            eprintln!("{}", summary.describe());
            Ok(finished_run(summary.failed))
        }
        Command::Review { command: ReviewCommand::Retract { footage_id, url, reason, server } } => {
            let footage = client::retract_review(&mut server.connect().await?, footage_id, url, reason).await?;
            render::footage(&footage, false).map(|()| ExitCode::SUCCESS)
        }
    }
}

fn shown(paths: &[PathBuf]) -> String {
    paths.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Decoding is CPU-bound: keep it off the runtime's threads.
async fn fingerprint_in_background(file: PathBuf) -> anyhow::Result<Fingerprint> {
    decode_in_background(file, Fingerprint::of_file).await
}

/// [`fingerprint_in_background`] with the video's thumbnails, for an ingest to store beside the
/// footage as evidence pictures.
async fn fingerprint_with_thumbnails(file: PathBuf) -> anyhow::Result<(Fingerprint, Vec<Thumbnail>)> {
    decode_in_background(file, Fingerprint::of_file_with_thumbnails).await
}

async fn decode_in_background<T: Send + 'static>(
    file: PathBuf,
    decode: impl FnOnce(&std::path::Path, &DecodeLimits) -> Result<T, crate::media::MediaError> + Send + 'static,
) -> anyhow::Result<T> {
    let shown = file.display().to_string();
    tokio::task::spawn_blocking(move || decode(&file, &DecodeLimits::default()))
        .await?
        .with_context(|| format!("cannot fingerprint {shown}"))
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap checks a subcommand's arguments only when that subcommand is parsed: check them all
    /// here, so that two arguments with one name fail a test, not a user's command.
    #[test]
    fn every_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
