//! The rows of a batch lookup: one per file, written as each file finishes, as JSON Lines or CSV.
//!
//! The row is a public interface, documented in README.md: add fields, never rename or remove
//! them. CSV has the same columns as JSON, with the segments joined into one cell.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::json_lines;
use super::render::{clock, rfc3339, verdict_name};
use crate::presentation;
use crate::proto::v1;

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub file: String,
    /// The earliest sighting of any matched footage, RFC 3339.
    pub earliest_first_seen: Option<String>,
    pub source_url: Option<String>,
    pub footage_id: Option<u64>,
    /// Score of the match the earliest sighting belongs to.
    pub score: Option<f64>,
    /// Every matched segment: "this video's range → the footage's range".
    pub segments: Vec<String>,
    /// `predates_claim`, `consistent_with_claim`, `no_known_footage`, `no_claim`, or `error`.
    pub verdict: String,
    pub error: Option<String>,
    /// Every standing fact-check of the matched footage, as the report's sentence, earliest
    /// published first.
    pub fact_checks: Vec<String>,
    /// The earliest fact-check's rating as published and its article.
    pub rating: Option<String>,
    pub review_url: Option<String>,
    /// Whether the footage is older than the claim, for the batch's summary.
    #[serde(skip)]
    pub predates_claim: bool,
}

/// The CSV header: the JSON row's fields, in order.
const CSV_COLUMNS: [&str; 11] = [
    "file",
    "earliest_first_seen",
    "source_url",
    "footage_id",
    "score",
    "segments",
    "verdict",
    "error",
    "fact_checks",
    "rating",
    "review_url",
];

impl ResultRow {
    pub fn from_report(file: &Path, report: &v1::LookupReport) -> ResultRow {
        let fact_checks = presentation::fact_checks(report);
        let first_review = fact_checks.first().map(|(_, review)| *review);
        let earliest_match = report.matches.iter().find(|found| found.footage_id == report.earliest_footage_id);
        let earliest = report.earliest.as_ref();
        ResultRow {
            file: file.display().to_string(),
            earliest_first_seen: earliest.and_then(|sighting| rfc3339(sighting.first_seen.as_ref())),
            source_url: earliest.map(|sighting| sighting.source_url.clone()),
            footage_id: earliest.map(|_| report.earliest_footage_id),
            score: earliest_match.map(|found| found.score),
            segments: report
                .matches
                .iter()
                .map(|found| {
                    format!(
                        "{} → footage {} {}",
                        clock(found.query_segment.as_ref()),
                        found.footage_id,
                        clock(found.reference_segment.as_ref())
                    )
                })
                .collect(),
            verdict: verdict_name(report).to_owned(),
            error: None,
            fact_checks: fact_checks.iter().map(|(_, review)| presentation::fact_check_line(review)).collect(),
            rating: first_review.map(|review| review.rating.clone()),
            review_url: first_review.map(|review| review.url.clone()),
            predates_claim: report.verdict() == v1::Verdict::PredatesClaim,
        }
    }

    pub fn from_error(file: &Path, error: &anyhow::Error) -> ResultRow {
        ResultRow {
            file: file.display().to_string(),
            earliest_first_seen: None,
            source_url: None,
            footage_id: None,
            score: None,
            segments: Vec::new(),
            verdict: "error".to_owned(),
            error: Some(format!("{error:#}")),
            fact_checks: Vec::new(),
            rating: None,
            review_url: None,
            predates_claim: false,
        }
    }

    pub fn matched(&self) -> bool {
        self.footage_id.is_some()
    }
}

/// Whether a file is CSV by its name; anything else is read and written as JSON Lines.
pub fn is_csv(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("csv"))
}

/// Where rows go: a `.csv` file, any other file as JSON Lines, or stdout as JSON Lines.
pub enum RowWriter {
    JsonLines(Box<dyn Write + Send>),
    Csv(Box<csv::Writer<File>>),
}

impl RowWriter {
    pub fn create(out: Option<&Path>) -> anyhow::Result<RowWriter> {
        let Some(path) = out else { return Ok(RowWriter::JsonLines(Box::new(std::io::stdout()))) };
        let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        if is_csv(path) {
            let mut writer = csv::Writer::from_writer(file);
            writer.write_record(CSV_COLUMNS)?;
            Ok(RowWriter::Csv(Box::new(writer)))
        } else {
            Ok(RowWriter::JsonLines(Box::new(BufWriter::new(file))))
        }
    }

    /// Writes one row and flushes it, so that an interrupted batch keeps every finished row.
    pub fn write(&mut self, row: &ResultRow) -> anyhow::Result<()> {
        match self {
            RowWriter::JsonLines(out) => {
                json_lines::write_line(out, row)?;
                out.flush()?;
            }
            RowWriter::Csv(out) => {
                let text = |value: &Option<String>| value.clone().unwrap_or_default();
                let cells = [
                    row.file.clone(),
                    text(&row.earliest_first_seen),
                    text(&row.source_url),
                    row.footage_id.map(|id| id.to_string()).unwrap_or_default(),
                    row.score.map(|score| format!("{score:.3}")).unwrap_or_default(),
                    row.segments.join("; "),
                    row.verdict.clone(),
                    text(&row.error),
                    row.fact_checks.join("; "),
                    text(&row.rating),
                    text(&row.review_url),
                ];
                out.write_record(cells.map(spreadsheet_safe))?;
                out.flush()?;
            }
        }
        Ok(())
    }
}

/// A CSV cell a spreadsheet shows as text: one that starts like a formula (`=`, `+`, `-`, `@`,
/// or a tab or carriage return before one) gets a leading `'`, so that a rating or a title a
/// contributor typed as `=HYPERLINK(…)` is never run when a desk opens the results.
fn spreadsheet_safe(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn a_cell_that_looks_like_a_formula_is_shown_as_text() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"https://x.example\")".into()), "'=HYPERLINK(\"https://x.example\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("Misleading".into()), "Misleading");
        assert_eq!(spreadsheet_safe("2020-11-10T00:00:00Z".into()), "2020-11-10T00:00:00Z");
    }
}
