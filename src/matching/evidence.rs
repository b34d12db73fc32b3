//! What matching finds: evidence that a query contains an indexed footage, and where.
//!
//! Evidence is about pictures and time only. What is known *about* the footage (its sightings
//! and fact-checks) is joined in by the engine, and the sentences a person reads are written by
//! `presentation`.

use crate::fingerprint::Orientation;
use crate::index::FootageId;
use crate::time::Segment;

/// That the query contains one indexed footage: which stretch of each, how closely, played how.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    pub footage: FootageId,
    /// Length of the indexed footage, for callers that compare extents (same footage or excerpt).
    pub footage_duration_ms: u32,
    /// 0–1: the share of the query segment's keyframes that agree in time, times
    /// their mean hash similarity.
    pub score: f64,
    pub matched_keyframes: u32,
    /// How fast the query plays the footage: 1.0 unless the copy was sped up or slowed down.
    pub speed: f64,
    /// How the query shows the footage: as it is, mirrored left to right, or turned.
    pub orientation: Orientation,
    /// Whether the footage was found by the search for its core (see `crop_search`): the query
    /// shows it cropped off-centre, as a rule, or smaller, in a window.
    pub cropped: bool,
    pub query_segment: Segment,
    pub reference_segment: Segment,
}
