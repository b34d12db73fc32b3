//! The API key a client presents: `authorization: Bearer <key>` on every call it makes.

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::InvalidMessage;
use super::v1::first_seen_client::FirstSeenClient;

/// A client of the FirstSeen API that sends its key, if it has one, with every call.
pub type KeyedClient = FirstSeenClient<InterceptedService<Channel, BearerKey>>;

/// The `authorization` metadata of every call, or none for a server that allows anonymous
/// lookups.
#[derive(Clone, Debug, Default)]
pub struct BearerKey(Option<MetadataValue<Ascii>>);

impl BearerKey {
    pub fn new(key: Option<&str>) -> Result<BearerKey, InvalidMessage> {
        key.map(|key| {
            format!("Bearer {}", key.trim())
                .parse()
                .map_err(|_| InvalidMessage("an API key is printable ASCII, as `keys create` prints it".into()))
        })
        .transpose()
        .map(BearerKey)
    }

    /// `channel` as a FirstSeen client presenting this key.
    pub fn client(self, channel: Channel) -> KeyedClient {
        FirstSeenClient::with_interceptor(channel, self)
    }
}

impl Interceptor for BearerKey {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}
