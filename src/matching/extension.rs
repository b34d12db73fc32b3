//! Growing a match over the keyframes its search radius missed.
//!
//! The index search must be strict: a radius of 7 bits keeps a lookup to a few dozen bucket
//! probes per view and coincidences rare. But in fast motion a copy's keyframes sit up to half a
//! sampling interval off the original's, and those pictures differ by 8–26 bits. The strict search
//! then finds the middle of a clip and misses its first seconds, and the reported segment starts
//! late.
//!
//! Once the alignment is known, the question is much narrower: does this query keyframe look like
//! the reference keyframes *at the time the alignment predicts*? A wider radius is safe there,
//! because one comparison against a few neighbours cannot be the multiple-testing lottery that an
//! index-wide search is. So the run of evidence is walked outwards, keyframe by keyframe, until
//! the picture stops agreeing.

use super::alignment::{Alignment, OFFSET_TOLERANCE_MS, Pair};
use crate::fingerprint::Keyframe;

/// How far a match may grow.
#[derive(Clone, Debug)]
pub struct ExtensionPolicy {
    /// Largest Hamming distance at the predicted time that still counts as the same picture.
    /// Unrelated pictures sit at 32 ± 4 bits; 16 is four deviations away.
    pub radius: u32,
    /// How far from the predicted reference time a reference keyframe may be
    /// ([`OFFSET_TOLERANCE_MS`], as for the vote).
    pub tolerance_ms: i64,
    /// Disagreeing query keyframes in a row after which the walk stops.
    pub max_misses: usize,
}

impl Default for ExtensionPolicy {
    fn default() -> Self {
        ExtensionPolicy { radius: 16, tolerance_ms: OFFSET_TOLERANCE_MS, max_misses: 2 }
    }
}

/// Of the `proposed` alignments (best voted first), the one that the most query keyframes agree
/// with at the times it predicts, with its extended evidence; a tie keeps the earlier proposal.
/// `keyframes` is the query's keyframes in time order.
///
/// This is where a self-similar shot is told apart: a slow zoom's cropped copy meets a later
/// moment of the original as closely as its own for a few keyframes, but only at the true
/// offset does the rest of the copy look like what the original shows at the predicted time.
pub fn best_extended(
    keyframes: &[&Keyframe],
    reference: &[Keyframe],
    proposed: Vec<Alignment>,
    policy: &ExtensionPolicy,
) -> Option<(Alignment, Vec<Pair>)> {
    proposed
        .into_iter()
        .map(|alignment| {
            let supporting = extend(keyframes, reference, &alignment, policy);
            (alignment, supporting)
        })
        .reduce(|best, next| if next.1.len() > best.1.len() { next } else { best })
}

/// The supporting pairs of `alignment` plus those found by walking outwards from its first and
/// last, in query time order. `reference` is the matched footage's keyframes in time order.
fn extend(
    keyframes: &[&Keyframe],
    reference: &[Keyframe],
    alignment: &Alignment,
    policy: &ExtensionPolicy,
) -> Vec<Pair> {
    let (Some(first), Some(last)) = (alignment.supporting.first(), alignment.supporting.last()) else {
        return Vec::new();
    };
    let before = keyframes.iter().rev().filter(|keyframe| keyframe.time_ms < first.query_ms);
    let after = keyframes.iter().filter(|keyframe| keyframe.time_ms > last.query_ms);
    let mut earlier = walk(before.copied(), reference, alignment, policy);
    earlier.reverse();
    let later = walk(after.copied(), reference, alignment, policy);
    earlier.into_iter().chain(alignment.supporting.iter().copied()).chain(later).collect()
}

/// Pairs for the query keyframes of `outwards` that agree, until `max_misses` in a row do not.
/// A plain query keyframe that disagrees where the original was plain too is passed over,
/// neither agreeing nor not: a fade or a black gap of the original faces nothing the index
/// filed, and must not end the walk.
fn walk<'a>(
    outwards: impl Iterator<Item = &'a Keyframe>,
    reference: &[Keyframe],
    alignment: &Alignment,
    policy: &ExtensionPolicy,
) -> Vec<Pair> {
    let mut found = Vec::new();
    let mut misses = 0;
    for keyframe in outwards {
        match closest_at_predicted_time(keyframe, reference, alignment, policy) {
            Some(pair) if pair.distance <= policy.radius => {
                found.push(pair);
                misses = 0;
            }
            _ if !keyframe.informative && !filed_at_predicted_time(keyframe, reference, alignment) => {}
            _ => {
                misses += 1;
                if misses >= policy.max_misses {
                    break;
                }
            }
        }
    }
    found
}

/// Whether the reference keyframe nearest to where the alignment puts `keyframe` was filed.
fn filed_at_predicted_time(keyframe: &Keyframe, reference: &[Keyframe], alignment: &Alignment) -> bool {
    let predicted = alignment.reference_ms(keyframe.time_ms);
    let after = reference.partition_point(|candidate| i64::from(candidate.time_ms) < predicted);
    reference[after.saturating_sub(1)..reference.len().min(after + 1)]
        .iter()
        .min_by_key(|candidate| (i64::from(candidate.time_ms) - predicted).abs())
        .is_some_and(|nearest| nearest.informative)
}

/// The closest pairing of any searched view of `keyframe` with any indexed view of the reference
/// keyframes near where the alignment puts it.
fn closest_at_predicted_time(
    keyframe: &Keyframe,
    reference: &[Keyframe],
    alignment: &Alignment,
    policy: &ExtensionPolicy,
) -> Option<Pair> {
    let predicted = alignment.reference_ms(keyframe.time_ms);
    let start = reference.partition_point(|candidate| i64::from(candidate.time_ms) < predicted - policy.tolerance_ms);
    reference[start..]
        .iter()
        .take_while(|candidate| i64::from(candidate.time_ms) <= predicted + policy.tolerance_ms)
        .filter(|candidate| candidate.informative)
        .map(|candidate| {
            let (distance, orientation) = keyframe.hashes.closest_to(&candidate.hashes);
            Pair { query_ms: keyframe.time_ms, reference_ms: candidate.time_ms, distance, orientation }
        })
        .min_by_key(|pair| pair.distance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::{Orientation, ViewHashes};

    /// Keyframes every 500 ms, each a picture of its own; another `film` shows other pictures.
    fn keyframes(count: u32, film: u64) -> Vec<Keyframe> {
        (0..count)
            .map(|i| Keyframe {
                time_ms: i * 500,
                hashes: ViewHashes::spread_from((u64::from(i) + film * 1000 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                informative: true,
                picture: None,
            })
            .collect()
    }

    fn alignment(offset_ms: i64, supporting_query_ms: [u32; 3]) -> Alignment {
        let supporting = supporting_query_ms
            .map(|query_ms| Pair {
                query_ms,
                reference_ms: (i64::from(query_ms) + offset_ms) as u32,
                distance: 4,
                orientation: Orientation::Upright,
            })
            .to_vec();
        Alignment { speed: 1.0, offset_ms, supporting }
    }

    #[test]
    fn the_alignment_the_rest_of_the_query_agrees_with_wins_over_the_better_voted() {
        let reference = keyframes(20, 0);
        let query: Vec<&Keyframe> = reference[..16].iter().collect();
        let (voted, true_offset) = (alignment(5000, [0, 500, 1000]), alignment(0, [2000, 2500, 3000]));
        let (chosen, supporting) =
            best_extended(&query, &reference, vec![voted, true_offset], &ExtensionPolicy::default()).unwrap();
        assert_eq!(chosen.offset_ms, 0);
        assert_eq!(supporting.len(), 16);
    }

    #[test]
    fn a_tie_keeps_the_better_voted_alignment() {
        let reference = keyframes(20, 0);
        // Neither alignment's evidence grows: the query's other pictures are not in the reference.
        let other_pictures = keyframes(16, 1);
        let query: Vec<&Keyframe> = other_pictures.iter().collect();
        let proposed = vec![alignment(5000, [0, 500, 1000]), alignment(0, [2000, 2500, 3000])];
        let (chosen, supporting) = best_extended(&query, &reference, proposed, &ExtensionPolicy::default()).unwrap();
        assert_eq!((chosen.offset_ms, supporting.len()), (5000, 3));
    }

    #[test]
    fn a_plain_stretch_the_index_never_filed_does_not_end_the_walk() {
        // A black gap of three keyframes in the middle of the original, kept by its exact copy.
        let mut reference = keyframes(20, 0);
        for keyframe in &mut reference[8..11] {
            keyframe.informative = false;
        }
        let query: Vec<&Keyframe> = reference.iter().collect();
        let (_, supporting) =
            best_extended(&query, &reference, vec![alignment(0, [0, 500, 1000])], &ExtensionPolicy::default()).unwrap();
        assert_eq!(supporting.len(), 17, "every informative keyframe, on both sides of the gap");
        // An informative picture the original does not show still ends it.
        let mut edited = reference.clone();
        edited[8..11].clone_from_slice(&keyframes(11, 1)[8..11]);
        let query: Vec<&Keyframe> = edited.iter().collect();
        let (_, supporting) =
            best_extended(&query, &reference, vec![alignment(0, [0, 500, 1000])], &ExtensionPolicy::default()).unwrap();
        assert_eq!(supporting.len(), 8);
    }
}
