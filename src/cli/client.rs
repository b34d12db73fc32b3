//! The CLI's side of the gRPC API.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio::io::AsyncReadExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;

use crate::fingerprint::Fingerprint;
use crate::proto::{self, UploadMessage, v1};
use crate::service::MAX_MESSAGE_BYTES;

pub type Client = v1::first_seen_client::FirstSeenClient<Channel>;

/// Upload chunk size: large enough to keep per-message overhead negligible, well under the
/// server's message limit.
const CHUNK_BYTES: usize = 1024 * 1024;

pub async fn connect(url: &str) -> anyhow::Result<Client> {
    let client = Client::connect(url.to_owned()).await.with_context(|| {
        format!("cannot reach a firstseen server at {url} (start one with `firstseen serve`, or point --server / FIRSTSEEN_SERVER at one)")
    })?;
    Ok(client.max_decoding_message_size(MAX_MESSAGE_BYTES).max_encoding_message_size(MAX_MESSAGE_BYTES))
}

/// A refusal from the server, in the server's own words.
pub fn refused(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("the server answered {:?}: {}", status.code(), status.message())
}

/// Streams `header` and then the file's bytes, reading ahead at most a few chunks.
async fn stream_file<M: UploadMessage>(path: &Path, header: M::Header) -> anyhow::Result<ReceiverStream<M>> {
    let mut file = tokio::fs::File::open(path).await.with_context(|| format!("cannot open {}", path.display()))?;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    sender.send(M::header(header)).await.ok();
    let shown = path.display().to_string();
    tokio::spawn(async move {
        loop {
            let mut buffer = vec![0; CHUNK_BYTES];
            match file.read(&mut buffer).await {
                Ok(0) => break,
                Ok(read) => {
                    buffer.truncate(read);
                    if sender.send(M::chunk(buffer)).await.is_err() {
                        break;
                    }
                }
                Err(error) => {
                    // Ending the stream early makes the server reject a truncated video.
                    eprintln!("error: reading {shown} failed: {error}");
                    break;
                }
            }
        }
    });
    Ok(ReceiverStream::new(receiver))
}

/// A sighting as a client submits it: the server stamps when it was ingested.
pub fn sighting(source_url: String, first_seen: DateTime<Utc>, title: String, publisher: String) -> v1::Sighting {
    v1::Sighting { source_url, first_seen: Some(proto::date_to_wire(first_seen)), title, publisher, ingested_at: None }
}

pub async fn ingest_upload(
    client: &mut Client,
    path: &Path,
    sighting: v1::Sighting,
) -> anyhow::Result<v1::IngestResponse> {
    let stream = stream_file::<v1::IngestRequest>(path, sighting).await?;
    Ok(client.ingest(stream).await.map_err(refused)?.into_inner())
}

pub async fn ingest_fingerprint(
    client: &mut Client,
    fingerprint: &Fingerprint,
    sighting: v1::Sighting,
) -> anyhow::Result<v1::IngestResponse> {
    let request = v1::IngestFingerprintRequest { sighting: Some(sighting), fingerprint: Some(fingerprint.into()) };
    Ok(client.ingest_fingerprint(request).await.map_err(refused)?.into_inner())
}

fn options(claimed: Option<DateTime<Utc>>) -> v1::LookupOptions {
    v1::LookupOptions { claimed_date: claimed.map(proto::date_to_wire) }
}

pub async fn lookup_upload(
    client: &mut Client,
    path: &Path,
    claimed: Option<DateTime<Utc>>,
) -> anyhow::Result<v1::LookupReport> {
    let stream = stream_file::<v1::LookupRequest>(path, options(claimed)).await?;
    Ok(client.lookup(stream).await.map_err(refused)?.into_inner())
}

pub async fn lookup_fingerprint(
    client: &mut Client,
    fingerprint: &Fingerprint,
    claimed: Option<DateTime<Utc>>,
) -> anyhow::Result<v1::LookupReport> {
    let request =
        v1::LookupFingerprintRequest { options: Some(options(claimed)), fingerprint: Some(fingerprint.into()) };
    Ok(client.lookup_fingerprint(request).await.map_err(refused)?.into_inner())
}

pub async fn footage(client: &mut Client, id: u64) -> anyhow::Result<v1::Footage> {
    Ok(client.get_footage(v1::GetFootageRequest { footage_id: id }).await.map_err(refused)?.into_inner())
}

pub async fn stats(client: &mut Client) -> anyhow::Result<v1::StatsResponse> {
    Ok(client.stats(v1::StatsRequest {}).await.map_err(refused)?.into_inner())
}
