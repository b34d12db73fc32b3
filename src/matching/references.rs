//! What matching needs of the indexed footage, as a small trait: the radius search, and each
//! footage's stored keyframes and length. [`Index`] provides them from RocksDB and its search
//! table; a unit test provides them from a few fingerprints in memory, so that matching can be
//! tested without a store.

use rustc_hash::FxHashMap;

use super::{Pair, search};
use crate::fingerprint::{Keyframe, PerceptualHash, SearchedViews};
use crate::index::{FootageId, Hit, Index, IndexError};

/// Core searches made under one hold of the search table (see [`References::cores_near`]): a
/// few milliseconds' worth.
const CORE_SEARCHES_A_HOLD: usize = 2_048;

pub trait References {
    /// Every indexed keyframe within `radius` of one of `views` of one of `keyframes` (in time
    /// order), grouped by footage, each group in query time order.
    fn hits_by_footage(
        &self,
        keyframes: &[&Keyframe],
        views: SearchedViews,
        radius: u32,
    ) -> FxHashMap<FootageId, Vec<Pair>>;

    /// Every indexed keyframe whose core (see `fingerprint::crops`) is within `radius` of each of
    /// `hashes`, as `keep` leaves them: one list per hash, in order. `keep` runs on each list as
    /// soon as it is found, so that only what it keeps is ever held.
    fn cores_near(&self, hashes: &[PerceptualHash], radius: u32, keep: fn(&mut Vec<Hit>)) -> Vec<Vec<Hit>>;

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

    fn cores_near(&self, hashes: &[PerceptualHash], radius: u32, keep: fn(&mut Vec<Hit>)) -> Vec<Vec<Hit>> {
        // A survey's tens of thousands of searches take most of a second at ten million
        // keyframes: a hold of the table for each batch of them, one after another, so that an
        // ingest waiting to write (and every lookup queued behind it) waits for one batch, not
        // the survey.
        hashes
            .chunks(CORE_SEARCHES_A_HOLD)
            .flat_map(|batch| search::cores_near(&self.search_view(), batch, radius, keep))
            .collect()
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

    fn cores_near(&self, hashes: &[PerceptualHash], radius: u32, keep: fn(&mut Vec<Hit>)) -> Vec<Vec<Hit>> {
        let near = |hash: PerceptualHash| {
            let indexed = self.0.iter().flat_map(|(footage, fingerprint)| {
                fingerprint.informative_keyframes().map(move |keyframe| (*footage, keyframe))
            });
            let cores = indexed.filter_map(|(footage, keyframe)| {
                let distance = hash.distance(keyframe.hashes.indexed_core()?);
                Some(Hit { footage, time_ms: keyframe.time_ms, distance })
            });
            let mut hits: Vec<Hit> = cores.filter(|hit| hit.distance <= radius).collect();
            keep(&mut hits);
            hits
        };
        hashes.iter().map(|&hash| near(hash)).collect()
    }

    fn keyframes(&self, footage: FootageId) -> Result<Option<Vec<Keyframe>>, IndexError> {
        Ok(self.0.iter().find(|(id, _)| *id == footage).map(|(_, fingerprint)| fingerprint.keyframes.clone()))
    }

    fn duration_ms(&self, footage: FootageId) -> Result<Option<u32>, IndexError> {
        Ok(self.0.iter().find(|(id, _)| *id == footage).map(|(_, fingerprint)| fingerprint.duration_ms))
    }
}
