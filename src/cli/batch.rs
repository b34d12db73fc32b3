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

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::client::{self, Client};
use super::fingerprint_in_background;
use super::results::{ResultRow, RowWriter};

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
        self.predating_claim += usize::from(row.verdict == "predates_claim");
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
    let progress = progress_bar(files.len() as u64);
    let slots = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut running = JoinSet::new();
    let mut summary = BatchSummary::default();
    for file in files {
        let slot = Arc::clone(&slots).acquire_owned().await?;
        let mut client = client.clone();
        let claimed = options.claimed;
        let upload = options.upload;
        running.spawn(async move {
            let row = match look_up(&mut client, &file, claimed, upload).await {
                Ok(report) => ResultRow::from_report(&file, &report),
                Err(error) => ResultRow::from_error(&file, &error),
            };
            drop(slot);
            row
        });
        // Write what has finished while later files wait for a slot.
        while let Some(done) = running.try_join_next() {
            record(&mut writer, &progress, &mut summary, done?)?;
        }
    }
    while let Some(done) = running.join_next().await {
        record(&mut writer, &progress, &mut summary, done?)?;
    }
    progress.finish_and_clear();
    Ok(summary)
}

fn record(
    writer: &mut RowWriter,
    progress: &ProgressBar,
    summary: &mut BatchSummary,
    row: ResultRow,
) -> anyhow::Result<()> {
    writer.write(&row)?;
    summary.count(&row);
    progress.inc(1);
    Ok(())
}

/// One file's lookup, by fingerprint or by upload.
pub async fn look_up(
    client: &mut Client,
    file: &Path,
    claimed: Option<DateTime<Utc>>,
    upload: bool,
) -> anyhow::Result<crate::proto::v1::LookupReport> {
    if upload {
        client::lookup_upload(client, file, claimed).await
    } else {
        let fingerprint = fingerprint_in_background(file.to_owned()).await?;
        client::lookup_fingerprint(client, &fingerprint, claimed).await
    }
}

/// A bar with rate and ETA on a terminal; nothing at all when stderr is a file or a pipe.
pub fn progress_bar(length: u64) -> ProgressBar {
    let target =
        if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
    let bar = ProgressBar::with_draw_target(Some(length), target);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files, {per_sec}, ETA {eta}").expect("a valid template"),
    );
    bar
}
