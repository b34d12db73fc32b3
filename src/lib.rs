//! firstseen: when was this footage first seen?
//!
//! The stages, in the order data flows through them (see ARCHITECTURE.md):
//! [`media`] → [`fingerprint`] → [`index`] → [`matching`] → [`engine`] → [`service`] / [`cli`].

pub mod claimreview;
pub mod cli;
pub mod engine;
pub mod fingerprint;
pub mod index;
pub mod matching;
pub mod media;
pub mod presentation;
pub mod proto;
pub mod service;
#[cfg(test)]
mod test_kit;
