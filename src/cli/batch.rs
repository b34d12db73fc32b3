//! Batch lookup: many files and folders, N lookups at once, one result row per file.
//!
//! A verification desk sweeps a folder of clips from a breaking story. What matters is that the
//! sweep finishes whatever is in the folder: a file that cannot be read or fingerprinted is
//! reported on its own row and the batch goes on. Only failing to reach the server at all stops
//! it, because then every row would say the same thing.
//!
//! Each file is fingerprinted here (decoding runs on the blocking pool, at most `concurrency`
//! at once) and only its hashes travel; `--upload` sends the video instead. Rows are written as
//! files finish, so an interrupted batch keeps what it did.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::client::{self, Client};
use super::results::{ResultRow, RowWriter};
use super::{fingerprint_in_background, jobs};

/// File name extensions taken from folders. A file named on the command line is always tried.
const VIDEO_EXTENSIONS: &[&str] =
    &["3gp", "avi", "flv", "m2ts", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "mts", "ogv", "ts", "webm", "wmv"];

pub struct BatchOptions {
    pub concurrency: usize,
    pub out: Option<PathBuf>,
    pub claimed: Option<DateTime<Utc>>,
    pub upload: bool,
}

/// What a batch found, for the closing summary and the exit code.
#[derive(Debug, Default)]
pub struct BatchSummary {
    pub files: usize,
    pub matched: usize,
    pub predating_claim: usize,
    pub failed: usize,
}

impl BatchSummary {
    fn count(&mut self, row: &ResultRow) {
        self.files += 1;
        self.matched += usize::from(row.matched());
        self.predating_claim += usize::from(row.predates_claim);
        self.failed += usize::from(row.error.is_some());
    }

    pub fn describe(&self, claimed: Option<DateTime<Utc>>) -> String {
        let mut text = format!("{} files: {} matched known footage", self.files, self.matched);
        if let Some(claimed) = claimed {
            text += &format!(", {} seen before the claimed date {}", self.predating_claim, claimed.format("%Y-%m-%d"));
        }
        if self.failed > 0 {
            text += &format!(", {} could not be checked (see their rows)", self.failed);
        }
        text
    }
}

/// Every video file under `inputs`: files as given, folders searched recursively, in a stable
/// order (sorted within each folder) so that two runs list the same rows in the same order of
/// submission.
pub fn collect_videos(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let entries = walkdir::WalkDir::new(input).sort_by_file_name().into_iter();
            files.extend(
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| entry.file_type().is_file() && is_video_name(entry.path()))
                    .map(walkdir::DirEntry::into_path),
            );
        } else {
            files.push(input.clone());
        }
    }
    files
}

fn is_video_name(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| VIDEO_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str()))
}

pub async fn run(client: Client, files: Vec<PathBuf>, options: BatchOptions) -> anyhow::Result<BatchSummary> {
    let mut writer = RowWriter::create(options.out.as_deref())?;
    let mut summary = BatchSummary::default();
    let (claimed, upload) = (options.claimed, options.upload);
    let look_up_file = |file: PathBuf| {
        let mut client = client.clone();
        async move {
            match look_up(&mut client, &file, claimed, upload).await {
                Ok(report) => ResultRow::from_report(&file, &report),
                Err(error) => ResultRow::from_error(&file, &error),
            }
        }
    };
    jobs::run_each(files.into_iter(), options.concurrency, look_up_file, |row| {
        writer.write(&row)?;
        summary.count(&row);
        Ok(())
    })
    .await?;
    Ok(summary)
}

/// One file's lookup, by fingerprint or by upload.
pub async fn look_up(
    client: &mut Client,
    file: &Path,
    claimed: Option<DateTime<Utc>>,
    upload: bool,
) -> anyhow::Result<crate::proto::v1::LookupReport> {
    let fingerprint = if upload { None } else { Some(fingerprint_in_background(file.to_owned()).await?) };
    look_up_with(client, file, fingerprint.as_ref(), claimed).await
}

/// Looks `file` up by `fingerprint`, made already, or by uploading it when there is none: a
/// caller that looks one video up twice decodes it once.
pub async fn look_up_with(
    client: &mut Client,
    file: &Path,
    fingerprint: Option<&crate::fingerprint::Fingerprint>,
    claimed: Option<DateTime<Utc>>,
) -> anyhow::Result<crate::proto::v1::LookupReport> {
    match fingerprint {
        Some(fingerprint) => client::lookup_fingerprint(client, fingerprint, claimed).await,
        None => client::lookup_upload(client, file, claimed).await,
    }
}
