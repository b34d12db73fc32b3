//! What the index stores about footage, as the rest of the program sees it.

use chrono::{DateTime, Utc};

use crate::time::Segment;

/// Identifies one distinct piece of footage in the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FootageId(pub u64);

/// That a stretch of one footage shows a stretch of another: an excerpt re-uploaded with its
/// own edits, a piece of a compilation. Found when the later of the two was ingested and
/// matched the other without being the same footage, and kept so that a copy of either leads
/// to both. Read from the side of `footage`; the index keeps it from both sides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    pub footage: FootageId,
    pub segment: Segment,
    pub linked: FootageId,
    pub linked_segment: Segment,
    /// How fast `footage` plays `linked`: 0.8 when the stretch is `linked` slowed down.
    pub speed: f64,
}

impl Link {
    /// The same link read from the other side.
    pub fn reversed(&self) -> Link {
        Link {
            footage: self.linked,
            segment: self.linked_segment,
            linked: self.footage,
            linked_segment: self.segment,
            speed: 1.0 / self.speed,
        }
    }
}

/// One place and time footage was seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sighting {
    pub source_url: String,
    pub first_seen: DateTime<Utc>,
    pub title: String,
    pub publisher: String,
    /// When the sighting was first recorded (by this index, or by the one it was imported from).
    pub ingested_at: DateTime<Utc>,
    /// The name of the API key that recorded it; empty for sightings recorded before keys were.
    pub recorded_by: String,
    /// The name of the key that imported it from another index's export; empty when it was
    /// recorded here.
    pub imported_by: String,
    /// Set when an admin withdrew it: it stays on record but no lookup reports it.
    pub retraction: Option<Retraction>,
    /// An archived copy of the post (a web-archive snapshot); empty when none was given.
    pub archive_url: String,
}

impl Sighting {
    /// Whether lookups count this sighting: it has not been retracted.
    pub fn stands(&self) -> bool {
        self.retraction.is_none()
    }

    pub fn provenance_mut(&mut self) -> ProvenanceMut<'_> {
        ProvenanceMut {
            recorded_by: &mut self.recorded_by,
            recorded_at: &mut self.ingested_at,
            imported_by: &mut self.imported_by,
            retraction: &mut self.retraction,
        }
    }
}

/// Who put a sighting or a review in the index and when, who imported it, and whether it was
/// withdrawn: the fields the two share, for the one rule that stamps them.
pub struct ProvenanceMut<'a> {
    pub recorded_by: &'a mut String,
    pub recorded_at: &'a mut DateTime<Utc>,
    pub imported_by: &'a mut String,
    pub retraction: &'a mut Option<Retraction>,
}

/// A fact-check of a claim made with the footage, as schema.org's `ClaimReview` describes one.
/// A footage has any number; its article URL identifies one on its footage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Review {
    /// The claim as made, who made it, where (a URL), when, and in which language (BCP 47).
    pub claim: String,
    pub claimant: String,
    pub claim_url: String,
    pub claim_date: Option<DateTime<Utc>>,
    pub language: String,
    /// The fact-checking organisation and its site.
    pub reviewer: String,
    pub reviewer_url: String,
    /// The rating as published: "False", "Misleading", "Old footage".
    pub rating: String,
    pub numeric_rating: Option<NumericRating>,
    /// The fact-check article and when it was published.
    pub url: String,
    pub published: DateTime<Utc>,
    /// Provenance, as a sighting's: the recording key, when, who imported it, its retraction.
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub imported_by: String,
    pub retraction: Option<Retraction>,
}

impl Review {
    /// Whether lookups report this review: it has not been retracted.
    pub fn stands(&self) -> bool {
        self.retraction.is_none()
    }

    pub fn provenance_mut(&mut self) -> ProvenanceMut<'_> {
        ProvenanceMut {
            recorded_by: &mut self.recorded_by,
            recorded_at: &mut self.recorded_at,
            imported_by: &mut self.imported_by,
            retraction: &mut self.retraction,
        }
    }
}

/// A rating on the fact-checker's own numeric scale, e.g. 1 of 1–5.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NumericRating {
    pub value: f64,
    pub worst: f64,
    pub best: f64,
}

/// Who withdrew a sighting or a review, when, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retraction {
    pub retracted_by: String,
    pub retracted_at: DateTime<Utc>,
    pub reason: String,
}

/// What an API key may do; each role may do everything the one before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Lookups, footage and statistics.
    Reader,
    /// A reader that may also add footage and sightings.
    Contributor,
    /// Everything: export, keys, retraction.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Reader, Role::Contributor, Role::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Contributor => "contributor",
            Role::Admin => "admin",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }
}

/// An API key as the index keeps it: never the key itself, only its digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    /// Unique; what sightings name as `recorded_by`.
    pub name: String,
    pub role: Role,
    /// BLAKE3 of the key.
    pub digest: [u8; 32],
    pub created_at: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The footage entry itself; its sightings and keyframes are stored beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FootageRecord {
    pub id: FootageId,
    pub duration_ms: u32,
    pub keyframes: u32,
    /// The earliest `first_seen` over all the footage's sightings.
    pub first_seen: DateTime<Utc>,
}

/// A hit: an indexed keyframe within the search radius of a query hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    pub footage: FootageId,
    pub time_ms: u32,
    pub distance: u32,
}

/// Totals over the whole index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexStats {
    pub footage: u64,
    pub sightings: u64,
    pub keyframes: u64,
    /// Informative keyframes: the ones the Hamming search can reach.
    pub indexed_keyframes: u64,
    /// Reviews on record, retracted ones included.
    pub reviews: u64,
    pub disk_bytes: u64,
}
