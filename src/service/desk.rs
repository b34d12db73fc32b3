//! The desk: what the gRPC service and the HTTP API both do, whatever the wire.
//!
//! Both transports check the caller with the same key ring, write uploads to the same
//! `incoming/` folder under the same limits, decode behind the same slots and memory budget,
//! and hand the same engine the work. They differ only in how requests and answers are framed,
//! which is all `grpc.rs` and `http.rs` hold.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tempfile::NamedTempFile;
use tokio::sync::Semaphore;
use tonic::Status;
use tonic::metadata::MetadataMap;

use super::access::{Call, Caller, KeyRing};
use super::metrics::Metrics;
use super::status;
use crate::engine::{Engine, FootageDetails, IngestItem, IngestOutcome, Report};
use crate::fingerprint::Fingerprint;
use crate::index::{FootageId, IndexStats, Review};
use crate::media::{DecodeLimits, Thumbnail};

pub struct Desk {
    pub engine: Arc<Engine>,
    pub keys: KeyRing,
    pub incoming_dir: PathBuf,
    pub max_upload_bytes: u64,
    pub upload_idle_timeout: Duration,
    pub metrics: Metrics,
    decode_slots: Arc<Semaphore>,
    limits: DecodeLimits,
}

impl Desk {
    pub fn new(
        engine: Arc<Engine>,
        keys: KeyRing,
        incoming_dir: PathBuf,
        max_upload_bytes: u64,
        upload_idle_timeout: Duration,
        limits: DecodeLimits,
    ) -> Desk {
        Desk {
            engine,
            keys,
            incoming_dir,
            max_upload_bytes,
            upload_idle_timeout,
            metrics: Metrics::new(),
            decode_slots: Arc::new(Semaphore::new(crate::available_cores())),
            limits,
        }
    }

    pub fn authorize(&self, metadata: &MetadataMap, call: Call, peer: Option<IpAddr>) -> Result<Caller, Status> {
        self.keys.authorize(metadata, call, peer)
    }

    /// Fingerprints an uploaded file, with its thumbnails when `thumbnails`: one decode per core
    /// at once, each within the memory budget.
    pub async fn fingerprint_upload(
        self: &Arc<Self>,
        upload: NamedTempFile,
        thumbnails: bool,
    ) -> Result<(Fingerprint, Vec<Thumbnail>), Status> {
        self.metrics.decodes_waiting.inc();
        let permit = Arc::clone(&self.decode_slots).acquire_owned().await;
        self.metrics.decodes_waiting.dec();
        let permit = permit.map_err(|error| status::internal("schedule decoding", error))?;
        let desk = Arc::clone(self);
        blocking("fingerprint the upload", move || {
            let _permit = permit;
            let started = Instant::now();
            let decoded = if thumbnails {
                Fingerprint::of_file_with_thumbnails(upload.path(), &desk.limits)
            } else {
                Fingerprint::of_file(upload.path(), &desk.limits).map(|fingerprint| (fingerprint, Vec::new()))
            };
            desk.metrics.decode_seconds.observe(started.elapsed().as_secs_f64());
            decoded.map_err(status::from_media)
        })
        .await
    }

    /// Ingests `item` as `caller`, whose key is checked again first: an upload can outlast the
    /// key it started with.
    pub async fn ingest(&self, item: IngestItem, caller: &Caller) -> Result<IngestOutcome, Status> {
        self.keys.recheck(caller)?;
        let engine = Arc::clone(&self.engine);
        let outcome = blocking("ingest", move || engine.ingest(&item).map_err(status::from_index)).await?;
        tracing::info!(
            footage = outcome.footage.id.0,
            new_footage = outcome.new_footage,
            new_sighting = outcome.new_sighting,
            keyframes = outcome.keyframes,
            "ingested"
        );
        Ok(outcome)
    }

    /// Every lookup ends here, single, batched or over HTTP.
    pub async fn lookup(&self, fingerprint: Fingerprint, claimed: Option<DateTime<Utc>>) -> Result<Report, Status> {
        let engine = Arc::clone(&self.engine);
        let started = Instant::now();
        let report =
            blocking("look up", move || engine.lookup(&fingerprint, claimed).map_err(status::from_index)).await;
        self.metrics.lookup_seconds.observe(started.elapsed().as_secs_f64());
        report
    }

    pub async fn footage(&self, id: FootageId) -> Result<FootageDetails, Status> {
        let engine = Arc::clone(&self.engine);
        blocking("read footage", move || engine.footage(id).map_err(status::from_index)).await
    }

    /// Attaches `reviews` to footage `id` as `caller`, whose key is checked again first;
    /// returns how many were new and the footage as it then stands.
    pub async fn add_reviews(
        &self,
        id: FootageId,
        reviews: Vec<Review>,
        caller: &Caller,
    ) -> Result<(usize, FootageDetails), Status> {
        self.keys.recheck(caller)?;
        let engine = Arc::clone(&self.engine);
        let added =
            blocking("add the reviews", move || engine.add_reviews(id, &reviews).map_err(status::from_index)).await?;
        tracing::info!(footage = id.0, new_reviews = added.0, "reviewed");
        Ok(added)
    }

    pub async fn stats(&self) -> Result<IndexStats, Status> {
        let engine = Arc::clone(&self.engine);
        let stats = blocking("read statistics", move || engine.stats().map_err(status::from_index)).await?;
        self.metrics.observe_index(&stats);
        Ok(stats)
    }
}

/// Runs `job` on the blocking thread pool, off the async runtime's threads.
pub async fn blocking<T: Send + 'static>(
    doing: &str,
    job: impl FnOnce() -> Result<T, Status> + Send + 'static,
) -> Result<T, Status> {
    // A job that panicked fails its own request; the server goes on.
    tokio::task::spawn_blocking(job).await.map_err(|error| status::internal(doing, error))?
}
