//! The shape shared by the two client-streaming uploads, Ingest and Lookup: one header message
//! (the sighting, or the lookup options), then the video in chunks. Server, client and tests
//! build and read both through this one trait.

use super::v1;

/// What one message of an upload stream carries.
pub enum UploadPart<Header> {
    Header(Header),
    Chunk(Vec<u8>),
}

/// A message type of an upload stream.
pub trait UploadMessage: Sized + Send + 'static {
    type Header: Send + 'static;

    fn header(header: Self::Header) -> Self;
    fn chunk(bytes: Vec<u8>) -> Self;
    /// `None` for a message with neither part set.
    fn into_part(self) -> Option<UploadPart<Self::Header>>;
}

impl UploadMessage for v1::IngestRequest {
    type Header = v1::Sighting;

    fn header(sighting: v1::Sighting) -> Self {
        v1::IngestRequest { part: Some(v1::ingest_request::Part::Sighting(sighting)) }
    }

    fn chunk(bytes: Vec<u8>) -> Self {
        v1::IngestRequest { part: Some(v1::ingest_request::Part::Chunk(bytes)) }
    }

    fn into_part(self) -> Option<UploadPart<v1::Sighting>> {
        Some(match self.part? {
            v1::ingest_request::Part::Sighting(sighting) => UploadPart::Header(sighting),
            v1::ingest_request::Part::Chunk(bytes) => UploadPart::Chunk(bytes),
        })
    }
}

impl UploadMessage for v1::LookupRequest {
    type Header = v1::LookupOptions;

    fn header(options: v1::LookupOptions) -> Self {
        v1::LookupRequest { part: Some(v1::lookup_request::Part::Options(options)) }
    }

    fn chunk(bytes: Vec<u8>) -> Self {
        v1::LookupRequest { part: Some(v1::lookup_request::Part::Chunk(bytes)) }
    }

    fn into_part(self) -> Option<UploadPart<v1::LookupOptions>> {
        Some(match self.part? {
            v1::lookup_request::Part::Options(options) => UploadPart::Header(options),
            v1::lookup_request::Part::Chunk(bytes) => UploadPart::Chunk(bytes),
        })
    }
}
