//! Domain types to and from their wire messages.
//!
//! Everything coming off the wire is untrusted: conversions *from* the wire check what they
//! read and say what is wrong in words a client developer can act on.

use chrono::{DateTime, Utc};

use super::v1;
use crate::engine::{FootageDetails, Match, Report, Verdict};
use crate::fingerprint::{
    Fingerprint, Keyframe, MAX_FILLED, Orientation, PerceptualHash, Picture, RegionHashes, TILTED_VIEWS, Tilt,
    ViewHashes,
};
use crate::index::{IndexStats, KeyRecord, NumericRating, Retraction, Review, Role, Sighting};
use crate::media::MAX_WINDOWS;
use crate::time;
use crate::time::Segment;

/// Longest source URL accepted, in bytes; real URLs are far shorter.
const MAX_URL_BYTES: usize = 4096;
/// Longest title, publisher, key name or retraction reason accepted, in bytes.
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
                    windows: keyframe.hashes.windows.iter().map(|&regions| regions.into()).collect(),
                    turned: keyframe.hashes.turned.iter().flatten().map(|&regions| regions.into()).collect(),
                    middle: keyframe.hashes.middle.map(|hash| hash.0),
                    filled: keyframe.hashes.filled.iter().map(|hash| hash.0).collect(),
                    tilted: keyframe.hashes.tilted.iter().flatten().flatten().map(|hash| hash.0).collect(),
                    core: keyframe.hashes.core.map(|hash| hash.0),
                    picture: keyframe.picture.as_ref().map(|picture| v1::Picture {
                        width: picture.width() as u32,
                        height: picture.height() as u32,
                        luma: picture.luma().to_vec(),
                    }),
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
                        windows: if keyframe.windows.len() <= MAX_WINDOWS {
                            keyframe.windows.iter().map(RegionHashes::from).collect()
                        } else {
                            return Err(invalid(format!(
                                "invalid fingerprint: keyframe {index} has {} windows; at most {MAX_WINDOWS} are expected",
                                keyframe.windows.len()
                            )));
                        },
                        turned: match keyframe.turned.as_slice() {
                            [] => None,
                            [quarter, half, three_quarters] => Some([quarter.into(), half.into(), three_quarters.into()]),
                            other => {
                                return Err(invalid(format!(
                                    "invalid fingerprint: keyframe {index} has {} turned views; none or three are expected",
                                    other.len()
                                )));
                            }
                        },
                        tilted: match keyframe.tilted.len() {
                            0 => None,
                            TILTED_VIEWS => {
                                let hash = |position: usize| PerceptualHash(keyframe.tilted[position]);
                                Some([0, 1].map(|way| std::array::from_fn(|n| hash(way * TILTED_VIEWS / 2 + n))))
                            }
                            other => {
                                return Err(invalid(format!(
                                    "invalid fingerprint: keyframe {index} has {other} tilted views; none or {TILTED_VIEWS} are expected"
                                )));
                            }
                        },
                        middle: keyframe.middle.map(PerceptualHash),
                        filled: if keyframe.filled.len() <= MAX_FILLED {
                            keyframe.filled.iter().copied().map(PerceptualHash).collect()
                        } else {
                            return Err(invalid(format!(
                                "invalid fingerprint: keyframe {index} has {} fill-crop views; at most {MAX_FILLED} are expected",
                                keyframe.filled.len()
                            )));
                        },
                        core: keyframe.core.map(PerceptualHash),
                    },
                    informative: keyframe.informative,
                    picture: keyframe
                        .picture
                        .as_ref()
                        .map(|picture| {
                            Picture::new(picture.width as usize, picture.height as usize, picture.luma.clone())
                        })
                        .transpose()
                        .map_err(|error| invalid(format!("invalid fingerprint: keyframe {index} has {error}")))?,
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
            recorded_by: sighting.recorded_by.clone(),
            imported_by: sighting.imported_by.clone(),
            retraction: sighting.retraction.as_ref().map(v1::Retraction::from),
            archive_url: sighting.archive_url.clone(),
        }
    }
}

impl From<&Retraction> for v1::Retraction {
    fn from(retraction: &Retraction) -> Self {
        v1::Retraction {
            retracted_by: retraction.retracted_by.clone(),
            retracted_at: Some(date_to_wire(retraction.retracted_at)),
            reason: retraction.reason.clone(),
        }
    }
}

impl From<&Review> for v1::Review {
    fn from(review: &Review) -> Self {
        v1::Review {
            claim: review.claim.clone(),
            claimant: review.claimant.clone(),
            claim_url: review.claim_url.clone(),
            claim_date: review.claim_date.map(date_to_wire),
            language: review.language.clone(),
            reviewer: review.reviewer.clone(),
            reviewer_url: review.reviewer_url.clone(),
            rating: review.rating.clone(),
            numeric_rating: review.numeric_rating.map(|rating| v1::NumericRating {
                value: rating.value,
                worst: rating.worst,
                best: rating.best,
            }),
            url: review.url.clone(),
            published: Some(date_to_wire(review.published)),
            recorded_by: review.recorded_by.clone(),
            recorded_at: Some(date_to_wire(review.recorded_at)),
            imported_by: review.imported_by.clone(),
            retraction: review.retraction.as_ref().map(v1::Retraction::from),
        }
    }
}

/// The provenance a client claims for a sighting or a review: who recorded it and when, and its
/// retraction. Only an import of another index's export carries one, and only an admin's is
/// honoured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaimedProvenance {
    pub recorded_by: String,
    pub recorded_at: Option<DateTime<Utc>>,
    pub retraction: Option<Retraction>,
}

impl ClaimedProvenance {
    pub fn is_empty(&self) -> bool {
        *self == ClaimedProvenance::default()
    }
}

/// The provenance fields of a sighting sent by a client, checked.
pub fn sighting_provenance_from_wire(wire: &v1::Sighting) -> Result<ClaimedProvenance, InvalidMessage> {
    provenance_from_wire(&wire.recorded_by, wire.ingested_at.as_ref(), "ingested_at", wire.retraction.as_ref())
}

/// The provenance fields of a review sent by a client, checked.
pub fn review_provenance_from_wire(wire: &v1::Review) -> Result<ClaimedProvenance, InvalidMessage> {
    provenance_from_wire(&wire.recorded_by, wire.recorded_at.as_ref(), "recorded_at", wire.retraction.as_ref())
}

fn provenance_from_wire(
    recorded_by: &str,
    recorded_at: Option<&prost_types::Timestamp>,
    recorded_at_field: &str,
    retraction: Option<&v1::Retraction>,
) -> Result<ClaimedProvenance, InvalidMessage> {
    check_text("recorded_by", recorded_by)?;
    let retraction = retraction
        .map(|retraction| {
            check_text("retraction reason", &retraction.reason)?;
            check_text("retracted_by", &retraction.retracted_by)?;
            let retracted_at = required_date(retraction.retracted_at.as_ref(), "retracted_at", "a retraction")?;
            Ok::<_, InvalidMessage>(Retraction {
                retracted_by: retraction.retracted_by.trim().to_owned(),
                retracted_at,
                reason: retraction.reason.trim().to_owned(),
            })
        })
        .transpose()?;
    Ok(ClaimedProvenance {
        recorded_by: recorded_by.trim().to_owned(),
        recorded_at: recorded_at.map(|time| date_from_wire(time, recorded_at_field)).transpose()?,
        retraction,
    })
}

/// A date field `what` that `whose` message must carry.
pub fn required_date(
    time: Option<&prost_types::Timestamp>,
    what: &str,
    whose: &str,
) -> Result<DateTime<Utc>, InvalidMessage> {
    let time = time.ok_or_else(|| invalid(format!("{whose} needs a {what} date")))?;
    date_from_wire(time, what)
}

/// Refuses a free-text field over [`MAX_TEXT_BYTES`], or holding a control character.
pub fn check_text(field: &str, text: &str) -> Result<(), InvalidMessage> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(invalid(format!("{field} is {} bytes; at most {MAX_TEXT_BYTES} are accepted", text.len())));
    }
    printable(field, text)
}

/// Refuses a control character: every stored text is one line a person reads, on a page or in
/// a terminal, where an escape sequence could repaint the screen and a line break could forge a
/// report's next line.
fn printable(field: &str, text: &str) -> Result<(), InvalidMessage> {
    match text.chars().find(|c| c.is_control()) {
        Some(control) => Err(invalid(format!(
            "{field} holds the control character U+{:04X}; it must be one line of printable text",
            u32::from(control)
        ))),
        None => Ok(()),
    }
}

/// Refuses a URL over [`MAX_URL_BYTES`]; `web` ones must also be http(s), since pages show
/// them as links. Returns it trimmed.
fn checked_url<'a>(field: &str, url: &'a str, web: bool) -> Result<&'a str, InvalidMessage> {
    let url = url.trim();
    if url.len() > MAX_URL_BYTES {
        return Err(invalid(format!("{field} is {} bytes; at most {MAX_URL_BYTES} are accepted", url.len())));
    }
    let lower = url.to_ascii_lowercase();
    if web && !url.is_empty() && !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err(invalid(format!("{field} must be an http:// or https:// address; got {url:?}")));
    }
    printable(field, url)?;
    Ok(url)
}

/// A field a message must carry, trimmed and within [`MAX_TEXT_BYTES`].
fn required_text<'a>(field: &str, text: &'a str, whose: &str) -> Result<&'a str, InvalidMessage> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(format!("{whose} needs a {field}")));
    }
    check_text(field, text)?;
    Ok(text)
}

/// A sighting sent by a client, stamped as recorded now by `recorded_by`; what the client
/// claims about its provenance is read by [`sighting_provenance_from_wire`], never here.
pub fn sighting_from_wire(
    wire: &v1::Sighting,
    ingested_at: DateTime<Utc>,
    recorded_by: &str,
) -> Result<Sighting, InvalidMessage> {
    let source_url = checked_url("source_url", &wire.source_url, false)?;
    if source_url.is_empty() {
        return Err(invalid("the sighting needs a source_url"));
    }
    let archive_url = checked_url("archive_url", &wire.archive_url, true)?;
    check_text("title", &wire.title)?;
    check_text("publisher", &wire.publisher)?;
    let first_seen = required_date(wire.first_seen.as_ref(), "first_seen", "the sighting")?;
    Ok(Sighting {
        source_url: source_url.to_owned(),
        first_seen,
        title: wire.title.trim().to_owned(),
        publisher: wire.publisher.trim().to_owned(),
        ingested_at,
        recorded_by: recorded_by.to_owned(),
        imported_by: String::new(),
        retraction: None,
        archive_url: archive_url.to_owned(),
    })
}

/// A review sent by a client, stamped as recorded now by `recorded_by`; its claimed provenance
/// is read by [`review_provenance_from_wire`]. The claim, the fact-checker, the rating as
/// published, the article's URL and its date are required: they are what a reader of the report
/// needs to trust it and follow it up.
pub fn review_from_wire(
    wire: &v1::Review,
    recorded_at: DateTime<Utc>,
    recorded_by: &str,
) -> Result<Review, InvalidMessage> {
    const WHOSE: &str = "a review";
    let url = checked_url("url", &wire.url, true)?;
    if url.is_empty() {
        return Err(invalid("a review needs the url of the fact-check article"));
    }
    let numeric_rating = wire
        .numeric_rating
        .map(|rating| {
            let ordered = rating.worst <= rating.value && rating.value <= rating.best;
            if ![rating.value, rating.worst, rating.best].iter().all(|n| n.is_finite()) || !ordered {
                return Err(invalid(format!(
                    "the numeric rating {} must lie between its worst {} and its best {}",
                    rating.value, rating.worst, rating.best
                )));
            }
            Ok(NumericRating { value: rating.value, worst: rating.worst, best: rating.best })
        })
        .transpose()?;
    check_text("claimant", &wire.claimant)?;
    check_text("language", &wire.language)?;
    Ok(Review {
        claim: required_text("claim", &wire.claim, WHOSE)?.to_owned(),
        claimant: wire.claimant.trim().to_owned(),
        claim_url: checked_url("claim_url", &wire.claim_url, true)?.to_owned(),
        claim_date: wire.claim_date.as_ref().map(|date| date_from_wire(date, "claim_date")).transpose()?,
        language: wire.language.trim().to_owned(),
        reviewer: required_text("reviewer (the fact-checking organisation)", &wire.reviewer, WHOSE)?.to_owned(),
        reviewer_url: checked_url("reviewer_url", &wire.reviewer_url, true)?.to_owned(),
        rating: required_text("rating (as published, e.g. \"False\")", &wire.rating, WHOSE)?.to_owned(),
        numeric_rating,
        url: url.to_owned(),
        published: required_date(wire.published.as_ref(), "published", WHOSE)?,
        recorded_by: recorded_by.to_owned(),
        recorded_at,
        imported_by: String::new(),
        retraction: None,
    })
}

impl From<&IndexStats> for v1::StatsResponse {
    fn from(stats: &IndexStats) -> Self {
        v1::StatsResponse {
            footage: stats.footage,
            sightings: stats.sightings,
            keyframes: stats.keyframes,
            indexed_keyframes: stats.indexed_keyframes,
            disk_bytes: stats.disk_bytes,
            reviews: stats.reviews,
        }
    }
}

impl From<Role> for v1::Role {
    fn from(role: Role) -> Self {
        match role {
            Role::Reader => v1::Role::Reader,
            Role::Contributor => v1::Role::Contributor,
            Role::Admin => v1::Role::Admin,
        }
    }
}

pub fn role_from_wire(role: i32) -> Result<Role, InvalidMessage> {
    match v1::Role::try_from(role) {
        Ok(v1::Role::Reader) => Ok(Role::Reader),
        Ok(v1::Role::Contributor) => Ok(Role::Contributor),
        Ok(v1::Role::Admin) => Ok(Role::Admin),
        _ => Err(invalid("the key needs a role: reader, contributor or admin")),
    }
}

impl From<&KeyRecord> for v1::KeyInfo {
    fn from(record: &KeyRecord) -> Self {
        v1::KeyInfo {
            name: record.name.clone(),
            role: v1::Role::from(record.role).into(),
            created_at: Some(date_to_wire(record.created_at)),
            last_used: record.last_used.map(date_to_wire),
            revoked_at: record.revoked_at.map(date_to_wire),
        }
    }
}

impl From<Segment> for v1::Segment {
    fn from(segment: Segment) -> Self {
        v1::Segment { start_seconds: segment.start_seconds(), end_seconds: segment.end_seconds() }
    }
}

impl From<&Match> for v1::Match {
    fn from(found: &Match) -> Self {
        let evidence = &found.evidence;
        v1::Match {
            footage_id: evidence.footage.0,
            score: evidence.score,
            matched_keyframes: evidence.matched_keyframes,
            speed: evidence.speed,
            mirrored: evidence.orientation == Orientation::Mirrored,
            turned_degrees: match evidence.orientation {
                Orientation::Turned(turn) => turn.degrees(),
                _ => 0,
            },
            tilt: match evidence.orientation {
                Orientation::Tilted(Tilt::Clockwise) => v1::Tilt::Clockwise,
                Orientation::Tilted(Tilt::Anticlockwise) => v1::Tilt::Anticlockwise,
                _ => v1::Tilt::None,
            }
            .into(),
            cropped: evidence.cropped,
            query_segment: Some(evidence.query_segment.into()),
            reference_segment: Some(evidence.reference_segment.into()),
            sightings: found.sightings.iter().map(v1::Sighting::from).collect(),
            reviews: found.reviews.iter().map(v1::Review::from).collect(),
            traced_through_footage_id: found.traced_through.map_or(0, |through| through.0),
        }
    }
}

/// The report on the wire, with `summary`, the sentence `presentation` writes of it (see
/// `presentation::report_to_wire`, the one caller).
pub fn report_to_wire(report: &Report, summary: String) -> v1::LookupReport {
    let (verdict, days_before_claim) = match report.verdict {
        Verdict::NoClaim => (v1::Verdict::NoClaim, 0),
        Verdict::PredatesClaim { days } => (v1::Verdict::PredatesClaim, days),
        Verdict::ConsistentWithClaim => (v1::Verdict::ConsistentWithClaim, 0),
        Verdict::NoKnownFootage => (v1::Verdict::NoKnownFootage, 0),
    };
    v1::LookupReport {
        earliest: report.earliest().map(|found| found.earliest().into()),
        earliest_footage_id: report.earliest().map_or(0, |found| found.footage().0),
        matches: report.matches.iter().map(v1::Match::from).collect(),
        verdict: verdict.into(),
        days_before_claim,
        summary,
        query_duration_seconds: time::seconds(report.query_duration_ms),
        query_keyframes: report.query_keyframes,
        query_informative_keyframes: report.query_informative_keyframes,
    }
}

impl From<&FootageDetails> for v1::Footage {
    fn from(details: &FootageDetails) -> Self {
        let record = &details.record;
        v1::Footage {
            footage_id: record.id.0,
            duration_seconds: time::seconds(record.duration_ms),
            keyframes: record.keyframes,
            first_seen: Some(date_to_wire(record.first_seen)),
            sightings: details.sightings.iter().map(v1::Sighting::from).collect(),
            reviews: details.reviews.iter().map(v1::Review::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::{OLDEST_READABLE_RECIPE_VERSION, RECIPE_VERSION};
    use crate::test_kit::{fingerprint, random_views, sighting};

    #[test]
    fn a_fingerprint_crosses_the_wire_and_back_unchanged_and_a_bad_one_is_refused() {
        let mut rng = fastrand::Rng::with_seed(4);
        let mut views: Vec<ViewHashes> = (0..5).map(|_| random_views(&mut rng)).collect();
        views[2].windows = (0..MAX_WINDOWS).map(|_| random_views(&mut rng).upright).collect();
        views[3].turned = Some([0, 1, 2].map(|_| random_views(&mut rng).upright));
        views[3].tilted = Some([0, 1].map(|_| [0, 1, 2, 3].map(|_| random_views(&mut rng).upright.centre)));
        views[4].filled = (0..MAX_FILLED).map(|_| random_views(&mut rng).upright.whole).collect();
        views[0].middle = None;
        views[1].core = None;
        let mut original = fingerprint(&views);
        original.keyframes[2].picture = Some(Picture::new(3, 2, vec![0, 40, 80, 120, 160, 200]).unwrap());
        let wire = v1::Fingerprint::from(&original);
        assert_eq!(wire.recipe_version, RECIPE_VERSION);
        assert_eq!(Fingerprint::try_from(&wire).unwrap(), original);
        let mut hashless = wire.clone();
        hashless.keyframes[1].mirrored = None;
        let refused = Fingerprint::try_from(&hashless).unwrap_err().to_string();
        assert_eq!(refused, "invalid fingerprint: keyframe 1 has no mirrored hashes");
        let mut two_turns = wire.clone();
        two_turns.keyframes[3].turned.pop();
        let refused = Fingerprint::try_from(&two_turns).unwrap_err().to_string();
        assert_eq!(refused, "invalid fingerprint: keyframe 3 has 2 turned views; none or three are expected");
        let mut one_tilt = wire.clone();
        one_tilt.keyframes[3].tilted.pop();
        let refused = Fingerprint::try_from(&one_tilt).unwrap_err().to_string();
        assert_eq!(refused, "invalid fingerprint: keyframe 3 has 7 tilted views; none or 8 are expected");
        let mut crowded = wire.clone();
        crowded.keyframes[2].windows.push(v1::RegionHashes::default());
        let refused = Fingerprint::try_from(&crowded).unwrap_err().to_string();
        assert_eq!(refused, "invalid fingerprint: keyframe 2 has 4 windows; at most 3 are expected");
        let mut overfilled = wire.clone();
        overfilled.keyframes[4].filled.push(0);
        let refused = Fingerprint::try_from(&overfilled).unwrap_err().to_string();
        assert_eq!(refused, "invalid fingerprint: keyframe 4 has 29 fill-crop views; at most 28 are expected");
        let mut short_picture = wire.clone();
        short_picture.keyframes[2].picture.as_mut().unwrap().luma.pop();
        let refused = Fingerprint::try_from(&short_picture).unwrap_err().to_string();
        assert_eq!(
            refused,
            "invalid fingerprint: keyframe 2 has a picture of 3×2 pixels with 5 bytes: pictures are 1 to 64 pixels \
             on a side, one byte a pixel"
        );
        let unreadable = v1::Fingerprint { recipe_version: OLDEST_READABLE_RECIPE_VERSION - 1, ..wire };
        assert!(Fingerprint::try_from(&unreadable).unwrap_err().to_string().contains("recipe version"));
    }

    #[test]
    fn a_sighting_from_the_wire_is_checked_trimmed_and_stamped_by_the_server() {
        let recorded_at = Utc::now();
        let mut wire = v1::Sighting::from(&sighting("https://example.org/original", "2020-11-10"));
        wire.title = "  Baku, 10 November  ".into();
        wire.recorded_by = "someone".into();
        let read = sighting_from_wire(&wire, recorded_at, "desk").unwrap();
        assert_eq!((read.title.as_str(), read.recorded_by.as_str()), ("Baku, 10 November", "desk"));
        assert_eq!((read.ingested_at, read.retraction), (recorded_at, None), "provenance is the server's");
        let refusal = |wire: v1::Sighting| sighting_from_wire(&wire, recorded_at, "desk").unwrap_err().to_string();
        assert!(refusal(v1::Sighting { source_url: String::new(), ..wire.clone() }).contains("source_url"));
        assert!(refusal(v1::Sighting { first_seen: None, ..wire.clone() }).contains("first_seen"));
        assert!(
            refusal(v1::Sighting { archive_url: "javascript:alert(1)".into(), ..wire.clone() }).contains("archive_url")
        );
        assert!(refusal(v1::Sighting { title: "x".repeat(5_000), ..wire.clone() }).contains("title"));
        let escape = refusal(v1::Sighting { title: "Baku\u{1b}[2J".into(), ..wire.clone() });
        assert!(escape.contains("title holds the control character U+001B"), "{escape}");
        assert!(refusal(v1::Sighting { publisher: "AFP\nFIRST SEEN 2001-01-01".into(), ..wire }).contains("U+000A"));
    }

    #[test]
    fn claimed_provenance_is_read_only_when_sent() {
        let wire = v1::Sighting::from(&sighting("https://example.org/original", "2020-11-10"));
        let bare = v1::Sighting { recorded_by: String::new(), ingested_at: None, retraction: None, ..wire.clone() };
        assert!(sighting_provenance_from_wire(&bare).unwrap().is_empty());
        let claimed = sighting_provenance_from_wire(&wire).unwrap();
        assert_eq!(claimed.recorded_by, "desk");
        assert!(claimed.recorded_at.is_some());
        let undated = v1::Retraction { retracted_by: "admin".into(), retracted_at: None, reason: "forged".into() };
        let refused = sighting_provenance_from_wire(&v1::Sighting { retraction: Some(undated), ..wire }).unwrap_err();
        assert!(refused.to_string().contains("retracted_at"), "{refused}");
    }
}
