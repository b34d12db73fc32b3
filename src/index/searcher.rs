//! Radius search for the many hashes of one lookup.
//!
//! A [`SearchView`] holds the index's in-memory [`HammingTable`] for reading while it lives,
//! which gives a lookup's search one consistent view of the index: an ingest that lands meanwhile
//! waits for the search to finish rather than appearing half-way through it. The view can be shared by
//! threads, so one long lookup can search on every core; each thread takes its own
//! [`Searcher`], which keeps the scratch map every search needs, so a lookup's hundreds of
//! searches allocate nothing.
//!
//! One view per lookup, shared, rather than one per thread: a second read lock taken while a
//! writer waits would queue behind that writer, which waits for the first: a deadlock.

use rustc_hash::FxHashMap;
use std::sync::RwLockReadGuard;

use super::Hit;
use super::hamming_table::{HammingTable, Shelf};
use crate::fingerprint::PerceptualHash;

pub struct SearchView<'a> {
    table: RwLockReadGuard<'a, HammingTable>,
}

impl<'a> SearchView<'a> {
    pub(super) fn new(table: RwLockReadGuard<'a, HammingTable>) -> SearchView<'a> {
        SearchView { table }
    }

    pub fn searcher(&self) -> Searcher<'_> {
        Searcher { table: &self.table, closest: FxHashMap::default() }
    }
}

pub struct Searcher<'a> {
    table: &'a HammingTable,
    /// Closest distance per keyframe slot met by the current search.
    closest: FxHashMap<u32, u32>,
}

impl Searcher<'_> {
    /// Appends to `out` every indexed informative keyframe with a view that every lookup
    /// searches within `radius` bits of `hash`, each once, at the distance of its closest view.
    pub fn search(&mut self, hash: PerceptualHash, radius: u32, out: &mut Vec<Hit>) {
        self.table.search(hash, radius, Shelf::Views, &mut self.closest, out);
    }

    /// Appends to `out` every indexed informative keyframe whose core is within `radius` bits of
    /// `hash`, each once.
    pub fn search_cores(&mut self, hash: PerceptualHash, radius: u32, out: &mut Vec<Hit>) {
        self.table.search(hash, radius, Shelf::Cores, &mut self.closest, out);
    }
}
