//! Index: the third stage. Dated footage in RocksDB, searchable by Hamming distance.
//!
//! The index knows footage, its sightings and its keyframes, and answers one question fast:
//! which indexed keyframes are within a Hamming radius of this hash? It does not decide what a
//! match is (that is `matching`) nor whether new footage is a copy of old (that is `engine`).
//!
//! Invariants it keeps:
//! - every mutation is one RocksDB `WriteBatch`: an ingest is entirely there or not at all. A
//!   [`Durability::Synced`] write survives a crash once it returns; an
//!   [`Durability::AtNextSync`] one (a bulk group's items, a key's last-used time) once the
//!   next [`Index::sync`] returns, which a bulk group waits for before it acknowledges;
//! - a footage's `first_seen` is the minimum over its sightings, whatever order they arrive in;
//! - the in-memory [`hamming_table`] holds exactly the informative keyframes of the store: it is
//!   rebuilt from the `keyframes` column family at open, and a footage's keyframes join it once
//!   their batch is written, so a radius search finds every keyframe with a view within the
//!   radius as soon as the ingest that stored it returns (see [`multi_index`]);
//! - the counters in `meta` change in the same batch as the data they count;
//! - a sighting is never deleted: retracting it rewrites it with its retraction, and the
//!   footage's `first_seen` becomes the minimum over the sightings that still stand, in the
//!   same batch;
//! - nor is a review: retracting one rewrites it with its retraction.

mod hamming_table;
mod multi_index;
mod records;
mod schema;
mod searcher;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use chrono::{DateTime, Utc};

use hamming_table::{BucketCounts, HammingTable, Unfiled};
use rocksdb::{
    ColumnFamily, ColumnFamilyDescriptor, DB, Direction, IteratorMode, Options, PrefixRange, ReadOptions, WriteBatch,
    WriteOptions,
};

pub use records::{
    FootageId, FootageRecord, Hit, IndexStats, KeyRecord, Link, NumericRating, ProvenanceMut, Retraction, Review, Role,
    Sighting,
};
use schema::{Counters, Undecodable};
pub use searcher::{SearchView, Searcher};

use crate::fingerprint::{Fingerprint, Keyframe};
use crate::media::Thumbnail;

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("RocksDB: {0}")]
    Store(#[from] rocksdb::Error),
    #[error("the index at {path} has schema version {found}; this build of firstseen reads version {expected}")]
    SchemaMismatch { path: PathBuf, found: u32, expected: u32 },
    #[error("corrupt entry in column family {column}: {source}")]
    Corrupt { column: &'static str, source: Undecodable },
    #[error("no footage with id {0}")]
    UnknownFootage(u64),
    #[error("footage {footage} has no sighting at {source_url} first seen {first_seen}")]
    UnknownSighting { footage: u64, source_url: String, first_seen: String },
    #[error("that {what} was already retracted by {by} on {at}")]
    AlreadyRetracted { what: &'static str, by: String, at: String },
    #[error("footage {footage} has no review of the article {url}")]
    UnknownReview { footage: u64, url: String },
    #[error(
        "footage {footage} already has {MAX_REVIEWS_A_FOOTAGE} fact-checks, the most it keeps; retracted ones count, \
         as they stay on record"
    )]
    TooManyReviews { footage: u64 },
    #[error("a key named {0:?} already exists")]
    KeyExists(String),
    #[error("no key named {0:?}")]
    UnknownKey(String),
}

/// The most reviews one footage keeps: every lookup that matches it carries them all, and a
/// report must stay far inside a gRPC message (64 of the largest reviews are 1.4 MiB).
pub const MAX_REVIEWS_A_FOOTAGE: usize = 64;

/// Sets a record's retraction, refusing a second one: the first stays as it was recorded.
fn retract_once(what: &'static str, slot: &mut Option<Retraction>, retraction: Retraction) -> Result<(), IndexError> {
    if let Some(earlier) = slot {
        return Err(IndexError::AlreadyRetracted {
            what,
            by: earlier.retracted_by.clone(),
            at: earlier.retracted_at.to_rfc3339(),
        });
    }
    *slot = Some(retraction);
    Ok(())
}

fn corrupt(column: &'static str) -> impl FnOnce(Undecodable) -> IndexError {
    move |source| IndexError::Corrupt { column, source }
}

/// When a write must be on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Before the call returns.
    Synced,
    /// At the next [`Index::sync`]: a bulk load syncs once per group of writes, not per write.
    /// A crash before then loses the write, so nothing may be acknowledged on it until the sync.
    AtNextSync,
}

/// The footage index. Cheap to share behind an `Arc`; reads run concurrently, writes serialise.
pub struct Index {
    db: DB,
    path: PathBuf,
    /// Writes read counters and first-seen dates before replacing them; one writer at a time
    /// keeps those read-modify-write cycles exact.
    write_lock: Mutex<()>,
    table: RwLock<HammingTable>,
}

impl Index {
    /// Opens the index in `dir`, creating it when it does not exist, and rebuilds its in-memory
    /// search table from the stored keyframes.
    pub fn open(dir: &Path) -> Result<Index, IndexError> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        // A WAL file goes only once every column family with writes in it has flushed. The
        // counters in `meta` change with every batch but take years to fill a memtable, so
        // without a cap the WAL grew as large as the keyframes themselves (560 MB at 10 million)
        // and a restart replayed all of it. Past the cap, RocksDB flushes the laggards.
        options.set_max_total_wal_size(64 << 20);
        // Column families of an older schema are opened too, so that such a store gets the
        // schema message below rather than RocksDB's complaint about unopened families.
        let mut names: Vec<String> = DB::list_cf(&options, dir).unwrap_or_default();
        for name in schema::COLUMN_FAMILIES {
            if !names.iter().any(|existing| existing == name) {
                names.push(name.to_owned());
            }
        }
        let mut family_options = Options::default();
        family_options.set_compression_type(rocksdb::DBCompressionType::Lz4);
        let families = names.into_iter().map(|name| ColumnFamilyDescriptor::new(name, family_options.clone()));
        let db = DB::open_cf_descriptors(&options, dir, families)?;
        // The schema is checked before the keyframes are read: another layout's keyframes would
        // only show up as corrupt entries.
        check_schema(&db, dir)?;
        let table = RwLock::new(rebuild_table(&db)?);
        Ok(Index { db, path: dir.to_owned(), write_lock: Mutex::new(()), table })
    }

    fn cf(&self, name: &str) -> &ColumnFamily {
        column_family(&self.db, name)
    }

    fn counters(&self) -> Result<Counters, IndexError> {
        match self.db.get_cf(self.cf(schema::CF_META), schema::META_COUNTERS)? {
            Some(bytes) => schema::decode_counters(&bytes).map_err(corrupt(schema::CF_META)),
            None => Ok(Counters::default()),
        }
    }

    fn lock_writes(&self) -> std::sync::MutexGuard<'_, ()> {
        // The guarded data lives in RocksDB, not behind the mutex: a panic mid-write leaves
        // nothing half-done in memory, so a poisoned lock is safe to take over.
        self.write_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds new footage with its keyframes, first sighting and links to the footage it shares
    /// stretches with, in one atomic batch, and makes its keyframes searchable. Each of
    /// `links_to` says which stretch of the new footage (`segment`) is which stretch of the
    /// indexed footage it names (`linked`); its `footage` is ignored, the new id being unknown
    /// until now.
    pub fn insert_footage(
        &self,
        fingerprint: &Fingerprint,
        sighting: &Sighting,
        thumbnails: &[Thumbnail],
        links_to: &[Link],
        durability: Durability,
    ) -> Result<FootageRecord, IndexError> {
        let _writer = self.lock_writes();
        let mut counters = self.counters()?;
        counters.next_footage_id += 1;
        let id = FootageId(counters.next_footage_id);
        let record = FootageRecord {
            id,
            duration_ms: fingerprint.duration_ms,
            keyframes: fingerprint.keyframes.len() as u32,
            first_seen: sighting.first_seen,
        };
        let mut batch = WriteBatch::default();
        let key = schema::footage_key(id);
        batch.put_cf(self.cf(schema::CF_FOOTAGE), key, schema::encode_footage(&record));
        batch.put_cf(self.cf(schema::CF_KEYFRAMES), key, schema::encode_keyframes(&fingerprint.keyframes));
        batch.put_cf(
            self.cf(schema::CF_SIGHTINGS),
            schema::sighting_key(id, sighting),
            schema::encode_sighting(sighting),
        );
        for thumbnail in thumbnails {
            batch.put_cf(
                self.cf(schema::CF_THUMBNAILS),
                schema::thumbnail_key(id, thumbnail.time_ms),
                schema::encode_thumbnail(&thumbnail.jpeg),
            );
        }
        for link in links_to {
            let link = Link { footage: id, ..*link };
            for side in [link, link.reversed()] {
                batch.put_cf(self.cf(schema::CF_LINKS), schema::link_key(&side), schema::encode_link(&side));
            }
        }
        counters.footage += 1;
        counters.sightings += 1;
        counters.keyframes += u64::from(record.keyframes);
        counters.indexed_keyframes += fingerprint.informative_keyframes().count() as u64;
        batch.put_cf(self.cf(schema::CF_META), schema::META_COUNTERS, schema::encode_counters(&counters));
        self.db.write_opt(batch, &write_options(durability))?;
        self.table.write().unwrap_or_else(|poisoned| poisoned.into_inner()).add(id, &fingerprint.keyframes);
        Ok(record)
    }

    /// Records another sighting of existing footage. Returns the footage as it now stands and
    /// whether the sighting was new (the same source URL on the same date is recorded once).
    pub fn add_sighting(
        &self,
        id: FootageId,
        sighting: &Sighting,
        durability: Durability,
    ) -> Result<(FootageRecord, bool), IndexError> {
        let _writer = self.lock_writes();
        let mut record = self.footage(id)?.ok_or(IndexError::UnknownFootage(id.0))?;
        let sightings = self.cf(schema::CF_SIGHTINGS);
        let key = schema::sighting_key(id, sighting);
        if self.db.get_pinned_cf(sightings, &key)?.is_some() {
            return Ok((record, false));
        }
        let mut counters = self.counters()?;
        counters.sightings += 1;
        // Over the sightings that stand: one retracted earlier no longer sets the date.
        record.first_seen = self
            .standing_sightings(id)?
            .iter()
            .chain([sighting])
            .map(|standing| standing.first_seen)
            .min()
            .unwrap_or(sighting.first_seen);
        let mut batch = WriteBatch::default();
        batch.put_cf(sightings, key, schema::encode_sighting(sighting));
        batch.put_cf(self.cf(schema::CF_FOOTAGE), schema::footage_key(id), schema::encode_footage(&record));
        batch.put_cf(self.cf(schema::CF_META), schema::META_COUNTERS, schema::encode_counters(&counters));
        self.db.write_opt(batch, &write_options(durability))?;
        Ok((record, true))
    }

    pub fn footage(&self, id: FootageId) -> Result<Option<FootageRecord>, IndexError> {
        self.db
            .get_pinned_cf(self.cf(schema::CF_FOOTAGE), schema::footage_key(id))?
            .map(|bytes| schema::decode_footage(id, &bytes).map_err(corrupt(schema::CF_FOOTAGE)))
            .transpose()
    }

    /// The stored keyframes of a footage, informative or not, in time order.
    pub fn keyframes(&self, id: FootageId) -> Result<Option<Vec<Keyframe>>, IndexError> {
        self.db
            .get_pinned_cf(self.cf(schema::CF_KEYFRAMES), schema::footage_key(id))?
            .map(|bytes| schema::decode_keyframes(&bytes).map_err(corrupt(schema::CF_KEYFRAMES)))
            .transpose()
    }

    /// Up to `limit` footage with ids above `after`, in id order, each with its keyframes: one
    /// page of an export.
    pub fn footage_page(
        &self,
        after: FootageId,
        limit: usize,
    ) -> Result<Vec<(FootageRecord, Vec<Keyframe>)>, IndexError> {
        let start = schema::footage_key(FootageId(after.0.saturating_add(1)));
        let iter = self.db.iterator_cf(self.cf(schema::CF_FOOTAGE), IteratorMode::From(&start, Direction::Forward));
        let mut page = Vec::new();
        for entry in iter.take(limit) {
            let (key, value) = entry?;
            let id = schema::decode_footage_key(&key).map_err(corrupt(schema::CF_FOOTAGE))?;
            let record = schema::decode_footage(id, &value).map_err(corrupt(schema::CF_FOOTAGE))?;
            page.push((record, self.keyframes(id)?.unwrap_or_default()));
        }
        Ok(page)
    }

    /// All sightings of a footage, earliest first.
    pub fn sightings(&self, id: FootageId) -> Result<Vec<Sighting>, IndexError> {
        self.decoded(schema::CF_SIGHTINGS, id, |_, value| schema::decode_sighting(value)).collect()
    }

    /// The first `at_most` links of a footage, read from its side, in the linked footage's id
    /// order. Anyone who may ingest can link footage to any other by ingesting excerpts of it,
    /// so a reader that follows links bounds how many it reads.
    pub fn links(&self, id: FootageId, at_most: usize) -> Result<Vec<Link>, IndexError> {
        self.decoded(schema::CF_LINKS, id, schema::decode_link).take(at_most).collect()
    }

    /// The times of a footage's stored thumbnails, in order; none when it was ingested as bare
    /// hashes.
    pub fn thumbnail_times(&self, id: FootageId) -> Result<Vec<u32>, IndexError> {
        self.decoded(schema::CF_THUMBNAILS, id, |key, _| schema::decode_thumbnail_time(key)).collect()
    }

    /// The JPEG of a footage's thumbnail at exactly `time_ms`.
    pub fn thumbnail(&self, id: FootageId, time_ms: u32) -> Result<Option<Vec<u8>>, IndexError> {
        self.db
            .get_pinned_cf(self.cf(schema::CF_THUMBNAILS), schema::thumbnail_key(id, time_ms))?
            .map(|bytes| schema::decode_thumbnail(&bytes).map_err(corrupt(schema::CF_THUMBNAILS)))
            .transpose()
    }

    /// The sightings of a footage that lookups count, earliest first.
    pub fn standing_sightings(&self, id: FootageId) -> Result<Vec<Sighting>, IndexError> {
        let mut sightings = self.sightings(id)?;
        sightings.retain(Sighting::stands);
        Ok(sightings)
    }

    /// Withdraws the sighting of footage `id` at `source_url` on `first_seen`: it is rewritten
    /// with `retraction`, never deleted, and the footage's first-seen date is recomputed from
    /// the sightings that still stand (it stays as it was when none does), in one synced batch.
    pub fn retract_sighting(
        &self,
        id: FootageId,
        first_seen: DateTime<Utc>,
        source_url: &str,
        retraction: Retraction,
    ) -> Result<(FootageRecord, Sighting), IndexError> {
        let _writer = self.lock_writes();
        let mut record = self.footage(id)?.ok_or(IndexError::UnknownFootage(id.0))?;
        let sightings = self.cf(schema::CF_SIGHTINGS);
        let key = schema::sighting_key_of(id, first_seen, source_url);
        let unknown = || IndexError::UnknownSighting {
            footage: id.0,
            source_url: source_url.to_owned(),
            first_seen: first_seen.to_rfc3339(),
        };
        let stored = self.db.get_pinned_cf(sightings, &key)?.ok_or_else(unknown)?;
        let mut sighting = schema::decode_sighting(&stored).map_err(corrupt(schema::CF_SIGHTINGS))?;
        retract_once("sighting", &mut sighting.retraction, retraction)?;
        let standing = self.standing_sightings(id)?;
        if let Some(earliest) =
            standing.iter().filter(|other| schema::sighting_key(id, other) != key).map(|other| other.first_seen).min()
        {
            record.first_seen = earliest;
        }
        let mut batch = WriteBatch::default();
        batch.put_cf(sightings, key, schema::encode_sighting(&sighting));
        batch.put_cf(self.cf(schema::CF_FOOTAGE), schema::footage_key(id), schema::encode_footage(&record));
        self.db.write_opt(batch, &write_options(Durability::Synced))?;
        Ok((record, sighting))
    }

    /// Attaches a review to footage `id`, in one atomic batch with the review count. Returns
    /// whether it was new: a review of the same article URL on the same footage is kept once.
    /// A review that arrives retracted (an import) retracts the standing copy already here, so
    /// that an import never drops a retraction.
    pub fn add_review(&self, id: FootageId, review: &Review, durability: Durability) -> Result<bool, IndexError> {
        let _writer = self.lock_writes();
        if self.footage(id)?.is_none() {
            return Err(IndexError::UnknownFootage(id.0));
        }
        let reviews = self.cf(schema::CF_REVIEWS);
        let key = schema::review_key(id, &review.url);
        if let Some(stored) = self.db.get_pinned_cf(reviews, &key)? {
            let mut stored = schema::decode_review(&stored).map_err(corrupt(schema::CF_REVIEWS))?;
            if let (None, Some(retraction)) = (&stored.retraction, &review.retraction) {
                stored.retraction = Some(retraction.clone());
                self.db.put_cf_opt(reviews, key, schema::encode_review(&stored), &write_options(durability))?;
            }
            return Ok(false);
        }
        if self.entries_of(schema::CF_REVIEWS, id).take(MAX_REVIEWS_A_FOOTAGE).count() == MAX_REVIEWS_A_FOOTAGE {
            return Err(IndexError::TooManyReviews { footage: id.0 });
        }
        let mut counters = self.counters()?;
        counters.reviews += 1;
        let mut batch = WriteBatch::default();
        batch.put_cf(reviews, key, schema::encode_review(review));
        batch.put_cf(self.cf(schema::CF_META), schema::META_COUNTERS, schema::encode_counters(&counters));
        self.db.write_opt(batch, &write_options(durability))?;
        Ok(true)
    }

    /// The entries of `column` filed under footage `id`, in key order: one prefix scan.
    fn entries_of(&self, column: &str, id: FootageId) -> rocksdb::DBIteratorWithThreadMode<'_, DB> {
        let prefix = schema::footage_key(id);
        let mut read = ReadOptions::default();
        read.set_iterate_range(PrefixRange(prefix));
        self.db.iterator_cf_opt(self.cf(column), read, IteratorMode::From(&prefix, Direction::Forward))
    }

    /// The entries of `column` under footage `id`, decoded from their keys and values, in key
    /// order, as they are read.
    fn decoded<T>(
        &self,
        column: &'static str,
        id: FootageId,
        decode: impl Fn(&[u8], &[u8]) -> Result<T, Undecodable>,
    ) -> impl Iterator<Item = Result<T, IndexError>> {
        self.entries_of(column, id).map(move |entry| {
            let (key, value) = entry?;
            decode(&key, &value).map_err(corrupt(column))
        })
    }

    /// Every review of a footage, retracted ones included, earliest published first.
    pub fn reviews(&self, id: FootageId) -> Result<Vec<Review>, IndexError> {
        let mut reviews: Vec<Review> =
            self.decoded(schema::CF_REVIEWS, id, |_, value| schema::decode_review(value)).collect::<Result<_, _>>()?;
        // Stored in URL order; read in the order a person wants them.
        reviews.sort_by(|a, b| (a.published, &a.url).cmp(&(b.published, &b.url)));
        Ok(reviews)
    }

    /// The reviews of a footage that lookups report, earliest published first.
    pub fn standing_reviews(&self, id: FootageId) -> Result<Vec<Review>, IndexError> {
        let mut reviews = self.reviews(id)?;
        reviews.retain(Review::stands);
        Ok(reviews)
    }

    /// Withdraws the review of the article `url` on footage `id`: rewritten with `retraction`,
    /// never deleted, synced before it returns.
    pub fn retract_review(&self, id: FootageId, url: &str, retraction: Retraction) -> Result<Review, IndexError> {
        let _writer = self.lock_writes();
        let reviews = self.cf(schema::CF_REVIEWS);
        let key = schema::review_key(id, url);
        let stored = self
            .db
            .get_pinned_cf(reviews, &key)?
            .ok_or_else(|| IndexError::UnknownReview { footage: id.0, url: url.to_owned() })?;
        let mut review = schema::decode_review(&stored).map_err(corrupt(schema::CF_REVIEWS))?;
        retract_once("review", &mut review.retraction, retraction)?;
        let mut batch = WriteBatch::default();
        batch.put_cf(reviews, key, schema::encode_review(&review));
        self.db.write_opt(batch, &write_options(Durability::Synced))?;
        Ok(review)
    }

    /// Every API key on record, revoked ones included, in name order.
    pub fn key_records(&self) -> Result<Vec<KeyRecord>, IndexError> {
        self.db
            .iterator_cf(self.cf(schema::CF_KEYS), IteratorMode::Start)
            .map(|entry| {
                let (_, value) = entry?;
                schema::decode_key_record(&value).map_err(corrupt(schema::CF_KEYS))
            })
            .collect()
    }

    /// Stores a new key; refused when its name is taken, revoked keys' names included.
    pub fn insert_key(&self, record: &KeyRecord) -> Result<(), IndexError> {
        self.put_key(record, false, Durability::Synced)
    }

    /// Replaces the record of an existing key (a revocation, or when it was last used).
    pub fn update_key(&self, record: &KeyRecord, durability: Durability) -> Result<(), IndexError> {
        self.put_key(record, true, durability)
    }

    fn put_key(&self, record: &KeyRecord, existing: bool, durability: Durability) -> Result<(), IndexError> {
        let _writer = self.lock_writes();
        let keys = self.cf(schema::CF_KEYS);
        let key = schema::key_record_key(&record.name);
        match (self.db.get_pinned_cf(keys, &key)?.is_some(), existing) {
            (true, false) => return Err(IndexError::KeyExists(record.name.clone())),
            (false, true) => return Err(IndexError::UnknownKey(record.name.clone())),
            _ => {}
        }
        let mut batch = WriteBatch::default();
        batch.put_cf(keys, key, schema::encode_key_record(record));
        self.db.write_opt(batch, &write_options(durability))?;
        Ok(())
    }

    /// Makes every write made so far durable, [`Durability::AtNextSync`] ones included.
    pub fn sync(&self) -> Result<(), IndexError> {
        Ok(self.db.flush_wal(true)?)
    }

    /// The index as one lookup searches it: no ingest lands while the view lives.
    pub fn search_view(&self) -> SearchView<'_> {
        // A panic while the table was being written is one `add` cut short; the lookups it
        // could affect are those of the footage whose ingest failed with it.
        SearchView::new(self.table.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    pub fn stats(&self) -> Result<IndexStats, IndexError> {
        let counters = self.counters()?;
        Ok(IndexStats {
            footage: counters.footage,
            sightings: counters.sightings,
            keyframes: counters.keyframes,
            indexed_keyframes: counters.indexed_keyframes,
            reviews: counters.reviews,
            disk_bytes: directory_size(&self.path),
        })
    }
}

fn column_family<'a>(db: &'a DB, name: &str) -> &'a ColumnFamily {
    db.cf_handle(name).expect("every column family is opened with the database")
}

fn check_schema(db: &DB, path: &Path) -> Result<(), IndexError> {
    let meta = column_family(db, schema::CF_META);
    if let Some(bytes) = db.get_cf(meta, schema::META_SCHEMA)? {
        let found: u32 = schema::decode_value(&bytes).map_err(corrupt(schema::CF_META))?;
        if !schema::READABLE_SCHEMA_VERSIONS.contains(&found) {
            return Err(IndexError::SchemaMismatch { path: path.to_owned(), found, expected: schema::SCHEMA_VERSION });
        }
        if found == schema::SCHEMA_VERSION {
            return Ok(());
        }
    }
    // New, or of a version this one reads as it is: from now on, what older builds cannot read
    // may be written, so they must refuse the store.
    let version = schema::encode_value(&schema::SCHEMA_VERSION);
    db.put_cf_opt(meta, schema::META_SCHEMA, version, &write_options(Durability::Synced))?;
    Ok(())
}

/// Two passes over the stored keyframes: the first counts what each bucket will hold so the
/// second allocates every bucket once, at its final size. Reading the store twice costs less
/// than the memory that growing buckets leave spare at ten million keyframes. The second pass
/// files what it reads in batches, each shared among the cores (see [`HammingTable::file`]).
fn rebuild_table(db: &DB) -> Result<HammingTable, IndexError> {
    let mut counts = BucketCounts::default();
    for_each_stored_keyframes(db, |_, keyframes| counts.add(keyframes))?;
    let mut table = HammingTable::with_capacity(&counts);
    let mut unfiled = Unfiled::default();
    for_each_stored_keyframes(db, |id, keyframes| {
        table.take_slots(id, keyframes, &mut unfiled);
        if unfiled.count() >= REBUILD_BATCH {
            table.file(&mut unfiled);
        }
    })?;
    table.file(&mut unfiled);
    Ok(table)
}

/// Hashes a rebuild reads before filing them: 16 MiB of them, 32 MiB reserved once the footage
/// that takes a batch past the mark has grown it, and few enough batches that starting the
/// filing threads for each costs nothing measurable.
const REBUILD_BATCH: usize = 1 << 20;

fn for_each_stored_keyframes(db: &DB, mut visit: impl FnMut(FootageId, &[Keyframe])) -> Result<(), IndexError> {
    let mut read = ReadOptions::default();
    read.fill_cache(false);
    read.set_readahead_size(4 << 20);
    let mut entries = db.raw_iterator_cf_opt(column_family(db, schema::CF_KEYFRAMES), read);
    entries.seek_to_first();
    while let (Some(key), Some(value)) = (entries.key(), entries.value()) {
        let id = schema::decode_footage_key(key).map_err(corrupt(schema::CF_KEYFRAMES))?;
        visit(id, &schema::decode_keyframes(value).map_err(corrupt(schema::CF_KEYFRAMES))?);
        entries.next();
    }
    Ok(entries.status()?)
}

fn write_options(durability: Durability) -> WriteOptions {
    let mut options = WriteOptions::default();
    options.set_sync(durability == Durability::Synced);
    options
}

/// Bytes of every file in the store's directory: SST files, WAL and manifests alike.
fn directory_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.metadata().ok())
                .filter(|metadata| metadata.is_file())
                .map(|metadata| metadata.len())
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::fingerprint::{PerceptualHash, ViewHashes};

    use crate::test_kit::sighting;

    /// A keyframe every half second, each met through one view only; a 0 is uninformative.
    fn fingerprint(hashes: &[u64]) -> Fingerprint {
        let views: Vec<ViewHashes> = hashes.iter().map(|&hash| ViewHashes::spread_from(hash)).collect();
        let mut fingerprint = crate::test_kit::fingerprint(&views);
        for (keyframe, &hash) in fingerprint.keyframes.iter_mut().zip(hashes) {
            keyframe.informative = hash != 0;
        }
        fingerprint
    }

    #[test]
    fn first_seen_is_the_minimum_whatever_the_order_and_sightings_are_recorded_once() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(dir.path()).unwrap();
        let footage = index
            .insert_footage(
                &fingerprint(&[1, 2, 3]),
                &sighting("https://a", "2023-09-20"),
                &[],
                &[],
                Durability::Synced,
            )
            .unwrap();
        let (record, new) =
            index.add_sighting(footage.id, &sighting("https://b", "2020-11-10"), Durability::Synced).unwrap();
        assert!(new);
        let (record_after_later, _) =
            index.add_sighting(footage.id, &sighting("https://c", "2021-05-05"), Durability::Synced).unwrap();
        let (_, repeated) =
            index.add_sighting(footage.id, &sighting("https://b", "2020-11-10"), Durability::Synced).unwrap();
        assert!(!repeated);
        assert_eq!(record.first_seen, sighting("", "2020-11-10").first_seen);
        assert_eq!(record_after_later.first_seen, record.first_seen);
        let urls: Vec<String> = index.sightings(footage.id).unwrap().into_iter().map(|s| s.source_url).collect();
        assert_eq!(urls, ["https://b", "https://c", "https://a"]);
        assert_eq!(index.stats().unwrap().sightings, 3);
    }

    #[test]
    fn a_retracted_sighting_stays_on_record_and_no_longer_sets_the_first_seen_date() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(dir.path()).unwrap();
        let original = sighting("https://original", "2020-11-10");
        let footage = index.insert_footage(&fingerprint(&[1, 2, 3]), &original, &[], &[], Durability::Synced).unwrap();
        let forged = sighting("https://forged", "2001-01-01");
        let (record, _) = index.add_sighting(footage.id, &forged, Durability::Synced).unwrap();
        assert_eq!(record.first_seen, forged.first_seen);

        let retraction = Retraction { retracted_by: "admin".into(), retracted_at: Utc::now(), reason: "forged".into() };
        let (record, retracted) =
            index.retract_sighting(footage.id, forged.first_seen, &forged.source_url, retraction.clone()).unwrap();
        assert_eq!(record.first_seen, original.first_seen);
        assert_eq!(retracted.retraction.as_ref(), Some(&retraction));
        assert_eq!(index.sightings(footage.id).unwrap().len(), 2, "never deleted");
        let standing: Vec<String> =
            index.standing_sightings(footage.id).unwrap().into_iter().map(|s| s.source_url).collect();
        assert_eq!(standing, std::slice::from_ref(&original.source_url));
        let again = index.retract_sighting(footage.id, forged.first_seen, &forged.source_url, retraction);
        assert!(matches!(again, Err(IndexError::AlreadyRetracted { .. })), "{again:?}");

        // Re-ingesting the forged sighting does not bring it back, nor its date.
        let (record, new) = index.add_sighting(footage.id, &forged, Durability::Synced).unwrap();
        assert!(!new);
        assert_eq!(record.first_seen, original.first_seen);
        let later = sighting("https://later", "2023-09-20");
        let (record, _) = index.add_sighting(footage.id, &later, Durability::Synced).unwrap();
        assert_eq!(record.first_seen, original.first_seen);
    }

    #[test]
    fn reviews_are_kept_once_per_article_read_by_date_and_retracted_without_being_lost() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(dir.path()).unwrap();
        let footage = index
            .insert_footage(
                &fingerprint(&[1, 2, 3]),
                &sighting("https://a", "2020-11-10"),
                &[],
                &[],
                Durability::Synced,
            )
            .unwrap();
        let review = |url: &str, published: &str| Review {
            url: url.into(),
            published: sighting("", published).first_seen,
            rating: "Misleading".into(),
            ..Review::default()
        };
        let later = review("https://a-checker.example/later", "2024-01-02");
        let first = review("https://z-checker.example/first", "2023-09-25");
        assert!(index.add_review(footage.id, &later, Durability::Synced).unwrap());
        assert!(index.add_review(footage.id, &first, Durability::Synced).unwrap());
        assert!(!index.add_review(footage.id, &first, Durability::Synced).unwrap(), "same article, once");
        let urls = |reviews: Vec<Review>| reviews.into_iter().map(|review| review.url).collect::<Vec<_>>();
        assert_eq!(urls(index.reviews(footage.id).unwrap()), [first.url.clone(), later.url.clone()]);
        assert_eq!(index.stats().unwrap().reviews, 2);
        assert!(matches!(
            index.add_review(FootageId(99), &first, Durability::Synced),
            Err(IndexError::UnknownFootage(99))
        ));

        let retraction = Retraction { retracted_by: "admin".into(), retracted_at: Utc::now(), reason: "wrong".into() };
        index.retract_review(footage.id, &first.url, retraction.clone()).unwrap();
        assert_eq!(urls(index.standing_reviews(footage.id).unwrap()), std::slice::from_ref(&later.url));
        assert_eq!(index.reviews(footage.id).unwrap().len(), 2, "never deleted");
        let again = index.retract_review(footage.id, &first.url, retraction.clone());
        assert!(matches!(again, Err(IndexError::AlreadyRetracted { what: "review", .. })), "{again:?}");
        let unknown = index.retract_review(footage.id, "https://nowhere", retraction.clone());
        assert!(matches!(unknown, Err(IndexError::UnknownReview { .. })), "{unknown:?}");

        // An import of the same review, retracted elsewhere, retracts it here too.
        let retracted_elsewhere = Review { retraction: Some(retraction), ..later.clone() };
        assert!(!index.add_review(footage.id, &retracted_elsewhere, Durability::Synced).unwrap());
        assert!(index.standing_reviews(footage.id).unwrap().is_empty());
        assert_eq!(index.stats().unwrap().reviews, 2, "nothing new was counted");
    }

    #[test]
    fn a_footage_keeps_a_bounded_number_of_reviews() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(dir.path()).unwrap();
        let footage = index
            .insert_footage(
                &fingerprint(&[1, 2, 3]),
                &sighting("https://a", "2020-11-10"),
                &[],
                &[],
                Durability::Synced,
            )
            .unwrap();
        let review = |n: usize| Review { url: format!("https://checker.example/{n}"), ..Review::default() };
        for n in 0..MAX_REVIEWS_A_FOOTAGE {
            assert!(index.add_review(footage.id, &review(n), Durability::AtNextSync).unwrap());
        }
        let over = index.add_review(footage.id, &review(MAX_REVIEWS_A_FOOTAGE), Durability::Synced);
        assert!(matches!(over, Err(IndexError::TooManyReviews { .. })), "{over:?}");
        assert!(!index.add_review(footage.id, &review(0), Durability::Synced).unwrap(), "a known one is still fine");
    }

    #[test]
    fn new_footage_is_linked_from_both_sides_in_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(dir.path()).unwrap();
        let original = index
            .insert_footage(
                &fingerprint(&[1, 2, 3, 4]),
                &sighting("https://a", "2020-11-10"),
                &[],
                &[],
                Durability::Synced,
            )
            .unwrap();
        let stretch = |start_ms, end_ms| crate::time::Segment { start_ms, end_ms };
        let to_original = Link {
            footage: FootageId(0),
            segment: stretch(0, 1_000),
            linked: original.id,
            linked_segment: stretch(500, 1_500),
            speed: 1.0,
        };
        let insert_excerpt = |views: &[u64], url: &str| {
            index
                .insert_footage(
                    &fingerprint(views),
                    &sighting(url, "2023-09-20"),
                    &[],
                    &[to_original],
                    Durability::Synced,
                )
                .unwrap()
        };
        let excerpt = insert_excerpt(&[5, 6], "https://b");
        let from_excerpt = Link { footage: excerpt.id, ..to_original };
        assert_eq!(index.links(excerpt.id, 8).unwrap(), vec![from_excerpt]);
        assert_eq!(index.links(original.id, 8).unwrap(), vec![from_excerpt.reversed()]);
        assert_eq!(from_excerpt.reversed().reversed(), from_excerpt);
        // A second excerpt: the original has two links, of which a bounded read returns the first.
        insert_excerpt(&[7, 8], "https://c");
        assert_eq!(index.links(original.id, 8).unwrap().len(), 2);
        assert_eq!(index.links(original.id, 1).unwrap(), vec![from_excerpt.reversed()]);
    }

    #[test]
    fn search_finds_everything_within_the_radius_and_nothing_uninformative() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(dir.path()).unwrap();
        let base: u64 = 0x0123_4567_89ab_cdef;
        let near = base ^ 0x0003_0003_0003_0000; // 6 bits, spread over three chunks
        let far = base ^ 0x00ff_00ff_0000_0000; // 16 bits
        let stored = fingerprint(&[near, far, 0]);
        let id = index
            .insert_footage(&stored, &sighting("https://a", "2020-01-01"), &[], &[], Durability::Synced)
            .unwrap()
            .id;
        let mut found = Vec::new();
        index.search_view().searcher().search(PerceptualHash(base), 8, &mut found);
        assert_eq!(found, vec![Hit { footage: id, time_ms: 0, distance: 6 }]);
        found.clear();
        index.search_view().searcher().search(PerceptualHash(0), 8, &mut found);
        assert!(found.is_empty(), "uninformative keyframes are not searchable");
        assert_eq!(index.keyframes(id).unwrap().unwrap(), stored.keyframes);
    }

    #[test]
    fn a_reopened_index_keeps_its_data_and_search_table_and_refuses_another_schema() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210);
        {
            let index = Index::open(dir.path()).unwrap();
            index
                .insert_footage(
                    &fingerprint(&[first]),
                    &sighting("https://a", "2020-01-01"),
                    &[],
                    &[],
                    Durability::Synced,
                )
                .unwrap();
            index
                .insert_footage(
                    &fingerprint(&[0, second]),
                    &sighting("https://b", "2021-01-01"),
                    &[],
                    &[],
                    Durability::AtNextSync,
                )
                .unwrap();
            index.sync().unwrap();
        }
        let index = Index::open(dir.path()).unwrap();
        assert_eq!(index.stats().unwrap().footage, 2);
        assert_eq!(index.links(FootageId(1), 8).unwrap(), Vec::new());
        let mut found = Vec::new();
        index.search_view().searcher().search(PerceptualHash(second ^ 1), 7, &mut found);
        assert_eq!(found, vec![Hit { footage: FootageId(2), time_ms: 500, distance: 1 }]);
        let meta = index.cf(schema::CF_META);
        index.db.put_cf(meta, schema::META_SCHEMA, schema::encode_value(&99u32)).unwrap();
        drop(index);
        let refused = Index::open(dir.path()).err().expect("schema 99 is refused");
        assert!(refused.to_string().contains("schema version 99"), "{refused}");
    }
}
