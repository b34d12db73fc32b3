//! Prescreen: whether a video being ingested could be footage the index already holds.
//!
//! Every ingest must decide between "new footage" and "a new sighting of known footage", and the
//! full lookup that decides it searches every view of every keyframe: at ten million indexed
//! keyframes that is most of an ingest's cost, paid again for every one of a bulk load's
//! videos, nearly all of which are new. Known footage covers at least nine tenths of the new
//! video (see `engine`), so most of its keyframes meet that footage; a handful of keyframes
//! spread over the video shows it. Only when the sample meets some footage does the ingest pay
//! for the full lookup; and only part of the sample is searched, the rest being compared with
//! the few footage that part met.
//!
//! The trade-off: a copy so degraded that fewer than half of the sampled keyframes are within
//! the radius of the original becomes footage of its own rather than a sighting of the original,
//! and so does a turned copy: the sample is searched as the video shows its picture, because
//! searching it turned back from each turn too would cost two and a half times as much, on
//! every ingest, for the rare turned re-upload. Lookups are unaffected: they report the earliest sighting over every footage they match, so
//! the answer to "when was this first seen" stays the same; only the grouping of sightings
//! differs.

use super::{References, alignment, search};
use crate::fingerprint::{Fingerprint, Keyframe, SearchedViews};
use crate::index::IndexError;

/// Keyframes sampled, evenly spread over the video.
const SAMPLED_KEYFRAMES: usize = 8;

/// Whether some indexed footage meets at least half of `query`'s sampled keyframes within
/// `radius`, through any searched view. Too few keyframes to ever reach `quorum` means no
/// footage can match at all.
///
/// The sample is drawn from the kind of keyframe the video mostly has. A video mostly
/// informative is sampled among its informative keyframes, which are the likeliest to meet
/// filed ones (an exact copy's plain stretches face nothing filed). A video mostly plain, a
/// darkened or washed-out copy, is sampled over all its keyframes, as a lookup searches them.
pub(super) fn may_be_indexed(
    references: &impl References,
    query: &Fingerprint,
    radius: u32,
    quorum: usize,
) -> Result<bool, IndexError> {
    let informative: Vec<_> = query.informative_keyframes().collect();
    let candidates: Vec<_> =
        if informative.len() * 2 >= query.keyframes.len() { informative } else { query.keyframes.iter().collect() };
    if candidates.len() < quorum {
        return Ok(false);
    }
    let samples = search::spread_sample(&candidates, SAMPLED_KEYFRAMES);
    let sampled = samples.len();
    // Known footage meets at least half the samples (it covers nine tenths of the video).
    let sample_quorum = sampled.div_ceil(2);
    // Footage that none of the first `sampled - sample_quorum + 1` samples meets can no longer
    // reach `sample_quorum`. Those are searched in the index; the rest are compared only with
    // the footage the first round met, read back from the store: at millions of keyframes
    // nearly every sample meets some stray footage, so stopping early rarely happens, but a
    // handful of stored fingerprints costs far less than three more radius searches.
    let (searched, compared) = samples.split_at(sampled - sample_quorum + 1);
    for (footage, pairs) in references.hits_by_footage(searched, SearchedViews::AsShown, radius) {
        let met_by_search = alignment::distinct_query_keyframes(&pairs);
        if met_by_search + compared.len() < sample_quorum {
            continue;
        }
        let Some(keyframes) = references.keyframes(footage)? else { continue };
        // Compared through the views the others were searched with.
        let meets = |sample: &&&Keyframe| {
            keyframes.iter().any(|known| known.informative && sample.hashes.closest_as_shown(&known.hashes).0 <= radius)
        };
        let met_by_comparison = compared.iter().filter(meets).count();
        if met_by_search + met_by_comparison >= sample_quorum {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::ViewHashes;
    use crate::index::{Durability, Index};
    use crate::test_kit::{fingerprint, random_views, sighting};

    const RADIUS: u32 = 7;

    /// An index holding one footage of eight keyframes, and those keyframes' views.
    fn index_with_one_footage(dir: &std::path::Path, rng: &mut fastrand::Rng) -> (Index, Vec<ViewHashes>) {
        let index = Index::open(dir).unwrap();
        let views: Vec<ViewHashes> = (0..8).map(|_| random_views(rng)).collect();
        let sighting = sighting("https://example.org/original", "2020-11-10");
        index.insert_footage(&fingerprint(&views), &sighting, &[], &[], Durability::Synced).unwrap();
        (index, views)
    }

    /// A query of eight keyframes whose listed ones are the indexed footage's, the rest unrelated.
    fn query_sharing(known: &[ViewHashes], shared: &[usize], rng: &mut fastrand::Rng) -> Fingerprint {
        let views: Vec<ViewHashes> =
            (0..8).map(|i| if shared.contains(&i) { known[i].clone() } else { random_views(rng) }).collect();
        fingerprint(&views)
    }

    #[test]
    fn half_the_samples_meeting_one_footage_is_enough_wherever_they_fall() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = fastrand::Rng::with_seed(3);
        let (index, known) = index_with_one_footage(dir.path(), &mut rng);
        // The first five samples are searched; the last three only compared with what they met.
        for shared in [&[0, 1, 2, 3][..], &[0, 5, 6, 7], &[4, 5, 6, 7], &[1, 3, 5, 7]] {
            let query = query_sharing(&known, shared, &mut rng);
            assert!(may_be_indexed(&index, &query, RADIUS, 3).unwrap(), "keyframes {shared:?} shared");
        }
    }

    #[test]
    fn a_turned_copy_is_not_searched_turned() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = fastrand::Rng::with_seed(5);
        let (index, known) = index_with_one_footage(dir.path(), &mut rng);
        let turned: Vec<ViewHashes> = known
            .iter()
            .map(|original| {
                let unrelated = random_views(&mut rng);
                ViewHashes { turned: Some([original.upright, unrelated.upright, unrelated.mirrored]), ..unrelated }
            })
            .collect();
        assert!(!may_be_indexed(&index, &fingerprint(&turned), RADIUS, 3).unwrap());
    }

    #[test]
    fn a_mostly_plain_copy_is_sampled_over_its_plain_keyframes() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = fastrand::Rng::with_seed(6);
        let (index, known) = index_with_one_footage(dir.path(), &mut rng);
        // A faded copy: every picture the original's, only its last keyframe (an end card
        // added by the uploader) informative enough to be filed.
        let mut faded = fingerprint(&known);
        let end_card = faded.keyframes.last().unwrap().time_ms + 500;
        faded.keyframes.push(Keyframe {
            time_ms: end_card,
            hashes: random_views(&mut rng),
            informative: true,
            picture: None,
        });
        faded.duration_ms = end_card + 500;
        for keyframe in &mut faded.keyframes[..8] {
            keyframe.informative = false;
        }
        assert!(may_be_indexed(&index, &faded, RADIUS, 3).unwrap());
    }

    #[test]
    fn fewer_than_half_or_none_meeting_is_not_enough() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = fastrand::Rng::with_seed(4);
        let (index, known) = index_with_one_footage(dir.path(), &mut rng);
        for shared in [&[][..], &[0, 1, 2], &[0, 6, 7], &[5, 6, 7]] {
            let query = query_sharing(&known, shared, &mut rng);
            assert!(!may_be_indexed(&index, &query, RADIUS, 3).unwrap(), "keyframes {shared:?} shared");
        }
    }
}
