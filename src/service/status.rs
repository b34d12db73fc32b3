//! Turning failures into gRPC statuses.
//!
//! The rule: the client's fault is INVALID_ARGUMENT (or NOT_FOUND) with a sentence that says
//! what is wrong with *their* input; the server's fault is INTERNAL, logged in full here and
//! reported without internals.

use std::fmt::Display;

use tonic::Status;

use crate::index::IndexError;
use crate::media::MediaError;
use crate::proto::InvalidMessage;

pub fn internal(doing: &str, error: impl Display) -> Status {
    tracing::error!(%error, "failed to {doing}");
    Status::internal(format!("the server failed to {doing}; see its log"))
}

pub fn from_media(error: MediaError) -> Status {
    if error.is_invalid_input() {
        Status::invalid_argument(format!("cannot use this video: {error}"))
    } else {
        internal("read the uploaded video", error)
    }
}

pub fn from_index(error: IndexError) -> Status {
    match error {
        IndexError::UnknownFootage(id) => Status::not_found(format!("no footage with id {id}")),
        other => internal("use the index", other),
    }
}

pub fn from_message(error: InvalidMessage) -> Status {
    Status::invalid_argument(error.0)
}
