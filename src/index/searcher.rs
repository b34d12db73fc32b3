//! Radius search over the postings, for the many hashes of one lookup.
//!
//! A lookup searches six views of every query keyframe: hundreds of hashes, each probing 68
//! buckets. Creating a RocksDB iterator costs more than a seek, so one [`Searcher`] keeps one
//! iterator and re-seeks it for every bucket of every hash. A prefix seek consults the prefix
//! bloom filter, so empty buckets cost next to nothing. The iterator reads the index as it stood
//! when the searcher was made, which gives a lookup one consistent view of it.

use std::collections::HashMap;

use rocksdb::{DB, DBRawIteratorWithThreadMode, ReadOptions};

use super::{Candidate, FootageId, Index, IndexError, corrupt, multi_index, schema};
use crate::fingerprint::PerceptualHash;

pub struct Searcher<'a> {
    postings: DBRawIteratorWithThreadMode<'a, DB>,
    /// Closest distance per indexed keyframe met by the current search; kept to reuse its memory.
    closest: HashMap<(FootageId, u32), u32>,
}

impl<'a> Searcher<'a> {
    pub(super) fn new(index: &'a Index) -> Searcher<'a> {
        let mut read = ReadOptions::default();
        read.set_prefix_same_as_start(true);
        let postings = index.db.raw_iterator_cf_opt(index.cf(schema::CF_POSTINGS), read);
        Searcher { postings, closest: HashMap::new() }
    }

    /// Appends to `out` every indexed informative keyframe with a view within `radius` bits of
    /// `hash`, each once, at the distance of its closest view.
    pub fn search(&mut self, hash: PerceptualHash, radius: u32, out: &mut Vec<Candidate>) -> Result<(), IndexError> {
        // A keyframe shares several chunks with a close query and is met once per chunk and view.
        self.closest.clear();
        for (chunk_index, chunk) in multi_index::probes(hash, radius) {
            let prefix = schema::posting_prefix(chunk_index, chunk);
            self.postings.seek(prefix);
            while let (Some(key), Some(value)) = (self.postings.key(), self.postings.value()) {
                if !key.starts_with(&prefix) {
                    break;
                }
                let (footage, time_ms, indexed) =
                    schema::decode_posting(key, value).map_err(corrupt(schema::CF_POSTINGS))?;
                let distance = hash.distance(indexed);
                if distance <= radius {
                    let best = self.closest.entry((footage, time_ms)).or_insert(distance);
                    *best = (*best).min(distance);
                }
                self.postings.next();
            }
            self.postings.status()?;
        }
        out.extend(self.closest.drain().map(|((footage, time_ms), distance)| Candidate { footage, time_ms, distance }));
        Ok(())
    }
}
