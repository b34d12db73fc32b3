//! Engine: the index and the matcher behind one front door, for the service.
//!
//! The one decision that needs both lives here: whether an ingested video is footage the index
//! already holds (then it only gains a sighting) or new footage. It is decided by looking the
//! video up first; a lock makes look-up-then-write one step, so two uploads of the same footage
//! at the same moment cannot both create it.

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::fingerprint::Fingerprint;
use crate::index::{FootageId, FootageRecord, Index, IndexError, IndexStats, Sighting};
use crate::matching::{Match, Matcher, Report};

/// Share of both videos' durations a match must cover for them to be the same footage rather
/// than one containing the other.
const SAME_FOOTAGE_COVERAGE: f64 = 0.9;

/// What an ingest did.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestOutcome {
    pub footage: FootageRecord,
    pub new_footage: bool,
    pub new_sighting: bool,
    pub keyframes: u32,
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

    /// Adds a sighting of `fingerprint`'s footage, creating the footage if it is new.
    pub fn ingest(&self, fingerprint: &Fingerprint, sighting: &Sighting) -> Result<IngestOutcome, IndexError> {
        let _one_ingest_at_a_time = self.ingest_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let report = self.matcher.lookup(&self.index, fingerprint, None)?;
        let keyframes = fingerprint.keyframes.len() as u32;
        for found in &report.matches {
            if self.is_same_footage(found, fingerprint)? {
                let (footage, new_sighting) = self.index.add_sighting(found.footage, sighting)?;
                return Ok(IngestOutcome { footage, new_footage: false, new_sighting, keyframes });
            }
        }
        let footage = self.index.insert_footage(fingerprint, sighting)?;
        Ok(IngestOutcome { footage, new_footage: true, new_sighting: true, keyframes })
    }

    /// Same footage: the match spans nearly all of the new video and of the indexed one. A
    /// trimmed excerpt or a compilation is different footage that merely overlaps.
    fn is_same_footage(&self, found: &Match, fingerprint: &Fingerprint) -> Result<bool, IndexError> {
        let Some(record) = self.index.footage(found.footage)? else { return Ok(false) };
        let covers =
            |segment_ms: u32, duration_ms: u32| f64::from(segment_ms) >= SAME_FOOTAGE_COVERAGE * f64::from(duration_ms);
        let query = found.query_segment;
        let reference = found.reference_segment;
        Ok(covers(query.end_ms - query.start_ms, fingerprint.duration_ms)
            && covers(reference.end_ms - reference.start_ms, record.duration_ms))
    }

    pub fn lookup(&self, fingerprint: &Fingerprint, claimed: Option<DateTime<Utc>>) -> Result<Report, IndexError> {
        self.matcher.lookup(&self.index, fingerprint, claimed)
    }

    /// The footage and all its sightings, earliest first.
    pub fn footage(&self, id: FootageId) -> Result<Option<(FootageRecord, Vec<Sighting>)>, IndexError> {
        match self.index.footage(id)? {
            Some(record) => Ok(Some((record, self.index.sightings(id)?))),
            None => Ok(None),
        }
    }

    pub fn stats(&self) -> Result<IndexStats, IndexError> {
        self.index.stats()
    }
}
