//! Footage cropped off-centre, found through its core.
//!
//! A copy cropped to 60–95 % of each side at any offset meets none of the views an index files
//! except the **core** (see `fingerprint::crops`), and only if the lookup hashes the copy's
//! picture where the core sits in it, which depends on how the copy was cropped. A lookup does
//! not know that, so it surveys: on a few of the query's pictured keyframes it hashes every
//! [`Placement`] of the grid (11,664 each) and searches them all. Footage whose core comes within
//! the radius of [`SURVEY_QUORUM`] surveyed keyframes at [near](Placement::near) placements is
//! taken to be cropped that way, and every pictured keyframe is then searched at that placement
//! and its neighbours only, for the hits alignment votes on.
//!
//! The geometry is the safeguard: a survey searches tens of thousands of hashes, each of which
//! can meet some unrelated keyframe of a large index by chance, but chance hits do not agree on
//! where the core sits in the copy, nor then on one time offset. What they can agree on is a
//! still scene: a part of one room looks like the middle of another recording of that room at
//! any placement that fits and at every time. So the keyframes a crop is found by must meet as
//! many *different* cores as the quorum ([`distinct_cores`]): one picture, however often met, is
//! one picture.
//!
//! Surveying costs about a second (hashing and searching 35,000 candidates), so a lookup does it
//! only when nothing was found otherwise (see `Matcher::lookup`).

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Pair, References};
use crate::fingerprint::{Keyframe, Orientation, PerceptualHash, Picture, Placement, spread_evenly};
use crate::index::{FootageId, Hit};

/// Pictured keyframes whose every placement is searched: as many as a match's quorum of
/// keyframes, spread over the query.
const SURVEYED: usize = 3;
/// Surveyed keyframes that must meet one footage at near placements before its other pictured
/// keyframes are searched there: one is any stray hit.
const SURVEY_QUORUM: usize = 2;
/// Most footage a survey passes on to the search around their placements, those most surveyed
/// keyframes agree on first: a copy crops one footage, or a few in a compilation, and each one
/// more is 5,184 more parts to hash and search.
const MOST_SURVEYED_FOOTAGE: usize = 4;
/// Most footage whose cores one part may meet and still count: a part that meets more is one
/// like many pictures (sky, a wall, a test pattern), which tells nothing.
const MOST_FOOTAGE_A_PART: usize = 32;
/// Of each footage a part meets, the closest cores kept: a long still shot files dozens of
/// cores alike, which one part meets all at once, and a survey of 35,000 parts that kept them
/// all would let one such footage fill a lookup's memory. Kept at most: 64 hits a part.
const MOST_CORES_A_FOOTAGE: usize = 2;

/// The hits of the query's pictured keyframes on footage it shows cropped, grouped by footage,
/// each group in query time order; empty when the query carries too few pictures.
pub(super) fn cropped_hits(
    references: &impl References,
    pictured: &[&Keyframe],
    radius: u32,
) -> FxHashMap<FootageId, Vec<Pair>> {
    let pictures: Vec<(u32, &Picture)> =
        pictured.iter().filter_map(|keyframe| Some((keyframe.time_ms, keyframe.picture.as_ref()?))).collect();
    if pictures.len() < SURVEY_QUORUM {
        return FxHashMap::default();
    }
    let surveyed = survey(references, &pictures, radius);
    // The neighbourhoods of every footage's placement, hashed and searched once.
    let mut around: Vec<Placement> = surveyed.iter().flat_map(|&(_, placement)| placement.neighbourhood()).collect();
    around.sort_unstable();
    around.dedup();
    let hits = hits_at(references, &pictures, &around, radius);
    surveyed
        .into_iter()
        .map(|(footage, placement)| {
            let pairs = hits
                .iter()
                .filter(|(hit_footage, at, _)| *hit_footage == footage && at.near(placement))
                .map(|&(_, _, pair)| pair)
                .collect();
            (footage, pairs)
        })
        .collect()
}

/// The footage the surveyed keyframes meet at near placements, each with the placement most of
/// them agree on; at most [`MOST_SURVEYED_FOOTAGE`].
fn survey(references: &impl References, pictures: &[(u32, &Picture)], radius: u32) -> Vec<(FootageId, Placement)> {
    let surveyed: Vec<&Picture> =
        spread_evenly(pictures.len(), SURVEYED).into_iter().map(|position| pictures[position].1).collect();
    let every = Placement::every();
    let hashes: Vec<Vec<PerceptualHash>> = std::thread::scope(|scope| {
        let threads: Vec<_> = surveyed.iter().map(|&picture| scope.spawn(|| hashes_at(picture, &every))).collect();
        threads.into_iter().map(|thread| thread.join().expect("a hashing thread panicked")).collect()
    });
    let hits = searched(references, &hashes.concat(), radius);
    // Per footage, where each surveyed keyframe met it, each place once.
    let mut met: FxHashMap<FootageId, FxHashSet<(usize, Placement)>> = FxHashMap::default();
    for (n, hits) in hits.iter().enumerate() {
        let (surveyed_keyframe, placement) = (n / every.len(), every[n % every.len()]);
        for hit in hits {
            met.entry(hit.footage).or_default().insert((surveyed_keyframe, placement));
        }
    }
    let mut agreed: Vec<(FootageId, Placement, usize)> = met
        .into_iter()
        .filter_map(|(footage, places)| {
            // How many surveyed keyframes met the footage near `placement`: at most 81
            // neighbours looked up per keyframe, so the count is linear in the places met.
            let agreeing = |placement: Placement| {
                let neighbourhood = placement.neighbourhood();
                (0..surveyed.len())
                    .filter(|&keyframe| neighbourhood.iter().any(|&near| places.contains(&(keyframe, near))))
                    .count()
            };
            let (best, count) = places
                .iter()
                .map(|&(_, placement)| (placement, agreeing(placement)))
                .max_by_key(|&(placement, count)| (count, placement))?;
            (count >= SURVEY_QUORUM).then_some((footage, best, count))
        })
        .collect();
    agreed.sort_unstable_by_key(|&(footage, _, count)| (std::cmp::Reverse(count), footage));
    agreed.into_iter().take(MOST_SURVEYED_FOOTAGE).map(|(footage, placement, _)| (footage, placement)).collect()
}

/// The hits of every pictured keyframe hashed at each of `placements`: the footage, the
/// placement, and the pair, in query time order.
fn hits_at(
    references: &impl References,
    pictures: &[(u32, &Picture)],
    placements: &[Placement],
    radius: u32,
) -> Vec<(FootageId, Placement, Pair)> {
    let hashes: Vec<PerceptualHash> =
        pictures.iter().flat_map(|&(_, picture)| hashes_at(picture, placements)).collect();
    let hits = searched(references, &hashes, radius);
    let searched_at =
        pictures.iter().flat_map(|&(time_ms, _)| placements.iter().map(move |&placement| (time_ms, placement)));
    searched_at
        .zip(hits)
        .flat_map(|((query_ms, placement), hits)| {
            hits.into_iter().map(move |Hit { footage, time_ms, distance }| {
                let pair = Pair { query_ms, reference_ms: time_ms, distance, orientation: Orientation::Upright };
                (footage, placement, pair)
            })
        })
        .collect()
}

/// How many different pictures the indexed cores that `supporting` pairs met show, among
/// `reference_keyframes` (the footage's, in time order): cores more than `radius` bits apart.
pub(super) fn distinct_cores(reference_keyframes: &[Keyframe], supporting: &[Pair], radius: u32) -> usize {
    let mut distinct: Vec<PerceptualHash> = Vec::new();
    for pair in supporting {
        let Ok(at) = reference_keyframes.binary_search_by_key(&pair.reference_ms, |keyframe| keyframe.time_ms) else {
            continue;
        };
        let Some(core) = reference_keyframes[at].hashes.indexed_core() else { continue };
        if distinct.iter().all(|seen| seen.distance(core) > radius) {
            distinct.push(core);
        }
    }
    distinct.len()
}

/// The hits of each of `hashes`, as [`telling`] leaves them: none for a flat one (a placement
/// that shows nothing, see `PerceptualHash::is_flat`), which is not searched.
fn searched(references: &impl References, hashes: &[PerceptualHash], radius: u32) -> Vec<Vec<Hit>> {
    let informative: Vec<PerceptualHash> = hashes.iter().copied().filter(|hash| !hash.is_flat()).collect();
    let mut found = references.cores_near(&informative, radius, telling).into_iter();
    hashes.iter().map(|hash| if hash.is_flat() { Vec::new() } else { found.next().unwrap_or_default() }).collect()
}

/// A part's hits as far as they tell anything: none when they meet more than
/// [`MOST_FOOTAGE_A_PART`] footage, and otherwise the [`MOST_CORES_A_FOOTAGE`] closest of each.
fn telling(hits: &mut Vec<Hit>) {
    hits.sort_unstable_by_key(|hit| (hit.footage, hit.distance, hit.time_ms));
    let mut footage_met = 0;
    let mut kept_of_footage = 0;
    let mut previous = None;
    hits.retain(|hit| {
        if previous != Some(hit.footage) {
            (previous, footage_met, kept_of_footage) = (Some(hit.footage), footage_met + 1, 0);
        }
        kept_of_footage += 1;
        kept_of_footage <= MOST_CORES_A_FOOTAGE
    });
    if footage_met > MOST_FOOTAGE_A_PART {
        hits.clear();
    }
}

/// The hash of `picture` at each of `placements`.
fn hashes_at(picture: &Picture, placements: &[Placement]) -> Vec<PerceptualHash> {
    let parts = picture.parts();
    placements.iter().map(|&placement| parts.at(placement)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::ViewHashes;
    use crate::matching::references::InMemory;
    use crate::test_kit::fingerprint;

    #[test]
    fn a_part_like_too_much_footage_counts_for_nothing_and_a_flat_one_is_not_searched() {
        let core = PerceptualHash(0x0123_4567_89ab_cdef);
        let footage_of_core = |n: u64| {
            let views =
                ViewHashes { core: Some(core), ..ViewHashes::spread_from(n.wrapping_mul(0x9e37_79b9_7f4a_7c15)) };
            (FootageId(n), fingerprint(&[views]))
        };
        let flat = PerceptualHash(u64::MAX);
        let few = InMemory((1..=3).map(footage_of_core).collect());
        let hits = searched(&few, &[flat, core, flat], 7);
        assert_eq!(hits.iter().map(Vec::len).collect::<Vec<_>>(), [0, 3, 0], "each hash keeps its place");
        let many = InMemory((1..=MOST_FOOTAGE_A_PART as u64 + 1).map(footage_of_core).collect());
        assert!(searched(&many, &[core], 7)[0].is_empty());
        // A still shot: one footage whose every keyframe files the same core keeps its closest.
        let still = ViewHashes { core: Some(core), ..ViewHashes::spread_from(7) };
        let mut one_still_shot = fingerprint(&vec![still; 100]);
        one_still_shot.keyframes[40].hashes.core = Some(PerceptualHash(core.0 ^ 1));
        let hits = &searched(&InMemory(vec![(FootageId(9), one_still_shot)]), &[core], 7)[0];
        assert_eq!(hits.iter().map(|hit| (hit.time_ms, hit.distance)).collect::<Vec<_>>(), [(0, 0), (500, 0)]);
    }
}
