//! Radius search for the many hashes of one lookup.
//!
//! A [`Searcher`] holds the index's in-memory [`HammingTable`] for reading while it lives, which
//! gives a lookup one consistent view of the index: an ingest that lands meanwhile waits for the
//! lookup to finish rather than appearing half-way through it. It also keeps the scratch map
//! every search needs, so a lookup's hundreds of searches allocate nothing.

use rustc_hash::FxHashMap;
use std::sync::RwLockReadGuard;

use super::Candidate;
use super::hamming_table::HammingTable;
use crate::fingerprint::PerceptualHash;

pub struct Searcher<'a> {
    table: RwLockReadGuard<'a, HammingTable>,
    /// Closest distance per keyframe slot met by the current search.
    closest: FxHashMap<u32, u32>,
}

impl<'a> Searcher<'a> {
    pub(super) fn new(table: RwLockReadGuard<'a, HammingTable>) -> Searcher<'a> {
        Searcher { table, closest: FxHashMap::default() }
    }

    /// Appends to `out` every indexed informative keyframe with a view within `radius` bits of
    /// `hash`, each once, at the distance of its closest view.
    pub fn search(&mut self, hash: PerceptualHash, radius: u32, out: &mut Vec<Candidate>) {
        self.table.search(hash, radius, &mut self.closest, out);
    }
}
