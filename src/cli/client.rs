//! The CLI's side of the gRPC API.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio::io::AsyncReadExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

use crate::fingerprint::Fingerprint;
use crate::media::Thumbnail;
use crate::proto::{self, BearerKey, MAX_MESSAGE_BYTES, UploadMessage, v1};

pub type Client = proto::KeyedClient;

/// Upload chunk size: large enough to keep per-message overhead negligible, well under the
/// server's message limit.
const CHUNK_BYTES: usize = 1024 * 1024;

/// Where the server is and how to prove who we are to it.
#[derive(Clone, Debug)]
pub struct Remote {
    pub url: String,
    /// The API key, if any.
    pub api_key: Option<String>,
    /// A PEM certificate authority to trust for an `https://` server, beside the public ones.
    pub ca_cert: Option<PathBuf>,
}

pub async fn connect(remote: &Remote) -> anyhow::Result<Client> {
    let url = &remote.url;
    let mut endpoint = Channel::from_shared(url.clone()).with_context(|| format!("{url} is not a server URL"))?;
    if url.starts_with("https://") {
        let mut tls = ClientTlsConfig::new().with_webpki_roots();
        if let Some(ca_cert) = &remote.ca_cert {
            let pem = std::fs::read(ca_cert).with_context(|| format!("cannot read {}", ca_cert.display()))?;
            tls = tls.ca_certificate(Certificate::from_pem(pem));
        }
        endpoint = endpoint.tls_config(tls).context("cannot set up TLS")?;
    } else if remote.ca_cert.is_some() {
        anyhow::bail!("--ca-cert is for an https:// server; {url} is not one");
    }
    let channel = endpoint.connect().await.with_context(|| {
        format!("cannot reach a firstseen server at {url} (start one with `firstseen serve`, or point --server / FIRSTSEEN_SERVER at one)")
    })?;
    let key = BearerKey::new(remote.api_key.as_deref()).map_err(|error| anyhow::anyhow!("{error}"))?;
    Ok(key.client(channel).max_decoding_message_size(MAX_MESSAGE_BYTES).max_encoding_message_size(MAX_MESSAGE_BYTES))
}

/// A refusal from the server, in the server's own words, with what to do about a missing key.
pub fn refused(status: tonic::Status) -> anyhow::Error {
    let hint = match status.code() {
        tonic::Code::Unauthenticated => {
            " (give a key with --api-key-file PATH or FIRSTSEEN_API_KEY; a new server writes its admin key to DATA_DIR/admin.key)"
        }
        _ => "",
    };
    anyhow::anyhow!("the server answered {:?}: {}{hint}", status.code(), status.message())
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
    v1::Sighting {
        source_url,
        first_seen: Some(proto::date_to_wire(first_seen)),
        title,
        publisher,
        ..Default::default()
    }
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
    thumbnails: Vec<Thumbnail>,
) -> anyhow::Result<v1::IngestResponse> {
    let thumbnails = thumbnails
        .into_iter()
        .map(|thumbnail| v1::Thumbnail { time_ms: thumbnail.time_ms, jpeg: thumbnail.jpeg })
        .collect();
    let request = v1::IngestFingerprintRequest {
        sighting: Some(sighting),
        fingerprint: Some(fingerprint.into()),
        thumbnails,
        reviews: Vec::new(),
    };
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

pub async fn retract_sighting(
    client: &mut Client,
    footage_id: u64,
    source_url: String,
    first_seen: DateTime<Utc>,
    reason: String,
) -> anyhow::Result<v1::Footage> {
    let request = v1::RetractSightingRequest {
        footage_id,
        source_url,
        first_seen: Some(proto::date_to_wire(first_seen)),
        reason,
    };
    Ok(client.retract_sighting(request).await.map_err(refused)?.into_inner())
}

pub async fn add_review(client: &mut Client, footage_id: u64, review: v1::Review) -> anyhow::Result<v1::ReviewAdded> {
    let request = v1::AddReviewRequest { footage_id, review: Some(review) };
    Ok(client.add_review(request).await.map_err(refused)?.into_inner())
}

pub async fn retract_review(
    client: &mut Client,
    footage_id: u64,
    url: String,
    reason: String,
) -> anyhow::Result<v1::Footage> {
    let request = v1::RetractReviewRequest { footage_id, url, reason };
    Ok(client.retract_review(request).await.map_err(refused)?.into_inner())
}

pub async fn create_key(client: &mut Client, name: String, role: v1::Role) -> anyhow::Result<v1::CreatedKey> {
    let request = v1::CreateKeyRequest { name, role: role.into() };
    Ok(client.create_key(request).await.map_err(refused)?.into_inner())
}

pub async fn list_keys(client: &mut Client) -> anyhow::Result<v1::KeyList> {
    Ok(client.list_keys(v1::ListKeysRequest {}).await.map_err(refused)?.into_inner())
}

pub async fn revoke_key(client: &mut Client, name: String) -> anyhow::Result<v1::KeyInfo> {
    Ok(client.revoke_key(v1::RevokeKeyRequest { name }).await.map_err(refused)?.into_inner())
}
