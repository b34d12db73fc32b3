//! Matching: the fourth stage. From a query fingerprint to footage it contains, with dates.
//!
//! For every informative query keyframe the index returns the indexed keyframes within a Hamming
//! radius of any of its searched views (whole, centre and band, upright and mirrored); those hits
//! are grouped by footage and [`alignment`] keeps, per footage, only the run of keyframes that
//! agree on one playback speed and time offset. Footage with enough agreeing keyframes becomes a
//! [`Match`] with its query and reference segments and its sightings, and the [`Report`] leads
//! with the earliest sighting over all matches.

mod alignment;
mod extension;
mod prescreen;
mod report;
mod search;

use alignment::Alignment;
use chrono::{DateTime, Utc};

pub use alignment::{AlignmentPolicy, Pair};
pub use extension::ExtensionPolicy;
pub use report::{Match, Report, Segment, Verdict, clock_range, fact_check_sentence};

use crate::fingerprint::{Fingerprint, Keyframe};
use crate::index::{Index, IndexError};

/// Bits out of 64 by which two unrelated pictures differ on average.
const UNRELATED_DISTANCE: f64 = 32.0;

/// How strict a lookup is.
#[derive(Clone, Debug)]
pub struct MatchPolicy {
    /// Largest Hamming distance between a query and an indexed keyframe hash that counts as the
    /// same picture.
    pub radius: u32,
    /// Fewest query keyframes that must agree in time for footage to match: below three, a
    /// coincidence between two similar-looking shots is too likely.
    pub min_agreeing_keyframes: usize,
    /// Lowest score a match may have.
    pub min_score: f64,
    pub alignment: AlignmentPolicy,
    pub extension: ExtensionPolicy,
}

impl Default for MatchPolicy {
    fn default() -> Self {
        MatchPolicy {
            radius: 7,
            min_agreeing_keyframes: 3,
            min_score: 0.2,
            alignment: AlignmentPolicy::default(),
            extension: ExtensionPolicy::default(),
        }
    }
}

/// Finds footage in an index.
#[derive(Clone, Debug, Default)]
pub struct Matcher {
    pub policy: MatchPolicy,
}

impl Matcher {
    pub fn new(policy: MatchPolicy) -> Matcher {
        Matcher { policy }
    }

    /// Looks `query` up and reports what it contains; `claimed` adds a verdict.
    pub fn lookup(
        &self,
        index: &Index,
        query: &Fingerprint,
        claimed: Option<DateTime<Utc>>,
    ) -> Result<Report, IndexError> {
        let mut matches = Vec::new();
        let keyframes: Vec<&Keyframe> = query.informative_keyframes().collect();
        for (footage, pairs) in search::hits_by_footage(index, &keyframes, self.policy.radius) {
            // Most footage met at all is met by a few stray keyframes scattered in time; they
            // cannot reach the quorum, and skipping them spares the vote over every speed.
            if !alignment::may_reach(&pairs, &self.policy.alignment, self.policy.min_agreeing_keyframes) {
                continue;
            }
            // Each proposed alignment is judged on the strict evidence alone; of those that
            // stand, the picture at the times each predicts decides, and the extension's evidence
            // then describes the match.
            let proposed: Vec<Alignment> =
                alignment::align(&pairs, &self.policy.alignment, self.policy.min_agreeing_keyframes)
                    .into_iter()
                    .filter(|alignment| {
                        score(query, query_segment(query, &alignment.supporting), &alignment.supporting)
                            >= self.policy.min_score
                    })
                    .collect();
            if proposed.is_empty() {
                continue;
            }
            let Some(record) = index.footage(footage)? else { continue };
            let reference_keyframes = index.keyframes(footage)?.unwrap_or_default();
            let Some((alignment, supporting)) =
                extension::best_extended(&keyframes, &reference_keyframes, proposed, &self.policy.extension)
            else {
                continue;
            };
            let query_segment = query_segment(query, &supporting);
            let score = score(query, query_segment, &supporting);
            let shift = |ms: u32| alignment.reference_ms(ms).clamp(0, i64::from(record.duration_ms)) as u32;
            let reference_segment =
                Segment { start_ms: shift(query_segment.start_ms), end_ms: shift(query_segment.end_ms) };
            // Retracted sightings are never reported; footage with none standing is not a match.
            let sightings = index.standing_sightings(footage)?;
            if sightings.is_empty() {
                continue;
            }
            matches.push(Match {
                footage,
                footage_duration_ms: record.duration_ms,
                score,
                matched_keyframes: supporting.len() as u32,
                speed: alignment.speed,
                mirrored: supporting.iter().filter(|pair| pair.mirrored).count() * 2 > supporting.len(),
                query_segment,
                reference_segment,
                sightings,
                reviews: Vec::new(),
            });
        }
        Ok(Report::new(
            matches,
            claimed,
            query.duration_ms,
            query.keyframes.len() as u32,
            query.informative_keyframes().count() as u32,
        ))
    }

    /// Whether `query` could be footage the index already holds: a cheap test an ingest runs
    /// before the full lookup (see [`prescreen`]).
    pub fn may_be_indexed(&self, index: &Index, query: &Fingerprint) -> Result<bool, IndexError> {
        prescreen::may_be_indexed(index, query, self.policy.radius, self.policy.min_agreeing_keyframes)
    }
}

/// From the first supporting keyframe to where the last one's stretch ends: the next keyframe of
/// the query, or the query's end.
fn query_segment(query: &Fingerprint, supporting: &[Pair]) -> Segment {
    let start_ms = supporting.first().map_or(0, |pair| pair.query_ms);
    let last_ms = supporting.last().map_or(0, |pair| pair.query_ms);
    let end_ms = query
        .keyframes
        .iter()
        .map(|keyframe| keyframe.time_ms)
        .find(|&time| time > last_ms)
        .unwrap_or(query.duration_ms)
        .max(last_ms);
    Segment { start_ms, end_ms }
}

/// Share of the segment's informative keyframes that agree, times their mean hash similarity.
fn score(query: &Fingerprint, segment: Segment, supporting: &[Pair]) -> f64 {
    let in_segment = query
        .informative_keyframes()
        .filter(|keyframe| (segment.start_ms..segment.end_ms).contains(&keyframe.time_ms))
        .count()
        .max(supporting.len());
    let similarity: f64 =
        supporting.iter().map(|pair| (1.0 - f64::from(pair.distance) / UNRELATED_DISTANCE).max(0.0)).sum();
    similarity / in_segment.max(1) as f64
}
