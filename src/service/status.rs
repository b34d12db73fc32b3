//! Turning failures into gRPC statuses.
//!
//! The rule: the client's fault is INVALID_ARGUMENT (or NOT_FOUND) with a sentence that says
//! what is wrong with *their* input; a limit the server enforces to stay up (a full disk, busy
//! decoders, an idle stream) is RESOURCE_EXHAUSTED; only the server's own failures are INTERNAL,
//! logged in full here and reported without internals.

use std::fmt::Display;

use tonic::{Code, Status};

use crate::index::IndexError;
use crate::media::MediaError;
use crate::proto::{InvalidMessage, MAX_MESSAGE_BYTES};

const _: () = assert!(MAX_MESSAGE_BYTES == 16 << 20, "OVERSIZED_MESSAGE names 16 MiB");

const DISK_FULL: &str = "the index's disk is full: nothing more can be recorded until space is freed; lookups go on";

pub fn internal(doing: &str, error: impl Display) -> Status {
    tracing::error!(%error, "failed to {doing}");
    Status::internal(format!("the server failed to {doing}; see its log"))
}

pub fn from_media(error: MediaError) -> Status {
    match error {
        MediaError::Busy { .. } => Status::resource_exhausted(format!("cannot decode now: {error}")),
        MediaError::Io { ref source, .. } if is_disk_full(source) => Status::resource_exhausted(DISK_FULL),
        _ if error.is_invalid_input() => Status::invalid_argument(format!("cannot use this video: {error}")),
        _ => internal("read the uploaded video", error),
    }
}

pub fn from_index(error: IndexError) -> Status {
    match error {
        IndexError::UnknownFootage(_)
        | IndexError::UnknownSighting { .. }
        | IndexError::UnknownReview { .. }
        | IndexError::UnknownKey(_) => Status::not_found(error.to_string()),
        IndexError::AlreadyRetracted { .. } | IndexError::KeyExists(_) => Status::already_exists(error.to_string()),
        IndexError::TooManyReviews { .. } => Status::resource_exhausted(error.to_string()),
        IndexError::Store(ref store) if is_no_space(store.as_ref()) => {
            tracing::error!(%error, "the index's disk is full");
            Status::resource_exhausted(DISK_FULL)
        }
        other => internal("use the index", other),
    }
}

/// A file operation of the server's own that failed.
pub fn from_io(doing: &str, error: std::io::Error) -> Status {
    if is_disk_full(&error) { Status::resource_exhausted(DISK_FULL) } else { internal(doing, error) }
}

pub fn from_message(error: InvalidMessage) -> Status {
    Status::invalid_argument(error.0)
}

/// What a client is told of a message tonic refused from its length alone (over twice
/// [`MAX_MESSAGE_BYTES`], 32 MiB). A header value: plain ASCII.
pub const OVERSIZED_MESSAGE: &str =
    "a message is over twice the limit of 16 MiB a message; send video in chunks and fingerprints one at a time";

/// An error read from a client's request stream. tonic reports a message over its size limit as
/// OUT_OF_RANGE; it is the client's message that is too large.
pub fn from_stream(status: Status) -> Status {
    if status.code() == Code::OutOfRange {
        return Status::invalid_argument(OVERSIZED_MESSAGE);
    }
    status
}

fn is_disk_full(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::StorageFull || error.raw_os_error() == Some(libc::ENOSPC)
}

/// RocksDB reports ENOSPC only in its message: "IO error: No space left on device: ...".
fn is_no_space(message: &str) -> bool {
    message.contains("No space left on device")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_resource_exhausted_and_says_so() {
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        let status = from_io("write the upload", full);
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(status.message().contains("disk is full"), "{}", status.message());
        assert!(is_no_space("IO error: No space left on device: While appending to file: 000012.log"));
        assert_eq!(from_io("write", std::io::Error::other("bug")).code(), Code::Internal);
    }

    #[test]
    fn what_the_client_sent_is_never_internal() {
        let decoded = from_media(MediaError::NotAVideo);
        assert_eq!(decoded.code(), Code::InvalidArgument);
        let too_big = from_media(MediaError::TooMuchMemory { needed_mib: 2000, budget_mib: 1024 });
        assert_eq!(too_big.code(), Code::InvalidArgument);
        assert!(too_big.message().contains("1024 MiB"), "{}", too_big.message());
        assert_eq!(from_stream(Status::out_of_range("too large")).code(), Code::InvalidArgument);
    }
}
