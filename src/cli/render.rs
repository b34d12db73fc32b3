//! What the CLI prints: a report a person reads at a glance, or one JSON object a script reads.
//!
//! The JSON shapes here are a public interface, documented in README.md: add fields, never
//! rename or remove them.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::fingerprint::{Fingerprint, RegionHashes};
use crate::matching::{Segment, clock_range};
use crate::proto::{self, v1};

#[derive(Serialize)]
struct SightingJson {
    first_seen: Option<String>,
    source_url: String,
    title: String,
    publisher: String,
    recorded_by: String,
    ingested_at: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    imported_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    retraction: Option<RetractionJson>,
}

#[derive(Serialize)]
struct RetractionJson {
    retracted_by: String,
    retracted_at: Option<String>,
    reason: String,
}

#[derive(Serialize)]
struct EarliestJson {
    footage_id: u64,
    #[serde(flatten)]
    sighting: SightingJson,
}

#[derive(Serialize)]
struct MatchJson {
    footage_id: u64,
    /// The footage's earliest sighting, flattened for scripts that want one line a match.
    source_url: String,
    first_seen: Option<String>,
    title: String,
    score: f64,
    matched_keyframes: u32,
    speed: f64,
    mirrored: bool,
    query_start: f64,
    query_end: f64,
    reference_start: f64,
    reference_end: f64,
    sightings: Vec<SightingJson>,
}

#[derive(Serialize)]
struct QueryJson {
    duration: f64,
    keyframes: u32,
    informative_keyframes: u32,
}

#[derive(Serialize)]
struct ReportJson {
    summary: String,
    verdict: &'static str,
    days_before_claim: Option<u32>,
    earliest: Option<EarliestJson>,
    matches: Vec<MatchJson>,
    query: QueryJson,
}

/// A date from the server; one it cannot have meant is shown as unknown rather than failing.
pub(super) fn date(time: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    time.and_then(|time| proto::date_from_wire(time, "date").ok())
}

pub(super) fn rfc3339(time: Option<&prost_types::Timestamp>) -> Option<String> {
    date(time).map(|time| time.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn day(time: Option<&prost_types::Timestamp>) -> String {
    date(time).map_or_else(|| "?".into(), |time| time.format("%Y-%m-%d").to_string())
}

fn sighting_json(sighting: &v1::Sighting) -> SightingJson {
    SightingJson {
        first_seen: rfc3339(sighting.first_seen.as_ref()),
        source_url: sighting.source_url.clone(),
        title: sighting.title.clone(),
        publisher: sighting.publisher.clone(),
        recorded_by: sighting.recorded_by.clone(),
        ingested_at: rfc3339(sighting.ingested_at.as_ref()),
        imported_by: sighting.imported_by.clone(),
        retraction: sighting.retraction.as_ref().map(|retraction| RetractionJson {
            retracted_by: retraction.retracted_by.clone(),
            retracted_at: rfc3339(retraction.retracted_at.as_ref()),
            reason: retraction.reason.clone(),
        }),
    }
}

fn seconds(segment: Option<&v1::Segment>) -> (f64, f64) {
    segment.map_or((0.0, 0.0), |segment| (segment.start_seconds, segment.end_seconds))
}

pub(super) fn clock(segment: Option<&v1::Segment>) -> String {
    let (start, end) = seconds(segment);
    let ms = |seconds: f64| (seconds * 1000.0).round().clamp(0.0, f64::from(u32::MAX)) as u32;
    clock_range(Segment { start_ms: ms(start), end_ms: ms(end) })
}

pub(super) fn verdict_name(report: &v1::LookupReport) -> &'static str {
    match report.verdict() {
        v1::Verdict::PredatesClaim => "predates_claim",
        v1::Verdict::ConsistentWithClaim => "consistent_with_claim",
        v1::Verdict::NoKnownFootage => "no_known_footage",
        v1::Verdict::NoClaim | v1::Verdict::Unspecified => "no_claim",
    }
}

fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn report(report: &v1::LookupReport, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&report_json(report));
    }
    println!("{}", report.summary);
    if report.matches.is_empty() {
        return Ok(());
    }
    println!();
    println!("{:<10}  {:>5}  {:<13}  {:<13}  SOURCE", "FIRST SEEN", "SCORE", "THIS VIDEO", "FOOTAGE");
    for found in &report.matches {
        for (index, sighting) in found.sightings.iter().enumerate() {
            let title = if sighting.title.is_empty() { String::new() } else { format!("  \"{}\"", sighting.title) };
            if index == 0 {
                println!(
                    "{:<10}  {:>5.2}  {:<13}  {:<13}  {}{title}",
                    day(sighting.first_seen.as_ref()),
                    found.score,
                    clock(found.query_segment.as_ref()),
                    clock(found.reference_segment.as_ref()),
                    sighting.source_url,
                );
            } else {
                println!(
                    "{:<10}  {:>5}  {:<13}  {:<13}  {}{title}",
                    day(sighting.first_seen.as_ref()),
                    "",
                    "",
                    "",
                    sighting.source_url
                );
            }
        }
    }
    Ok(())
}

fn report_json(report: &v1::LookupReport) -> ReportJson {
    ReportJson {
        summary: report.summary.clone(),
        verdict: verdict_name(report),
        days_before_claim: (report.verdict() == v1::Verdict::PredatesClaim).then_some(report.days_before_claim),
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
                    query_start,
                    query_end,
                    reference_start,
                    reference_end,
                    sightings: found.sightings.iter().map(sighting_json).collect(),
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

pub fn ingest(file: &Path, outcome: &v1::IngestResponse, json: bool) -> anyhow::Result<()> {
    if json {
        #[derive(Serialize)]
        struct IngestJson {
            footage_id: u64,
            new_footage: bool,
            new_sighting: bool,
            keyframes: u32,
            footage_first_seen: Option<String>,
        }
        return print_json(&IngestJson {
            footage_id: outcome.footage_id,
            new_footage: outcome.new_footage,
            new_sighting: outcome.new_sighting,
            keyframes: outcome.keyframes,
            footage_first_seen: rfc3339(outcome.footage_first_seen.as_ref()),
        });
    }
    let what = match (outcome.new_footage, outcome.new_sighting) {
        (true, _) => "new footage",
        (false, true) => "a new sighting of known footage",
        (false, false) => "already known: footage and sighting were both indexed",
    };
    println!(
        "{}: {what}, footage {} ({} keyframes), first seen {}",
        file.display(),
        outcome.footage_id,
        outcome.keyframes,
        day(outcome.footage_first_seen.as_ref()),
    );
    Ok(())
}

/// A keyframe region's three hashes, 16 hex digits each: how hashes appear in JSON, printed or
/// exported.
#[derive(Serialize, Deserialize)]
pub(super) struct HexRegions {
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
    pub(super) fn to_wire(&self) -> anyhow::Result<v1::RegionHashes> {
        let hash =
            |hex: &str| u64::from_str_radix(hex, 16).with_context(|| format!("'{hex}' is not a 64-bit hex hash"));
        Ok(v1::RegionHashes { whole: hash(&self.whole)?, centre: hash(&self.centre)?, band: hash(&self.band)? })
    }
}

pub fn fingerprint(fingerprint: &Fingerprint, json: bool) -> anyhow::Result<()> {
    if json {
        #[derive(Serialize)]
        struct KeyframeJson {
            time: f64,
            informative: bool,
            upright: HexRegions,
            mirrored: HexRegions,
            #[serde(skip_serializing_if = "Option::is_none")]
            inset: Option<HexRegions>,
        }
        #[derive(Serialize)]
        struct FingerprintJson {
            recipe_version: u32,
            duration: f64,
            keyframes: Vec<KeyframeJson>,
        }
        return print_json(&FingerprintJson {
            recipe_version: crate::fingerprint::RECIPE_VERSION,
            duration: f64::from(fingerprint.duration_ms) / 1000.0,
            keyframes: fingerprint
                .keyframes
                .iter()
                .map(|keyframe| KeyframeJson {
                    time: f64::from(keyframe.time_ms) / 1000.0,
                    upright: keyframe.hashes.upright.into(),
                    mirrored: keyframe.hashes.mirrored.into(),
                    inset: keyframe.hashes.inset.map(HexRegions::from),
                    informative: keyframe.informative,
                })
                .collect(),
        });
    }
    println!(
        "{:.1} s, {} keyframes ({} informative), recipe v{}",
        f64::from(fingerprint.duration_ms) / 1000.0,
        fingerprint.keyframes.len(),
        fingerprint.informative_keyframes().count(),
        crate::fingerprint::RECIPE_VERSION,
    );
    if fingerprint.keyframes.iter().any(|keyframe| keyframe.hashes.inset.is_some()) {
        println!("footage shown in a window over other footage: lookups search the window too");
    }
    println!("{:>9}  {:<16}  {:<16}  {:<16}", "time (s)", "whole", "centre", "band");
    for keyframe in &fingerprint.keyframes {
        let note = if keyframe.informative { "" } else { "  (no information: not evidence)" };
        let RegionHashes { whole, centre, band } = keyframe.hashes.upright;
        println!("{:>9.3}  {whole}  {centre}  {band}{note}", f64::from(keyframe.time_ms) / 1000.0);
    }
    Ok(())
}

pub fn footage(footage: &v1::Footage, json: bool) -> anyhow::Result<()> {
    if json {
        #[derive(Serialize)]
        struct FootageJson {
            footage_id: u64,
            duration: f64,
            keyframes: u32,
            first_seen: Option<String>,
            sightings: Vec<SightingJson>,
        }
        return print_json(&FootageJson {
            footage_id: footage.footage_id,
            duration: footage.duration_seconds,
            keyframes: footage.keyframes,
            first_seen: rfc3339(footage.first_seen.as_ref()),
            sightings: footage.sightings.iter().map(sighting_json).collect(),
        });
    }
    println!(
        "footage {}: {:.1} s, {} keyframes, first seen {}",
        footage.footage_id,
        footage.duration_seconds,
        footage.keyframes,
        day(footage.first_seen.as_ref())
    );
    for sighting in &footage.sightings {
        println!("  {}  {}  {}", day(sighting.first_seen.as_ref()), sighting.source_url, sighting.title);
        println!("      {}", provenance(sighting));
        if let Some(retraction) = &sighting.retraction {
            println!(
                "      RETRACTED by {} on {}: {}",
                shown_name(&retraction.retracted_by),
                day(retraction.retracted_at.as_ref()),
                retraction.reason
            );
        }
    }
    Ok(())
}

/// Who recorded a sighting and when, in words.
fn provenance(sighting: &v1::Sighting) -> String {
    let recorded =
        format!("recorded by {} on {}", shown_name(&sighting.recorded_by), day(sighting.ingested_at.as_ref()));
    if sighting.imported_by.is_empty() { recorded } else { format!("{recorded}, imported by {}", sighting.imported_by) }
}

/// A key's name; sightings recorded before keys existed have none.
fn shown_name(name: &str) -> &str {
    if name.is_empty() { "(no key)" } else { name }
}

pub fn stats(stats: &v1::StatsResponse, json: bool) -> anyhow::Result<()> {
    if json {
        #[derive(Serialize)]
        struct StatsJson {
            footage: u64,
            sightings: u64,
            keyframes: u64,
            indexed_keyframes: u64,
            disk_bytes: u64,
        }
        return print_json(&StatsJson {
            footage: stats.footage,
            sightings: stats.sightings,
            keyframes: stats.keyframes,
            indexed_keyframes: stats.indexed_keyframes,
            disk_bytes: stats.disk_bytes,
        });
    }
    println!("footage            {}", stats.footage);
    println!("sightings          {}", stats.sightings);
    println!("keyframes          {}", stats.keyframes);
    println!("indexed keyframes  {}", stats.indexed_keyframes);
    println!("disk               {:.1} MiB", stats.disk_bytes as f64 / (1024.0 * 1024.0));
    Ok(())
}

fn role_name(role: i32) -> &'static str {
    match v1::Role::try_from(role) {
        Ok(v1::Role::Reader) => "reader",
        Ok(v1::Role::Contributor) => "contributor",
        Ok(v1::Role::Admin) => "admin",
        _ => "?",
    }
}

/// A new key: the key alone on stdout, so that `> key.txt` keeps just it; the rest on stderr.
pub fn created_key(created: &v1::CreatedKey) -> anyhow::Result<()> {
    let info = created.info.clone().unwrap_or_default();
    eprintln!(
        "created the {} key {:?}; it is shown once, here, and the server keeps only its digest:",
        role_name(info.role),
        info.name
    );
    println!("{}", created.key);
    Ok(())
}

pub fn keys(keys: &v1::KeyList, json: bool) -> anyhow::Result<()> {
    if json {
        #[derive(Serialize)]
        struct KeyJson {
            name: String,
            role: &'static str,
            created_at: Option<String>,
            last_used: Option<String>,
            revoked_at: Option<String>,
        }
        let keys: Vec<KeyJson> = keys
            .keys
            .iter()
            .map(|key| KeyJson {
                name: key.name.clone(),
                role: role_name(key.role),
                created_at: rfc3339(key.created_at.as_ref()),
                last_used: rfc3339(key.last_used.as_ref()),
                revoked_at: rfc3339(key.revoked_at.as_ref()),
            })
            .collect();
        return print_json(&keys);
    }
    println!("{:<24} {:<12} {:<11} {:<11} REVOKED", "NAME", "ROLE", "CREATED", "LAST USED");
    for key in &keys.keys {
        let when = |time: Option<&prost_types::Timestamp>| if time.is_some() { day(time) } else { "-".into() };
        println!(
            "{:<24} {:<12} {:<11} {:<11} {}",
            key.name,
            role_name(key.role),
            day(key.created_at.as_ref()),
            when(key.last_used.as_ref()),
            when(key.revoked_at.as_ref())
        );
    }
    Ok(())
}
