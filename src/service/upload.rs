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

/// A video being received into a temporary file in `incoming/`, refused past its size limit
/// before the bytes reach the disk. Deleted when dropped unless it was finished and kept.
pub struct UploadFile {
    file: NamedTempFile,
    writer: tokio::fs::File,
    received: u64,
    max_bytes: u64,
}

impl UploadFile {
    pub fn create(dir: &Path, max_bytes: u64) -> Result<UploadFile, Status> {
        let file = NamedTempFile::new_in(dir).map_err(|error| status::from_io("create an upload file", error))?;
        let handle = file.reopen().map_err(|error| status::from_io("open the upload file", error))?;
        Ok(UploadFile { file, writer: tokio::fs::File::from_std(handle), received: 0, max_bytes })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), Status> {
        self.received += chunk.len() as u64;
        if self.received > self.max_bytes {
            return Err(Status::invalid_argument(format!(
                "the upload exceeds the server's limit of {} MiB",
                self.max_bytes / (1024 * 1024)
            )));
        }
        self.writer.write_all(chunk).await.map_err(|error| status::from_io("write the upload", error))
    }

    /// The complete upload, refused when it is empty.
    pub async fn finish(mut self) -> Result<NamedTempFile, Status> {
        self.writer.flush().await.map_err(|error| status::from_io("write the upload", error))?;
        if self.received == 0 {
            return Err(Status::invalid_argument("the upload is empty: no video bytes were sent"));
        }
        Ok(self.file)
    }
}

/// Writes the rest of `stream` to a temporary file in `dir`, refusing more than `max_bytes`.
pub async fn receive_video<M: UploadMessage>(
    stream: &mut Streaming<M>,
    dir: &Path,
    max_bytes: u64,
    idle: Duration,
) -> Result<NamedTempFile, Status> {
    let mut upload = UploadFile::create(dir, max_bytes)?;
    while let Some(message) = next_message(stream, idle).await? {
        let Some(UploadPart::Chunk(chunk)) = message.into_part() else {
            return Err(Status::invalid_argument(
                "only the first message may carry metadata; every later one must be a chunk of the video",
            ));
        };
        upload.write(&chunk).await?;
    }
    upload.finish().await
}
