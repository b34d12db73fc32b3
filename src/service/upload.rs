//! Receiving a video uploaded as a stream of chunks.
//!
//! FFmpeg needs a seekable file (an MP4 may keep its index at the end), so chunks go to a
//! temporary file in the data directory's `incoming/` folder, deleted when the upload is
//! dropped, whatever happens. The size limit is enforced while receiving, before the bytes
//! reach the disk, and a stream that stops sending is closed after the idle timeout, its file
//! deleted with it: an upload never holds a file and its descriptors for longer.

use std::path::Path;
use std::time::Duration;

use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;
use tonic::{Status, Streaming};

use super::status;
use crate::proto::{UploadMessage, UploadPart};

/// The next message of a client stream, or a refusal once the client has sent nothing for
/// `idle`.
pub async fn next_message<M>(stream: &mut Streaming<M>, idle: Duration) -> Result<Option<M>, Status> {
    match tokio::time::timeout(idle, stream.message()).await {
        Ok(message) => message.map_err(status::from_stream),
        Err(_) => Err(Status::resource_exhausted(format!(
            "the stream sent nothing for {} s, the most this server waits; it was closed",
            idle.as_secs()
        ))),
    }
}

/// Reads the first message of an upload stream, which must carry the header (`what` names it).
pub async fn receive_header<M: UploadMessage>(
    stream: &mut Streaming<M>,
    what: &str,
    idle: Duration,
) -> Result<M::Header, Status> {
    match next_message(stream, idle).await?.and_then(UploadMessage::into_part) {
        Some(UploadPart::Header(header)) => Ok(header),
        _ => Err(Status::invalid_argument(format!("the first message of the stream must carry the {what}"))),
    }
}

/// Writes the rest of `stream` to a temporary file in `dir`, refusing more than `max_bytes`.
pub async fn receive_video<M: UploadMessage>(
    stream: &mut Streaming<M>,
    dir: &Path,
    max_bytes: u64,
    idle: Duration,
) -> Result<NamedTempFile, Status> {
    let upload = NamedTempFile::new_in(dir).map_err(|error| status::from_io("create an upload file", error))?;
    let handle = upload.reopen().map_err(|error| status::from_io("open the upload file", error))?;
    let mut file = tokio::fs::File::from_std(handle);
    let mut received: u64 = 0;
    while let Some(message) = next_message(stream, idle).await? {
        let Some(UploadPart::Chunk(chunk)) = message.into_part() else {
            return Err(Status::invalid_argument(
                "only the first message may carry metadata; every later one must be a chunk of the video",
            ));
        };
        received += chunk.len() as u64;
        if received > max_bytes {
            return Err(Status::invalid_argument(format!(
                "the upload exceeds the server's limit of {} MiB",
                max_bytes / (1024 * 1024)
            )));
        }
        file.write_all(&chunk).await.map_err(|error| status::from_io("write the upload", error))?;
    }
    file.flush().await.map_err(|error| status::from_io("write the upload", error))?;
    if received == 0 {
        return Err(Status::invalid_argument("the upload is empty: no video bytes were sent"));
    }
    Ok(upload)
}
