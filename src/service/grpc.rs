//! The `firstseen.v1.FirstSeen` gRPC service.
//!
//! Handlers stay thin: they check who is calling ([`KeyRing::authorize`]), read and check the
//! request, hand the heavy work (decoding, hashing, RocksDB) to the blocking thread pool so the
//! async runtime keeps answering, and convert the result back. Decoding is bounded twice: a
//! semaphore of one decode per core (each decode also runs FFmpeg's frame threads, up to eight),
//! and the memory budget in [`DecodeLimits`], which each decode reserves from before
//! it starts.

use std::sync::Arc;

use chrono::Utc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::access::{Call, Caller};
use super::desk::{Desk, blocking};
use super::upload::{receive_header, receive_video};
use super::{bulk, status};
use crate::engine::{IngestItem, IngestOutcome};
use crate::fingerprint::Fingerprint;
use crate::index::{FootageId, MAX_REVIEWS_A_FOOTAGE, ProvenanceMut, Retraction, Review, Role, Sighting};
use crate::media::{MAX_THUMBNAIL_BYTES, MAX_THUMBNAILS, Thumbnail};
use crate::presentation;
use crate::proto::{self, ClaimedProvenance, v1};

pub struct FirstSeenService {
    desk: Arc<Desk>,
}

impl FirstSeenService {
    pub(super) fn new(desk: Arc<Desk>) -> Self {
        FirstSeenService { desk }
    }

    fn authorize<T>(&self, request: &Request<T>, call: Call) -> Result<Caller, Status> {
        self.desk.authorize(request.metadata(), call, request.remote_addr().map(|address| address.ip()))
    }

    /// Receives the rest of an upload stream and fingerprints it, with its thumbnails when
    /// `thumbnails` (an ingest stores them with new footage).
    async fn fingerprint_upload<M: proto::UploadMessage>(
        &self,
        stream: &mut Streaming<M>,
        thumbnails: bool,
    ) -> Result<(Fingerprint, Vec<Thumbnail>), Status> {
        let desk = &self.desk;
        let upload = receive_video(stream, &desk.incoming_dir, desk.max_upload_bytes, desk.upload_idle_timeout).await?;
        desk.fingerprint_upload(upload, thumbnails).await
    }

    /// The shared end of both ingest RPCs.
    async fn record_ingest(&self, item: IngestItem, caller: &Caller) -> Result<Response<v1::IngestResponse>, Status> {
        Ok(Response::new(ingest_response(&self.desk.ingest(item, caller).await?)))
    }

    /// The shared end of both single lookup RPCs.
    async fn answer_lookup(
        &self,
        fingerprint: Fingerprint,
        options: Option<v1::LookupOptions>,
    ) -> Result<Response<v1::LookupReport>, Status> {
        let desk = &self.desk;
        Ok(Response::new(lookup_report(desk, fingerprint, options).await?))
    }
}

pub(super) fn ingest_response(outcome: &IngestOutcome) -> v1::IngestResponse {
    v1::IngestResponse {
        footage_id: outcome.footage.id.0,
        new_footage: outcome.new_footage,
        new_sighting: outcome.new_sighting,
        keyframes: outcome.keyframes,
        footage_first_seen: Some(proto::date_to_wire(outcome.footage.first_seen)),
    }
}

/// Every gRPC lookup ends here, single or batched.
pub(super) async fn lookup_report(
    desk: &Desk,
    fingerprint: Fingerprint,
    options: Option<v1::LookupOptions>,
) -> Result<v1::LookupReport, Status> {
    let claimed = options
        .and_then(|options| options.claimed_date)
        .map(|date| proto::date_from_wire(&date, "claimed_date"))
        .transpose()
        .map_err(status::from_message)?;
    let report = desk.lookup(fingerprint, claimed).await?;
    Ok(presentation::report_to_wire(&report))
}

/// What one fingerprint ingest carries, single or streamed, as `caller` records it.
pub(super) fn ingest_item(request: v1::IngestFingerprintRequest, caller: &Caller) -> Result<IngestItem, Status> {
    let fingerprint = fingerprint_from_request(request.fingerprint.as_ref())?;
    let sighting = recorded_sighting(request.sighting.as_ref(), caller)?;
    let thumbnails = thumbnails_from_request(request.thumbnails, fingerprint.duration_ms)?;
    if request.reviews.len() > MAX_REVIEWS_A_FOOTAGE {
        return Err(Status::invalid_argument(format!(
            "{} reviews were sent with one item; at most {MAX_REVIEWS_A_FOOTAGE} are accepted",
            request.reviews.len()
        )));
    }
    let reviews = request.reviews.iter().map(|review| recorded_review(review, caller)).collect::<Result<_, _>>()?;
    Ok(IngestItem { fingerprint, sighting, thumbnails, reviews })
}

/// Thumbnails a client sent: JPEGs within the size and count limits, inside the video.
fn thumbnails_from_request(wire: Vec<v1::Thumbnail>, duration_ms: u32) -> Result<Vec<Thumbnail>, Status> {
    if wire.len() > MAX_THUMBNAILS {
        return Err(Status::invalid_argument(format!(
            "{} thumbnails were sent; at most {MAX_THUMBNAILS} are kept a video",
            wire.len()
        )));
    }
    wire.into_iter()
        .enumerate()
        .map(|(index, thumbnail)| {
            if thumbnail.jpeg.len() > MAX_THUMBNAIL_BYTES || !Thumbnail::is_jpeg(&thumbnail.jpeg) {
                return Err(Status::invalid_argument(format!(
                    "thumbnail {index} is not a JPEG of at most {} KiB",
                    MAX_THUMBNAIL_BYTES / 1024
                )));
            }
            if thumbnail.time_ms > duration_ms {
                return Err(Status::invalid_argument(format!("thumbnail {index} is past the end of the video")));
            }
            Ok(Thumbnail { time_ms: thumbnail.time_ms, jpeg: thumbnail.jpeg })
        })
        .collect()
}

/// The sighting a request carries, recorded by `caller` now. A sighting that names who
/// recorded it is an import of another index's export: only an admin may make one, and it
/// keeps its original provenance, with the admin as who imported it.
pub(super) fn recorded_sighting(wire: Option<&v1::Sighting>, caller: &Caller) -> Result<Sighting, Status> {
    let wire = wire.ok_or_else(|| Status::invalid_argument("the request needs a sighting"))?;
    let mut sighting = proto::sighting_from_wire(wire, Utc::now(), &caller.name).map_err(status::from_message)?;
    let claimed = proto::sighting_provenance_from_wire(wire).map_err(status::from_message)?;
    keep_if_honoured(claimed, caller, ("sightings", "ingested_at"), sighting.provenance_mut())?;
    Ok(sighting)
}

/// A review a request carries, recorded by `caller` now; provenance as for sightings.
pub(super) fn recorded_review(wire: &v1::Review, caller: &Caller) -> Result<Review, Status> {
    let mut review = proto::review_from_wire(wire, Utc::now(), &caller.name).map_err(status::from_message)?;
    let claimed = proto::review_provenance_from_wire(wire).map_err(status::from_message)?;
    keep_if_honoured(claimed, caller, ("reviews", "recorded_at"), review.provenance_mut())?;
    Ok(review)
}

/// Keeps the provenance a client claims for a record, when there is one and `caller` may claim
/// it: only an admin's import keeps another index's record of who recorded what, and the admin
/// becomes who imported it. `(what, recorded_at_field)` name the records and the field for the
/// refusal.
fn keep_if_honoured(
    claimed: ClaimedProvenance,
    caller: &Caller,
    (what, recorded_at_field): (&str, &str),
    record: ProvenanceMut<'_>,
) -> Result<(), Status> {
    if claimed.is_empty() {
        return Ok(());
    }
    if caller.role < Role::Admin {
        return Err(Status::permission_denied(format!(
            "only an admin may import {what} with their original recorded_by, {recorded_at_field} or retraction; \
             the key {:?} is a {} (leave those fields unset and the server fills them in)",
            caller.name,
            caller.role.name()
        )));
    }
    *record.recorded_by = claimed.recorded_by;
    if let Some(recorded_at) = claimed.recorded_at {
        *record.recorded_at = recorded_at;
    }
    *record.retraction = claimed.retraction;
    *record.imported_by = caller.name.clone();
    Ok(())
}

/// A retraction by `caller`, now, for `reason`, which is required: whoever reads the footage
/// sees it.
fn retraction(reason: &str, caller: Caller) -> Result<Retraction, Status> {
    let reason = reason.trim().to_owned();
    if reason.is_empty() {
        return Err(Status::invalid_argument("a retraction needs a reason, shown to whoever reads the footage"));
    }
    proto::check_text("reason", &reason).map_err(status::from_message)?;
    Ok(Retraction { retracted_by: caller.name, retracted_at: Utc::now(), reason })
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
        let caller = self.authorize(&request, Call::Ingest)?;
        let _slot = self.desk.keys.upload_slot(&caller)?;
        let mut stream = request.into_inner();
        let header = receive_header(&mut stream, "sighting", self.desk.upload_idle_timeout).await?;
        let sighting = recorded_sighting(Some(&header), &caller)?;
        let (fingerprint, thumbnails) = self.fingerprint_upload(&mut stream, true).await?;
        self.record_ingest(IngestItem { fingerprint, sighting, thumbnails, reviews: Vec::new() }, &caller).await
    }

    async fn ingest_fingerprint(
        &self,
        request: Request<v1::IngestFingerprintRequest>,
    ) -> Result<Response<v1::IngestResponse>, Status> {
        let caller = self.authorize(&request, Call::IngestFingerprint)?;
        self.record_ingest(ingest_item(request.into_inner(), &caller)?, &caller).await
    }

    async fn ingest_fingerprints(
        &self,
        request: Request<Streaming<v1::IngestFingerprintRequest>>,
    ) -> Result<Response<v1::IngestSummary>, Status> {
        let caller = self.authorize(&request, Call::IngestFingerprints)?;
        let stream = request.into_inner();
        let summary = bulk::ingest_fingerprints(&self.desk, stream, caller).await?;
        Ok(Response::new(summary))
    }

    type BatchLookupStream = ReceiverStream<Result<v1::BatchLookupResult, Status>>;

    async fn batch_lookup(
        &self,
        request: Request<Streaming<v1::BatchLookupRequest>>,
    ) -> Result<Response<Self::BatchLookupStream>, Status> {
        let caller = self.authorize(&request, Call::BatchLookup)?;
        let slot = self.desk.keys.lookup_slot(&caller)?;
        Ok(Response::new(bulk::batch_lookup(Arc::clone(&self.desk), request.into_inner(), caller, slot)))
    }

    async fn lookup(
        &self,
        request: Request<Streaming<v1::LookupRequest>>,
    ) -> Result<Response<v1::LookupReport>, Status> {
        let caller = self.authorize(&request, Call::Lookup)?;
        let _slots = (self.desk.keys.lookup_slot(&caller)?, self.desk.keys.upload_slot(&caller)?);
        let mut stream = request.into_inner();
        let options =
            receive_header(&mut stream, "lookup options (they may be empty)", self.desk.upload_idle_timeout).await?;
        let (fingerprint, _) = self.fingerprint_upload(&mut stream, false).await?;
        self.answer_lookup(fingerprint, Some(options)).await
    }

    async fn lookup_fingerprint(
        &self,
        request: Request<v1::LookupFingerprintRequest>,
    ) -> Result<Response<v1::LookupReport>, Status> {
        let caller = self.authorize(&request, Call::LookupFingerprint)?;
        let _slot = self.desk.keys.lookup_slot(&caller)?;
        let request = request.into_inner();
        let fingerprint = fingerprint_from_request(request.fingerprint.as_ref())?;
        self.answer_lookup(fingerprint, request.options).await
    }

    async fn get_footage(&self, request: Request<v1::GetFootageRequest>) -> Result<Response<v1::Footage>, Status> {
        self.authorize(&request, Call::GetFootage)?;
        let details = self.desk.footage(FootageId(request.into_inner().footage_id)).await?;
        Ok(Response::new((&details).into()))
    }

    type ExportStream = ReceiverStream<Result<v1::ExportedFootage, Status>>;

    async fn export(&self, request: Request<v1::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        self.authorize(&request, Call::Export)?;
        Ok(Response::new(bulk::export(Arc::clone(&self.desk.engine))))
    }

    async fn stats(&self, request: Request<v1::StatsRequest>) -> Result<Response<v1::StatsResponse>, Status> {
        self.authorize(&request, Call::Stats)?;
        Ok(Response::new((&self.desk.stats().await?).into()))
    }

    async fn retract_sighting(
        &self,
        request: Request<v1::RetractSightingRequest>,
    ) -> Result<Response<v1::Footage>, Status> {
        let caller = self.authorize(&request, Call::RetractSighting)?;
        let request = request.into_inner();
        let first_seen = proto::required_date(request.first_seen.as_ref(), "first_seen", "the retraction")
            .map_err(status::from_message)?;
        let retraction = retraction(&request.reason, caller)?;
        let engine = Arc::clone(&self.desk.engine);
        let id = FootageId(request.footage_id);
        let source_url = request.source_url.trim().to_owned();
        let details = blocking("retract the sighting", move || {
            engine.retract_sighting(id, first_seen, &source_url, retraction).map_err(status::from_index)
        })
        .await?;
        tracing::info!(footage = id.0, "retracted a sighting");
        Ok(Response::new((&details).into()))
    }

    async fn add_review(&self, request: Request<v1::AddReviewRequest>) -> Result<Response<v1::ReviewAdded>, Status> {
        let caller = self.authorize(&request, Call::AddReview)?;
        let request = request.into_inner();
        let wire = request.review.ok_or_else(|| Status::invalid_argument("the request needs a review"))?;
        let review = recorded_review(&wire, &caller)?;
        let (new, details) = self.desk.add_reviews(FootageId(request.footage_id), vec![review], &caller).await?;
        Ok(Response::new(v1::ReviewAdded { new_review: new == 1, footage: Some((&details).into()) }))
    }

    async fn retract_review(
        &self,
        request: Request<v1::RetractReviewRequest>,
    ) -> Result<Response<v1::Footage>, Status> {
        let caller = self.authorize(&request, Call::RetractReview)?;
        let request = request.into_inner();
        let retraction = retraction(&request.reason, caller)?;
        let engine = Arc::clone(&self.desk.engine);
        let id = FootageId(request.footage_id);
        let url = request.url.trim().to_owned();
        let details = blocking("retract the review", move || {
            engine.retract_review(id, &url, retraction).map_err(status::from_index)
        })
        .await?;
        tracing::info!(footage = id.0, "retracted a review");
        Ok(Response::new((&details).into()))
    }

    async fn create_key(&self, request: Request<v1::CreateKeyRequest>) -> Result<Response<v1::CreatedKey>, Status> {
        self.authorize(&request, Call::CreateKey)?;
        let request = request.into_inner();
        let role = proto::role_from_wire(request.role).map_err(status::from_message)?;
        let (record, key) = self.desk.keys.create(&request.name, role)?;
        tracing::info!(key = record.name, role = role.name(), "created a key");
        Ok(Response::new(v1::CreatedKey { info: Some((&record).into()), key }))
    }

    async fn list_keys(&self, request: Request<v1::ListKeysRequest>) -> Result<Response<v1::KeyList>, Status> {
        self.authorize(&request, Call::ListKeys)?;
        Ok(Response::new(v1::KeyList { keys: self.desk.keys.list().iter().map(v1::KeyInfo::from).collect() }))
    }

    async fn revoke_key(&self, request: Request<v1::RevokeKeyRequest>) -> Result<Response<v1::KeyInfo>, Status> {
        self.authorize(&request, Call::RevokeKey)?;
        let record = self.desk.keys.revoke(request.get_ref().name.trim())?;
        tracing::info!(key = record.name, "revoked a key");
        Ok(Response::new((&record).into()))
    }
}
