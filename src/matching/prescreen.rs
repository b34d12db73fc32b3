//! Prescreen: whether a video being ingested could be footage the index already holds.
//!
//! Every ingest must decide between "new footage" and "a new sighting of known footage", and the
//! full lookup that decides it searches six views of every keyframe: at ten million indexed
//! keyframes that is most of an ingest's cost, paid again for every one of a bulk load's
//! videos, nearly all of which are new. Known footage covers at least nine tenths of the new
//! video (see `engine`), so most of its keyframes meet that footage; a handful of keyframes
//! spread over the video shows it. Only when the sample meets some footage does the ingest pay
//! for the full lookup.
//!
//! The trade-off: a copy so degraded that fewer than half of the sampled keyframes are within
//! the radius of the original becomes footage of its own rather than a sighting of the original.
//! Lookups are unaffected: they report the earliest sighting over every footage they match, so
//! the answer to "when was this first seen" stays the same; only the grouping of sightings
//! differs.

use super::{alignment, search};
use crate::fingerprint::Fingerprint;
use crate::index::Index;

/// Keyframes searched, evenly spread over the video.
const SAMPLED_KEYFRAMES: usize = 8;

/// Whether some indexed footage meets at least half of `query`'s sampled keyframes within
/// `radius`, through any searched view. Too few informative keyframes to ever reach
/// `min_agreeing_keyframes` means no footage can match at all.
pub(super) fn may_be_indexed(index: &Index, query: &Fingerprint, radius: u32, min_agreeing_keyframes: usize) -> bool {
    let informative: Vec<_> = query.informative_keyframes().collect();
    if informative.len() < min_agreeing_keyframes {
        return false;
    }
    let sampled = informative.len().min(SAMPLED_KEYFRAMES);
    let samples: Vec<_> = (0..sampled).map(|sample| informative[sample * informative.len() / sampled]).collect();
    let needed = sampled.div_ceil(2);
    search::hits_by_footage(index, &samples, radius)
        .values()
        .any(|pairs| alignment::distinct_query_keyframes(pairs) >= needed)
}
