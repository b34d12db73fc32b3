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
pub mod time;

/// The cores this process may run on, asked of the system once: what decoding, searching and
/// the command line's default concurrency all size themselves by. Two when the system cannot
/// say.
pub fn available_cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(2, usize::from))
}
