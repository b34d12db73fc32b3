//! Service: the gRPC server over an embedded index.
//!
//! One process owns one data directory: `index/` is the RocksDB store (RocksDB's lock keeps a
//! second process out), `incoming/` holds uploads while they are decoded. Beside the
//! `firstseen.v1.FirstSeen` API the server speaks the standard `grpc.health.v1` health service
//! and server reflection, so load balancers and `grpcurl` need no .proto file.

mod bulk;
mod grpc;
mod status;
mod upload;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;

pub use grpc::FirstSeenService;

use crate::engine::Engine;
use crate::matching::Matcher;
use crate::proto::v1;

/// Largest gRPC message accepted: a fingerprint of the longest accepted video is about 1 MiB.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub max_upload_bytes: u64,
}

/// Serves until `shutdown` completes, then drains requests in flight and closes the index.
pub async fn serve(config: ServerConfig, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
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
    let service = FirstSeenService::new(Arc::new(engine), incoming_dir, config.max_upload_bytes);

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter.set_serving::<v1::first_seen_server::FirstSeenServer<FirstSeenService>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("cannot build the reflection service")?;

    let listener =
        TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, data_dir = %config.data_dir.display(), "serving");
    // On stdout for whoever started the server (scripts, tests): the port when it was 0.
    println!("firstseen listening on http://{address}");

    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(
            v1::first_seen_server::FirstSeenServer::new(service)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .serve_with_incoming_shutdown(
            // The builder's own no-delay setting applies only to sockets it binds itself. Without
            // it, a reply larger than a segment waits out the client's delayed ACK: 40 ms on
            // every lookup of a long clip.
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
        .context("the gRPC server failed")?;
    tracing::info!("stopped");
    Ok(())
}
