//! Getting fact-checks in: one review from flags, from a ClaimReview JSON-LD file, or a
//! manifest of videos each paired with its review.
//!
//! A review is attached to footage by id (`review add`), or to whatever footage a video turns
//! out to be (`lookup --attach-review`, `review import`): the video is looked up, and the review
//! goes to the one footage it matches. When it matches none, or several (a compilation), the
//! review is refused: attaching it to the wrong footage would tell the next desk a falsehood.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use super::batch;
use super::client::{self, Client};
use super::jobs;
use super::manifest::read_rows;
use crate::claimreview;
use crate::presentation;
use crate::proto::{self, v1};

/// A review as flags (`--claim`, `--rating`…) or as a manifest row's columns (`claim`,
/// `rating`…): one set of fields, so the two cannot drift apart. Every field is text, checked
/// when the review is built, so that a bad cell is reported by its column's name; an empty cell
/// is an absent field.
#[derive(clap::Args, Deserialize, Debug, Default, Clone)]
pub struct ReviewFields {
    /// The claim as made: "Video shows Baku celebrating the new offensive".
    #[arg(long)]
    #[serde(default, deserialize_with = "cell")]
    pub claim: Option<String>,
    /// The rating as the fact-checker published it: "False", "Misleading", "Old footage".
    #[arg(long)]
    #[serde(default, deserialize_with = "cell")]
    pub rating: Option<String>,
    /// The fact-check article.
    #[arg(long)]
    #[serde(default, deserialize_with = "cell")]
    pub url: Option<String>,
    /// When the fact-check was published: 2023-09-25 or RFC 3339.
    #[arg(long)]
    #[serde(default, deserialize_with = "cell")]
    pub published: Option<String>,
    /// The fact-checking organisation.
    #[arg(long)]
    #[serde(default, deserialize_with = "cell")]
    pub by: Option<String>,
    /// The fact-checker's site.
    #[arg(long)]
    #[serde(default, deserialize_with = "cell")]
    pub by_url: Option<String>,
    /// When the claim was made.
    #[arg(long)]
    #[serde(default, deserialize_with = "cell")]
    pub claim_date: Option<String>,
    /// Who made the claim.
    #[arg(long)]
    #[serde(default, deserialize_with = "cell")]
    pub claimant: Option<String>,
    /// Where the claim was made (the post's URL).
    #[arg(long)]
    #[serde(default, deserialize_with = "cell")]
    pub claim_url: Option<String>,
    /// The claim's language, as a BCP 47 code: en, ar, az.
    #[arg(long)]
    #[serde(default, deserialize_with = "cell")]
    pub language: Option<String>,
    /// A numeric rating, on the scale of --worst-rating to --best-rating (1 to 5 unless given).
    #[arg(long)]
    #[serde(default, deserialize_with = "cell")]
    pub rating_value: Option<String>,
    #[arg(long, requires = "rating_value")]
    #[serde(default, deserialize_with = "cell")]
    pub worst_rating: Option<String>,
    #[arg(long, requires = "rating_value")]
    #[serde(default, deserialize_with = "cell")]
    pub best_rating: Option<String>,
    /// Instead of the fields: a ClaimReview JSON-LD file, as found in a fact-check page's
    /// `<script type="application/ld+json">`; every ClaimReview in it is attached.
    #[arg(long, conflicts_with_all = ["claim", "rating", "url", "published", "by"])]
    #[serde(default, deserialize_with = "cell")]
    pub claimreview: Option<PathBuf>,
}

impl ReviewFields {
    /// Whether any field was given, so that flags given without `--attach-review` are refused
    /// rather than ignored.
    pub fn is_given(&self) -> bool {
        let texts = [
            &self.claim,
            &self.rating,
            &self.url,
            &self.published,
            &self.by,
            &self.by_url,
            &self.claim_date,
            &self.claimant,
            &self.claim_url,
            &self.language,
            &self.rating_value,
            &self.worst_rating,
            &self.best_rating,
        ];
        texts.iter().any(|text| optional(text).is_some()) || self.claimreview.is_some()
    }

    /// The reviews these fields describe; a relative `claimreview` path is read from `base`.
    pub fn reviews(&self, base: &Path) -> anyhow::Result<Vec<v1::Review>> {
        if let Some(file) = self.claimreview.as_ref().filter(|file| !file.as_os_str().is_empty()) {
            let path = base.join(file);
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            return claimreview::read(&text).with_context(|| format!("{} is not a usable ClaimReview", path.display()));
        }
        let required = |value: &Option<String>, field: &str| {
            optional(value).map(str::to_owned).ok_or_else(|| {
                anyhow::anyhow!(
                    "a review needs {field}: give claim, rating, url, published and by (or a claimreview JSON-LD file)"
                )
            })
        };
        let date = |value: &str, field: &str| {
            presentation::parse_date(value)
                .map(proto::date_to_wire)
                .map_err(|error| anyhow::anyhow!("{field}: {error}"))
        };
        let number = |value: &Option<String>, field: &str| {
            optional(value)
                .map(|text| text.parse::<f64>().map_err(|_| anyhow::anyhow!("{field}: {text:?} is not a number")))
                .transpose()
        };
        let text = |value: &Option<String>| optional(value).unwrap_or_default().to_owned();
        let published = required(&self.published, "published")?;
        let numeric_rating = match number(&self.rating_value, "rating_value")? {
            Some(value) => Some(v1::NumericRating {
                value,
                worst: number(&self.worst_rating, "worst_rating")?.unwrap_or(1.0),
                best: number(&self.best_rating, "best_rating")?.unwrap_or(5.0),
            }),
            None => None,
        };
        Ok(vec![v1::Review {
            claim: required(&self.claim, "claim")?,
            rating: required(&self.rating, "rating")?,
            url: required(&self.url, "url")?,
            published: Some(date(&published, "published")?),
            reviewer: required(&self.by, "by")?,
            reviewer_url: text(&self.by_url),
            claim_date: optional(&self.claim_date).map(|claim_date| date(claim_date, "claim_date")).transpose()?,
            claimant: text(&self.claimant),
            claim_url: text(&self.claim_url),
            language: text(&self.language),
            numeric_rating,
            ..v1::Review::default()
        }])
    }
}

/// A manifest cell as text, whatever it looks like: a row read through `flatten` has its cells
/// typed by guess (`2` an integer, `true` a flag), and a rating or even a claim may be "5".
fn cell<'de, D: serde::Deserializer<'de>, T: From<String>>(deserializer: D) -> Result<Option<T>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Cell {
        Text(String),
        Unsigned(u64),
        Signed(i64),
        Number(f64),
        Flag(bool),
    }
    let text = Option::<Cell>::deserialize(deserializer)?.map(|cell| match cell {
        Cell::Text(text) => text,
        Cell::Unsigned(n) => n.to_string(),
        Cell::Signed(n) => n.to_string(),
        Cell::Number(n) => n.to_string(),
        Cell::Flag(flag) => flag.to_string(),
    });
    Ok(text.map(T::from))
}

/// A field's text, or none when absent or blank.
fn optional(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

/// Attaches every review to footage `footage_id`; returns the footage as it then stands and how
/// many of the reviews it did not have yet.
pub async fn add(
    client: &mut Client,
    footage_id: u64,
    reviews: Vec<v1::Review>,
) -> anyhow::Result<(v1::Footage, usize)> {
    let mut footage = None;
    let mut new = 0;
    for review in reviews {
        let added = client::add_review(client, footage_id, review).await?;
        new += usize::from(added.new_review);
        footage = added.footage;
    }
    Ok((footage.unwrap_or_default(), new))
}

/// The one footage a looked-up `video` is, to attach a review to.
pub fn the_one_footage(video: &Path, report: &v1::LookupReport) -> anyhow::Result<u64> {
    match &report.matches[..] {
        [] => anyhow::bail!(
            "no indexed footage matches {}: there is nothing to attach the review to (ingest the footage first)",
            video.display()
        ),
        [only] => Ok(only.footage_id),
        several => {
            let ids: Vec<String> = several.iter().map(|found| found.footage_id.to_string()).collect();
            anyhow::bail!(
                "{} matches {} footage ({}): a review is attached to one; choose it with `firstseen review add FOOTAGE_ID`",
                video.display(),
                several.len(),
                ids.join(", ")
            )
        }
    }
}

/// One row of a review manifest: a video and its review.
#[derive(Deserialize, Debug)]
struct ReviewRow {
    video: PathBuf,
    #[serde(flatten)]
    review: ReviewFields,
}

/// What a review import did.
#[derive(Debug, Default)]
pub struct ImportSummary {
    pub rows: usize,
    /// Rows whose reviews are now on their footage.
    pub attached: usize,
    /// Reviews the footage did not have before.
    pub new_reviews: usize,
    pub failed: usize,
}

impl ImportSummary {
    pub fn describe(&self) -> String {
        format!(
            "{} rows: {} attached to their footage ({} new reviews, the others already on record), {} failed",
            self.rows, self.attached, self.new_reviews, self.failed
        )
    }
}

/// Attaches the review of every row of `manifest` to the footage its video is; prints one line
/// a row, and each failed row's reason naming its field, and goes on.
pub async fn import(client: Client, manifest: &Path, concurrency: usize) -> anyhow::Result<ImportSummary> {
    const COLUMNS: &str = "video, and claim, rating, url, published, by (or claimreview: a JSON-LD file), \
        and optionally by_url, claim_date, claimant, claim_url, language, rating_value, worst_rating, best_rating";
    let rows: Vec<anyhow::Result<ReviewRow>> = read_rows(manifest, &["video"], COLUMNS)?;
    let base = manifest.parent().unwrap_or(Path::new(".")).to_owned();
    let mut summary = ImportSummary { rows: rows.len(), ..ImportSummary::default() };
    let attach = |(index, row): (usize, anyhow::Result<ReviewRow>)| {
        let (mut client, base) = (client.clone(), base.clone());
        async move {
            let outcome = match row {
                Ok(row) => attach_row(&mut client, &base, row).await,
                Err(error) => Err(error),
            };
            (index + 1, outcome)
        }
    };
    jobs::run_each(rows.into_iter().enumerate(), concurrency, attach, |(number, outcome)| {
        match outcome {
            Ok((footage_id, new)) => {
                summary.attached += 1;
                summary.new_reviews += new;
                println!("row {number}: footage {footage_id}: {new} new review{}", if new == 1 { "" } else { "s" });
            }
            Err(error) => {
                summary.failed += 1;
                println!("row {number}: error: {error:#}");
            }
        }
        Ok(())
    })
    .await?;
    Ok(summary)
}

async fn attach_row(client: &mut Client, base: &Path, row: ReviewRow) -> anyhow::Result<(u64, usize)> {
    let reviews = row.review.reviews(base)?;
    let video = base.join(&row.video);
    let report = batch::look_up(client, &video, None, false).await?;
    let footage_id = the_one_footage(&row.video, &report)?;
    let (_, new) = add(client, footage_id, reviews).await?;
    Ok((footage_id, new))
}
