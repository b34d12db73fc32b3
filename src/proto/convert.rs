//! Domain types to and from their wire messages.
//!
//! Everything coming off the wire is untrusted: conversions *from* the wire check what they
//! read and say what is wrong in words a client developer can act on.

use chrono::{DateTime, Utc};

use super::v1;
use crate::fingerprint::{Fingerprint, Keyframe, PerceptualHash, RegionHashes, ViewHashes};
use crate::index::{FootageRecord, Sighting};
use crate::matching::{Match, Report, Segment, Verdict};

/// Longest source URL accepted, in bytes; real URLs are far shorter.
const MAX_URL_BYTES: usize = 4096;
/// Longest title or publisher accepted, in bytes.
const MAX_TEXT_BYTES: usize = 2048;

/// A message that cannot be used as it is.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidMessage(pub String);

fn invalid(message: impl Into<String>) -> InvalidMessage {
    InvalidMessage(message.into())
}

pub fn date_to_wire(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: time.timestamp(), nanos: time.timestamp_subsec_nanos() as i32 }
}

pub fn date_from_wire(time: &prost_types::Timestamp, what: &str) -> Result<DateTime<Utc>, InvalidMessage> {
    u32::try_from(time.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(time.seconds, nanos))
        .ok_or_else(|| invalid(format!("{what} is not a valid timestamp")))
}

impl From<RegionHashes> for v1::RegionHashes {
    fn from(hashes: RegionHashes) -> Self {
        v1::RegionHashes { whole: hashes.whole.0, centre: hashes.centre.0, band: hashes.band.0 }
    }
}

impl From<&v1::RegionHashes> for RegionHashes {
    fn from(hashes: &v1::RegionHashes) -> Self {
        RegionHashes {
            whole: PerceptualHash(hashes.whole),
            centre: PerceptualHash(hashes.centre),
            band: PerceptualHash(hashes.band),
        }
    }
}

impl From<&Fingerprint> for v1::Fingerprint {
    fn from(fingerprint: &Fingerprint) -> Self {
        v1::Fingerprint {
            duration_ms: fingerprint.duration_ms,
            keyframes: fingerprint
                .keyframes
                .iter()
                .map(|keyframe| v1::Keyframe {
                    time_ms: keyframe.time_ms,
                    upright: Some(keyframe.hashes.upright.into()),
                    mirrored: Some(keyframe.hashes.mirrored.into()),
                    inset: keyframe.hashes.inset.map(Into::into),
                    informative: keyframe.informative,
                })
                .collect(),
            recipe_version: crate::fingerprint::RECIPE_VERSION,
        }
    }
}

impl TryFrom<&v1::Fingerprint> for Fingerprint {
    type Error = InvalidMessage;

    fn try_from(wire: &v1::Fingerprint) -> Result<Self, Self::Error> {
        let keyframes = wire
            .keyframes
            .iter()
            .enumerate()
            .map(|(index, keyframe)| {
                let regions = |hashes: Option<&v1::RegionHashes>, which: &str| {
                    hashes
                        .map(RegionHashes::from)
                        .ok_or_else(|| invalid(format!("invalid fingerprint: keyframe {index} has no {which} hashes")))
                };
                Ok(Keyframe {
                    time_ms: keyframe.time_ms,
                    hashes: ViewHashes {
                        upright: regions(keyframe.upright.as_ref(), "upright")?,
                        mirrored: regions(keyframe.mirrored.as_ref(), "mirrored")?,
                        inset: keyframe.inset.as_ref().map(RegionHashes::from),
                    },
                    informative: keyframe.informative,
                })
            })
            .collect::<Result<_, InvalidMessage>>()?;
        let fingerprint = Fingerprint { duration_ms: wire.duration_ms, keyframes };
        fingerprint.validate(wire.recipe_version).map_err(|error| invalid(format!("invalid fingerprint: {error}")))?;
        Ok(fingerprint)
    }
}

impl From<&Sighting> for v1::Sighting {
    fn from(sighting: &Sighting) -> Self {
        v1::Sighting {
            source_url: sighting.source_url.clone(),
            first_seen: Some(date_to_wire(sighting.first_seen)),
            title: sighting.title.clone(),
            publisher: sighting.publisher.clone(),
            ingested_at: Some(date_to_wire(sighting.ingested_at)),
        }
    }
}

/// A sighting sent by a client; the server stamps `ingested_at` itself.
pub fn sighting_from_wire(wire: &v1::Sighting, ingested_at: DateTime<Utc>) -> Result<Sighting, InvalidMessage> {
    let source_url = wire.source_url.trim();
    if source_url.is_empty() {
        return Err(invalid("the sighting needs a source_url"));
    }
    if source_url.len() > MAX_URL_BYTES {
        return Err(invalid(format!("source_url is {} bytes; at most {MAX_URL_BYTES} are accepted", source_url.len())));
    }
    for (field, text) in [("title", &wire.title), ("publisher", &wire.publisher)] {
        if text.len() > MAX_TEXT_BYTES {
            return Err(invalid(format!("{field} is {} bytes; at most {MAX_TEXT_BYTES} are accepted", text.len())));
        }
    }
    let first_seen = wire
        .first_seen
        .as_ref()
        .ok_or_else(|| invalid("the sighting needs a first_seen date"))
        .and_then(|time| date_from_wire(time, "first_seen"))?;
    Ok(Sighting {
        source_url: source_url.to_owned(),
        first_seen,
        title: wire.title.trim().to_owned(),
        publisher: wire.publisher.trim().to_owned(),
        ingested_at,
    })
}

impl From<Segment> for v1::Segment {
    fn from(segment: Segment) -> Self {
        v1::Segment { start_seconds: segment.start_seconds(), end_seconds: segment.end_seconds() }
    }
}

impl From<&Match> for v1::Match {
    fn from(found: &Match) -> Self {
        v1::Match {
            footage_id: found.footage.0,
            score: found.score,
            matched_keyframes: found.matched_keyframes,
            speed: found.speed,
            mirrored: found.mirrored,
            query_segment: Some(found.query_segment.into()),
            reference_segment: Some(found.reference_segment.into()),
            sightings: found.sightings.iter().map(v1::Sighting::from).collect(),
        }
    }
}

impl From<&Report> for v1::LookupReport {
    fn from(report: &Report) -> Self {
        let (verdict, days_before_claim) = match report.verdict {
            Verdict::NoClaim => (v1::Verdict::NoClaim, 0),
            Verdict::PredatesClaim { days } => (v1::Verdict::PredatesClaim, days),
            Verdict::ConsistentWithClaim => (v1::Verdict::ConsistentWithClaim, 0),
            Verdict::NoKnownFootage => (v1::Verdict::NoKnownFootage, 0),
        };
        v1::LookupReport {
            earliest: report.earliest().map(|found| found.earliest().into()),
            earliest_footage_id: report.earliest().map_or(0, |found| found.footage.0),
            matches: report.matches.iter().map(v1::Match::from).collect(),
            verdict: verdict.into(),
            days_before_claim,
            summary: report.summary(),
            query_duration_seconds: f64::from(report.query_duration_ms) / 1000.0,
            query_keyframes: report.query_keyframes,
            query_informative_keyframes: report.query_informative_keyframes,
        }
    }
}

pub fn footage_to_wire(record: &FootageRecord, sightings: &[Sighting]) -> v1::Footage {
    v1::Footage {
        footage_id: record.id.0,
        duration_seconds: f64::from(record.duration_ms) / 1000.0,
        keyframes: record.keyframes,
        first_seen: Some(date_to_wire(record.first_seen)),
        sightings: sightings.iter().map(v1::Sighting::from).collect(),
    }
}
