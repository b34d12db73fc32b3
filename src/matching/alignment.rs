//! Temporal alignment: telling footage that really matches from scattered coincidences.
//!
//! A hash match between one query keyframe and one indexed keyframe proves little: perceptual
//! hashes of unrelated frames collide now and then, and a static shot matches itself at every
//! moment. Real footage matches *in sequence*: keyframe after keyframe, the time in the reference
//! minus the time in the query stays the same. So every hash match votes for its time offset, and
//! the offset with the most distinct query keyframes behind it wins. The matches that agree with
//! it, in one contiguous run, are the evidence.

/// One hash match between a query keyframe and an indexed keyframe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    pub query_ms: u32,
    pub reference_ms: u32,
    pub distance: u32,
}

impl Pair {
    fn offset_ms(&self) -> i64 {
        i64::from(self.reference_ms) - i64::from(self.query_ms)
    }
}

/// The winning offset and the run of pairs that agree with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Alignment {
    /// Reference time minus query time.
    pub offset_ms: i64,
    /// One pair per supporting query keyframe (the closest hash), in query time order.
    pub supporting: Vec<Pair>,
}

/// Tuning of the vote.
#[derive(Clone, Debug)]
pub struct AlignmentPolicy {
    /// How far a pair's offset may stray from the winning one. Query and reference keyframes
    /// sit on their own sampling grids, up to half an interval apart, and a slow shot matches
    /// its neighbouring keyframe too: a little over one interval covers both.
    pub tolerance_ms: i64,
    /// A gap in query time longer than this splits the evidence into separate runs.
    pub max_gap_ms: u32,
}

impl Default for AlignmentPolicy {
    fn default() -> Self {
        AlignmentPolicy { tolerance_ms: 600, max_gap_ms: 10_000 }
    }
}

/// Finds the best-supported offset among `pairs` (all from one indexed footage).
pub fn align(pairs: &[Pair], policy: &AlignmentPolicy) -> Option<Alignment> {
    let mut by_offset = pairs.to_vec();
    by_offset.sort_by_key(Pair::offset_ms);
    let centre = densest_offset(&by_offset, policy.tolerance_ms)?;

    let mut agreeing: Vec<Pair> =
        by_offset.iter().filter(|pair| (pair.offset_ms() - centre).abs() <= policy.tolerance_ms).copied().collect();
    // One vote per query keyframe: its closest hash, then the closest offset.
    agreeing.sort_by_key(|pair| (pair.query_ms, pair.distance, (pair.offset_ms() - centre).abs()));
    agreeing.dedup_by_key(|pair| pair.query_ms);
    let supporting = longest_run(agreeing, policy.max_gap_ms);
    let mut offsets: Vec<i64> = supporting.iter().map(Pair::offset_ms).collect();
    offsets.sort_unstable();
    let offset_ms = offsets[offsets.len() / 2];
    Some(Alignment { offset_ms, supporting })
}

/// The offset whose window of ±`tolerance` holds the most distinct query keyframes.
fn densest_offset(sorted: &[Pair], tolerance_ms: i64) -> Option<i64> {
    let mut best: Option<(usize, i64)> = None;
    let mut window_start = 0;
    let mut in_window: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for (end, pair) in sorted.iter().enumerate() {
        *in_window.entry(pair.query_ms).or_default() += 1;
        while pair.offset_ms() - sorted[window_start].offset_ms() > 2 * tolerance_ms {
            let leaving = sorted[window_start].query_ms;
            if let Some(count) = in_window.get_mut(&leaving) {
                *count -= 1;
                if *count == 0 {
                    in_window.remove(&leaving);
                }
            }
            window_start += 1;
        }
        let support = in_window.len();
        if best.is_none_or(|(most, _)| support > most) {
            let window = &sorted[window_start..=end];
            best = Some((support, window[window.len() / 2].offset_ms()));
        }
    }
    best.map(|(_, offset)| offset)
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
        Pair { query_ms, reference_ms, distance: 2 }
    }

    #[test]
    fn a_consistent_run_beats_scattered_coincidences() {
        let mut pairs: Vec<Pair> = (0..10).map(|i| pair(i * 500, 3000 + i * 500 + (i % 2) * 200)).collect();
        pairs.extend([pair(1000, 40_000), pair(2500, 90_000), pair(4000, 200)]);
        let alignment = align(&pairs, &AlignmentPolicy::default()).unwrap();
        assert_eq!(alignment.supporting.len(), 10);
        assert!((alignment.offset_ms - 3000).abs() <= 200, "{}", alignment.offset_ms);
    }

    #[test]
    fn a_static_shot_votes_once_per_query_keyframe() {
        // Every query keyframe matches every reference keyframe of a still shot.
        let pairs: Vec<Pair> = (0..4).flat_map(|q| (0..20).map(move |r| pair(q * 500, r * 500))).collect();
        let alignment = align(&pairs, &AlignmentPolicy::default()).unwrap();
        assert_eq!(alignment.supporting.len(), 4);
    }

    #[test]
    fn evidence_separated_by_a_long_gap_keeps_the_larger_run() {
        let mut pairs: Vec<Pair> = (0..3).map(|i| pair(i * 500, i * 500)).collect();
        pairs.extend((0..6).map(|i| pair(60_000 + i * 500, 60_000 + i * 500)));
        let alignment = align(&pairs, &AlignmentPolicy::default()).unwrap();
        assert_eq!(alignment.supporting.len(), 6);
        assert_eq!(alignment.supporting[0].query_ms, 60_000);
    }
}
