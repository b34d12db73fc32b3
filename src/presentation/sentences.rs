//! Every sentence a person reads of a report: the summary the CLI prints first, the gRPC
//! `summary` field and the page's verdict all come from here, so that they say the same thing
//! in the same words.

use crate::engine::{Match, Report, Verdict};
use crate::fingerprint::{Orientation, Turn};
use crate::index::Review;
use crate::proto::{self, v1};
use crate::time::Segment;

/// Playback speeds this close to 1 are reported as normal: sampling grids alone move a fitted
/// speed by a percent or two.
const NORMAL_SPEED_TOLERANCE: f64 = 0.03;

/// The report as it goes over the wire, with its summary.
pub fn report_to_wire(report: &Report) -> v1::LookupReport {
    proto::report_to_wire(report, summary(report))
}

/// The headline a person can act on: any fact-check first, then the earliest sighting.
pub fn summary(report: &Report) -> String {
    let fact_checks = report.fact_checks();
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
    summary.push_str(&appearance(report));
    summary
}

/// Where and when the footage was first seen, which stretch matches, and the claim's verdict.
fn appearance(report: &Report) -> String {
    let Some(first) = report.earliest() else {
        let mut summary = String::from("No indexed footage matches this video.");
        if report.verdict == Verdict::NoKnownFootage {
            summary.push(' ');
            summary.push_str(&verdict_sentence(report.verdict));
        }
        return summary;
    };
    let sighting = first.earliest();
    let mut summary = format!(
        "Earliest known appearance: {} at {}; the video's {} is that footage's {}.",
        sighting.first_seen.format("%Y-%m-%d"),
        sighting.source_url,
        clock_range(first.evidence.query_segment),
        clock_range(first.evidence.reference_segment),
    );
    let through = first.traced_through.and_then(|through| report.matches.iter().find(|m| m.footage() == through));
    if let Some(through) = through {
        let upload = through.earliest();
        summary.push_str(&format!(
            " Found through another upload that shows it, first seen {} at {}.",
            upload.first_seen.format("%Y-%m-%d"),
            upload.source_url
        ));
    }
    match (edits(first), through) {
        (None, _) => {}
        (Some(edits), None) => summary.push_str(&format!(" This copy {edits}.")),
        (Some(edits), Some(_)) => summary.push_str(&format!(" Compared with that upload, this copy {edits}.")),
    }
    let later = report.matches.iter().map(|m| m.sightings.len()).sum::<usize>() - 1;
    if later > 0 {
        summary.push_str(&format!(" Seen {later} more time{} since.", if later == 1 { "" } else { "s" }));
    }
    if !matches!(report.verdict, Verdict::NoClaim) {
        summary.push(' ');
        summary.push_str(&verdict_sentence(report.verdict));
    }
    summary
}

/// The geometric and timing edits seen in the copy, as a clause: "is mirrored and plays at
/// 1.25× speed".
fn edits(found: &Match) -> Option<String> {
    let mut edits = Vec::new();
    match found.evidence.orientation {
        Orientation::Upright => {}
        Orientation::Mirrored => edits.push("is mirrored".to_owned()),
        Orientation::Turned(Turn::Half) => edits.push("is upside down".to_owned()),
        Orientation::Turned(turn) => edits.push(format!("is turned {}° clockwise", turn.degrees())),
        Orientation::Tilted(tilt) => edits.push(format!("is tilted a few degrees {}", tilt.name())),
    }
    if found.evidence.cropped {
        edits.push("is cropped off-centre".to_owned());
    }
    if (found.evidence.speed - 1.0).abs() > NORMAL_SPEED_TOLERANCE {
        edits.push(format!("plays at {:.2}× speed", found.evidence.speed));
    }
    (!edits.is_empty()).then(|| edits.join(" and "))
}

/// The verdict as a person would say it.
fn verdict_sentence(verdict: Verdict) -> String {
    match verdict {
        Verdict::NoClaim => String::new(),
        Verdict::PredatesClaim { days: 1 } => "Footage predates the claim by 1 day.".into(),
        Verdict::PredatesClaim { days } => format!("Footage predates the claim by {days} days."),
        Verdict::ConsistentWithClaim => "Consistent with the claim: no sighting before the claimed date.".into(),
        Verdict::NoKnownFootage => "No known earlier footage.".into(),
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
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::fingerprint::Tilt;
    use crate::index::FootageId;
    use crate::matching::Evidence;
    use crate::test_kit::{day, sighting};

    fn found(orientation: Orientation, speed: f64, reviews: Vec<Review>) -> Match {
        Match {
            evidence: Evidence {
                footage: FootageId(1),
                footage_duration_ms: 10_000,
                score: 0.8,
                matched_keyframes: 12,
                speed,
                orientation,
                cropped: false,
                query_segment: Segment { start_ms: 0, end_ms: 6_000 },
                reference_segment: Segment { start_ms: 2_000, end_ms: 8_000 },
            },
            traced_through: None,
            sightings: vec![
                sighting("https://example.org/original", "2020-11-10"),
                sighting("https://x", "2023-09-20"),
            ],
            reviews,
        }
    }

    fn claimed() -> Option<DateTime<Utc>> {
        Some(day("2023-09-20"))
    }

    #[test]
    fn the_summary_says_where_when_which_stretch_and_the_verdict() {
        let report = Report::new(vec![found(Orientation::Upright, 1.0, Vec::new())], claimed(), 6_000, 12, 12);
        assert_eq!(
            summary(&report),
            "Earliest known appearance: 2020-11-10 at https://example.org/original; the video's 0:00–0:06 is \
             that footage's 0:02–0:08. Seen 1 more time since. Footage predates the claim by 1044 days."
        );
        let edited = Report::new(vec![found(Orientation::Mirrored, 1.25, Vec::new())], None, 6_000, 12, 12);
        assert!(summary(&edited).contains("This copy is mirrored and plays at 1.25× speed."), "{}", summary(&edited));
        let turned = Report::new(vec![found(Orientation::Turned(Turn::Quarter), 1.0, Vec::new())], None, 6_000, 12, 12);
        assert!(summary(&turned).contains("This copy is turned 90° clockwise."), "{}", summary(&turned));
        let tilted =
            Report::new(vec![found(Orientation::Tilted(Tilt::Anticlockwise), 1.0, Vec::new())], None, 6_000, 12, 12);
        assert!(summary(&tilted).contains("This copy is tilted a few degrees anticlockwise."), "{}", summary(&tilted));
        let mut cropped = found(Orientation::Upright, 0.8, Vec::new());
        cropped.evidence.cropped = true;
        let cropped = Report::new(vec![cropped], None, 6_000, 12, 12);
        assert!(
            summary(&cropped).contains("This copy is cropped off-centre and plays at 0.80× speed."),
            "{}",
            summary(&cropped)
        );
        let nothing = Report::new(Vec::new(), claimed(), 6_000, 12, 12);
        assert_eq!(summary(&nothing), "No indexed footage matches this video. No known earlier footage.");
    }

    #[test]
    fn a_match_traced_through_a_link_names_the_upload_that_led_to_it() {
        let mut reupload = found(Orientation::Mirrored, 1.0, Vec::new());
        reupload.evidence.footage = FootageId(2);
        reupload.sightings = vec![sighting("https://example.org/reupload", "2022-03-01")];
        let mut original = found(Orientation::Mirrored, 1.0, Vec::new());
        original.sightings.truncate(1);
        original.traced_through = Some(FootageId(2));
        let report = Report::new(vec![reupload, original], None, 6_000, 12, 12);
        assert_eq!(
            summary(&report),
            "Earliest known appearance: 2020-11-10 at https://example.org/original; the video's 0:00–0:06 is \
             that footage's 0:02–0:08. Found through another upload that shows it, first seen 2022-03-01 at \
             https://example.org/reupload. Compared with that upload, this copy is mirrored. Seen 1 more time since."
        );
    }

    #[test]
    fn a_fact_check_leads_the_summary() {
        let review = |url: &str, published: &str| Review {
            reviewer: "Misbar".into(),
            rating: "Misleading".into(),
            url: url.into(),
            published: day(published),
            ..Review::default()
        };
        let checked = vec![review("https://b.example", "2023-09-26"), review("https://a.example", "2023-09-25")];
        let report = Report::new(vec![found(Orientation::Upright, 1.0, checked)], None, 6_000, 12, 12);
        assert!(
            summary(&report).starts_with(
                "Already fact-checked: Misbar, 2023-09-25, rated Misleading: https://a.example. \
                 1 more fact-check of this footage. Earliest known appearance: 2020-11-10"
            ),
            "{}",
            summary(&report)
        );
    }

    #[test]
    fn clock_ranges_read_like_a_player() {
        assert_eq!(clock_range(Segment { start_ms: 3_000, end_ms: 15_400 }), "0:03–0:15");
        assert_eq!(clock_range(Segment { start_ms: 3_723_000, end_ms: 3_725_000 }), "1:02:03–1:02:05");
    }
}
