//! Archive ingest from a manifest: thousands of dated videos, hours of work, and a run that can
//! be interrupted and continued.
//!
//! The manifest lists one video per row: `path`, `first_seen`, `source_url`, and optionally
//! `title`, `publisher` and `archive_url`, as CSV with a header row or as JSON Lines. A relative path is read
//! from the manifest's folder. Rows are fingerprinted here, N at once, and ingested as hashes.
//!
//! Resuming: every row the server has acknowledged is appended to a journal beside the manifest
//! (`MANIFEST.done.jsonl`) with a BLAKE3 digest of the file's bytes. `--resume` skips a row when
//! the journal holds the same content with the same sighting (source URL and date), so a
//! changed file or a corrected date is ingested again. A row acknowledged but not yet journaled
//! when the run was killed is ingested a second time on resume, which changes nothing: the
//! server records the same footage's same sighting once.
//!
//! A row that fails (missing file, not a video, bad date) goes to the error report
//! (`MANIFEST.errors.csv`: row, path, error) and the run carries on.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::client::{self, Client};
use super::fingerprint_with_thumbnails;
use super::jobs;
use super::json_lines;
use crate::presentation;
use crate::proto::v1;

/// One row as written in the manifest.
#[derive(Deserialize, Debug, Clone)]
struct ManifestRow {
    path: PathBuf,
    first_seen: String,
    source_url: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    publisher: String,
    /// An archived copy of the post.
    #[serde(default)]
    archive_url: String,
}

/// What the journal remembers of an ingested row.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Hash)]
struct JournalEntry {
    content: String,
    source_url: String,
    first_seen: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    footage_id: Option<u64>,
}

impl JournalEntry {
    fn key(&self) -> (String, String, String) {
        (self.content.clone(), self.source_url.clone(), self.first_seen.clone())
    }
}

pub struct ManifestOptions {
    pub concurrency: usize,
    pub resume: bool,
}

#[derive(Debug, Default)]
pub struct ManifestSummary {
    pub rows: usize,
    pub ingested: usize,
    pub new_footage: usize,
    /// Rows whose sighting the server already had: nothing changed.
    pub already_known: usize,
    pub skipped: usize,
    pub failed: usize,
    pub error_report: PathBuf,
}

impl ManifestSummary {
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} rows: {} ingested ({} new footage, {} sightings of known footage, {} already known), {} skipped as already ingested",
            self.rows,
            self.ingested,
            self.new_footage,
            self.ingested - self.new_footage - self.already_known,
            self.already_known,
            self.skipped
        );
        if self.failed > 0 {
            text += &format!(", {} failed (see {})", self.failed, self.error_report.display());
        }
        text
    }
}

fn sibling(manifest: &Path, suffix: &str) -> PathBuf {
    let mut name = manifest.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    manifest.with_file_name(name)
}

pub async fn run(client: Client, manifest: &Path, options: ManifestOptions) -> anyhow::Result<ManifestSummary> {
    let rows = read_manifest(manifest)?;
    let base = manifest.parent().unwrap_or(Path::new(".")).to_owned();
    let journal_path = sibling(manifest, ".done.jsonl");
    let done: HashSet<(String, String, String)> =
        if options.resume { read_journal(&journal_path)? } else { HashSet::new() };
    let mut journal = OpenOptions::new()
        .create(true)
        .write(true)
        .append(options.resume)
        .truncate(!options.resume)
        .open(&journal_path)
        .with_context(|| format!("cannot open the journal {}", journal_path.display()))?;
    let error_report = sibling(manifest, ".errors.csv");
    let mut errors = csv::Writer::from_path(&error_report)
        .with_context(|| format!("cannot create the error report {}", error_report.display()))?;
    errors.write_record(["row", "path", "error"])?;

    let mut summary = ManifestSummary { rows: rows.len(), error_report, ..ManifestSummary::default() };
    let done = Arc::new(done);
    let ingest = |(index, row): (usize, anyhow::Result<ManifestRow>)| {
        let (mut client, done, base) = (client.clone(), Arc::clone(&done), base.clone());
        async move {
            let number = index + 1;
            match row {
                Ok(row) => ingest_row(&mut client, &base, row, &done)
                    .await
                    .unwrap_or_else(|(path, error)| RowOutcome::Failed(number, path, error)),
                Err(error) => RowOutcome::Failed(number, PathBuf::new(), error),
            }
        }
    };
    jobs::run_each(rows.into_iter().enumerate(), options.concurrency, ingest, |outcome| {
        match outcome {
            RowOutcome::Skipped => summary.skipped += 1,
            RowOutcome::Ingested(entry, response) => {
                summary.ingested += 1;
                summary.new_footage += usize::from(response.new_footage);
                summary.already_known += usize::from(!response.new_sighting);
                json_lines::write_line(&mut journal, &entry)?;
            }
            RowOutcome::Failed(number, path, error) => {
                summary.failed += 1;
                errors.write_record([number.to_string(), path.display().to_string(), format!("{error:#}")])?;
                errors.flush()?;
            }
        }
        Ok(())
    })
    .await?;
    Ok(summary)
}

enum RowOutcome {
    Skipped,
    Ingested(JournalEntry, v1::IngestResponse),
    Failed(usize, PathBuf, anyhow::Error),
}

async fn ingest_row(
    client: &mut Client,
    base: &Path,
    row: ManifestRow,
    done: &HashSet<(String, String, String)>,
) -> Result<RowOutcome, (PathBuf, anyhow::Error)> {
    let path = base.join(&row.path);
    let failed = |error: anyhow::Error| (row.path.clone(), error);
    let first_seen: DateTime<Utc> =
        presentation::parse_date(&row.first_seen).map_err(|error| failed(anyhow::anyhow!("first_seen: {error}")))?;
    let content = digest(path.clone()).await.map_err(failed)?;
    let entry = JournalEntry {
        content,
        source_url: row.source_url.clone(),
        first_seen: first_seen.to_rfc3339(),
        footage_id: None,
    };
    if done.contains(&entry.key()) {
        return Ok(RowOutcome::Skipped);
    }
    let (fingerprint, thumbnails) = fingerprint_with_thumbnails(path).await.map_err(failed)?;
    let sighting = v1::Sighting {
        archive_url: row.archive_url,
        ..client::sighting(row.source_url, first_seen, row.title, row.publisher)
    };
    let response = client::ingest_fingerprint(client, &fingerprint, sighting, thumbnails).await.map_err(failed)?;
    Ok(RowOutcome::Ingested(JournalEntry { footage_id: Some(response.footage_id), ..entry }, response))
}

/// BLAKE3 of the file's bytes, read on the blocking pool.
async fn digest(path: PathBuf) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(File::open(&path).with_context(|| format!("cannot open {}", path.display()))?)?;
        Ok(hasher.finalize().to_hex().to_string())
    })
    .await?
}

/// Every row of the manifest, each parsed or with the reason it could not be.
fn read_manifest(manifest: &Path) -> anyhow::Result<Vec<anyhow::Result<ManifestRow>>> {
    read_rows(
        manifest,
        &["path", "first_seen", "source_url"],
        "path, first_seen, source_url, title, publisher, archive_url",
    )
}

/// Every row of a manifest of `T`s, CSV with a header row (that has the `required` columns; a
/// person is told `columns` when one is missing) or else JSON Lines.
pub(super) fn read_rows<T: serde::de::DeserializeOwned>(
    manifest: &Path,
    required: &[&str],
    columns: &str,
) -> anyhow::Result<Vec<anyhow::Result<T>>> {
    let file = File::open(manifest).with_context(|| format!("cannot open the manifest {}", manifest.display()))?;
    if super::results::is_csv(manifest) {
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(file);
        let headers = reader.headers().context("the CSV manifest needs a header row")?.clone();
        for required in required {
            anyhow::ensure!(
                headers.iter().any(|header| header == *required),
                "the CSV manifest's header row has no `{required}` column (columns: {columns})"
            );
        }
        Ok(reader.deserialize().map(|row| row.map_err(anyhow::Error::from)).collect())
    } else {
        Ok(BufReader::new(file)
            .lines()
            .filter(|line| line.as_ref().map_or(true, |line| !line.trim().is_empty()))
            .map(|line| Ok(serde_json::from_str(&line?)?))
            .collect())
    }
}

fn read_journal(path: &Path) -> anyhow::Result<HashSet<(String, String, String)>> {
    let Ok(file) = File::open(path) else { return Ok(HashSet::new()) };
    let mut done = HashSet::new();
    for line in BufReader::new(file).lines() {
        // A line cut short by the kill that interrupted the run is simply not done.
        if let Ok(entry) = serde_json::from_str::<JournalEntry>(&line?) {
            done.insert(entry.key());
        }
    }
    Ok(done)
}
