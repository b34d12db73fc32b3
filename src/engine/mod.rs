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

mod links;
mod report;

pub use report::{Match, Report, Verdict};

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::fingerprint::Fingerprint;
use crate::index::{
    Durability, FootageId, FootageRecord, Index, IndexError, IndexStats, KeyRecord, Link, Retraction, Review, Sighting,
};
use crate::matching::{Evidence, Matcher, References};
use crate::media::Thumbnail;
use crate::time::Segment;

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
            Known::Same(same) => {
                let (footage, new_sighting) = self.index.add_sighting(same, sighting, durability)?;
                (footage, false, new_sighting)
            }
            // Thumbnails are stored with new footage only: known footage keeps the pictures it has.
            Known::Overlapping(contained) => {
                let links: Vec<Link> = contained.iter().map(links::link_to).collect();
                (self.index.insert_footage(fingerprint, sighting, thumbnails, &links, durability)?, true, true)
            }
        };
        let mut new_reviews = 0;
        for review in reviews {
            new_reviews += u32::from(self.index.add_review(footage.id, review, durability)?);
        }
        Ok(IngestOutcome { footage, new_footage, new_sighting, keyframes, new_reviews })
    }

    /// What the index holds of `fingerprint`'s pictures. Most ingested videos are new, and the
    /// prescreen tells so from a few keyframes without the full lookup.
    fn known_footage(&self, fingerprint: &Fingerprint) -> Result<Known, IndexError> {
        if !self.matcher.may_be_indexed(&self.index, fingerprint)? {
            return Ok(Known::Overlapping(Vec::new()));
        }
        // Only the pictures' own evidence: a link is recorded where they met, never inferred.
        let met: Vec<Evidence> = self
            .report(fingerprint, None)?
            .matches
            .into_iter()
            .filter(|found| found.traced_through.is_none())
            .map(|found| found.evidence)
            .collect();
        Ok(match met.iter().find(|evidence| is_same_footage(evidence, fingerprint)) {
            Some(same) => Known::Same(same.footage),
            None => Known::Overlapping(met),
        })
    }

    /// What `fingerprint` contains, with the standing fact-checks of each matched footage.
    pub fn lookup(&self, fingerprint: &Fingerprint, claimed: Option<DateTime<Utc>>) -> Result<Report, IndexError> {
        let mut report = self.report(fingerprint, claimed)?;
        for found in &mut report.matches {
            found.reviews = self.index.standing_reviews(found.footage())?;
        }
        Ok(report)
    }

    /// The evidence matching found and the footage its links lead to, each with its footage's
    /// standing sightings, earliest first.
    fn report(&self, fingerprint: &Fingerprint, claimed: Option<DateTime<Utc>>) -> Result<Report, IndexError> {
        let mut matches = Vec::new();
        let mut met = self.matcher.lookup(&self.index, fingerprint)?;
        // Best first, so that footage reached through two links is traced through the better.
        met.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.footage.cmp(&b.footage)));
        let traced = links::trace(
            &met,
            |footage| self.index.links(footage, links::MAX_READ),
            |footage| References::duration_ms(&self.index, footage),
        )?;
        let met = met.into_iter().map(|evidence| (evidence, None));
        let traced = traced.into_iter().map(|(evidence, through)| (evidence, Some(through)));
        for (evidence, traced_through) in met.chain(traced) {
            // Retracted sightings are never reported; footage with none standing is not a match.
            let sightings = self.index.standing_sightings(evidence.footage)?;
            if !sightings.is_empty() {
                matches.push(Match { evidence, traced_through, sightings, reviews: Vec::new() });
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

/// What the index holds of an ingested video's pictures.
enum Known {
    /// The footage it is a copy of.
    Same(FootageId),
    /// The footage it shares stretches with (an excerpt of each, or a compilation holding
    /// them), none of which it is: possibly none at all.
    Overlapping(Vec<Evidence>),
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
    use crate::fingerprint::{Orientation, RegionHashes, ViewHashes};
    use crate::test_kit::{fingerprint, random_views, sighting};

    /// Pictures of their own, but for the whole upright picture, which is `whole`.
    fn with_whole(whole: crate::fingerprint::PerceptualHash, rng: &mut fastrand::Rng) -> ViewHashes {
        let own = random_views(rng);
        ViewHashes { upright: RegionHashes { whole, ..own.upright }, ..own }
    }

    #[test]
    fn a_copy_of_an_indexed_excerpt_is_traced_to_the_original_through_their_link() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path(), Matcher::default()).unwrap();
        let mut rng = fastrand::Rng::with_seed(11);
        let item = |views: &[ViewHashes], url: &str, day: &str| IngestItem {
            fingerprint: fingerprint(views),
            sighting: sighting(url, day),
            thumbnails: Vec::new(),
            reviews: Vec::new(),
        };
        // Twenty seconds of original footage.
        let original: Vec<ViewHashes> = (0..40).map(|_| random_views(&mut rng)).collect();
        let first = engine.ingest(&item(&original, "https://example.org/original", "2020-11-10")).unwrap();
        // Its seconds 5–15, re-uploaded: the whole pictures are the original's, their centres
        // (what a caption or a crop changes) the re-uploader's own.
        let excerpt: Vec<ViewHashes> =
            original[10..30].iter().map(|views| with_whole(views.upright.whole, &mut rng)).collect();
        let second = engine.ingest(&item(&excerpt, "https://example.org/excerpt", "2023-09-20")).unwrap();
        assert!(second.new_footage, "an excerpt is footage of its own");
        let link = Link {
            footage: second.footage.id,
            segment: Segment { start_ms: 0, end_ms: 10_000 },
            linked: first.footage.id,
            linked_segment: Segment { start_ms: 5_000, end_ms: 15_000 },
            speed: 1.0,
        };
        assert_eq!(engine.index.links(second.footage.id, links::MAX_READ).unwrap(), vec![link]);

        // A copy of the excerpt's seconds 2–8 that meets only the excerpt's own pictures.
        let copy: Vec<ViewHashes> =
            excerpt[4..16].iter().map(|views| with_whole(views.upright.centre, &mut rng)).collect();
        let report = engine.lookup(&fingerprint(&copy), None).unwrap();
        let [original_match, excerpt_match] = report.matches.as_slice() else { panic!("{:?}", report.matches) };
        assert_eq!((excerpt_match.footage(), excerpt_match.traced_through), (second.footage.id, None));
        assert_eq!(
            (original_match.footage(), original_match.traced_through),
            (first.footage.id, Some(second.footage.id))
        );
        assert_eq!(original_match.earliest().source_url, "https://example.org/original");
        assert_eq!(original_match.evidence.query_segment, Segment { start_ms: 0, end_ms: 6_000 });
        assert_eq!(original_match.evidence.reference_segment, Segment { start_ms: 7_000, end_ms: 13_000 });

        // Its pictures alone lead to the excerpt's later date only.
        let met = engine.matcher.lookup(&engine.index, &fingerprint(&copy)).unwrap();
        assert_eq!(met.iter().map(|evidence| evidence.footage).collect::<Vec<_>>(), [second.footage.id]);
    }

    #[test]
    fn the_same_footage_covers_nine_tenths_of_both_videos() {
        let evidence = |query: (u32, u32), reference: (u32, u32), footage_duration_ms: u32| Evidence {
            footage: FootageId(1),
            footage_duration_ms,
            score: 1.0,
            matched_keyframes: 20,
            speed: 1.0,
            orientation: Orientation::Upright,
            cropped: false,
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
