//! The streaming RPCs for work in bulk: `IngestFingerprints`, `BatchLookup` and `Export`.
//!
//! All three must keep a fast client from making the server buffer without bound, and both get it
//! from the same place: the server reads the next message only when it has room for its work.
//! Unread messages stay in the client's send window, and HTTP/2 flow control stops the client.
//!
//! - Ingest reads a group of items (up to [`GROUP_ITEMS`] items or [`GROUP_KEYFRAMES`]
//!   keyframes, or whatever arrived before the stream paused), writes it with one disk sync, and
//!   only then reads on. The sync per group, rather than per item, is what lets a bulk load run
//!   at tens of thousands of keyframes a second.
//! - Batch lookup keeps at most [`LOOKUPS_IN_FLIGHT`] lookups running; their results queue in a
//!   channel of the same size, so a client that stops reading results stops the lookups, and
//!   with them the reading of new items.
//! - Export reads the store a page at a time on the blocking pool and hands footage to a channel
//!   of [`EXPORT_BUFFER`]; a slow reader holds the export at that page.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};

use super::access::Caller;
use super::desk::{Desk, blocking};
use super::grpc::{fingerprint_from_request, ingest_item, lookup_report};
use super::status;
use super::upload::next_message;
use crate::engine::{Engine, IngestItem};
use crate::index::FootageId;
use crate::proto::v1;

/// Most items written with one disk sync.
const GROUP_ITEMS: usize = 512;
/// Most keyframes written with one disk sync (about 3.3 MiB of fingerprints).
const GROUP_KEYFRAMES: usize = 65_536;
/// A group is written early when the client pauses this long: an item sent alone is not left
/// waiting for others that may never come.
const IDLE_FLUSH: Duration = Duration::from_millis(20);
/// Lookups of one batch stream running at once: enough to keep every core busy.
const LOOKUPS_IN_FLIGHT: usize = 8;

/// Footage read ahead of a slow export reader.
const EXPORT_BUFFER: usize = 64;

/// A group of valid items, and the rejection that ended it early, if one did.
struct Group {
    items: Vec<IngestItem>,
    rejected: Option<Status>,
    end_of_stream: bool,
}

/// Ingests every item of `stream` as `caller`; a stream silent for the desk's idle timeout is
/// ended, with the items before it kept.
pub async fn ingest_fingerprints(
    desk: &Desk,
    mut stream: Streaming<v1::IngestFingerprintRequest>,
    caller: Caller,
) -> Result<v1::IngestSummary, Status> {
    let mut summary = v1::IngestSummary::default();
    loop {
        let group = next_group(&mut stream, desk, &caller).await;
        if !group.items.is_empty() {
            let engine = Arc::clone(&desk.engine);
            let items = group.items;
            let outcomes = blocking("ingest", move || engine.ingest_group(&items).map_err(status::from_index)).await?;
            for outcome in outcomes {
                summary.items += 1;
                summary.new_footage += u64::from(outcome.new_footage);
                summary.new_sightings += u64::from(outcome.new_sighting);
                summary.keyframes += u64::from(outcome.keyframes);
                summary.new_reviews += u64::from(outcome.new_reviews);
            }
            tracing::info!(items = summary.items, keyframes = summary.keyframes, "bulk ingest progress");
        }
        if let Some(rejected) = group.rejected {
            let items = summary.items;
            return Err(Status::new(
                rejected.code(),
                format!("item {}: {} (the {items} items before it were ingested)", items + 1, rejected.message()),
            ));
        }
        if group.end_of_stream {
            return Ok(summary);
        }
    }
}

/// Reads items until the group is full, the stream pauses or ends, or an item is rejected.
async fn next_group(stream: &mut Streaming<v1::IngestFingerprintRequest>, desk: &Desk, caller: &Caller) -> Group {
    let mut group = Group { items: Vec::new(), rejected: None, end_of_stream: false };
    let mut keyframes = 0;
    while group.items.len() < GROUP_ITEMS && keyframes < GROUP_KEYFRAMES {
        let message = if group.items.is_empty() {
            next_message(stream, desk.upload_idle_timeout).await
        } else {
            match tokio::time::timeout(IDLE_FLUSH, stream.message()).await {
                Ok(message) => message.map_err(status::from_stream),
                Err(_paused) => break,
            }
        };
        let request = match message {
            Ok(Some(request)) => request,
            Ok(None) => {
                group.end_of_stream = true;
                break;
            }
            Err(broken) => {
                group.rejected = Some(broken);
                break;
            }
        };
        match desk.keys.recheck(caller).and_then(|()| ingest_item(request, caller)) {
            Ok(item) => {
                keyframes += item.fingerprint.keyframes.len();
                group.items.push(item);
            }
            Err(rejected) => {
                group.rejected = Some(rejected);
                break;
            }
        }
    }
    group
}

/// Answers every item of `stream`; `slot` is the caller's lookup slot, held as long as the
/// stream runs. A stream with nothing in flight that sends nothing for the idle timeout is
/// ended, and one whose key is revoked ends at its next item.
pub fn batch_lookup(
    desk: Arc<Desk>,
    mut stream: Streaming<v1::BatchLookupRequest>,
    caller: Caller,
    slot: OwnedSemaphorePermit,
) -> ReceiverStream<Result<v1::BatchLookupResult, Status>> {
    let (results, receiver) = mpsc::channel(LOOKUPS_IN_FLIGHT);
    let in_flight = Arc::new(Semaphore::new(LOOKUPS_IN_FLIGHT));
    tokio::spawn(async move {
        let _caller_slot = slot;
        loop {
            let idle = in_flight.available_permits() == LOOKUPS_IN_FLIGHT;
            let next = if idle {
                next_message(&mut stream, desk.upload_idle_timeout).await
            } else {
                stream.message().await.map_err(status::from_stream)
            };
            let item = match next.and_then(|item| desk.keys.recheck(&caller).map(|()| item)) {
                Ok(Some(item)) => item,
                Ok(None) => break,
                Err(broken) => {
                    let _ = results.send(Err(broken)).await;
                    break;
                }
            };
            let Ok(slot) = Arc::clone(&in_flight).acquire_owned().await else { break };
            let (desk, results) = (Arc::clone(&desk), results.clone());
            tokio::spawn(async move {
                let outcome = match look_up_item(&desk, item.lookup).await {
                    Ok(report) => v1::batch_lookup_result::Outcome::Report(report),
                    Err(failed) => v1::batch_lookup_result::Outcome::Error(v1::ItemError {
                        code: failed.code() as i32,
                        message: failed.message().to_owned(),
                    }),
                };
                // Waits while the client is not reading; the slot is held until then.
                let _ = results.send(Ok(v1::BatchLookupResult { id: item.id, outcome: Some(outcome) })).await;
                drop(slot);
            });
        }
    });
    ReceiverStream::new(receiver)
}

async fn look_up_item(desk: &Desk, lookup: Option<v1::LookupFingerprintRequest>) -> Result<v1::LookupReport, Status> {
    let lookup = lookup.ok_or_else(|| Status::invalid_argument("the item needs a lookup"))?;
    let fingerprint = fingerprint_from_request(lookup.fingerprint.as_ref())?;
    lookup_report(desk, fingerprint, lookup.options).await
}

pub fn export(engine: Arc<Engine>) -> ReceiverStream<Result<v1::ExportedFootage, Status>> {
    let (sender, receiver) = mpsc::channel(EXPORT_BUFFER);
    tokio::task::spawn_blocking(move || {
        let mut after = FootageId(0);
        loop {
            let page = match engine.export_page(after, EXPORT_BUFFER) {
                Ok(page) => page,
                Err(error) => {
                    let _ = sender.blocking_send(Err(status::from_index(error)));
                    return;
                }
            };
            let Some((last, _)) = page.last() else { return };
            after = last.record.id;
            for (details, fingerprint) in page {
                let exported = v1::ExportedFootage {
                    footage_id: details.record.id.0,
                    fingerprint: Some((&fingerprint).into()),
                    sightings: details.sightings.iter().map(v1::Sighting::from).collect(),
                    reviews: details.reviews.iter().map(v1::Review::from).collect(),
                };
                if sender.blocking_send(Ok(exported)).is_err() {
                    return; // the client went away
                }
            }
        }
    });
    ReceiverStream::new(receiver)
}
