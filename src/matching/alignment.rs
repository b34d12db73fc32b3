//! Temporal alignment: telling footage that really matches from scattered coincidences.
//!
//! A hash match between one query keyframe and one indexed keyframe proves little: perceptual
//! hashes of unrelated frames collide now and then, and a static shot matches itself at every
//! moment. Real footage matches *in sequence*: keyframe after keyframe, the time in the reference
//! minus the time in the query stays the same. So every hash match votes for its time offset, and
//! the offset with the most distinct query keyframes behind it wins. The matches that agree with
//! it, in one contiguous run, are the evidence.

use crate::fingerprint::Orientation;
use crate::media::SAMPLING_INTERVAL_MS;

/// A hit (see `index::Hit`) paired with the query keyframe that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    pub query_ms: u32,
    pub reference_ms: u32,
    pub distance: u32,
    /// Through which of the query keyframe's views it met the reference.
    pub orientation: Orientation,
}

impl Pair {
    /// Where the reference would be at query time 0 if this pair is right and the copy plays at
    /// `speed` times the original's pace.
    fn offset_ms(&self, speed: f64) -> i64 {
        i64::from(self.reference_ms) - (speed * f64::from(self.query_ms)).round() as i64
    }
}

/// The winning speed and offset, and the run of pairs that agree with them.
#[derive(Clone, Debug, PartialEq)]
pub struct Alignment {
    /// How fast the query plays the footage: 1.25 for a copy sped up by a quarter.
    pub speed: f64,
    /// Reference time at query time 0: reference time ≈ `speed` × query time + `offset_ms`.
    pub offset_ms: i64,
    /// One pair per supporting query keyframe (the closest hash), in query time order.
    pub supporting: Vec<Pair>,
}

impl Alignment {
    /// The reference time that query time `query_ms` shows.
    pub fn reference_ms(&self, query_ms: u32) -> i64 {
        (self.speed * f64::from(query_ms)).round() as i64 + self.offset_ms
    }
}

/// How far apart in time two copies' keyframes of one moment may sit: query and reference
/// keyframes sit on their own sampling grids, up to half an interval apart, and a slow shot
/// matches its neighbouring keyframe too, so a little over one interval (a fifth more) covers
/// both. The vote and the extension use the same.
pub const OFFSET_TOLERANCE_MS: i64 = SAMPLING_INTERVAL_MS as i64 * 6 / 5;

/// Tuning of the vote.
#[derive(Clone, Debug)]
pub struct AlignmentPolicy {
    /// How far a pair's offset may stray from the winning one ([`OFFSET_TOLERANCE_MS`]).
    pub tolerance_ms: i64,
    /// A gap in query time longer than this splits the evidence into separate runs.
    pub max_gap_ms: u32,
    /// Slowest and fastest playback tried, relative to the original: re-uploads are slowed
    /// down or sped up to 0.8–1.5×. Trying 0.5–2× measured worse: no copy more found (the
    /// extension already finds those, with looser boundaries), one look-alike matched and one
    /// boundary 5.6 s off at a stray speed (BENCHMARKS.md).
    pub speed_range: (f64, f64),
    /// Ratio between neighbouring speeds tried. At 2 %, a speed between two tried ones drifts by
    /// at most 1 % of the query's length, which the tolerance absorbs over 60 s.
    pub speed_step: f64,
}

impl Default for AlignmentPolicy {
    fn default() -> Self {
        AlignmentPolicy {
            tolerance_ms: OFFSET_TOLERANCE_MS,
            max_gap_ms: 10_000,
            speed_range: (0.75, 1.55),
            speed_step: 1.02,
        }
    }
}

impl AlignmentPolicy {
    /// The speeds to try, nearest to normal speed first so that a tie keeps normal speed.
    fn speeds(&self) -> Vec<f64> {
        let (slowest, fastest) = self.speed_range;
        let mut speeds = vec![1.0];
        let mut step = self.speed_step;
        while 1.0 / step >= slowest || step <= fastest {
            if step <= fastest {
                speeds.push(step);
            }
            if 1.0 / step >= slowest {
                speeds.push(1.0 / step);
            }
            step *= self.speed_step;
        }
        speeds
    }
}

/// Above this many pairs the quorum test below costs more than the vote it would spare.
const MOST_PAIRS_WORTH_SCREENING: usize = 32;

/// Whether some tried speed and offset could gather `quorum` distinct query keyframes from
/// `pairs` (in query time order). False only when [`align`] cannot reach the quorum, so a lookup
/// may skip the vote: most footage a lookup meets is met by a few stray hits scattered in time.
///
/// Two pairs agree at speed `s` only if their reference times differ by `s` times their query
/// times' difference, give or take twice the tolerance. So every pair bounds the speeds at
/// which each later pair can agree with it, and a quorum needs a pair whose bounds, from enough
/// later pairs, share one speed.
pub fn may_reach(pairs: &[Pair], policy: &AlignmentPolicy, quorum: usize) -> bool {
    if distinct_query_keyframes(pairs) < quorum {
        return false;
    }
    if quorum < 2 || pairs.len() > MOST_PAIRS_WORTH_SCREENING {
        return true;
    }
    let (slowest, fastest) = policy.speed_range;
    // Offsets are rounded to whole milliseconds, hence the one.
    let slack = (2 * policy.tolerance_ms + 1) as f64;
    // (speed, +1 where a later pair's range opens or -1 where it closes)
    let mut bounds: Vec<(f64, i32)> = Vec::with_capacity(2 * pairs.len());
    for (first, earliest) in pairs.iter().enumerate() {
        bounds.clear();
        for later in pairs[first + 1..].iter().filter(|later| later.query_ms > earliest.query_ms) {
            let query_span = f64::from(later.query_ms - earliest.query_ms);
            let reference_span = f64::from(later.reference_ms) - f64::from(earliest.reference_ms);
            let slow = ((reference_span - slack) / query_span).max(slowest);
            let fast = ((reference_span + slack) / query_span).min(fastest);
            if slow <= fast {
                bounds.extend([(slow, 1), (fast, -1)]);
            }
        }
        // Openings before closings at one speed: ranges that touch share that speed.
        bounds.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut open = 0;
        for &(_, change) in &bounds {
            open += change;
            // Overlapping ranges of one query keyframe count twice; the test stays necessary.
            if open as usize + 1 >= quorum {
                return true;
            }
        }
    }
    false
}

/// How many query keyframes `pairs` (in query time order) come from.
pub fn distinct_query_keyframes(pairs: &[Pair]) -> usize {
    pairs.chunk_by(|a, b| a.query_ms == b.query_ms).count()
}

/// How many distinct indexed keyframes `pairs` meet.
pub fn distinct_reference_keyframes(pairs: &[Pair]) -> usize {
    let mut times: Vec<u32> = pairs.iter().map(|pair| pair.reference_ms).collect();
    times.sort_unstable();
    times.dedup();
    times.len()
}

/// Most alignments [`align`] proposes for one footage. A slow zoom offers a whole series of
/// offsets, each agreeing with part of a cropped copy: on the accuracy benchmark's deep-field
/// zoom, the proposal nearest the truth came fourth. Each proposal costs one walk over the query
/// keyframes at the times it predicts.
const MOST_ALIGNMENTS: usize = 5;

/// The alignments of `pairs` (all from one indexed footage) that `quorum` query keyframes agree
/// with, best-supported first: the speed with the most support, and at that speed every offset,
/// up to [`MOST_ALIGNMENTS`], that still gathers a quorum once the pairs near better ones are
/// taken.
///
/// The vote alone cannot always tell the true offset. In a slow zoom, a cropped copy's frames
/// look like a later moment of the original just as much as like their own, and in a dark,
/// sparse picture a few keyframes may agree by chance. Proposing the runners-up lets the matcher
/// decide with the picture itself (see `extension`).
///
/// This runs for every footage a lookup meets, over dozens of speeds, so the vote works on
/// plain integers: each pair's query keyframe becomes a dense index, counted in an array.
pub fn align(pairs: &[Pair], policy: &AlignmentPolicy, quorum: usize) -> Vec<Alignment> {
    let mut query_times: Vec<u32> = pairs.iter().map(|pair| pair.query_ms).collect();
    query_times.sort_unstable();
    query_times.dedup();
    let keyframe_of = |pair: &Pair| query_times.binary_search(&pair.query_ms).expect("every pair's time is listed");
    let keyframes: Vec<usize> = pairs.iter().map(keyframe_of).collect();
    let mut counts = vec![0u32; query_times.len()];
    let mut by_offset: Vec<(i64, usize)> = Vec::with_capacity(pairs.len());
    let mut best: Option<(usize, f64)> = None;
    let offsets_at = |speed: f64, by_offset: &mut Vec<(i64, usize)>| {
        by_offset.clear();
        by_offset.extend(pairs.iter().zip(&keyframes).map(|(pair, &keyframe)| (pair.offset_ms(speed), keyframe)));
        by_offset.sort_unstable();
    };
    for speed in policy.speeds() {
        offsets_at(speed, &mut by_offset);
        let Some((support, _)) = densest_offset(&by_offset, &mut counts, policy.tolerance_ms) else { continue };
        if best.is_none_or(|(most, _)| support > most) {
            best = Some((support, speed));
        }
        if support == query_times.len() {
            // Every query keyframe already agrees: no other speed can do better, and a tie
            // keeps the speed nearer to normal, which came first.
            break;
        }
    }
    let Some((_, speed)) = best else { return Vec::new() };

    offsets_at(speed, &mut by_offset);
    let mut alignments = Vec::new();
    while alignments.len() < MOST_ALIGNMENTS {
        let Some((support, centre)) = densest_offset(&by_offset, &mut counts, policy.tolerance_ms) else { break };
        if support < quorum {
            break;
        }
        // A window overlapping this one shares its pairs: it is the same alignment, blurred by
        // the keyframes' sampling grids, not another one.
        by_offset.retain(|&(offset, _)| (offset - centre).abs() > 2 * policy.tolerance_ms);
        let alignment = aligned_at(pairs, speed, centre, policy);
        if alignment.supporting.len() >= quorum {
            alignments.push(alignment);
        }
    }
    alignments
}

/// The alignment around offset `centre` at `speed`: the longest run of query keyframes agreeing
/// with it, and the speed and offset that run fits best.
fn aligned_at(pairs: &[Pair], speed: f64, centre: i64, policy: &AlignmentPolicy) -> Alignment {
    let mut agreeing: Vec<Pair> =
        pairs.iter().filter(|pair| (pair.offset_ms(speed) - centre).abs() <= policy.tolerance_ms).copied().collect();
    // One vote per query keyframe: its closest hash, then the closest offset.
    agreeing.sort_by_key(|pair| (pair.query_ms, pair.distance, (pair.offset_ms(speed) - centre).abs()));
    agreeing.dedup_by_key(|pair| pair.query_ms);
    let supporting = longest_run(agreeing, policy.max_gap_ms);
    // At normal speed the tried value is exact; a fit there would only turn sampling jitter into
    // a made-up speed.
    let speed = if speed == 1.0 { speed } else { fitted_speed(&supporting, policy).unwrap_or(speed) };
    let mut offsets: Vec<i64> = supporting.iter().map(|pair| pair.offset_ms(speed)).collect();
    offsets.sort_unstable();
    let offset_ms = offsets[offsets.len() / 2];
    Alignment { speed, offset_ms, supporting }
}

/// The speed of the least-squares line through the supporting pairs, when they span enough
/// time to measure it and it stays within the tried range: the tried speeds are 2 % apart, and
/// the fit places the segment's ends more exactly.
fn fitted_speed(supporting: &[Pair], policy: &AlignmentPolicy) -> Option<f64> {
    let span = supporting.last()?.query_ms - supporting.first()?.query_ms;
    if supporting.len() < 3 || span < 2000 {
        return None;
    }
    let count = supporting.len() as f64;
    let mean = |value: fn(&Pair) -> f64| supporting.iter().map(value).sum::<f64>() / count;
    let (mean_query, mean_reference) = (mean(|p| f64::from(p.query_ms)), mean(|p| f64::from(p.reference_ms)));
    let (mut covariance, mut variance) = (0.0, 0.0);
    for pair in supporting {
        let query = f64::from(pair.query_ms) - mean_query;
        covariance += query * (f64::from(pair.reference_ms) - mean_reference);
        variance += query * query;
    }
    let speed = covariance / variance;
    let (slowest, fastest) = policy.speed_range;
    (slowest..=fastest).contains(&speed).then_some(speed)
}

/// The offset whose window of ±`tolerance` holds the most distinct query keyframes, with that
/// count. `sorted` holds (offset, query keyframe) in offset order; `counts` has one zeroed slot
/// per query keyframe and is left zeroed. The offset is the window's midpoint, so that every
/// pair counted is within the tolerance of it.
fn densest_offset(sorted: &[(i64, usize)], counts: &mut [u32], tolerance_ms: i64) -> Option<(usize, i64)> {
    let mut best: Option<(usize, i64)> = None;
    let mut window_start = 0;
    let mut distinct = 0;
    for &(offset, keyframe) in sorted {
        counts[keyframe] += 1;
        distinct += usize::from(counts[keyframe] == 1);
        while offset - sorted[window_start].0 > 2 * tolerance_ms {
            let leaving = sorted[window_start].1;
            counts[leaving] -= 1;
            distinct -= usize::from(counts[leaving] == 0);
            window_start += 1;
        }
        if best.is_none_or(|(most, _)| distinct > most) {
            best = Some((distinct, (sorted[window_start].0 + offset) / 2));
        }
    }
    for &(_, keyframe) in &sorted[window_start..] {
        counts[keyframe] = 0;
    }
    best
}

/// Splits query-ordered pairs at gaps longer than `max_gap_ms` and keeps the largest part.
fn longest_run(pairs: Vec<Pair>, max_gap_ms: u32) -> Vec<Pair> {
    let mut runs: Vec<Vec<Pair>> = Vec::new();
    for pair in pairs {
        match runs.last_mut() {
            Some(run) if pair.query_ms - run.last().expect("runs are never empty").query_ms <= max_gap_ms => {
                run.push(pair)
            }
            _ => runs.push(vec![pair]),
        }
    }
    runs.into_iter().max_by_key(Vec::len).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(query_ms: u32, reference_ms: u32) -> Pair {
        Pair { query_ms, reference_ms, distance: 2, orientation: Orientation::Upright }
    }

    #[test]
    fn a_consistent_run_beats_scattered_coincidences() {
        let mut pairs: Vec<Pair> = (0..10).map(|i| pair(i * 500, 3000 + i * 500 + (i % 2) * 200)).collect();
        pairs.extend([pair(1000, 40_000), pair(2500, 90_000), pair(4000, 200)]);
        let alignment = align(&pairs, &AlignmentPolicy::default(), 1).remove(0);
        assert_eq!(alignment.supporting.len(), 10);
        assert!((alignment.offset_ms - 3000).abs() <= 200, "{}", alignment.offset_ms);
    }

    #[test]
    fn a_static_shot_votes_once_per_query_keyframe() {
        // Every query keyframe matches every reference keyframe of a still shot.
        let pairs: Vec<Pair> = (0..4).flat_map(|q| (0..20).map(move |r| pair(q * 500, r * 500))).collect();
        let alignment = align(&pairs, &AlignmentPolicy::default(), 1).remove(0);
        assert_eq!(alignment.supporting.len(), 4);
    }

    #[test]
    fn evidence_separated_by_a_long_gap_keeps_the_larger_run() {
        let mut pairs: Vec<Pair> = (0..3).map(|i| pair(i * 500, i * 500)).collect();
        pairs.extend((0..6).map(|i| pair(60_000 + i * 500, 60_000 + i * 500)));
        let alignment = align(&pairs, &AlignmentPolicy::default(), 1).remove(0);
        assert_eq!(alignment.supporting.len(), 6);
        assert_eq!(alignment.supporting[0].query_ms, 60_000);
    }

    #[test]
    fn a_sped_up_copy_aligns_at_its_speed() {
        // The copy plays 1.25× faster and starts 4 s into the original.
        let pairs: Vec<Pair> = (0..24).map(|i| pair(i * 500, 4000 + i * 625)).collect();
        let alignment = align(&pairs, &AlignmentPolicy::default(), 1).remove(0);
        assert_eq!(alignment.supporting.len(), 24);
        assert!((alignment.speed - 1.25).abs() < 0.01, "{}", alignment.speed);
        assert!((alignment.reference_ms(0) - 4000).abs() <= 50, "{}", alignment.reference_ms(0));
    }

    #[test]
    fn the_quorum_screen_never_rejects_what_the_vote_accepts() {
        let policy = AlignmentPolicy::default();
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |bound: u32| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % u64::from(bound)) as u32
        };
        let (mut screened_out, mut aligned) = (0, 0);
        for _ in 0..20_000 {
            let count = 3 + next(8) as usize;
            let mut pairs: Vec<Pair> = (0..count).map(|_| pair(next(40) * 500, next(60) * 500)).collect();
            pairs.sort_by_key(|pair| pair.query_ms);
            let reaches = !align(&pairs, &policy, 3).is_empty();
            let may = may_reach(&pairs, &policy, 3);
            assert!(may || !reaches, "screened out an alignment of 3: {pairs:?}");
            screened_out += usize::from(!may);
            aligned += usize::from(reaches);
        }
        // The screen is only worth having if it rejects most scattered pairs.
        assert!(screened_out > 10_000, "{screened_out} screened out, {aligned} aligned");
    }

    #[test]
    fn a_runner_up_offset_with_a_quorum_is_proposed_after_the_winner() {
        // A slow zoom: the copy's first seconds also look like the original 5 s later.
        let mut pairs: Vec<Pair> = (0..6).map(|i| pair(i * 500, i * 500)).collect();
        pairs.extend((0..4).map(|i| pair(i * 500, 5000 + i * 500)));
        pairs.push(pair(1000, 30_000));
        pairs.sort_by_key(|pair| pair.query_ms);
        let offsets: Vec<i64> = align(&pairs, &AlignmentPolicy::default(), 3).iter().map(|a| a.offset_ms).collect();
        assert_eq!(offsets, [0, 5000]);
        assert_eq!(align(&pairs, &AlignmentPolicy::default(), 5).len(), 1);
    }

    #[test]
    fn normal_speed_wins_a_tie() {
        let pairs: Vec<Pair> = (0..4).map(|i| pair(i * 500, 1000 + i * 500)).collect();
        assert_eq!(align(&pairs, &AlignmentPolicy::default(), 1).remove(0).speed, 1.0);
    }
}
