//! Engine: the index and the matcher behind one front door, for the service.
//!
//! The one decision that needs both lives here: whether an ingested video is footage the index
//! already holds (then it only gains a sighting) or new footage. It is decided by looking the
//! video up first, after a prescreen of a few keyframes that tells most new videos apart for a
//! fraction of a lookup's cost. A lock makes look-up-then-write one step, so two uploads of the
//! same footage at the same moment cannot both create it.
//!
//! The engine also joins what the index knows *about* footage to the evidence matching found:
//! each matched footage's standing sightings and fact-checks ([`Review`]s), into a [`Report`].

mod report;

pub use report::{Match, Report, Verdict};

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::fingerprint::Fingerprint;
use crate::index::{
    Durability, FootageId, FootageRecord, Index, IndexError, IndexStats, KeyRecord, Retraction, Review, Sighting,
};
use crate::matching::{Evidence, Matcher, Segment};
use crate::media::Thumbnail;

/// Share of both videos' durations a match must cover for them to be the same footage rather
/// than one containing the other.
const SAME_FOOTAGE_COVERAGE: f64 = 0.9;

/// One video to ingest: its fingerprint, the sighting, its thumbnails when the picture was at
/// hand (none for footage sent as bare hashes), and fact-checks to attach to its footage (an
/// import's).
#[derive(Clone, Debug)]
pub struct IngestItem {
    pub fingerprint: Fingerprint,
    pub sighting: Sighting,
    pub thumbnails: Vec<Thumbnail>,
    pub reviews: Vec<Review>,
}

/// What an ingest did.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestOutcome {
    pub footage: FootageRecord,
    pub new_footage: bool,
    pub new_sighting: bool,
    pub keyframes: u32,
    /// Reviews the item carried that the footage did not have yet.
    pub new_reviews: u32,
}

/// Everything on record about one footage: what a person opening it reads.
#[derive(Clone, Debug, PartialEq)]
pub struct FootageDetails {
    pub record: FootageRecord,
    /// Earliest first, retracted ones included.
    pub sightings: Vec<Sighting>,
    /// Earliest published first, retracted ones included.
    pub reviews: Vec<Review>,
}

pub struct Engine {
    index: Index,
    matcher: Matcher,
    ingest_lock: Mutex<()>,
}

impl Engine {
    pub fn open(dir: &Path, matcher: Matcher) -> Result<Engine, IndexError> {
        Ok(Engine { index: Index::open(dir)?, matcher, ingest_lock: Mutex::new(()) })
    }

    /// Adds a sighting of `fingerprint`'s footage, creating the footage if it is new; on disk
    /// when it returns.
    pub fn ingest(&self, item: &IngestItem) -> Result<IngestOutcome, IndexError> {
        self.ingest_one(item, Durability::Synced)
    }

    /// Ingests each item in turn as [`Engine::ingest`] does, with one disk sync for them all:
    /// a bulk load pays for an fsync per group, not per footage. Each item sees the ones before
    /// it, so duplicates within the group become sightings. Nothing is reported before the sync.
    pub fn ingest_group(&self, items: &[IngestItem]) -> Result<Vec<IngestOutcome>, IndexError> {
        let outcomes =
            items.iter().map(|item| self.ingest_one(item, Durability::AtNextSync)).collect::<Result<Vec<_>, _>>()?;
        self.index.sync()?;
        Ok(outcomes)
    }

    fn ingest_one(&self, item: &IngestItem, durability: Durability) -> Result<IngestOutcome, IndexError> {
        let IngestItem { fingerprint, sighting, thumbnails, reviews } = item;
        let _one_ingest_at_a_time = self.ingest_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let keyframes = fingerprint.keyframes.len() as u32;
        let (footage, new_footage, new_sighting) = match self.known_footage(fingerprint)? {
            Some(same) => {
                let (footage, new_sighting) = self.index.add_sighting(same, sighting, durability)?;
                (footage, false, new_sighting)
            }
            // Thumbnails are stored with new footage only: known footage keeps the pictures it has.
            None => (self.index.insert_footage(fingerprint, sighting, thumbnails, durability)?, true, true),
        };
        let mut new_reviews = 0;
        for review in reviews {
            new_reviews += u32::from(self.index.add_review(footage.id, review, durability)?);
        }
        Ok(IngestOutcome { footage, new_footage, new_sighting, keyframes, new_reviews })
    }

    /// The indexed footage `fingerprint` is a copy of, if any. Most ingested videos are new, and
    /// the prescreen tells so from a few keyframes without the full lookup.
    fn known_footage(&self, fingerprint: &Fingerprint) -> Result<Option<FootageId>, IndexError> {
        if !self.matcher.may_be_indexed(&self.index, fingerprint)? {
            return Ok(None);
        }
        let report = self.report(fingerprint, None)?;
        Ok(report.matches.iter().find(|found| is_same_footage(&found.evidence, fingerprint)).map(Match::footage))
    }

    /// What `fingerprint` contains, with the standing fact-checks of each matched footage.
    pub fn lookup(&self, fingerprint: &Fingerprint, claimed: Option<DateTime<Utc>>) -> Result<Report, IndexError> {
        let mut report = self.report(fingerprint, claimed)?;
        for found in &mut report.matches {
            found.reviews = self.index.standing_reviews(found.footage())?;
        }
        Ok(report)
    }

    /// The evidence matching found, each with its footage's standing sightings, earliest first.
    fn report(&self, fingerprint: &Fingerprint, claimed: Option<DateTime<Utc>>) -> Result<Report, IndexError> {
        let mut matches = Vec::new();
        for evidence in self.matcher.lookup(&self.index, fingerprint)? {
            // Retracted sightings are never reported; footage with none standing is not a match.
            let sightings = self.index.standing_sightings(evidence.footage)?;
            if !sightings.is_empty() {
                matches.push(Match { evidence, sightings, reviews: Vec::new() });
            }
        }
        Ok(Report::new(
            matches,
            claimed,
            fingerprint.duration_ms,
            fingerprint.keyframes.len() as u32,
            fingerprint.informative_keyframes().count() as u32,
        ))
    }

    /// The footage with all its sightings and reviews.
    pub fn footage(&self, id: FootageId) -> Result<FootageDetails, IndexError> {
        let record = self.index.footage(id)?.ok_or(IndexError::UnknownFootage(id.0))?;
        self.details(record)
    }

    fn details(&self, record: FootageRecord) -> Result<FootageDetails, IndexError> {
        Ok(FootageDetails {
            sightings: self.index.sightings(record.id)?,
            reviews: self.index.reviews(record.id)?,
            record,
        })
    }

    /// Up to `limit` footage after `after`, in id order, with fingerprints, sightings and reviews.
    pub fn export_page(
        &self,
        after: FootageId,
        limit: usize,
    ) -> Result<Vec<(FootageDetails, Fingerprint)>, IndexError> {
        self.index
            .footage_page(after, limit)?
            .into_iter()
            .map(|(record, keyframes)| {
                let fingerprint = Fingerprint { duration_ms: record.duration_ms, keyframes };
                Ok((self.details(record)?, fingerprint))
            })
            .collect()
    }

    /// Attaches fact-checks to footage `id`; returns how many were new (one review an article
    /// URL) and the footage as it then stands.
    pub fn add_reviews(&self, id: FootageId, reviews: &[Review]) -> Result<(usize, FootageDetails), IndexError> {
        // One sync for them all, made before anything is acknowledged, even when one is refused
        // part-way (the ones before it are written, and must not wait for someone else's sync).
        let added: Result<Vec<bool>, IndexError> =
            reviews.iter().map(|review| self.index.add_review(id, review, Durability::AtNextSync)).collect();
        self.index.sync()?;
        let new = added?.into_iter().filter(|&new| new).count();
        Ok((new, self.footage(id)?))
    }

    /// Withdraws a fact-check, keeping it on record (see [`Index::retract_review`]).
    pub fn retract_review(
        &self,
        id: FootageId,
        url: &str,
        retraction: Retraction,
    ) -> Result<FootageDetails, IndexError> {
        self.index.retract_review(id, url, retraction)?;
        self.footage(id)
    }

    pub fn stats(&self) -> Result<IndexStats, IndexError> {
        self.index.stats()
    }

    /// Withdraws a sighting, keeping it on record (see [`Index::retract_sighting`]), and returns
    /// the footage as it now stands.
    pub fn retract_sighting(
        &self,
        id: FootageId,
        first_seen: DateTime<Utc>,
        source_url: &str,
        retraction: Retraction,
    ) -> Result<FootageDetails, IndexError> {
        // Under the ingest lock, so that no ingest decides on a first-seen date mid-retraction.
        let _one_write_at_a_time = self.ingest_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (record, _) = self.index.retract_sighting(id, first_seen, source_url, retraction)?;
        self.details(record)
    }

    /// Times of the footage's stored thumbnails.
    pub fn thumbnail_times(&self, id: FootageId) -> Result<Vec<u32>, IndexError> {
        self.index.thumbnail_times(id)
    }

    pub fn thumbnail(&self, id: FootageId, time_ms: u32) -> Result<Option<Vec<u8>>, IndexError> {
        self.index.thumbnail(id, time_ms)
    }

    pub fn key_records(&self) -> Result<Vec<KeyRecord>, IndexError> {
        self.index.key_records()
    }

    pub fn insert_key(&self, record: &KeyRecord) -> Result<(), IndexError> {
        self.index.insert_key(record)
    }

    pub fn update_key(&self, record: &KeyRecord, durability: Durability) -> Result<(), IndexError> {
        self.index.update_key(record, durability)
    }
}

/// Same footage: the match spans nearly all of the new video and of the indexed one. A trimmed
/// excerpt or a compilation is different footage that merely overlaps.
fn is_same_footage(found: &Evidence, fingerprint: &Fingerprint) -> bool {
    let covers = |segment: Segment, duration_ms: u32| {
        f64::from(segment.duration_ms()) >= SAME_FOOTAGE_COVERAGE * f64::from(duration_ms)
    };
    covers(found.query_segment, fingerprint.duration_ms) && covers(found.reference_segment, found.footage_duration_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::Orientation;

    #[test]
    fn the_same_footage_covers_nine_tenths_of_both_videos() {
        let evidence = |query: (u32, u32), reference: (u32, u32), footage_duration_ms: u32| Evidence {
            footage: FootageId(1),
            footage_duration_ms,
            score: 1.0,
            matched_keyframes: 20,
            speed: 1.0,
            orientation: Orientation::Upright,
            query_segment: Segment { start_ms: query.0, end_ms: query.1 },
            reference_segment: Segment { start_ms: reference.0, end_ms: reference.1 },
        };
        let video = |duration_ms: u32| Fingerprint { duration_ms, keyframes: Vec::new() };
        assert!(is_same_footage(&evidence((0, 9_500), (200, 9_700), 10_000), &video(10_000)), "a re-encode");
        assert!(!is_same_footage(&evidence((0, 5_000), (2_000, 7_000), 10_000), &video(5_000)), "an excerpt");
        assert!(!is_same_footage(&evidence((0, 10_000), (0, 10_000), 10_000), &video(20_000)), "a compilation");
        assert!(!is_same_footage(&evidence((0, 8_900), (0, 8_900), 10_000), &video(10_000)), "just short of it");
    }
}
