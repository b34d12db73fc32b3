//! The answer to a lookup: the evidence of each matched footage joined with what is on record
//! about it (sightings, fact-checks), earliest first, and what that says of a claimed date.
//!
//! Data only: the sentences a person reads of it are written by `presentation`.

use chrono::{DateTime, Utc};

use crate::index::{FootageId, Review, Sighting};
use crate::matching::Evidence;

/// One indexed footage that the query contains, with what is on record about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// For a match traced through a link, the evidence of the footage it was traced through,
    /// carried over the link: the stretches are the ones the link shares, but the score, the
    /// keyframes and the orientation are that footage's.
    pub evidence: Evidence,
    /// The matched footage whose link led here (see `engine::links`); none when the query's
    /// pictures met this footage's own.
    pub traced_through: Option<FootageId>,
    /// Earliest first; never empty.
    pub sightings: Vec<Sighting>,
    /// The fact-checks of the footage that stand, earliest published first.
    pub reviews: Vec<Review>,
}

impl Match {
    pub fn footage(&self) -> FootageId {
        self.evidence.footage
    }

    pub fn earliest(&self) -> &Sighting {
        &self.sightings[0]
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
            (a.earliest().first_seen, b.evidence.score, a.footage())
                .partial_cmp(&(b.earliest().first_seen, a.evidence.score, b.footage()))
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
            .flat_map(|found| found.reviews.iter().map(move |review| (found.footage(), review)))
            .collect();
        all.sort_by(|(_, a), (_, b)| (a.published, &a.url).cmp(&(b.published, &b.url)));
        // One article about footage matched twice (a compilation of it) is one fact-check.
        all.dedup_by(|(_, a), (_, b)| a.url == b.url);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_kit::{day, sighting};

    fn claimed(date: &str) -> Option<DateTime<Utc>> {
        Some(day(date))
    }

    #[test]
    fn verdicts_follow_the_earliest_sighting() {
        let earliest = sighting("https://example.org/original", "2020-11-10");
        assert_eq!(Verdict::judge(Some(&earliest), claimed("2023-09-20")), Verdict::PredatesClaim { days: 1044 });
        assert_eq!(Verdict::judge(Some(&earliest), claimed("2020-11-10")), Verdict::ConsistentWithClaim);
        assert_eq!(Verdict::judge(None, claimed("2020-11-10")), Verdict::NoKnownFootage);
        assert_eq!(Verdict::judge(Some(&earliest), None), Verdict::NoClaim);
    }
}
