//! The wire format: types and gRPC stubs generated from `proto/firstseen/v1/firstseen.proto` by
//! `build.rs`, and the conversions between them and the domain types, shared by the server and
//! the CLI client so both sides read the wire the same way.

mod codec;
mod convert;
mod credentials;
mod upload;

pub use codec::{CheckedCodec, MAX_MESSAGE_BYTES};
pub use convert::{
    ClaimedProvenance, InvalidMessage, check_text, date_from_wire, date_to_wire, report_to_wire, required_date,
    review_from_wire, review_provenance_from_wire, role_from_wire, sighting_from_wire, sighting_provenance_from_wire,
};
pub use credentials::{BearerKey, KeyedClient};
pub use upload::{UploadMessage, UploadPart};

#[allow(clippy::all)]
pub mod v1 {
    tonic::include_proto!("firstseen.v1");

    /// Encoded descriptors of the API, served by gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("firstseen_descriptor");
}
