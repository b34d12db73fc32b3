//! Service: the gRPC server, the page and the JSON API over an embedded index, on one port.
//!
//! One process owns one data directory: `index/` is the RocksDB store (RocksDB's lock keeps a
//! second process out), `incoming/` holds uploads while they are decoded, and `admin.key` is the
//! first admin key, written when the store has no key yet. Beside the `firstseen.v1.FirstSeen`
//! API the server speaks the standard `grpc.health.v1` health service and server reflection,
//! which need no key, so load balancers and `grpcurl` need no .proto file.
//!
//! Every limit that protects the server from its clients is set here or in [`ServerConfig`]:
//! per-connection streams, HTTP/2 windows, quiet connections, idle uploads, the decode memory
//! budget, per-key uploads and lookups. ARCHITECTURE.md says why each has its value.

mod access;
mod bulk;
mod connection;
mod desk;
mod grpc;
mod http;
mod metrics;
mod status;
mod upload;

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Identity, ServerTlsConfig};

use access::KeyRing;
pub use access::{ANONYMOUS, Call, PerKeyLimits};
use connection::{Lingering, QuietTimeout};
use desk::Desk;
pub use grpc::FirstSeenService;

use crate::engine::Engine;
use crate::index::Role;
use crate::matching::Matcher;
use crate::media::{DecodeLimits, MemoryBudget};
use crate::proto::{MAX_MESSAGE_BYTES, v1};

/// Streams one connection may have open at once: enough for a batch client's parallelism, few
/// enough that one connection's buffered messages stay bounded.
const MAX_STREAMS_PER_CONNECTION: u32 = 32;
/// Flow-control window of each stream: what a client may send ahead of the server reading it.
const STREAM_WINDOW_BYTES: u32 = 256 * 1024;
/// The connection's window. What is buffered is bounded by the streams' windows (8 MiB); this
/// one is large because h2 allows a connection a budget of small DATA frames of half of it, and
/// past that budget drops the whole connection with GOAWAY. At 512 MiB, every stream at once can
/// send its whole window in 3-byte chunks and stay within it.
const CONNECTION_WINDOW_BYTES: u32 = 512 * 1024 * 1024;

/// The file a new data directory's first admin key is written to.
pub const ADMIN_KEY_FILE: &str = "admin.key";

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub max_upload_bytes: u64,
    /// Memory all decodes together may reserve.
    pub decode_memory_bytes: u64,
    /// An upload stream that sends nothing for this long is closed and its file removed.
    pub upload_idle_timeout: Duration,
    /// A connection that sends nothing for this long (not even a ping's answer) is closed.
    pub connection_idle_timeout: Duration,
    /// Calls without a key act as a reader's.
    pub anonymous_lookups: bool,
    pub per_key: PerKeyLimits,
    /// PEM certificate chain and private key: serve TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl ServerConfig {
    /// The defaults of `firstseen serve` for a data directory and address.
    pub fn new(data_dir: PathBuf, listen: SocketAddr) -> ServerConfig {
        ServerConfig {
            data_dir,
            listen,
            max_upload_bytes: 4096 << 20,
            decode_memory_bytes: crate::media::DEFAULT_DECODE_BUDGET_BYTES,
            upload_idle_timeout: Duration::from_secs(30),
            connection_idle_timeout: Duration::from_secs(60),
            anonymous_lookups: false,
            per_key: PerKeyLimits { uploads: 4, lookups: 16 },
            tls: None,
        }
    }
}

/// Binds `config.listen`, then serves as [`serve_on`] does.
pub async fn serve(config: ServerConfig, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let listener =
        TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    serve_on(listener, config, shutdown).await
}

/// Serves on `listener` until `shutdown` completes, then drains requests in flight and closes
/// the index. Tests run it in-process on a listener bound to port 0.
pub async fn serve_on(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let index_dir = config.data_dir.join("index");
    let incoming_dir = config.data_dir.join("incoming");
    std::fs::create_dir_all(&index_dir)
        .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    // Uploads left by a previous process that stopped mid-request: never data, only leftovers.
    let _ = std::fs::remove_dir_all(&incoming_dir);
    std::fs::create_dir_all(&incoming_dir).with_context(|| format!("cannot create {}", incoming_dir.display()))?;

    let engine = {
        let index_dir = index_dir.clone();
        tokio::task::spawn_blocking(move || Engine::open(&index_dir, Matcher::default())).await?
    }
    .with_context(|| format!("cannot open the index at {} (is another firstseen serving it?)", index_dir.display()))?;
    let engine = Arc::new(engine);
    let keys = KeyRing::open(Arc::clone(&engine), config.anonymous_lookups, config.per_key)
        .context("cannot read the API keys")?;
    if keys.is_empty() {
        create_first_admin_key(&keys, &config.data_dir)?;
    }
    let limits = DecodeLimits { memory: Arc::new(MemoryBudget::new(config.decode_memory_bytes)), ..Default::default() };
    let desk =
        Arc::new(Desk::new(engine, keys, incoming_dir, config.max_upload_bytes, config.upload_idle_timeout, limits));
    let service = FirstSeenService::new(Arc::clone(&desk));

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter.set_serving::<v1::first_seen_server::FirstSeenServer<FirstSeenService>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("cannot build the reflection service")?;

    let address = listener.local_addr()?;
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    if config.tls.is_none() && !address.ip().is_loopback() {
        tracing::warn!(
            %address,
            "serving without TLS on an address other machines can reach: API keys and videos cross the network \
             in the clear; pass --tls-cert and --tls-key"
        );
    }
    tracing::info!(%address, data_dir = %config.data_dir.display(), "serving");
    // On stdout for whoever started the server (scripts, tests): the port when it was 0.
    println!("firstseen listening on {scheme}://{address}");

    let quiet = config.connection_idle_timeout;
    let builder = tonic::transport::Server::builder()
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        .initial_stream_window_size(STREAM_WINDOW_BYTES)
        .initial_connection_window_size(CONNECTION_WINDOW_BYTES)
        // Pings keep every live connection from being quiet for as long as `quiet`; a peer that
        // does not answer them is gone.
        .http2_keepalive_interval(Some(quiet / 3))
        .http2_keepalive_timeout(Some(quiet / 3));
    let builder = match &config.tls {
        Some((cert, key)) => builder.tls_config(ServerTlsConfig::new().identity(read_identity(cert, key)?))?,
        None => builder,
    };
    let lingering = Lingering::default();
    let incoming = TcpListenerStream::new(listener).map(move |accepted| {
        accepted.map(|stream| {
            // The builder's own no-delay setting applies only to sockets it binds itself.
            // Without it, a reply larger than a segment waits out the client's delayed ACK: 40 ms
            // on every lookup of a long clip.
            let _ = stream.set_nodelay(true);
            QuietTimeout::new(stream, quiet, lingering.clone())
        })
    });
    // gRPC's own paths go to the gRPC services, every other path to the page and the JSON API;
    // HTTP/1.1 is accepted beside HTTP/2 for browsers.
    let grpc = tonic::service::Routes::new(health_service)
        .add_service(reflection)
        .add_service(
            v1::first_seen_server::FirstSeenServer::new(service)
                // tonic refuses a message over this before reading it; the codec refuses any over
                // MAX_MESSAGE_BYTES, with a sentence (see `proto::CheckedCodec`).
                .max_decoding_message_size(2 * MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .into_axum_router();
    let routes = grpc
        .merge(http::router(Arc::clone(&desk)))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&desk), http::observe));
    builder
        .accept_http1(true)
        .add_routes(tonic::service::Routes::from(routes))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .context("the gRPC server failed")?;
    tracing::info!("stopped");
    Ok(())
}

fn read_identity(cert: &Path, key: &Path) -> anyhow::Result<Identity> {
    let read = |path: &Path| std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
    Ok(Identity::from_pem(read(cert)?, read(key)?))
}

/// A store without keys gets an admin key, written to `DATA_DIR/admin.key` for the person who
/// started the server (readable by them alone); the log names the file, never the key.
fn create_first_admin_key(keys: &KeyRing, data_dir: &Path) -> anyhow::Result<()> {
    let (record, key) = keys.create("admin", Role::Admin).map_err(|status| anyhow::anyhow!("{}", status.message()))?;
    let path = data_dir.join(ADMIN_KEY_FILE);
    write_private(&path, format!("{key}\n").as_bytes())
        .with_context(|| format!("cannot write the first admin key to {}", path.display()))?;
    tracing::info!(key = record.name, path = %path.display(), "created the first admin key");
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
