//! What the index stores about footage, as the rest of the program sees it.

use chrono::{DateTime, Utc};

/// Identifies one distinct piece of footage in the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FootageId(pub u64);

/// One place and time footage was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub source_url: String,
    pub first_seen: DateTime<Utc>,
    pub title: String,
    pub publisher: String,
    /// When this index recorded the sighting.
    pub ingested_at: DateTime<Utc>,
}

/// The footage entry itself; its sightings and keyframes are stored beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FootageRecord {
    pub id: FootageId,
    pub duration_ms: u32,
    pub keyframes: u32,
    /// The earliest `first_seen` over all the footage's sightings.
    pub first_seen: DateTime<Utc>,
}

/// An indexed keyframe within the search radius of a query hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub footage: FootageId,
    pub time_ms: u32,
    pub distance: u32,
}

/// Totals over the whole index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexStats {
    pub footage: u64,
    pub sightings: u64,
    pub keyframes: u64,
    /// Informative keyframes: the ones the Hamming search can reach.
    pub indexed_keyframes: u64,
    pub disk_bytes: u64,
}
