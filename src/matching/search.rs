//! The radius searches of a set of query keyframes, spread over the cores.
//!
//! Both a lookup (every keyframe) and an ingest's prescreen (a sample of them) start
//! the same way: search some of the searched views of each keyframe (those as the copy shows the
//! picture, or those turned back from one turn) and group the hash matches by footage. A long query's searches are most of its cost, and one lookup would otherwise keep a
//! single core busy while the others idle, so the keyframes are split into consecutive runs,
//! each searched on its own thread over one shared [`SearchView`], and the runs' matches joined
//! in order.

use rustc_hash::FxHashMap;

use super::Pair;
use crate::fingerprint::{Keyframe, PerceptualHash, SearchedViews};
use crate::index::{FootageId, Hit, SearchView};

/// A thread is worth starting for this many query keyframes (a dozen searches, a fraction
/// of a millisecond at millions of keyframes); a single frame grab is searched on the caller's
/// thread.
const KEYFRAMES_WORTH_A_THREAD: usize = 2;

/// Every hash match within `radius` of `views` of `keyframes` (in time order), grouped by
/// footage, each group in query time order.
pub(super) fn hits_by_footage(
    view: &SearchView,
    keyframes: &[&Keyframe],
    views: SearchedViews,
    radius: u32,
) -> FxHashMap<FootageId, Vec<Pair>> {
    let runs = crate::available_cores().min(keyframes.len() / KEYFRAMES_WORTH_A_THREAD).max(1);
    let run_length = keyframes.len().div_ceil(runs).max(1);
    let search_run = |run: &[&Keyframe]| hits_of(view, run, views, radius);
    let found: Vec<Vec<(FootageId, Pair)>> = std::thread::scope(|scope| {
        let mut chunks = keyframes.chunks(run_length);
        let first = chunks.next().unwrap_or_default();
        let others: Vec<_> = chunks.map(|run| scope.spawn(move || search_run(run))).collect();
        let mut found = vec![search_run(first)];
        found.extend(others.into_iter().map(|thread| thread.join().expect("a search thread panicked")));
        found
    });
    let mut by_footage: FxHashMap<FootageId, Vec<Pair>> = FxHashMap::default();
    for (footage, pair) in found.into_iter().flatten() {
        by_footage.entry(footage).or_default().push(pair);
    }
    by_footage
}

/// Every indexed keyframe whose core is within `radius` of each of `hashes`, as `keep` leaves
/// them: one list per hash, in order, searched in one run per CPU, each on its own thread.
pub(super) fn cores_near(
    view: &SearchView,
    hashes: &[PerceptualHash],
    radius: u32,
    keep: fn(&mut Vec<Hit>),
) -> Vec<Vec<Hit>> {
    let run_length = hashes.len().div_ceil(crate::available_cores()).max(1);
    let search_run = |run: &[PerceptualHash]| {
        let mut searcher = view.searcher();
        let searched = run.iter().map(|&hash| {
            let mut hits = Vec::new();
            searcher.search_cores(hash, radius, &mut hits);
            keep(&mut hits);
            hits
        });
        searched.collect::<Vec<_>>()
    };
    std::thread::scope(|scope| {
        let runs: Vec<_> = hashes.chunks(run_length).map(|run| scope.spawn(move || search_run(run))).collect();
        runs.into_iter().flat_map(|run| run.join().expect("a search thread panicked")).collect()
    })
}

/// The hash matches of a run of query keyframes, in query time order.
fn hits_of(view: &SearchView, keyframes: &[&Keyframe], views: SearchedViews, radius: u32) -> Vec<(FootageId, Pair)> {
    let mut hits = Vec::new();
    let mut hits_of_hash = Vec::new();
    let mut searcher = view.searcher();
    for keyframe in keyframes {
        // Pairs met through several views of one keyframe are all kept: alignment votes once
        // per query keyframe, with its closest pair.
        for (hash, orientation) in keyframe.hashes.searched_in(views) {
            hits_of_hash.clear();
            searcher.search(hash, radius, &mut hits_of_hash);
            hits.extend(hits_of_hash.iter().map(|&Hit { footage, time_ms, distance }| {
                (footage, Pair { query_ms: keyframe.time_ms, reference_ms: time_ms, distance, orientation })
            }));
        }
    }
    hits
}

/// At most `count` of `keyframes`, spread evenly over them: one from each of `count` equal runs,
/// its first informative keyframe, or its first keyframe when it has none (a plain keyframe can
/// still meet filed footage: a faded copy's do). All of them when there are no more.
pub(super) fn spread_sample<'a>(keyframes: &[&'a Keyframe], count: usize) -> Vec<&'a Keyframe> {
    let sampled = keyframes.len().min(count);
    (0..sampled)
        .map(|sample| {
            let run = &keyframes[sample * keyframes.len() / sampled..(sample + 1) * keyframes.len() / sampled];
            *run.iter().find(|keyframe| keyframe.informative).unwrap_or(&run[0])
        })
        .collect()
}
