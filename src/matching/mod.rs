//! Matching: the fourth stage. From a query fingerprint to the indexed footage it contains.
//!
//! For every query keyframe the [`References`] return the indexed (informative) keyframes within
//! a Hamming radius of any of its searched views (whole, centre and band, upright and mirrored,
//! each window's, the fill-crop strips, turned back from each turn and tilted back a few degrees
//! either way: see [`Matcher::lookup`] for when the turned and tilted ones are searched); those
//! hits are grouped by footage and [`alignment`] keeps, per footage, only the run of keyframes
//! that agree on one playback speed and time offset. Footage with enough agreeing keyframes becomes [`Evidence`]: its query and reference segments, score, speed and mirroring.
//! A query in which nothing is found that way is surveyed for footage it shows cropped off-centre
//! ([`crop_search`]), through the pictures a few of its keyframes carry.
//! Matching knows nothing of dates: the engine joins sightings to evidence.

mod alignment;
mod crop_search;
mod evidence;
mod extension;
mod prescreen;
mod references;
mod search;

use alignment::Alignment;

pub use alignment::{AlignmentPolicy, Pair};
pub use evidence::Evidence;
pub use extension::ExtensionPolicy;
pub use references::References;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::fingerprint::{Fingerprint, Keyframe, Orientation, SearchedViews};
use crate::index::{FootageId, IndexError};
use crate::time::Segment;

/// Bits out of 64 by which two unrelated pictures differ on average.
const UNRELATED_DISTANCE: f64 = 32.0;

/// Query keyframes, spread over the query, whose turned-back and tilted-back views are searched
/// before the others'. A copy is turned or tilted as a whole, so that shows in keyframes anywhere
/// in it, and the nine turned and eight tilted views are more searches than the views as shown: a
/// long query searches them all only for a turn or tilt that some footage meets in
/// the sample.
const REORIENTED_SAMPLE: usize = 16;
/// Sampled keyframes that must meet one footage through a turn or tilt for every keyframe to be
/// searched that way: one is any stray hit, of which a large index has plenty.
const REORIENTED_SAMPLE_QUORUM: usize = 2;

/// How strict a lookup is.
#[derive(Clone, Debug)]
pub struct MatchPolicy {
    /// Largest Hamming distance between a query and an indexed keyframe hash that counts as the
    /// same picture.
    pub radius: u32,
    /// The quorum: fewest query keyframes that must agree in time for footage to match. Below
    /// three, a coincidence between two similar-looking shots is too likely.
    pub quorum: usize,
    /// Fewest indexed keyframes the agreeing query keyframes must meet between them. A short
    /// query is sampled four times as densely as the floor, so three of its keyframes can all
    /// meet one indexed picture within the offset tolerance: one picture, not three.
    pub min_reference_keyframes: usize,
    /// Lowest score a match may have.
    pub min_score: f64,
    pub alignment: AlignmentPolicy,
    pub extension: ExtensionPolicy,
}

impl Default for MatchPolicy {
    fn default() -> Self {
        MatchPolicy {
            radius: 7,
            quorum: 3,
            min_reference_keyframes: 2,
            min_score: 0.2,
            alignment: AlignmentPolicy::default(),
            extension: ExtensionPolicy::default(),
        }
    }
}

/// How a lookup's hits on a footage were found, which decides how they are judged (see
/// [`Matcher::evidence`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FoundThrough {
    /// The views every lookup searches.
    Views,
    /// The crop search, through the footage's core.
    Core,
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

    /// The evidence that `query` contains each footage it does, in no particular order.
    ///
    /// Every keyframe is searched as the copy shows it. Turned or tilted back, a query of more
    /// than [`REORIENTED_SAMPLE`] keyframes is searched in full only for the turns and tilts
    /// through which some footage meets [`REORIENTED_SAMPLE_QUORUM`] keyframes of a sample spread
    /// over it, more of them than the views as shown meet, and which the views as shown did not
    /// meet at the quorum. The trade-off: turned or tilted footage that fills only a small part
    /// of a long query (one turned clip of a long compilation) can go unseen, and so can a turned
    /// or tilted stretch of footage whose other stretches the query shows upright.
    ///
    /// A query in which nothing is found that way is then searched for footage it shows cropped
    /// off-centre, through the pictures it carries (see [`crop_search`]). Only then: that search
    /// costs about a second, and footage found otherwise is rarely also shown cropped in the
    /// same query. The trade-off: a compilation of which one piece is found as shown and
    /// another only cropped reports the first alone.
    pub fn lookup(&self, references: &impl References, query: &Fingerprint) -> Result<Vec<Evidence>, IndexError> {
        // Informative or not: only the indexed side must be (see `Keyframe::informative`).
        let keyframes: Vec<&Keyframe> = query.keyframes.iter().collect();
        let mut found = Vec::new();
        for (footage, pairs) in self.hits_of_every_view(references, &keyframes) {
            if let Some(evidence) =
                self.evidence(references, query, &keyframes, (footage, &pairs), FoundThrough::Views)?
            {
                found.push(evidence);
            }
        }
        if found.is_empty() {
            let pictured: Vec<&Keyframe> =
                keyframes.iter().copied().filter(|keyframe| keyframe.picture.is_some()).collect();
            for (footage, pairs) in crop_search::cropped_hits(references, &pictured, self.policy.radius) {
                let hits = (footage, pairs.as_slice());
                if let Some(evidence) = self.evidence(references, query, &pictured, hits, FoundThrough::Core)? {
                    found.push(evidence);
                }
            }
        }
        Ok(found)
    }

    /// The hits of every searched view of `keyframes`, the turned and tilted ones as [`Matcher::lookup`]
    /// says, grouped by footage, each group in query time order.
    fn hits_of_every_view(
        &self,
        references: &impl References,
        keyframes: &[&Keyframe],
    ) -> FxHashMap<FootageId, Vec<Pair>> {
        let radius = self.policy.radius;
        let mut hits = references.hits_by_footage(keyframes, SearchedViews::AsShown, radius);
        let sample = search::spread_sample(keyframes, REORIENTED_SAMPLE);
        // A picture tilted back a few degrees still looks much like itself, so the tilted sample
        // of every upright copy meets its original, and every near copy of it in the index. A
        // turn or tilt therefore opens only for footage that the views as shown neither met at
        // the quorum (they find it without turning anything) nor met in as many sampled keyframes.
        let sampled_times: FxHashSet<u32> = sample.iter().map(|keyframe| keyframe.time_ms).collect();
        let met_as_shown: FxHashMap<FootageId, usize> = hits
            .iter()
            .map(|(&footage, pairs)| {
                let in_sample: Vec<Pair> =
                    pairs.iter().filter(|pair| sampled_times.contains(&pair.query_ms)).copied().collect();
                let met = if alignment::distinct_query_keyframes(pairs) >= self.policy.quorum {
                    usize::MAX
                } else {
                    alignment::distinct_query_keyframes(&in_sample)
                };
                (footage, met)
            })
            .collect();
        let mut met_reoriented = FxHashSet::default();
        for &views in SearchedViews::reoriented() {
            let sampled = references.hits_by_footage(&sample, views, radius);
            let reoriented = if sample.len() == keyframes.len() {
                sampled
            } else if sampled.iter().any(|(footage, pairs)| {
                let met = alignment::distinct_query_keyframes(pairs);
                met >= REORIENTED_SAMPLE_QUORUM && met > met_as_shown.get(footage).copied().unwrap_or(0)
            }) {
                references.hits_by_footage(keyframes, views, radius)
            } else {
                continue;
            };
            for (footage, pairs) in reoriented {
                hits.entry(footage).or_default().extend(pairs);
                met_reoriented.insert(footage);
            }
        }
        for footage in met_reoriented {
            if let Some(pairs) = hits.get_mut(&footage) {
                // Stable: a keyframe's pairs keep the order of its views.
                pairs.sort_by_key(|pair| pair.query_ms);
            }
        }
        hits
    }

    /// Whether the hits on one footage, of the `searched` keyframes of `query`, hold up as
    /// evidence, and what they show.
    ///
    /// Each proposed alignment is judged on the strict evidence alone. Of those that stand, for
    /// hits of the views as shown, the picture at the times each predicts decides, and the
    /// extension's evidence then describes the match. Hits of the crop search are judged and
    /// scored over the pictured keyframes alone, the only ones searched at the crop's placement,
    /// and not extended, since the other keyframes' views show the crop, which the index never
    /// filed; the best-supported alignment stands that meets as many different cores as the
    /// quorum (see [`crop_search::distinct_cores`]).
    fn evidence(
        &self,
        references: &impl References,
        query: &Fingerprint,
        searched: &[&Keyframe],
        (footage, pairs): (FootageId, &[Pair]),
        found_through: FoundThrough,
    ) -> Result<Option<Evidence>, IndexError> {
        let proposed = self.proposed(query, searched, pairs);
        if proposed.is_empty() {
            return Ok(None);
        }
        let reference_keyframes = references.keyframes(footage)?.unwrap_or_default();
        let chosen = match found_through {
            FoundThrough::Views => {
                extension::best_extended(searched, &reference_keyframes, proposed, &self.policy.extension)
            }
            FoundThrough::Core => proposed
                .into_iter()
                .find(|alignment| {
                    crop_search::distinct_cores(&reference_keyframes, &alignment.supporting, self.policy.radius)
                        >= self.policy.quorum
                })
                .map(|alignment| {
                    let supporting = alignment.supporting.clone();
                    (alignment, supporting)
                }),
        };
        let Some((alignment, supporting)) = chosen else { return Ok(None) };
        let Some(footage_duration_ms) = references.duration_ms(footage)? else { return Ok(None) };
        let evidence = described(query, searched, footage, footage_duration_ms, &alignment, &supporting);
        Ok(Some(Evidence { cropped: found_through == FoundThrough::Core, ..evidence }))
    }

    /// The alignments of `pairs` (hits of `searched`, keyframes of `query`) that reach the
    /// quorum, meet enough indexed keyframes and score enough, best-supported first.
    fn proposed(&self, query: &Fingerprint, searched: &[&Keyframe], pairs: &[Pair]) -> Vec<Alignment> {
        let quorum = self.policy.quorum;
        // Most footage met at all is met by a few stray keyframes scattered in time; they cannot
        // reach the quorum, and skipping them spares the vote over every speed.
        if !alignment::may_reach(pairs, &self.policy.alignment, quorum) {
            return Vec::new();
        }
        alignment::align(pairs, &self.policy.alignment, quorum)
            .into_iter()
            .filter(|alignment| {
                alignment::distinct_reference_keyframes(&alignment.supporting) >= self.policy.min_reference_keyframes
                    && score(searched, query_segment(query, &alignment.supporting), &alignment.supporting)
                        >= self.policy.min_score
            })
            .collect()
    }

    /// Whether `query` could be footage the index already holds: a cheap test an ingest runs
    /// before the full lookup (see [`prescreen`]).
    pub fn may_be_indexed(&self, references: &impl References, query: &Fingerprint) -> Result<bool, IndexError> {
        prescreen::may_be_indexed(references, query, self.policy.radius, self.policy.quorum)
    }
}

/// The evidence that `query` shows `footage` as `alignment` says, supported by `supporting`
/// (hits of `searched`, keyframes of `query`).
fn described(
    query: &Fingerprint,
    searched: &[&Keyframe],
    footage: FootageId,
    footage_duration_ms: u32,
    alignment: &Alignment,
    supporting: &[Pair],
) -> Evidence {
    let query_segment = query_segment(query, supporting);
    let shift = |ms: u32| alignment.reference_ms(ms).clamp(0, i64::from(footage_duration_ms)) as u32;
    Evidence {
        footage,
        footage_duration_ms,
        score: score(searched, query_segment, supporting),
        matched_keyframes: supporting.len() as u32,
        speed: alignment.speed,
        orientation: prevailing_orientation(supporting),
        cropped: false,
        query_segment,
        reference_segment: Segment { start_ms: shift(query_segment.start_ms), end_ms: shift(query_segment.end_ms) },
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

/// The orientation most supporting pairs met the footage through; upright when it ties.
fn prevailing_orientation(supporting: &[Pair]) -> Orientation {
    let support = |orientation: Orientation| supporting.iter().filter(|pair| pair.orientation == orientation).count();
    // `max_by_key` keeps the last of equals, and upright is listed last, so it wins ties.
    Orientation::ALL.into_iter().max_by_key(|&orientation| support(orientation)).unwrap_or_default()
}

/// Share of the segment's keyframes (of those `searched`) that agree, times their mean hash
/// similarity. A plain keyframe counts only when it agrees: an exact copy's plain stretches (a
/// fade, a black gap) face plain pictures the index never filed, and must not lower the score.
fn score(searched: &[&Keyframe], segment: Segment, supporting: &[Pair]) -> f64 {
    let agreeing: FxHashSet<u32> = supporting.iter().map(|pair| pair.query_ms).collect();
    let in_segment = searched
        .iter()
        .filter(|keyframe| (segment.start_ms..segment.end_ms).contains(&keyframe.time_ms))
        .filter(|keyframe| keyframe.informative || agreeing.contains(&keyframe.time_ms))
        .count()
        .max(supporting.len());
    let similarity: f64 =
        supporting.iter().map(|pair| (1.0 - f64::from(pair.distance) / UNRELATED_DISTANCE).max(0.0)).sum();
    similarity / in_segment.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::references::InMemory;
    use super::*;
    use crate::fingerprint::{PerceptualHash, Tilt, Turn, ViewHashes};
    use crate::index::Hit;
    use crate::test_kit::{fingerprint, random_views};

    /// Ten seconds of footage, indexed as footage 1.
    fn references(rng: &mut fastrand::Rng) -> (InMemory, Vec<ViewHashes>) {
        let views: Vec<ViewHashes> = (0..20).map(|_| random_views(rng)).collect();
        (InMemory(vec![(FootageId(1), fingerprint(&views))]), views)
    }

    #[test]
    fn an_excerpt_is_found_with_its_segments_in_both_videos() {
        let mut rng = fastrand::Rng::with_seed(1);
        let (references, views) = references(&mut rng);
        // Seconds 2 to 8 of the footage.
        let excerpt = fingerprint(&views[4..16]);
        let found = Matcher::default().lookup(&references, &excerpt).unwrap();
        let [evidence] = found.try_into().expect("one footage");
        assert_eq!(evidence.footage, FootageId(1));
        assert_eq!(evidence.query_segment, Segment { start_ms: 0, end_ms: 6_000 });
        assert_eq!(evidence.reference_segment, Segment { start_ms: 2_000, end_ms: 8_000 });
        assert_eq!((evidence.matched_keyframes, evidence.score), (12, 1.0), "every keyframe, at distance 0");
        assert_eq!((evidence.speed, evidence.orientation), (1.0, Orientation::Upright));
    }

    #[test]
    fn a_plain_copy_meets_its_informative_original_but_plain_footage_is_met_by_nothing() {
        let mut rng = fastrand::Rng::with_seed(12);
        let (references, views) = references(&mut rng);
        let plain = |mut fingerprint: Fingerprint| {
            fingerprint.keyframes.iter_mut().for_each(|keyframe| keyframe.informative = false);
            fingerprint
        };
        // A darkened copy: the original's pictures, none of them informative any more.
        let [evidence] =
            Matcher::default().lookup(&references, &plain(fingerprint(&views))).unwrap().try_into().unwrap();
        assert_eq!((evidence.footage, evidence.matched_keyframes, evidence.score), (FootageId(1), 20, 1.0));
        // Indexed footage that is plain throughout is not filed, so even its own copy misses it.
        let plain_references = InMemory(vec![(FootageId(1), plain(fingerprint(&views)))]);
        assert!(Matcher::default().lookup(&plain_references, &fingerprint(&views)).unwrap().is_empty());
    }

    #[test]
    fn an_exact_copy_is_scored_whole_over_its_originals_plain_stretch() {
        let mut rng = fastrand::Rng::with_seed(13);
        let (_, views) = references(&mut rng);
        // Footage dark for most of its length, with a bright stretch at each end.
        let mut footage = fingerprint(&views);
        footage.keyframes[3..17].iter_mut().for_each(|keyframe| keyframe.informative = false);
        let references = InMemory(vec![(FootageId(1), footage.clone())]);
        let [evidence] = Matcher::default().lookup(&references, &footage).unwrap().try_into().unwrap();
        assert_eq!((evidence.matched_keyframes, evidence.score), (6, 1.0));
        assert_eq!(evidence.query_segment, Segment { start_ms: 0, end_ms: footage.duration_ms });
    }

    #[test]
    fn a_mirrored_copy_is_found_as_mirrored() {
        let mut rng = fastrand::Rng::with_seed(2);
        let (references, views) = references(&mut rng);
        let flipped: Vec<ViewHashes> = views
            .iter()
            .map(|view| ViewHashes {
                upright: view.mirrored,
                mirrored: view.upright,
                windows: Vec::new(),
                turned: None,
                tilted: None,
                middle: None,
                core: None,
                filled: Vec::new(),
            })
            .collect();
        let [evidence] = Matcher::default().lookup(&references, &fingerprint(&flipped)).unwrap().try_into().unwrap();
        assert_eq!(evidence.orientation, Orientation::Mirrored);
        assert_eq!(evidence.reference_segment, Segment { start_ms: 0, end_ms: 10_000 });
    }

    #[test]
    fn a_turned_copy_is_found_turned() {
        let mut rng = fastrand::Rng::with_seed(4);
        let (references, views) = references(&mut rng);
        // What a copy turned upside down carries: unrelated upright views, and the original's
        // regions among its pictures turned back.
        let turned: Vec<ViewHashes> = views
            .iter()
            .map(|view| {
                let unrelated = random_views(&mut rng);
                ViewHashes { turned: Some([unrelated.upright, view.upright, unrelated.mirrored]), ..unrelated }
            })
            .collect();
        let [evidence] = Matcher::default().lookup(&references, &fingerprint(&turned)).unwrap().try_into().unwrap();
        assert_eq!(evidence.orientation, Orientation::Turned(Turn::Half));
        assert_eq!(evidence.reference_segment, Segment { start_ms: 0, end_ms: 10_000 });
    }

    #[test]
    fn a_tilted_copy_is_found_tilted() {
        let mut rng = fastrand::Rng::with_seed(6);
        let (references, views) = references(&mut rng);
        // What a copy tilted anticlockwise carries: unrelated views as shown, and the original's
        // centre among its centres tilted back.
        let tilted: Vec<ViewHashes> = views
            .iter()
            .map(|view| {
                let unrelated = random_views(&mut rng);
                let clockwise = [unrelated.upright.centre; 4];
                let anticlockwise =
                    [unrelated.mirrored.centre, unrelated.mirrored.band, view.upright.centre, view.upright.band];
                ViewHashes { tilted: Some([clockwise, anticlockwise]), ..unrelated }
            })
            .collect();
        let [evidence] = Matcher::default().lookup(&references, &fingerprint(&tilted)).unwrap().try_into().unwrap();
        assert_eq!(evidence.orientation, Orientation::Tilted(Tilt::Anticlockwise));
        assert_eq!(evidence.reference_segment, Segment { start_ms: 0, end_ms: 10_000 });
    }

    /// References that count the keyframes searched through each part of the views.
    struct Counted<'a> {
        references: &'a InMemory,
        searched: std::cell::RefCell<Vec<(SearchedViews, usize)>>,
    }

    impl References for Counted<'_> {
        fn hits_by_footage(
            &self,
            keyframes: &[&Keyframe],
            views: SearchedViews,
            radius: u32,
        ) -> FxHashMap<FootageId, Vec<Pair>> {
            self.searched.borrow_mut().push((views, keyframes.len()));
            self.references.hits_by_footage(keyframes, views, radius)
        }

        fn cores_near(&self, hashes: &[PerceptualHash], radius: u32, keep: fn(&mut Vec<Hit>)) -> Vec<Vec<Hit>> {
            self.references.cores_near(hashes, radius, keep)
        }

        fn keyframes(&self, footage: FootageId) -> Result<Option<Vec<Keyframe>>, IndexError> {
            self.references.keyframes(footage)
        }

        fn duration_ms(&self, footage: FootageId) -> Result<Option<u32>, IndexError> {
            self.references.duration_ms(footage)
        }
    }

    #[test]
    fn a_long_query_is_searched_turned_only_through_the_turn_its_sample_meets() {
        let mut rng = fastrand::Rng::with_seed(5);
        let views: Vec<ViewHashes> = (0..40).map(|_| random_views(&mut rng)).collect();
        let references = InMemory(vec![(FootageId(1), fingerprint(&views))]);
        let with_turns = |view: &ViewHashes, turned_quarter: Option<&ViewHashes>, rng: &mut fastrand::Rng| {
            let unrelated = [random_views(rng), random_views(rng), random_views(rng)];
            let quarter = turned_quarter.map_or(unrelated[0].upright, |original| original.upright);
            ViewHashes { turned: Some([quarter, unrelated[1].upright, unrelated[2].upright]), ..view.clone() }
        };
        let searched = |query: &Fingerprint| {
            let counted = Counted { references: &references, searched: Default::default() };
            let found = Matcher::default().lookup(&counted, query).unwrap();
            (found, counted.searched.into_inner())
        };

        // An upright copy: the sample of each turn meets nothing, so no turn is searched in full.
        let upright: Vec<ViewHashes> = views.iter().map(|view| with_turns(view, None, &mut rng)).collect();
        let (found, searches) = searched(&fingerprint(&upright));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].orientation, Orientation::Upright);
        let sample_only: Vec<(SearchedViews, usize)> = std::iter::once((SearchedViews::AsShown, 40))
            .chain(SearchedViews::reoriented().iter().map(|&views| (views, REORIENTED_SAMPLE)))
            .collect();
        assert_eq!(searches, sample_only);

        // An upright copy whose pictures tilted back still look like the original, as a picture
        // tilted back 3° does: both tilts meet the footage in the sample, but the views as shown
        // met it already, so no tilt is searched in full.
        let leaning: Vec<ViewHashes> = upright
            .iter()
            .zip(&views)
            .map(|(copy, view)| ViewHashes {
                tilted: Some([[view.upright.centre; 4], [view.upright.band; 4]]),
                ..copy.clone()
            })
            .collect();
        let (found, searches) = searched(&fingerprint(&leaning));
        assert_eq!(found.len(), 1);
        assert_eq!(searches, sample_only);

        // A copy turned a quarter: that turn, and only that one, is searched in full.
        let turned: Vec<ViewHashes> =
            views.iter().map(|view| with_turns(&random_views(&mut rng), Some(view), &mut rng)).collect();
        let (found, searches) = searched(&fingerprint(&turned));
        let [evidence] = found.try_into().expect("one footage");
        assert_eq!(evidence.orientation, Orientation::Turned(Turn::Quarter));
        assert_eq!(evidence.reference_segment, Segment { start_ms: 0, end_ms: 20_000 });
        let quarter_in_full = (SearchedViews::TurnedBack(Turn::Quarter), 40);
        assert_eq!(searches.iter().filter(|&&search| search == quarter_in_full).count(), 1);
        assert_eq!(searches.len(), 7, "as shown, five samples, one turn in full: {searches:?}");
    }

    #[test]
    fn a_copy_cropped_off_centre_is_found_through_its_core_only_by_the_pictures_it_carries() {
        use crate::fingerprint::{FrameHasher, Picture};
        use crate::media::{ANALYSIS_SIDE as SIDE, ContentBox};
        use crate::test_kit::{cropped_back, scene};

        let hasher = FrameHasher::default();
        // Every other keyframe carries its picture, as a longer video's spread pictures do.
        let of_pictures = |pictures: &[Vec<u8>]| Fingerprint {
            duration_ms: pictures.len() as u32 * 500,
            keyframes: pictures
                .iter()
                .enumerate()
                .map(|(n, pixels)| Keyframe {
                    time_ms: n as u32 * 500,
                    hashes: ViewHashes::of_picture(&hasher, pixels, SIDE, SIDE),
                    informative: true,
                    picture: (n % 2 == 0).then(|| Picture::new(SIDE, SIDE, pixels.clone()).unwrap()),
                })
                .collect(),
        };
        let pictures: Vec<Vec<u8>> = (0..16).map(|n| scene(100 + n, SIDE, SIDE)).collect();
        let references = InMemory(vec![(FootageId(1), of_pictures(&pictures))]);
        // Keeps 70 % of the width from a quarter across, and 80 % of the height from the top.
        let kept = ContentBox { left: 16, top: 0, width: 45, height: 51 };
        let cropped: Vec<Vec<u8>> = pictures.iter().map(|pixels| cropped_back(pixels, SIDE, SIDE, kept)).collect();
        let copy = of_pictures(&cropped);

        let [evidence] = Matcher::default().lookup(&references, &copy).unwrap().try_into().expect("one footage");
        assert_eq!(
            (evidence.footage, evidence.orientation, evidence.cropped),
            (FootageId(1), Orientation::Upright, true)
        );
        // From the first pictured keyframe to the keyframe after the last.
        assert_eq!(evidence.query_segment, Segment { start_ms: 0, end_ms: 7_500 });
        assert_eq!(evidence.reference_segment, evidence.query_segment);
        assert!(evidence.matched_keyframes >= 3, "{evidence:?}");

        // The views as shown do not meet it: without its pictures the copy is not found.
        let mut unpictured = copy.clone();
        unpictured.keyframes.iter_mut().for_each(|keyframe| keyframe.picture = None);
        assert!(Matcher::default().lookup(&references, &unpictured).unwrap().is_empty());
        // A still scene cropped is one picture, however many of its keyframes meet the core.
        let still_references = InMemory(vec![(FootageId(2), of_pictures(&vec![pictures[0].clone(); 16]))]);
        let still_copy = of_pictures(&vec![cropped[0].clone(); 16]);
        assert!(Matcher::default().lookup(&still_references, &still_copy).unwrap().is_empty());
        // Nor does an unrelated video with pictures.
        let unrelated: Vec<Vec<u8>> = (0..16).map(|n| scene(500 + n, SIDE, SIDE)).collect();
        assert!(Matcher::default().lookup(&references, &of_pictures(&unrelated)).unwrap().is_empty());
    }

    #[test]
    fn unrelated_pictures_or_too_few_agreeing_keyframes_are_no_evidence() {
        let mut rng = fastrand::Rng::with_seed(3);
        let (references, views) = references(&mut rng);
        let unrelated: Vec<ViewHashes> = (0..12).map(|_| random_views(&mut rng)).collect();
        assert!(Matcher::default().lookup(&references, &fingerprint(&unrelated)).unwrap().is_empty());
        // Two shared keyframes among unrelated ones: below the quorum of three.
        let mut two = unrelated.clone();
        two[3] = views[3].clone();
        two[4] = views[4].clone();
        assert!(Matcher::default().lookup(&references, &fingerprint(&two)).unwrap().is_empty());
    }

    #[test]
    fn densely_sampled_keyframes_of_one_picture_are_no_quorum() {
        let mut rng = fastrand::Rng::with_seed(5);
        let (references, views) = references(&mut rng);
        // A short query sampled every 125 ms: its first four keyframes all show the footage's
        // picture at 2 s, the rest are unrelated.
        let dense = |shown: &[&ViewHashes]| {
            let mut keyframes: Vec<ViewHashes> = shown.iter().map(|&view| view.clone()).collect();
            let mut unrelated = fastrand::Rng::with_seed(9);
            keyframes.extend((0..4).map(|_| random_views(&mut unrelated)));
            let mut query = fingerprint(&keyframes);
            for (n, keyframe) in query.keyframes.iter_mut().enumerate() {
                keyframe.time_ms = n as u32 * 125;
            }
            query.duration_ms = 1_000;
            query
        };
        let one_picture = dense(&[&views[4], &views[4], &views[4], &views[4]]);
        assert!(Matcher::default().lookup(&references, &one_picture).unwrap().is_empty());
        let two_pictures = dense(&[&views[4], &views[4], &views[5], &views[5]]);
        assert_eq!(Matcher::default().lookup(&references, &two_pictures).unwrap().len(), 1);
    }

    #[test]
    fn the_score_is_the_agreeing_share_times_the_similarity() {
        let query = fingerprint(&vec![ViewHashes::spread_from(0); 4]);
        let pair = |query_ms: u32, distance: u32| Pair {
            query_ms,
            reference_ms: query_ms,
            distance,
            orientation: Orientation::Upright,
        };
        let whole = Segment { start_ms: 0, end_ms: 2_000 };
        let searched: Vec<&Keyframe> = query.keyframes.iter().collect();
        assert_eq!(score(&searched, whole, &[pair(0, 0), pair(500, 0), pair(1_000, 0), pair(1_500, 0)]), 1.0);
        assert_eq!(score(&searched, whole, &[pair(0, 0), pair(500, 0)]), 0.5, "half the keyframes agree");
        assert_eq!(score(&searched, whole, &[pair(0, 16), pair(500, 16), pair(1_000, 16), pair(1_500, 16)]), 0.5);
        assert_eq!(query_segment(&query, &[pair(500, 0), pair(1_000, 0)]), Segment { start_ms: 500, end_ms: 1_500 });
    }
}
