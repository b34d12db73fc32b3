//! What matching needs of the indexed footage, as a small trait: the radius search, and each
//! footage's stored keyframes and length. [`Index`] provides them from RocksDB and its search
//! table; a unit test provides them from a few fingerprints in memory, so that matching can be
//! tested without a store.

use rustc_hash::FxHashMap;

use super::{Pair, search};
use crate::fingerprint::{Keyframe, SearchedViews};
use crate::index::{FootageId, Index, IndexError};

pub trait References {
    /// Every indexed keyframe within `radius` of one of `views` of one of `keyframes` (in time
    /// order), grouped by footage, each group in query time order.
    fn hits_by_footage(
        &self,
        keyframes: &[&Keyframe],
        views: SearchedViews,
        radius: u32,
    ) -> FxHashMap<FootageId, Vec<Pair>>;

    /// The footage's stored keyframes, every one (informative or not), in time order.
    fn keyframes(&self, footage: FootageId) -> Result<Option<Vec<Keyframe>>, IndexError>;

    fn duration_ms(&self, footage: FootageId) -> Result<Option<u32>, IndexError>;
}

impl References for Index {
    fn hits_by_footage(
        &self,
        keyframes: &[&Keyframe],
        views: SearchedViews,
        radius: u32,
    ) -> FxHashMap<FootageId, Vec<Pair>> {
        search::hits_by_footage(&self.search_view(), keyframes, views, radius)
    }

    fn keyframes(&self, footage: FootageId) -> Result<Option<Vec<Keyframe>>, IndexError> {
        Index::keyframes(self, footage)
    }

    fn duration_ms(&self, footage: FootageId) -> Result<Option<u32>, IndexError> {
        Ok(self.footage(footage)?.map(|record| record.duration_ms))
    }
}

/// A few fingerprints in memory, searched by brute force: the references of matching's unit
/// tests.
#[cfg(test)]
pub(super) struct InMemory(pub Vec<(FootageId, crate::fingerprint::Fingerprint)>);

#[cfg(test)]
impl References for InMemory {
    fn hits_by_footage(
        &self,
        keyframes: &[&Keyframe],
        views: SearchedViews,
        radius: u32,
    ) -> FxHashMap<FootageId, Vec<Pair>> {
        let mut by_footage: FxHashMap<FootageId, Vec<Pair>> = FxHashMap::default();
        for query in keyframes {
            for (hash, orientation) in query.hashes.searched_in(views) {
                for (footage, fingerprint) in &self.0 {
                    for indexed in fingerprint.informative_keyframes() {
                        let distance = indexed.hashes.indexed().map(|view| hash.distance(view)).min();
                        if let Some(distance) = distance.filter(|&distance| distance <= radius) {
                            by_footage.entry(*footage).or_default().push(Pair {
                                query_ms: query.time_ms,
                                reference_ms: indexed.time_ms,
                                distance,
                                orientation,
                            });
                        }
                    }
                }
            }
        }
        by_footage
    }

    fn keyframes(&self, footage: FootageId) -> Result<Option<Vec<Keyframe>>, IndexError> {
        Ok(self.0.iter().find(|(id, _)| *id == footage).map(|(_, fingerprint)| fingerprint.keyframes.clone()))
    }

    fn duration_ms(&self, footage: FootageId) -> Result<Option<u32>, IndexError> {
        Ok(self.0.iter().find(|(id, _)| *id == footage).map(|(_, fingerprint)| fingerprint.duration_ms))
    }
}
