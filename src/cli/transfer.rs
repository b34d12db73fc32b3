//! Export and import: moving an index's footage, sightings and fingerprints to another
//! instance without the videos.
//!
//! The file is JSON Lines, one footage a line (the `Export` RPC's message, in plain JSON):
//! `{"footage_id", "duration_ms", "recipe_version", "keyframes": [{"time_ms", "informative",
//! "upright": {"whole", "centre", "band"}, "mirrored": {…}, "middle"}], "sightings": [{"source_url",
//! "first_seen", "title", "publisher", "recorded_by", "ingested_at", "retraction"}]}` with hashes
//! as 16 hex digits, and `"reviews": [{"claimreview": {…ClaimReview JSON-LD…}, "recorded_by",
//! "recorded_at", "retraction"}]`. An admin's import keeps who recorded each sighting and review,
//! when, and its retraction, and the server notes the importing key as `imported_by`. Import
//! sends every sighting of a footage as one item of `IngestFingerprints` with the footage's
//! fingerprint, the first with the footage's reviews: the first creates the footage, the others
//! find it and become its sightings, exactly as ingesting them one by one would. Footage ids are
//! the receiving index's own.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter};
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};

use super::client::{self, Client, refused};
use super::json_lines;
use super::render;
use crate::claimreview;
use crate::fingerprint::{PerceptualHash, RegionHashes};
use crate::presentation;
use crate::presentation::HexRegions;
use crate::proto::{self, v1};

#[derive(Serialize, Deserialize)]
struct FootageLine {
    footage_id: u64,
    duration_ms: u32,
    recipe_version: u32,
    keyframes: Vec<KeyframeLine>,
    sightings: Vec<SightingLine>,
    /// Exports written before reviews existed have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    reviews: Vec<ReviewLine>,
}

#[derive(Serialize, Deserialize)]
struct ReviewLine {
    /// The review itself, in the form fact-checkers publish it.
    claimreview: serde_json::Value,
    recorded_by: String,
    /// RFC 3339.
    recorded_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retraction: Option<RetractionLine>,
}

#[derive(Serialize, Deserialize)]
struct KeyframeLine {
    time_ms: u32,
    informative: bool,
    upright: HexRegions,
    mirrored: HexRegions,
    /// Exports written before recipe version 10 have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    middle: Option<String>,
    /// Exports written before recipe version 13 have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    core: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct SightingLine {
    source_url: String,
    /// RFC 3339.
    first_seen: String,
    title: String,
    publisher: String,
    /// Who recorded it and when (RFC 3339), and its retraction: kept by an admin's import.
    /// Exports written before keys existed have none, and the importing key records them.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    recorded_by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    ingested_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retraction: Option<RetractionLine>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    archive_url: String,
}

#[derive(Serialize, Deserialize)]
struct RetractionLine {
    retracted_by: String,
    /// RFC 3339.
    retracted_at: String,
    reason: String,
}

impl From<&v1::Retraction> for RetractionLine {
    fn from(retraction: &v1::Retraction) -> Self {
        RetractionLine {
            retracted_by: retraction.retracted_by.clone(),
            retracted_at: exact(retraction.retracted_at.as_ref()),
            reason: retraction.reason.clone(),
        }
    }
}

impl RetractionLine {
    fn to_wire(&self) -> anyhow::Result<v1::Retraction> {
        Ok(v1::Retraction {
            retracted_by: self.retracted_by.clone(),
            retracted_at: Some(wire_time(&self.retracted_at)?),
            reason: self.reason.clone(),
        })
    }
}

fn wire_time(text: &str) -> anyhow::Result<prost_types::Timestamp> {
    presentation::parse_date(text).map(proto::date_to_wire).map_err(anyhow::Error::msg)
}

/// Every digit the server keeps, so that an import restores the same time.
fn exact(time: Option<&prost_types::Timestamp>) -> String {
    render::date(time).map(|time| time.to_rfc3339_opts(SecondsFormat::AutoSi, true)).unwrap_or_default()
}

/// Streams the server's whole index into `out`; returns how many footage were written.
pub async fn export(client: &mut Client, out: &Path) -> anyhow::Result<u64> {
    // Written beside the target and renamed at the end: an interrupted export leaves no file
    // that looks complete.
    let partial = out.with_extension("partial");
    let mut writer =
        BufWriter::new(File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?);
    let mut stream = client.export(v1::ExportRequest {}).await.map_err(refused)?.into_inner();
    let mut written = 0;
    while let Some(footage) = stream.message().await.map_err(refused)? {
        let fingerprint = footage.fingerprint.unwrap_or_default();
        let line = FootageLine {
            footage_id: footage.footage_id,
            duration_ms: fingerprint.duration_ms,
            recipe_version: fingerprint.recipe_version,
            keyframes: fingerprint
                .keyframes
                .iter()
                .map(|keyframe| KeyframeLine {
                    time_ms: keyframe.time_ms,
                    informative: keyframe.informative,
                    upright: RegionHashes::from(&keyframe.upright.unwrap_or_default()).into(),
                    mirrored: RegionHashes::from(&keyframe.mirrored.unwrap_or_default()).into(),
                    middle: keyframe.middle.map(|hash| PerceptualHash(hash).to_string()),
                    core: keyframe.core.map(|hash| PerceptualHash(hash).to_string()),
                })
                .collect(),
            sightings: footage
                .sightings
                .iter()
                .map(|sighting| SightingLine {
                    source_url: sighting.source_url.clone(),
                    first_seen: exact(sighting.first_seen.as_ref()),
                    title: sighting.title.clone(),
                    publisher: sighting.publisher.clone(),
                    recorded_by: sighting.recorded_by.clone(),
                    ingested_at: exact(sighting.ingested_at.as_ref()),
                    retraction: sighting.retraction.as_ref().map(RetractionLine::from),
                    archive_url: sighting.archive_url.clone(),
                })
                .collect(),
            reviews: footage
                .reviews
                .iter()
                .map(|review| ReviewLine {
                    claimreview: claimreview::write(review),
                    recorded_by: review.recorded_by.clone(),
                    recorded_at: exact(review.recorded_at.as_ref()),
                    retraction: review.retraction.as_ref().map(RetractionLine::from),
                })
                .collect(),
        };
        json_lines::write_line(&mut writer, &line)?;
        written += 1;
    }
    writer.into_inner().map_err(|error| error.into_error())?.sync_all()?;
    std::fs::rename(&partial, out).with_context(|| format!("cannot move the export to {}", out.display()))?;
    Ok(written)
}

/// Loads an export into the server; returns the server's summary. The file is read as the
/// stream is sent, so an export of any size needs no more memory than a few footage.
pub async fn import(client: &mut Client, input: &Path) -> anyhow::Result<v1::IngestSummary> {
    let file = File::open(input).with_context(|| format!("cannot open {}", input.display()))?;
    let unreadable: Arc<Mutex<Option<anyhow::Error>>> = Arc::default();
    let stop = Arc::clone(&unreadable);
    let shown = input.display().to_string();
    let items = BufReader::new(file)
        .lines()
        .enumerate()
        .filter(|(_, line)| line.as_ref().map_or(true, |line| !line.trim().is_empty()))
        .map_while(move |(number, line)| {
            match line.map_err(anyhow::Error::from).and_then(|line| footage_items(&line)) {
                Ok(items) => Some(items),
                Err(error) => {
                    // Ending the stream early commits what came before; the error is reported
                    // once the server has answered.
                    *stop.lock().expect("not poisoned") = Some(error.context(format!("{shown} line {}", number + 1)));
                    None
                }
            }
        })
        .flatten();
    let summary = client.ingest_fingerprints(tokio_stream::iter(items)).await.map_err(refused)?.into_inner();
    if let Some(error) = unreadable.lock().expect("not poisoned").take() {
        return Err(error.context(format!("import stopped after {} sightings", summary.items)));
    }
    Ok(summary)
}

/// One `IngestFingerprints` item per sighting of the footage on `line`.
fn footage_items(line: &str) -> anyhow::Result<Vec<v1::IngestFingerprintRequest>> {
    let footage: FootageLine = serde_json::from_str(line)?;
    let hex =
        |hash: &Option<String>| hash.as_deref().map(presentation::hex_hash).transpose().map_err(anyhow::Error::msg);
    let keyframes = footage
        .keyframes
        .iter()
        .map(|keyframe| {
            Ok(v1::Keyframe {
                time_ms: keyframe.time_ms,
                informative: keyframe.informative,
                upright: Some(keyframe.upright.to_wire().map_err(anyhow::Error::msg)?),
                mirrored: Some(keyframe.mirrored.to_wire().map_err(anyhow::Error::msg)?),
                middle: hex(&keyframe.middle)?,
                core: hex(&keyframe.core)?,
                // An export holds indexed footage, which has no window, turned, tilted or
                // fill-crop views, and no pictures.
                windows: Vec::new(),
                turned: Vec::new(),
                tilted: Vec::new(),
                filled: Vec::new(),
                picture: None,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let fingerprint =
        v1::Fingerprint { duration_ms: footage.duration_ms, keyframes, recipe_version: footage.recipe_version };
    let mut reviews = footage
        .reviews
        .iter()
        .enumerate()
        .map(|(n, line)| {
            let review = claimreview::read_one(&line.claimreview).with_context(|| format!("review {}", n + 1))?;
            Ok(v1::Review {
                recorded_by: line.recorded_by.clone(),
                recorded_at: Some(wire_time(&line.recorded_at)?),
                retraction: line.retraction.as_ref().map(RetractionLine::to_wire).transpose()?,
                ..review
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    footage
        .sightings
        .into_iter()
        .map(|sighting| {
            let first_seen = presentation::parse_date(&sighting.first_seen).map_err(anyhow::Error::msg)?;
            let mut wire = client::sighting(sighting.source_url, first_seen, sighting.title, sighting.publisher);
            wire.archive_url = sighting.archive_url;
            if !sighting.recorded_by.is_empty() {
                wire.recorded_by = sighting.recorded_by;
                wire.ingested_at =
                    (!sighting.ingested_at.is_empty()).then(|| wire_time(&sighting.ingested_at)).transpose()?;
                wire.retraction = sighting.retraction.as_ref().map(RetractionLine::to_wire).transpose()?;
            }
            Ok(v1::IngestFingerprintRequest {
                sighting: Some(wire),
                fingerprint: Some(fingerprint.clone()),
                // The first item carries the reviews: it creates the footage or finds it.
                reviews: std::mem::take(&mut reviews),
                ..Default::default()
            })
        })
        .collect()
}
