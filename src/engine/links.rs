//! Links: footage that shows a stretch of other footage, and lookups that follow them.
//!
//! Re-uploads are re-uploaded. An excerpt of a clip, cut and edited by one account, is copied by
//! the next with edits of its own; the copy of the copy may no longer meet the clip's own
//! pictures, but it still meets the excerpt's. When an ingested video matches indexed footage
//! without being the same footage (it is an excerpt of it, or a compilation holding a piece of
//! it), the ingest records a [`Link`]: which stretch of the one is which stretch of the other.
//! A lookup that matches footage then follows its links, and reports the footage at their other
//! end as matches of their own, *traced through* the footage that led there, each with the
//! stretch of the query that the link covers. So a copy of the excerpt reports the clip's
//! earlier date, and a copy of a compilation reports every footage it holds.
//!
//! Links are evidence found once, at ingest, by the same matching as any lookup; following
//! them adds no picture comparison, only a few reads. Their limits:
//! - a link exists only where an ingest looked: the prescreen runs the full lookup only when
//!   known footage covers about half of the new video, so a long original ingested after a
//!   short excerpt of it is not linked to it (the excerpt is linked when it comes second);
//! - a lookup follows at most [`MAX_HOPS`] links in a row, reads at most [`MAX_READ`] links of
//!   any footage, and reports at most [`MAX_TRACED`] footage found that way: a chain of
//!   re-uploads is rarely longer, and every hop is reads.

use std::collections::VecDeque;

use rustc_hash::FxHashSet;

use crate::index::{FootageId, Link};
use crate::matching::Evidence;
use crate::time::Segment;

/// Links followed in a row from a footage the query matched.
pub(super) const MAX_HOPS: usize = 3;
/// Footage one lookup reports through links.
pub(super) const MAX_TRACED: usize = 16;
/// Links read of one footage: footage linked to thousands of excerpts (anyone who may ingest
/// can make them) still costs a lookup one short scan. The earliest-indexed linked footage
/// come first.
pub(super) const MAX_READ: usize = 64;

/// The link to record for `evidence` that a new video contains indexed footage.
pub(super) fn link_to(evidence: &Evidence) -> Link {
    Link {
        // Filled in by the index, which gives the new footage its id.
        footage: FootageId(0),
        segment: evidence.query_segment,
        linked: evidence.footage,
        linked_segment: evidence.reference_segment,
        speed: evidence.speed,
    }
}

/// The footage that the links of the matched footage lead to, as evidence each with the
/// footage it was traced through, breadth first from `matched` (best first), none already in
/// `matched`. `links_of` reads a footage's links; `duration_ms` a footage's length.
pub(super) fn trace<E>(
    matched: &[Evidence],
    mut links_of: impl FnMut(FootageId) -> Result<Vec<Link>, E>,
    mut duration_ms: impl FnMut(FootageId) -> Result<Option<u32>, E>,
) -> Result<Vec<(Evidence, FootageId)>, E> {
    let mut seen: FxHashSet<FootageId> = matched.iter().map(|evidence| evidence.footage).collect();
    let mut queue: VecDeque<(Evidence, usize)> = matched.iter().map(|evidence| (evidence.clone(), 0)).collect();
    let mut traced = Vec::new();
    while let Some((evidence, hops)) = queue.pop_front() {
        if hops == MAX_HOPS {
            continue;
        }
        for link in links_of(evidence.footage)? {
            if traced.len() == MAX_TRACED {
                return Ok(traced);
            }
            if seen.contains(&link.linked) {
                continue;
            }
            let Some(linked_duration_ms) = duration_ms(link.linked)? else { continue };
            if let Some(followed) = follow(&evidence, &link, linked_duration_ms) {
                seen.insert(link.linked);
                queue.push_back((followed.clone(), hops + 1));
                traced.push((followed, evidence.footage));
            }
        }
    }
    Ok(traced)
}

/// What `evidence` that the query shows a stretch of one footage says of the footage `link`
/// leads from it to: the query's stretch that the link's stretch covers, and where that is in
/// the linked footage. None when the two stretches share less than half of the shorter one:
/// a few hundred milliseconds at their edges are the fuzz of two alignments, not a shared
/// picture.
fn follow(evidence: &Evidence, link: &Link, linked_duration_ms: u32) -> Option<Evidence> {
    let matched = evidence.reference_segment;
    let start = matched.start_ms.max(link.segment.start_ms);
    let end = matched.end_ms.min(link.segment.end_ms);
    let shorter = matched.duration_ms().min(link.segment.duration_ms());
    if end <= start || 2 * (end - start) < shorter {
        return None;
    }
    // The query plays the footage at `evidence.speed`, the footage plays the linked at
    // `link.speed`: footage time t is query time q_start + (t - f_start) / speed, and linked
    // time l_start + (t - s_start) × link speed.
    let in_query = |ms: u32| {
        let offset = (f64::from(ms) - f64::from(matched.start_ms)) / evidence.speed;
        (f64::from(evidence.query_segment.start_ms) + offset).max(0.0).round() as u32
    };
    let in_linked = |ms: u32| {
        let offset = (f64::from(ms) - f64::from(link.segment.start_ms)) * link.speed;
        (f64::from(link.linked_segment.start_ms) + offset).clamp(0.0, f64::from(linked_duration_ms)).round() as u32
    };
    Some(Evidence {
        footage: link.linked,
        footage_duration_ms: linked_duration_ms,
        query_segment: Segment { start_ms: in_query(start), end_ms: in_query(end) },
        reference_segment: Segment { start_ms: in_linked(start), end_ms: in_linked(end) },
        speed: evidence.speed * link.speed,
        ..evidence.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::Orientation;

    fn stretch(start_ms: u32, end_ms: u32) -> Segment {
        Segment { start_ms, end_ms }
    }

    /// The query's `query` stretch is footage 2's `matched` stretch, played at `speed`.
    fn matched(query: Segment, matched: Segment, speed: f64) -> Evidence {
        Evidence {
            footage: FootageId(2),
            footage_duration_ms: 10_000,
            score: 0.8,
            matched_keyframes: 12,
            speed,
            orientation: Orientation::Upright,
            cropped: false,
            query_segment: query,
            reference_segment: matched,
        }
    }

    fn link(footage: u64, segment: Segment, linked: u64, linked_segment: Segment, speed: f64) -> Link {
        Link { footage: FootageId(footage), segment, linked: FootageId(linked), linked_segment, speed }
    }

    #[test]
    fn a_link_maps_the_shared_stretch_into_the_linked_footage() {
        // Footage 2 is seconds 20–30 of footage 1; the query shows 2's seconds 2–6 from its start.
        let evidence = matched(stretch(0, 4_000), stretch(2_000, 6_000), 1.0);
        let excerpt_of_1 = link(2, stretch(0, 10_000), 1, stretch(20_000, 30_000), 1.0);
        let followed = follow(&evidence, &excerpt_of_1, 60_000).expect("the whole match is in the link");
        assert_eq!(followed.footage, FootageId(1));
        assert_eq!((followed.query_segment, followed.reference_segment), (stretch(0, 4_000), stretch(22_000, 26_000)));
        assert_eq!((followed.score, followed.footage_duration_ms), (0.8, 60_000));
    }

    #[test]
    fn speeds_compose_and_only_the_shared_part_is_mapped() {
        // The query plays footage 2 at 2× from its start; only 2's seconds 4–8 are footage 1's
        // 0–8, slowed to half speed.
        let evidence = matched(stretch(1_000, 5_000), stretch(0, 8_000), 2.0);
        let slowed = link(2, stretch(4_000, 8_000), 1, stretch(0, 2_000), 0.5);
        let followed = follow(&evidence, &slowed, 9_000).expect("half of the match is in the link");
        assert_eq!(followed.query_segment, stretch(3_000, 5_000));
        assert_eq!(followed.reference_segment, stretch(0, 2_000));
        assert_eq!(followed.speed, 1.0, "at 2× of a half-speed copy, the query plays footage 1 as it is");
    }

    #[test]
    fn stretches_that_barely_touch_are_not_followed() {
        let evidence = matched(stretch(0, 4_000), stretch(0, 4_000), 1.0);
        assert!(follow(&evidence, &link(2, stretch(3_600, 9_000), 1, stretch(0, 5_400), 1.0), 9_000).is_none());
        assert!(follow(&evidence, &link(2, stretch(5_000, 9_000), 1, stretch(0, 4_000), 1.0), 9_000).is_none());
    }

    #[test]
    fn tracing_goes_hop_by_hop_once_per_footage_and_stops_after_the_last_hop() {
        // 2 → 3 → 4 → 5 → 6, and 2 → 4 directly; each link shares all of 0–4 s.
        let whole = stretch(0, 4_000);
        let chain = |from: u64| match from {
            2 => vec![link(2, whole, 3, whole, 1.0), link(2, whole, 4, whole, 1.0)],
            from @ 3..=5 => vec![link(from, whole, from + 1, whole, 1.0)],
            _ => Vec::new(),
        };
        let evidence = matched(whole, whole, 1.0);
        let traced = trace(&[evidence], |id| Ok::<_, ()>(chain(id.0)), |_| Ok(Some(4_000))).unwrap();
        let reached: Vec<(u64, u64)> = traced.iter().map(|(found, through)| (found.footage.0, through.0)).collect();
        // 4 is reached from 2 in one hop, so 3 → 4 adds nothing; 6 is three hops away from 2.
        assert_eq!(reached, vec![(3, 2), (4, 2), (5, 4), (6, 5)]);
        // An endless chain 2 → 3 → 4 → …: one footage a hop, for as many hops as are followed.
        let endless = |id: FootageId| Ok::<_, ()>(vec![link(id.0, whole, id.0 + 1, whole, 1.0)]);
        let traced = trace(&[matched(whole, whole, 1.0)], endless, |_| Ok(Some(4_000))).unwrap();
        assert_eq!(traced.len(), MAX_HOPS);
    }
}
