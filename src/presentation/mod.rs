//! What a person or a script reads of a report, a footage and its sightings: the JSON shapes
//! the CLI prints and the HTTP API answers, and the small formats (dates, m:ss ranges, verdict
//! names) both share. One place, so that `lookup --json` and `POST /api/v1/lookup` cannot drift.
//!
//! The JSON shapes are a public interface, documented in README.md: add fields, never rename or
//! remove them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::fingerprint::{Fingerprint, RECIPE_VERSION, RegionHashes, Tilt};
use crate::index::Review;
use crate::proto::{self, v1};
use crate::time;
use crate::time::Segment;

mod sentences;

pub use sentences::{clock_range, fact_check_sentence, report_to_wire, summary};

#[derive(Serialize)]
pub struct SightingJson {
    pub first_seen: Option<String>,
    pub source_url: String,
    pub title: String,
    pub publisher: String,
    pub recorded_by: String,
    pub ingested_at: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub imported_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retraction: Option<RetractionJson>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub archive_url: String,
}

/// A fact-check, as `lookup --json`, the HTTP API and the batch JSONL show it. The ClaimReview
/// JSON-LD form (`footage --claimreview`) is in [`crate::claimreview`].
#[derive(Serialize)]
pub struct ReviewJson {
    pub claim: String,
    pub claimant: String,
    pub claim_url: String,
    pub claim_date: Option<String>,
    pub language: String,
    pub reviewer: String,
    pub reviewer_url: String,
    pub rating: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numeric_rating: Option<NumericRatingJson>,
    pub url: String,
    pub published: Option<String>,
    pub recorded_by: String,
    pub recorded_at: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub imported_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retraction: Option<RetractionJson>,
    /// The sentence every report uses for it: "Already fact-checked: Misbar, 2023-09-25, …".
    pub sentence: String,
}

#[derive(Serialize)]
pub struct NumericRatingJson {
    pub value: f64,
    pub worst: f64,
    pub best: f64,
}

/// A fact-check of one matched footage, in a report's top-level `fact_checks`.
#[derive(Serialize)]
pub struct FactCheckJson {
    pub footage_id: u64,
    #[serde(flatten)]
    pub review: ReviewJson,
}

#[derive(Serialize)]
pub struct RetractionJson {
    pub retracted_by: String,
    pub retracted_at: Option<String>,
    pub reason: String,
}

#[derive(Serialize)]
pub struct EarliestJson {
    pub footage_id: u64,
    #[serde(flatten)]
    pub sighting: SightingJson,
}

#[derive(Serialize)]
pub struct MatchJson {
    pub footage_id: u64,
    /// The footage's earliest sighting, flattened for scripts that want one line a match.
    pub source_url: String,
    pub first_seen: Option<String>,
    pub title: String,
    pub score: f64,
    pub matched_keyframes: u32,
    pub speed: f64,
    pub mirrored: bool,
    /// How far clockwise the copy shows the footage turned: 0, 90, 180 or 270.
    pub turned_degrees: u32,
    /// "clockwise" or "anticlockwise" when the copy shows the footage tilted by a few degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tilted: Option<&'static str>,
    /// Whether the copy shows the footage cropped off-centre.
    pub cropped: bool,
    /// The matched footage whose link led to this one, when the query's pictures did not meet
    /// this footage's own (see the proto's `traced_through_footage_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traced_through_footage_id: Option<u64>,
    pub query_start: f64,
    pub query_end: f64,
    pub reference_start: f64,
    pub reference_end: f64,
    pub sightings: Vec<SightingJson>,
    /// The footage's standing fact-checks, earliest published first.
    pub reviews: Vec<ReviewJson>,
    /// Pictures of the looked-up video beside the footage's at the same moments: the HTTP API's
    /// uploads have them; absent elsewhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceJson>,
}

/// One moment of a match, as pictures: the looked-up video's frame (a `data:` URL) and the
/// footage's stored thumbnail nearest the same moment (an API path), when it has one.
#[derive(Serialize)]
pub struct EvidenceJson {
    pub query_time: f64,
    pub query_image: String,
    pub reference_time: f64,
    pub reference_image: Option<String>,
}

#[derive(Serialize)]
pub struct QueryJson {
    pub duration: f64,
    pub keyframes: u32,
    pub informative_keyframes: u32,
}

#[derive(Serialize)]
pub struct ReportJson {
    pub summary: String,
    /// The date the lookup was told the footage is claimed to be from; the HTTP API's only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_date: Option<String>,
    pub verdict: &'static str,
    pub days_before_claim: Option<u32>,
    /// Every standing fact-check of every matched footage, earliest published first.
    pub fact_checks: Vec<FactCheckJson>,
    pub earliest: Option<EarliestJson>,
    pub matches: Vec<MatchJson>,
    pub query: QueryJson,
}

/// A date from the server; one it cannot have meant is shown as unknown rather than failing.
pub fn date(time: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    time.and_then(|time| proto::date_from_wire(time, "date").ok())
}

pub fn rfc3339(time: Option<&prost_types::Timestamp>) -> Option<String> {
    date(time).map(|time| time.to_rfc3339_opts(SecondsFormat::Secs, true))
}

pub fn day(time: Option<&prost_types::Timestamp>) -> String {
    date(time).map_or_else(|| "?".into(), |time| time.format("%Y-%m-%d").to_string())
}

pub fn sighting_json(sighting: &v1::Sighting) -> SightingJson {
    SightingJson {
        first_seen: rfc3339(sighting.first_seen.as_ref()),
        source_url: sighting.source_url.clone(),
        title: sighting.title.clone(),
        publisher: sighting.publisher.clone(),
        recorded_by: sighting.recorded_by.clone(),
        ingested_at: rfc3339(sighting.ingested_at.as_ref()),
        imported_by: sighting.imported_by.clone(),
        retraction: sighting.retraction.as_ref().map(retraction_json),
        archive_url: sighting.archive_url.clone(),
    }
}

fn retraction_json(retraction: &v1::Retraction) -> RetractionJson {
    RetractionJson {
        retracted_by: retraction.retracted_by.clone(),
        retracted_at: rfc3339(retraction.retracted_at.as_ref()),
        reason: retraction.reason.clone(),
    }
}

pub fn review_json(review: &v1::Review) -> ReviewJson {
    ReviewJson {
        claim: review.claim.clone(),
        claimant: review.claimant.clone(),
        claim_url: review.claim_url.clone(),
        claim_date: rfc3339(review.claim_date.as_ref()),
        language: review.language.clone(),
        reviewer: review.reviewer.clone(),
        reviewer_url: review.reviewer_url.clone(),
        rating: review.rating.clone(),
        numeric_rating: review.numeric_rating.map(|rating| NumericRatingJson {
            value: rating.value,
            worst: rating.worst,
            best: rating.best,
        }),
        url: review.url.clone(),
        published: rfc3339(review.published.as_ref()),
        recorded_by: review.recorded_by.clone(),
        recorded_at: rfc3339(review.recorded_at.as_ref()),
        imported_by: review.imported_by.clone(),
        retraction: review.retraction.as_ref().map(retraction_json),
        sentence: fact_check_line(review),
    }
}

/// The report's sentence for a fact-check, from its wire form.
pub fn fact_check_line(review: &v1::Review) -> String {
    let published = date(review.published.as_ref()).unwrap_or_default();
    fact_check_sentence(&Review {
        reviewer: review.reviewer.clone(),
        rating: review.rating.clone(),
        url: review.url.clone(),
        published,
        ..Review::default()
    })
}

/// Every standing fact-check over a report's matches, earliest published first, each with its
/// footage.
pub fn fact_checks(report: &v1::LookupReport) -> Vec<(u64, &v1::Review)> {
    let mut all: Vec<(u64, &v1::Review)> = report
        .matches
        .iter()
        .flat_map(|found| found.reviews.iter().map(move |review| (found.footage_id, review)))
        .collect();
    all.sort_by_key(|(_, review)| (date(review.published.as_ref()), review.url.clone()));
    all.dedup_by(|(_, a), (_, b)| a.url == b.url);
    all
}

pub fn seconds(segment: Option<&v1::Segment>) -> (f64, f64) {
    segment.map_or((0.0, 0.0), |segment| (segment.start_seconds, segment.end_seconds))
}

pub fn clock(segment: Option<&v1::Segment>) -> String {
    let (start, end) = seconds(segment);
    clock_range(Segment { start_ms: time::millis(start), end_ms: time::millis(end) })
}

pub fn verdict_name(report: &v1::LookupReport) -> &'static str {
    match report.verdict() {
        v1::Verdict::PredatesClaim => "predates_claim",
        v1::Verdict::ConsistentWithClaim => "consistent_with_claim",
        v1::Verdict::NoKnownFootage => "no_known_footage",
        v1::Verdict::NoClaim | v1::Verdict::Unspecified => "no_claim",
    }
}

pub fn report_json(report: &v1::LookupReport) -> ReportJson {
    ReportJson {
        summary: report.summary.clone(),
        claimed_date: None,
        verdict: verdict_name(report),
        days_before_claim: (report.verdict() == v1::Verdict::PredatesClaim).then_some(report.days_before_claim),
        fact_checks: fact_checks(report)
            .into_iter()
            .map(|(footage_id, review)| FactCheckJson { footage_id, review: review_json(review) })
            .collect(),
        earliest: report
            .earliest
            .as_ref()
            .map(|sighting| EarliestJson { footage_id: report.earliest_footage_id, sighting: sighting_json(sighting) }),
        matches: report
            .matches
            .iter()
            .map(|found| {
                let earliest = found.sightings.first().map(sighting_json);
                let (query_start, query_end) = seconds(found.query_segment.as_ref());
                let (reference_start, reference_end) = seconds(found.reference_segment.as_ref());
                MatchJson {
                    footage_id: found.footage_id,
                    source_url: earliest.as_ref().map(|s| s.source_url.clone()).unwrap_or_default(),
                    first_seen: earliest.as_ref().and_then(|s| s.first_seen.clone()),
                    title: earliest.as_ref().map(|s| s.title.clone()).unwrap_or_default(),
                    score: found.score,
                    matched_keyframes: found.matched_keyframes,
                    speed: found.speed,
                    mirrored: found.mirrored,
                    turned_degrees: found.turned_degrees,
                    tilted: match found.tilt() {
                        v1::Tilt::None => None,
                        v1::Tilt::Clockwise => Some(Tilt::Clockwise.name()),
                        v1::Tilt::Anticlockwise => Some(Tilt::Anticlockwise.name()),
                    },
                    cropped: found.cropped,
                    traced_through_footage_id: (found.traced_through_footage_id != 0)
                        .then_some(found.traced_through_footage_id),
                    query_start,
                    query_end,
                    reference_start,
                    reference_end,
                    sightings: found.sightings.iter().map(sighting_json).collect(),
                    reviews: found.reviews.iter().map(review_json).collect(),
                    evidence: Vec::new(),
                }
            })
            .collect(),
        query: QueryJson {
            duration: report.query_duration_seconds,
            keyframes: report.query_keyframes,
            informative_keyframes: report.query_informative_keyframes,
        },
    }
}

#[derive(Serialize)]
pub struct FootageJson {
    pub footage_id: u64,
    pub duration: f64,
    pub keyframes: u32,
    pub first_seen: Option<String>,
    pub sightings: Vec<SightingJson>,
    /// Earliest published first, retracted ones included (with their retraction).
    pub reviews: Vec<ReviewJson>,
}

pub fn footage_json(footage: &v1::Footage) -> FootageJson {
    FootageJson {
        footage_id: footage.footage_id,
        duration: footage.duration_seconds,
        keyframes: footage.keyframes,
        first_seen: rfc3339(footage.first_seen.as_ref()),
        sightings: footage.sightings.iter().map(sighting_json).collect(),
        reviews: footage.reviews.iter().map(review_json).collect(),
    }
}

#[derive(Serialize)]
pub struct IngestJson {
    pub footage_id: u64,
    pub new_footage: bool,
    pub new_sighting: bool,
    pub keyframes: u32,
    pub footage_first_seen: Option<String>,
}

pub fn ingest_json(outcome: &v1::IngestResponse) -> IngestJson {
    IngestJson {
        footage_id: outcome.footage_id,
        new_footage: outcome.new_footage,
        new_sighting: outcome.new_sighting,
        keyframes: outcome.keyframes,
        footage_first_seen: rfc3339(outcome.footage_first_seen.as_ref()),
    }
}

/// What an ingest did, in words: "new footage, footage 1 (21 keyframes), first seen 2020-11-10".
pub fn ingest_summary(outcome: &v1::IngestResponse) -> String {
    let what = match (outcome.new_footage, outcome.new_sighting) {
        (true, _) => "new footage",
        (false, true) => "a new sighting of known footage",
        (false, false) => "already known: footage and sighting were both indexed",
    };
    format!(
        "{what}, footage {} ({} keyframes), first seen {}",
        outcome.footage_id,
        outcome.keyframes,
        day(outcome.footage_first_seen.as_ref())
    )
}

#[derive(Serialize)]
pub struct StatsJson {
    pub footage: u64,
    pub sightings: u64,
    pub keyframes: u64,
    pub indexed_keyframes: u64,
    pub reviews: u64,
    pub disk_bytes: u64,
}

pub fn stats_json(stats: &v1::StatsResponse) -> StatsJson {
    StatsJson {
        footage: stats.footage,
        sightings: stats.sightings,
        keyframes: stats.keyframes,
        indexed_keyframes: stats.indexed_keyframes,
        reviews: stats.reviews,
        disk_bytes: stats.disk_bytes,
    }
}

/// A keyframe region's three hashes, 16 hex digits each: how hashes appear in JSON, printed,
/// posted or exported.
#[derive(Serialize, Deserialize)]
pub struct HexRegions {
    whole: String,
    centre: String,
    band: String,
}

impl From<RegionHashes> for HexRegions {
    fn from(hashes: RegionHashes) -> Self {
        HexRegions { whole: hashes.whole.to_string(), centre: hashes.centre.to_string(), band: hashes.band.to_string() }
    }
}

impl HexRegions {
    pub fn to_wire(&self) -> Result<v1::RegionHashes, String> {
        Ok(v1::RegionHashes {
            whole: hex_hash(&self.whole)?,
            centre: hex_hash(&self.centre)?,
            band: hex_hash(&self.band)?,
        })
    }
}

/// A hash written as 16 hex digits, read back.
pub fn hex_hash(hex: &str) -> Result<u64, String> {
    u64::from_str_radix(hex, 16).map_err(|_| format!("'{hex}' is not a 64-bit hex hash"))
}

#[derive(Serialize, Deserialize)]
pub struct KeyframeJson {
    /// Seconds.
    pub time: f64,
    pub informative: bool,
    pub upright: HexRegions,
    pub mirrored: HexRegions,
    /// The views of each window the footage may be shown in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<HexRegions>,
    /// The picture turned back from a quarter, a half and three quarters of a clockwise turn:
    /// none (older fingerprints) or three.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub turned: Vec<HexRegions>,
    /// The middle strip, indexed beside the upright regions (absent before recipe version 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle: Option<String>,
    /// Where an original's middle strip would sit if a picture of the keyframe were a crop of it
    /// filling the picture's shape, one per original shape that fits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filled: Vec<String>,
    /// The picture tilted back from a clockwise tilt, then from an anticlockwise one, as the
    /// proto's `Keyframe.tilted` lists them: none (when the picture's displayed shape is unknown)
    /// or eight.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tilted: Vec<String>,
    /// The core, indexed beside the upright regions (absent before recipe version 13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core: Option<String>,
    /// The picture as it was hashed, on at most 64 keyframes of a fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<PictureJson>,
}

/// A keyframe's grey picture: `width` × `height` bytes, row by row, in standard base64.
#[derive(Serialize, Deserialize)]
pub struct PictureJson {
    pub width: u32,
    pub height: u32,
    pub luma: String,
}

/// `firstseen fingerprint --json`, and the fingerprint `POST /api/v1/lookup-fingerprint` takes.
#[derive(Serialize, Deserialize)]
pub struct FingerprintJson {
    pub recipe_version: u32,
    /// Seconds.
    pub duration: f64,
    pub keyframes: Vec<KeyframeJson>,
}

pub fn fingerprint_json(fingerprint: &Fingerprint) -> FingerprintJson {
    FingerprintJson {
        recipe_version: RECIPE_VERSION,
        duration: time::seconds(fingerprint.duration_ms),
        keyframes: fingerprint
            .keyframes
            .iter()
            .map(|keyframe| KeyframeJson {
                time: time::seconds(keyframe.time_ms),
                upright: keyframe.hashes.upright.into(),
                mirrored: keyframe.hashes.mirrored.into(),
                windows: keyframe.hashes.windows.iter().map(|&regions| regions.into()).collect(),
                turned: keyframe.hashes.turned.iter().flatten().map(|&regions| regions.into()).collect(),
                middle: keyframe.hashes.middle.map(|hash| hash.to_string()),
                filled: keyframe.hashes.filled.iter().map(ToString::to_string).collect(),
                tilted: keyframe.hashes.tilted.iter().flatten().flatten().map(ToString::to_string).collect(),
                core: keyframe.hashes.core.map(|hash| hash.to_string()),
                picture: keyframe.picture.as_ref().map(|picture| PictureJson {
                    width: picture.width() as u32,
                    height: picture.height() as u32,
                    luma: BASE64.encode(picture.luma()),
                }),
                informative: keyframe.informative,
            })
            .collect(),
    }
}

/// A fingerprint in its JSON form, checked as one from the wire is.
pub fn fingerprint_from_json(json: serde_json::Value) -> Result<Fingerprint, String> {
    let parsed: FingerprintJson = serde_json::from_value(json)
        .map_err(|error| format!("the fingerprint is not `firstseen fingerprint --json`: {error}"))?;
    let ms = time::millis;
    let keyframes = parsed
        .keyframes
        .iter()
        .map(|keyframe| {
            Ok(v1::Keyframe {
                time_ms: ms(keyframe.time),
                informative: keyframe.informative,
                upright: Some(keyframe.upright.to_wire()?),
                mirrored: Some(keyframe.mirrored.to_wire()?),
                windows: keyframe.windows.iter().map(HexRegions::to_wire).collect::<Result<_, _>>()?,
                turned: keyframe.turned.iter().map(HexRegions::to_wire).collect::<Result<_, _>>()?,
                middle: keyframe.middle.as_deref().map(hex_hash).transpose()?,
                filled: keyframe.filled.iter().map(|hex| hex_hash(hex)).collect::<Result<_, _>>()?,
                tilted: keyframe.tilted.iter().map(|hex| hex_hash(hex)).collect::<Result<_, _>>()?,
                core: keyframe.core.as_deref().map(hex_hash).transpose()?,
                picture: keyframe
                    .picture
                    .as_ref()
                    .map(|picture| {
                        let luma = BASE64
                            .decode(&picture.luma)
                            .map_err(|_| "a keyframe picture's luma is not standard base64".to_string())?;
                        Ok::<_, String>(v1::Picture { width: picture.width, height: picture.height, luma })
                    })
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let wire = v1::Fingerprint { duration_ms: ms(parsed.duration), keyframes, recipe_version: parsed.recipe_version };
    Fingerprint::try_from(&wire).map_err(|error| error.0)
}

/// A date as people type it: a day (`2020-11-10`, taken as midnight UTC) or RFC 3339.
pub fn parse_date(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.to_utc())
        .map_err(|_| format!("'{text}' is not a date: use 2020-11-10 or RFC 3339 (2020-11-10T14:30:00Z)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_days_and_rfc3339_and_explains_the_rest() {
        assert_eq!(parse_date("2020-11-10").unwrap().to_rfc3339(), "2020-11-10T00:00:00+00:00");
        assert_eq!(parse_date("2020-11-10T14:30:00+02:00").unwrap().to_rfc3339(), "2020-11-10T12:30:00+00:00");
        assert!(parse_date("10/11/2020").unwrap_err().contains("2020-11-10"));
    }

    #[test]
    fn a_fingerprint_reads_back_as_written_with_its_windows() {
        let mut rng = fastrand::Rng::with_seed(5);
        let mut views: Vec<_> = (0..4).map(|_| crate::test_kit::random_views(&mut rng)).collect();
        views[1].windows = (0..2).map(|_| crate::test_kit::random_views(&mut rng).upright).collect();
        let fingerprint = crate::test_kit::fingerprint(&views);
        let written = serde_json::to_value(fingerprint_json(&fingerprint)).unwrap();
        assert_eq!(written["keyframes"][1]["windows"].as_array().map(Vec::len), Some(2), "{written}");
        assert!(written["keyframes"][0].get("windows").is_none(), "no windows, no key: {written}");
        assert_eq!(fingerprint_from_json(written).unwrap(), fingerprint);
    }
}
