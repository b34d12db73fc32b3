//! The `firstseen.v1.FirstSeen` gRPC service.
//!
//! Handlers stay thin: they read and check the request, hand the heavy work (decoding, hashing,
//! RocksDB) to the blocking thread pool so the async runtime keeps answering, and convert the
//! result back. Decoding is bounded by a semaphore: each decode already uses every core through
//! FFmpeg's threads, so running more at once only adds memory.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::upload::{receive_header, receive_video};
use super::{bulk, status};
use crate::engine::{Engine, IngestOutcome};
use crate::fingerprint::Fingerprint;
use crate::index::{FootageId, Sighting};
use crate::media::DecodeLimits;
use crate::proto::{self, v1};

pub struct FirstSeenService {
    engine: Arc<Engine>,
    incoming_dir: PathBuf,
    max_upload_bytes: u64,
    decode_slots: Arc<Semaphore>,
}

impl FirstSeenService {
    pub fn new(engine: Arc<Engine>, incoming_dir: PathBuf, max_upload_bytes: u64) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |cores| cores.get());
        FirstSeenService { engine, incoming_dir, max_upload_bytes, decode_slots: Arc::new(Semaphore::new(cores)) }
    }

    /// Receives the rest of an upload stream and fingerprints it.
    async fn fingerprint_upload<M: proto::UploadMessage>(
        &self,
        stream: &mut Streaming<M>,
    ) -> Result<Fingerprint, Status> {
        let upload = receive_video(stream, &self.incoming_dir, self.max_upload_bytes).await?;
        let permit = Arc::clone(&self.decode_slots)
            .acquire_owned()
            .await
            .map_err(|error| status::internal("schedule decoding", error))?;
        blocking("fingerprint the upload", move || {
            let _permit = permit;
            Fingerprint::of_file(upload.path(), &DecodeLimits::default()).map_err(status::from_media)
        })
        .await
    }

    /// The shared end of both ingest RPCs.
    async fn record_ingest(
        &self,
        fingerprint: Fingerprint,
        sighting: Sighting,
    ) -> Result<Response<v1::IngestResponse>, Status> {
        let engine = Arc::clone(&self.engine);
        let outcome: IngestOutcome =
            blocking("ingest", move || engine.ingest(&fingerprint, &sighting).map_err(status::from_index)).await?;
        tracing::info!(
            footage = outcome.footage.id.0,
            new_footage = outcome.new_footage,
            new_sighting = outcome.new_sighting,
            keyframes = outcome.keyframes,
            "ingested"
        );
        Ok(Response::new(v1::IngestResponse {
            footage_id: outcome.footage.id.0,
            new_footage: outcome.new_footage,
            new_sighting: outcome.new_sighting,
            keyframes: outcome.keyframes,
            footage_first_seen: Some(proto::date_to_wire(outcome.footage.first_seen)),
        }))
    }

    /// The shared end of both single lookup RPCs.
    async fn answer_lookup(
        &self,
        fingerprint: Fingerprint,
        options: Option<v1::LookupOptions>,
    ) -> Result<Response<v1::LookupReport>, Status> {
        Ok(Response::new(lookup_report(Arc::clone(&self.engine), fingerprint, options).await?))
    }
}

/// Every lookup ends here, single or batched.
pub(super) async fn lookup_report(
    engine: Arc<Engine>,
    fingerprint: Fingerprint,
    options: Option<v1::LookupOptions>,
) -> Result<v1::LookupReport, Status> {
    let claimed = options
        .and_then(|options| options.claimed_date)
        .map(|date| proto::date_from_wire(&date, "claimed_date"))
        .transpose()
        .map_err(status::from_message)?;
    let report = blocking("look up", move || engine.lookup(&fingerprint, claimed).map_err(status::from_index)).await?;
    Ok(v1::LookupReport::from(&report))
}

/// Runs `job` on the blocking thread pool, off the async runtime's threads.
pub(super) async fn blocking<T: Send + 'static>(
    doing: &str,
    job: impl FnOnce() -> Result<T, Status> + Send + 'static,
) -> Result<T, Status> {
    // A job that panicked fails its own request; the server goes on.
    tokio::task::spawn_blocking(job).await.map_err(|error| status::internal(doing, error))?
}

/// The fingerprint and sighting of one ingest, single or streamed.
pub(super) fn ingest_item(request: &v1::IngestFingerprintRequest) -> Result<(Fingerprint, Sighting), Status> {
    Ok((fingerprint_from_request(request.fingerprint.as_ref())?, sighting_from_request(request.sighting.as_ref())?))
}

fn sighting_from_request(wire: Option<&v1::Sighting>) -> Result<Sighting, Status> {
    let wire = wire.ok_or_else(|| Status::invalid_argument("the request needs a sighting"))?;
    proto::sighting_from_wire(wire, Utc::now()).map_err(status::from_message)
}

pub(super) fn fingerprint_from_request(wire: Option<&v1::Fingerprint>) -> Result<Fingerprint, Status> {
    let wire = wire.ok_or_else(|| Status::invalid_argument("the request needs a fingerprint"))?;
    Fingerprint::try_from(wire).map_err(status::from_message)
}

#[tonic::async_trait]
impl v1::first_seen_server::FirstSeen for FirstSeenService {
    async fn ingest(
        &self,
        request: Request<Streaming<v1::IngestRequest>>,
    ) -> Result<Response<v1::IngestResponse>, Status> {
        let mut stream = request.into_inner();
        let sighting = sighting_from_request(Some(&receive_header(&mut stream, "sighting").await?))?;
        let fingerprint = self.fingerprint_upload(&mut stream).await?;
        self.record_ingest(fingerprint, sighting).await
    }

    async fn ingest_fingerprint(
        &self,
        request: Request<v1::IngestFingerprintRequest>,
    ) -> Result<Response<v1::IngestResponse>, Status> {
        let (fingerprint, sighting) = ingest_item(&request.into_inner())?;
        self.record_ingest(fingerprint, sighting).await
    }

    async fn ingest_fingerprints(
        &self,
        request: Request<Streaming<v1::IngestFingerprintRequest>>,
    ) -> Result<Response<v1::IngestSummary>, Status> {
        let summary = bulk::ingest_fingerprints(Arc::clone(&self.engine), request.into_inner()).await?;
        Ok(Response::new(summary))
    }

    type BatchLookupStream = ReceiverStream<Result<v1::BatchLookupResult, Status>>;

    async fn batch_lookup(
        &self,
        request: Request<Streaming<v1::BatchLookupRequest>>,
    ) -> Result<Response<Self::BatchLookupStream>, Status> {
        Ok(Response::new(bulk::batch_lookup(Arc::clone(&self.engine), request.into_inner())))
    }

    async fn lookup(
        &self,
        request: Request<Streaming<v1::LookupRequest>>,
    ) -> Result<Response<v1::LookupReport>, Status> {
        let mut stream = request.into_inner();
        let options = receive_header(&mut stream, "lookup options (they may be empty)").await?;
        let fingerprint = self.fingerprint_upload(&mut stream).await?;
        self.answer_lookup(fingerprint, Some(options)).await
    }

    async fn lookup_fingerprint(
        &self,
        request: Request<v1::LookupFingerprintRequest>,
    ) -> Result<Response<v1::LookupReport>, Status> {
        let request = request.into_inner();
        let fingerprint = fingerprint_from_request(request.fingerprint.as_ref())?;
        self.answer_lookup(fingerprint, request.options).await
    }

    async fn get_footage(&self, request: Request<v1::GetFootageRequest>) -> Result<Response<v1::Footage>, Status> {
        let id = FootageId(request.into_inner().footage_id);
        let engine = Arc::clone(&self.engine);
        let (record, sightings) =
            blocking("read footage", move || engine.footage(id).map_err(status::from_index)).await?;
        Ok(Response::new(proto::footage_to_wire(&record, &sightings)))
    }

    type ExportStream = ReceiverStream<Result<v1::ExportedFootage, Status>>;

    async fn export(&self, _: Request<v1::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        Ok(Response::new(bulk::export(Arc::clone(&self.engine))))
    }

    async fn stats(&self, _: Request<v1::StatsRequest>) -> Result<Response<v1::StatsResponse>, Status> {
        let engine = Arc::clone(&self.engine);
        let stats = blocking("read statistics", move || engine.stats().map_err(status::from_index)).await?;
        Ok(Response::new(v1::StatsResponse {
            footage: stats.footage,
            sightings: stats.sightings,
            keyframes: stats.keyframes,
            indexed_keyframes: stats.indexed_keyframes,
            disk_bytes: stats.disk_bytes,
        }))
    }
}
