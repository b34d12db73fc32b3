//! The answer to a lookup: what matched, where, and when it was first seen.

use chrono::{DateTime, Utc};

use crate::index::{FootageId, Review, Sighting};

/// A stretch of a video.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub start_ms: u32,
    pub end_ms: u32,
}

impl Segment {
    pub fn start_seconds(&self) -> f64 {
        f64::from(self.start_ms) / 1000.0
    }

    pub fn end_seconds(&self) -> f64 {
        f64::from(self.end_ms) / 1000.0
    }
}

/// One indexed footage that the query contains.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    pub footage: FootageId,
    /// Length of the indexed footage, for callers that compare extents (same footage or excerpt).
    pub footage_duration_ms: u32,
    /// 0–1: the share of the query segment's informative keyframes that agree in time, times
    /// their mean hash similarity.
    pub score: f64,
    pub matched_keyframes: u32,
    /// How fast the query plays the footage: 1.0 unless the copy was sped up or slowed down.
    pub speed: f64,
    /// Whether the query shows the footage mirrored left to right.
    pub mirrored: bool,
    pub query_segment: Segment,
    pub reference_segment: Segment,
    /// Earliest first; never empty.
    pub sightings: Vec<Sighting>,
    /// The fact-checks of the footage that stand, earliest published first. Matching finds
    /// footage, not what was said of it: the engine joins these in.
    pub reviews: Vec<Review>,
}

/// Playback speeds this close to 1 are reported as normal: sampling grids alone move a fitted
/// speed by a percent or two.
const NORMAL_SPEED_TOLERANCE: f64 = 0.03;

impl Match {
    pub fn earliest(&self) -> &Sighting {
        &self.sightings[0]
    }

    /// The geometric and timing edits seen in the copy, as a clause: "is mirrored and plays at
    /// 1.25× speed".
    pub fn edits(&self) -> Option<String> {
        let mut edits = Vec::new();
        if self.mirrored {
            edits.push("is mirrored".to_owned());
        }
        if (self.speed - 1.0).abs() > NORMAL_SPEED_TOLERANCE {
            edits.push(format!("plays at {:.2}× speed", self.speed));
        }
        (!edits.is_empty()).then(|| edits.join(" and "))
    }
}

/// What the matches say about a claimed date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    NoClaim,
    PredatesClaim { days: u32 },
    ConsistentWithClaim,
    NoKnownFootage,
}

impl Verdict {
    fn judge(earliest: Option<&Sighting>, claimed: Option<DateTime<Utc>>) -> Verdict {
        match (claimed, earliest) {
            (None, _) => Verdict::NoClaim,
            (Some(_), None) => Verdict::NoKnownFootage,
            (Some(claimed), Some(earliest)) => {
                let days = (claimed - earliest.first_seen).num_days();
                if days >= 1 {
                    Verdict::PredatesClaim { days: days.min(i64::from(u32::MAX)) as u32 }
                } else {
                    Verdict::ConsistentWithClaim
                }
            }
        }
    }

    /// The verdict as a person would say it.
    pub fn sentence(&self) -> String {
        match self {
            Verdict::NoClaim => String::new(),
            Verdict::PredatesClaim { days: 1 } => "Footage predates the claim by 1 day.".into(),
            Verdict::PredatesClaim { days } => format!("Footage predates the claim by {days} days."),
            Verdict::ConsistentWithClaim => "Consistent with the claim: no sighting before the claimed date.".into(),
            Verdict::NoKnownFootage => "No known earlier footage.".into(),
        }
    }
}

/// Everything a lookup found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Earliest first-seen first.
    pub matches: Vec<Match>,
    pub verdict: Verdict,
    pub query_duration_ms: u32,
    pub query_keyframes: u32,
    pub query_informative_keyframes: u32,
}

impl Report {
    pub fn new(
        mut matches: Vec<Match>,
        claimed: Option<DateTime<Utc>>,
        query_duration_ms: u32,
        query_keyframes: u32,
        query_informative_keyframes: u32,
    ) -> Report {
        matches.sort_by(|a, b| {
            (a.earliest().first_seen, b.score, a.footage)
                .partial_cmp(&(b.earliest().first_seen, a.score, b.footage))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let verdict = Verdict::judge(matches.first().map(Match::earliest), claimed);
        Report { matches, verdict, query_duration_ms, query_keyframes, query_informative_keyframes }
    }

    /// The match holding the earliest sighting of all.
    pub fn earliest(&self) -> Option<&Match> {
        self.matches.first()
    }

    /// Every standing fact-check of the matched footage, earliest published first, with the
    /// footage it is attached to.
    pub fn fact_checks(&self) -> Vec<(FootageId, &Review)> {
        let mut all: Vec<(FootageId, &Review)> = self
            .matches
            .iter()
            .flat_map(|found| found.reviews.iter().map(move |review| (found.footage, review)))
            .collect();
        all.sort_by(|(_, a), (_, b)| (a.published, &a.url).cmp(&(b.published, &b.url)));
        // One article about footage matched twice (a compilation of it) is one fact-check.
        all.dedup_by(|(_, a), (_, b)| a.url == b.url);
        all
    }

    /// The headline a person can act on: any fact-check first, then the earliest sighting.
    pub fn summary(&self) -> String {
        let fact_checks = self.fact_checks();
        let mut summary = match fact_checks.as_slice() {
            [] => String::new(),
            [(_, only)] => format!("{}. ", fact_check_sentence(only)),
            [(_, first), rest @ ..] => format!(
                "{}. {} more fact-check{} of this footage. ",
                fact_check_sentence(first),
                rest.len(),
                if rest.len() == 1 { "" } else { "s" }
            ),
        };
        summary.push_str(&self.appearance_summary());
        summary
    }

    fn appearance_summary(&self) -> String {
        let Some(first) = self.earliest() else {
            let mut summary = String::from("No indexed footage matches this video.");
            if self.verdict == Verdict::NoKnownFootage {
                summary.push(' ');
                summary.push_str(&self.verdict.sentence());
            }
            return summary;
        };
        let sighting = first.earliest();
        let mut summary = format!(
            "Earliest known appearance: {} at {}; the video's {} is that footage's {}.",
            sighting.first_seen.format("%Y-%m-%d"),
            sighting.source_url,
            clock_range(first.query_segment),
            clock_range(first.reference_segment),
        );
        if let Some(edits) = first.edits() {
            summary.push_str(&format!(" This copy {edits}."));
        }
        let later = self.matches.iter().map(|m| m.sightings.len()).sum::<usize>() - 1;
        if later > 0 {
            summary.push_str(&format!(" Seen {later} more time{} since.", if later == 1 { "" } else { "s" }));
        }
        if !matches!(self.verdict, Verdict::NoClaim) {
            summary.push(' ');
            summary.push_str(&self.verdict.sentence());
        }
        summary
    }
}

/// "Already fact-checked: Misbar, 2023-09-25, rated Misleading: https://…": how every report,
/// whatever its form, names a fact-check. No full stop of its own, so that a line listing it
/// alone (the CLI's, a CSV cell) ends with the URL whole.
pub fn fact_check_sentence(review: &Review) -> String {
    format!(
        "Already fact-checked: {}, {}, rated {}: {}",
        review.reviewer,
        review.published.format("%Y-%m-%d"),
        review.rating,
        review.url
    )
}

/// `0:03–0:15`, or `1:02:03–1:02:15` past an hour.
pub fn clock_range(segment: Segment) -> String {
    format!("{}–{}", clock(segment.start_ms), clock(segment.end_ms))
}

fn clock(ms: u32) -> String {
    let seconds = ms.saturating_add(500) / 1000;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 { format!("{hours}:{minutes:02}:{seconds:02}") } else { format!("{minutes}:{seconds:02}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sighting(date: &str) -> Sighting {
        Sighting {
            source_url: format!("https://example.org/{date}"),
            first_seen: DateTime::parse_from_rfc3339(&format!("{date}T00:00:00Z")).unwrap().to_utc(),
            title: String::new(),
            publisher: String::new(),
            ingested_at: Utc::now(),
            ..Default::default()
        }
    }

    fn claimed(date: &str) -> Option<DateTime<Utc>> {
        Some(sighting(date).first_seen)
    }

    #[test]
    fn verdicts_follow_the_earliest_sighting() {
        let earliest = sighting("2020-11-10");
        assert_eq!(Verdict::judge(Some(&earliest), claimed("2023-09-20")), Verdict::PredatesClaim { days: 1044 });
        assert_eq!(Verdict::judge(Some(&earliest), claimed("2020-11-10")), Verdict::ConsistentWithClaim);
        assert_eq!(Verdict::judge(None, claimed("2020-11-10")), Verdict::NoKnownFootage);
        assert_eq!(Verdict::judge(Some(&earliest), None), Verdict::NoClaim);
    }

    #[test]
    fn clock_ranges_read_like_a_player() {
        assert_eq!(clock_range(Segment { start_ms: 3_000, end_ms: 15_400 }), "0:03–0:15");
        assert_eq!(clock_range(Segment { start_ms: 3_723_000, end_ms: 3_725_000 }), "1:02:03–1:02:05");
    }
}
