//! What the CLI prints: a report a person reads at a glance, or one JSON object a script reads.
//!
//! The JSON shapes here are a public interface, documented in README.md: add fields, never
//! rename or remove them.

use std::path::Path;

use serde::Serialize;

use crate::claimreview;
use crate::fingerprint::{Fingerprint, RegionHashes};
use crate::presentation;
pub(super) use crate::presentation::{clock, date, rfc3339, verdict_name};
use crate::presentation::{day, fingerprint_json, footage_json, ingest_json, ingest_summary, report_json, stats_json};
use crate::proto::v1;

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
    let fact_checks = presentation::fact_checks(report);
    if !fact_checks.is_empty() {
        println!();
        println!("FACT-CHECKS");
        for (footage_id, review) in fact_checks {
            println!("  {} (footage {footage_id})", presentation::fact_check_line(review));
            println!("      {}", claim_line(review));
        }
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

pub fn ingest(file: &Path, outcome: &v1::IngestResponse, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&ingest_json(outcome));
    }
    println!("{}: {}", file.display(), ingest_summary(outcome));
    Ok(())
}

pub fn fingerprint(fingerprint: &Fingerprint, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&fingerprint_json(fingerprint));
    }
    println!(
        "{:.1} s, {} keyframes ({} informative), recipe v{}",
        crate::time::seconds(fingerprint.duration_ms),
        fingerprint.keyframes.len(),
        fingerprint.informative_keyframes().count(),
        crate::fingerprint::RECIPE_VERSION,
    );
    if fingerprint.keyframes.iter().any(|keyframe| !keyframe.hashes.windows.is_empty()) {
        println!("footage shown in a window or a part of the frame: lookups search each window too");
    }
    println!("{:>9}  {:<16}  {:<16}  {:<16}", "time (s)", "whole", "centre", "band");
    for keyframe in &fingerprint.keyframes {
        let note = if keyframe.informative { "" } else { "  (plain: searched, never indexed)" };
        let RegionHashes { whole, centre, band } = keyframe.hashes.upright;
        println!("{:>9.3}  {whole}  {centre}  {band}{note}", crate::time::seconds(keyframe.time_ms));
    }
    Ok(())
}

pub fn footage(footage: &v1::Footage, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&footage_json(footage));
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
        if !sighting.archive_url.is_empty() {
            println!("      archived at {}", sighting.archive_url);
        }
        println!("      {}", provenance(&sighting.recorded_by, sighting.ingested_at.as_ref(), &sighting.imported_by));
        print_retraction(sighting.retraction.as_ref());
    }
    if !footage.reviews.is_empty() {
        println!("fact-checks:");
    }
    for review in &footage.reviews {
        println!("  {}", presentation::fact_check_line(review));
        println!("      {}", claim_line(review));
        println!("      {}", provenance(&review.recorded_by, review.recorded_at.as_ref(), &review.imported_by));
        print_retraction(review.retraction.as_ref());
    }
    Ok(())
}

fn print_retraction(retraction: Option<&v1::Retraction>) {
    if let Some(retraction) = retraction {
        println!(
            "      RETRACTED by {} on {}: {}",
            shown_name(&retraction.retracted_by),
            day(retraction.retracted_at.as_ref()),
            retraction.reason
        );
    }
}

/// What was claimed, by whom, when and where: `claim: "…" by X on 2023-09-20 at URL`.
fn claim_line(review: &v1::Review) -> String {
    let mut line = format!("claim: \"{}\"", review.claim);
    if !review.claimant.is_empty() {
        line += &format!(" by {}", review.claimant);
    }
    if review.claim_date.is_some() {
        line += &format!(" on {}", day(review.claim_date.as_ref()));
    }
    if !review.claim_url.is_empty() {
        line += &format!(" at {}", review.claim_url);
    }
    line
}

/// The ClaimReview JSON-LD of every standing fact-check of the footage, as one array.
pub fn claim_reviews(footage: &v1::Footage) -> anyhow::Result<()> {
    let standing: Vec<serde_json::Value> =
        footage.reviews.iter().filter(|review| review.retraction.is_none()).map(claimreview::write).collect();
    print_json(&standing)
}

/// Who recorded a sighting or a review and when, in words.
fn provenance(recorded_by: &str, recorded_at: Option<&prost_types::Timestamp>, imported_by: &str) -> String {
    let recorded = format!("recorded by {} on {}", shown_name(recorded_by), day(recorded_at));
    if imported_by.is_empty() { recorded } else { format!("{recorded}, imported by {imported_by}") }
}

/// A key's name; sightings recorded before keys existed have none.
fn shown_name(name: &str) -> &str {
    if name.is_empty() { "(no key)" } else { name }
}

pub fn stats(stats: &v1::StatsResponse, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&stats_json(stats));
    }
    println!("footage            {}", stats.footage);
    println!("sightings          {}", stats.sightings);
    println!("keyframes          {}", stats.keyframes);
    println!("indexed keyframes  {}", stats.indexed_keyframes);
    println!("reviews            {}", stats.reviews);
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
