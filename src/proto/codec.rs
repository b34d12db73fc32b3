//! The codec every generated service and client uses: prost's, except that a message that does
//! not decode is the sender's fault.
//!
//! tonic's own prost codec reports bytes that are not a valid message as `INTERNAL`, which the
//! API reserves for the server's failures; and a message over the size limit as `OUT_OF_RANGE`.
//! Here both are `INVALID_ARGUMENT` with a sentence. tonic itself still refuses a message over
//! twice [`MAX_MESSAGE_BYTES`] before reading it (see `service`), so the sentence covers
//! messages up to that size and nothing larger is ever buffered.

use std::marker::PhantomData;

use prost::Message;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::{ProstCodec, ProstEncoder};

/// Largest gRPC message accepted: a fingerprint of the longest accepted video (six hours, two
/// keyframes a second, 133 bytes each on the wire) is about 6 MiB, more with windows and
/// fill-crop strips (24 and 8 bytes each a keyframe).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Prost encoding; decoding that refuses malformed and oversized messages as invalid input.
#[derive(Debug)]
pub struct CheckedCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for CheckedCodec<T, U> {
    fn default() -> Self {
        CheckedCodec(PhantomData)
    }
}

impl<T, U> Codec for CheckedCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = CheckedDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::raw_encoder(BufferSettings::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        CheckedDecoder(PhantomData)
    }
}

/// Decodes one message, refusing it as the sender's fault when it is not one.
#[derive(Debug)]
pub struct CheckedDecoder<U>(PhantomData<U>);

impl<U: Message + Default> Decoder for CheckedDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buffer: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        let length = prost::bytes::Buf::remaining(buffer);
        if length > MAX_MESSAGE_BYTES {
            return Err(oversized(length));
        }
        U::decode(buffer).map(Some).map_err(|error| {
            Status::invalid_argument(format!("the message is not a valid firstseen.v1 protobuf message ({error})"))
        })
    }
}

/// The refusal of a message of `length` bytes.
fn oversized(length: usize) -> Status {
    Status::invalid_argument(format!(
        "a message of {:.1} MiB is over the limit of {} MiB a message; send video in chunks and fingerprints one at a time",
        length as f64 / (1024.0 * 1024.0),
        MAX_MESSAGE_BYTES >> 20
    ))
}
