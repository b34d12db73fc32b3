//! Accuracy on the edits real re-uploads get: per edit family, how often the earliest appearance
//! is right, how many false matches, and how far the reported segment boundaries are from the
//! truth. Drives the real ingest and lookup path (`Engine`), without gRPC.
//!
//! Run: `cargo bench --bench accuracy` (needs the ffmpeg CLI, which makes every edited copy;
//! the exact filters are in `edits()` below). Under `cargo test` it runs a small smoke subset.
//!
//! The index holds the reference footage, dated 2020, and 50 distractors dated *earlier*
//! (2015–2019): a false match to a distractor would become the reported earliest appearance, so
//! it cannot hide behind a correct one.
//!
//! Two parts: the fixed edit families of `corpus::edits` (one setting each), and the random
//! edits of `random_edits` (parameters drawn per query from stated ranges). The random part has
//! two splits: the tuning references under [`TUNING_SEED`], and the held-out footage under
//! [`HELD_OUT_SEED`], which is **sealed**: the run reports how many of its queries were right per
//! family, never which ones failed or what they were, unless `FIRSTSEEN_UNSEAL_HELD_OUT=1` asks
//! for it (and then the split is spent: say so in BENCHMARKS.md and draw a new seed).

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Days};
use firstseen::engine::{Engine, IngestItem, Match, Report};
use firstseen::fingerprint::Fingerprint;
use firstseen::index::FootageId;
use firstseen::matching::Matcher;
use firstseen::media::DecodeLimits;

use common::corpus::{
    BOUNDARY_TARGET_SECONDS, Reference, distractor_sources, edits, held_out_footage, look_alikes, must_find_nothing,
};
use common::random_edits::{self, Family};

/// The seed of the random edits' tuning split.
const TUNING_SEED: u64 = 1;
/// The seed of the sealed held-out split.
const HELD_OUT_SEED: u64 = 2;
/// Random queries per family and reference in a full run.
const DRAWS: usize = 2;

fn main() {
    let full = common::bench::full_run();
    let work = common::bench::work_dir().join("accuracy");
    std::fs::create_dir_all(&work).expect("create the accuracy work dir");
    let fixtures = common::bench::footage_dir();
    let generated =
        |name: &str, source: &str| common::bench::derived(&work.join(name), &common::corpus::synthetic(source));
    let mut references =
        vec![Reference { name: "carphone", path: fixtures.join("carphone_pristine.mp4"), seconds: 4.0 }];
    if full {
        references.extend([
            Reference { name: "bikes", path: fixtures.join("bikes.mp4"), seconds: 10.0 },
            Reference { name: "bunny", path: fixtures.join("bigbuckbunny.mp4"), seconds: 5.3 },
            Reference {
                name: "zoom",
                path: generated("ref-zoom.mp4", "mandelbrot=s=640x360:r=25:end_pts=400:end_scale=0.02,trim=duration=8"),
                seconds: 8.0,
            },
        ]);
    }
    // Everything after the tuning references is held out: no recipe choice was made on it.
    let tuned = references.len();
    if full {
        references.extend(held_out_footage().into_iter().map(|(name, shots)| Reference {
            name,
            path: common::bench::derived(&work.join(format!("held-out-{name}.mp4")), &common::corpus::filmed(&shots)),
            seconds: shots.iter().map(|shot| shot.seconds).sum(),
        }));
    }
    let mut edits = edits();
    let mut negatives = must_find_nothing();
    let distractor_count = if full { 50 } else { 3 };
    if !full {
        edits.truncate(2);
        negatives.truncate(1);
    }

    let limits = DecodeLimits::default();
    let fingerprint =
        |path: &Path| Fingerprint::of_file(path, &limits).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(dir.path(), Matcher::default()).expect("open the index");
    let day = |offset: u64| DateTime::parse_from_rfc3339("2015-01-01T00:00:00Z").unwrap().to_utc() + Days::new(offset);
    let mut manifest = Manifest::default();
    for (n, source) in distractor_sources(distractor_count).iter().enumerate() {
        let path = generated(&format!("distractor-{n}.mp4"), source);
        let sighting = common::bench::indexed_sighting(format!("distractor:{n}"), day(n as u64 * 30));
        let item = IngestItem {
            fingerprint: fingerprint(&path),
            sighting: sighting.clone(),
            thumbnails: Vec::new(),
            reviews: Vec::new(),
        };
        engine.ingest(&item).expect("ingest");
        manifest.index.push(IndexedVideo::new(&path, &sighting));
    }
    let mut reference_ids: Vec<FootageId> = Vec::new();
    for reference in &references {
        let sighting = common::bench::indexed_sighting(format!("reference:{}", reference.name), day(2000));
        let item = IngestItem {
            fingerprint: fingerprint(&reference.path),
            sighting: sighting.clone(),
            thumbnails: Vec::new(),
            reviews: Vec::new(),
        };
        let outcome = engine.ingest(&item).expect("ingest");
        assert!(outcome.new_footage, "{} merged into other footage", reference.name);
        reference_ids.push(outcome.footage.id);
        manifest.index.push(IndexedVideo::new(&reference.path, &sighting));
    }

    let mut rows = Vec::new();
    let mut off_target = Vec::new();
    let mut missed = Vec::new();
    for edit in &edits {
        let mut row = FamilyResult { family: edit.family, ..FamilyResult::default() };
        for (n, (reference, &id)) in references.iter().zip(&reference_ids).enumerate() {
            let query = common::bench::derived(&work.join(edit.file_name(reference)), &edit.ffmpeg_args(reference));
            manifest.queries.push(Query {
                family: edit.family,
                path: query.clone(),
                expected: format!("reference:{}", reference.name),
            });
            let report = engine.lookup(&fingerprint(&query), None).expect("lookup");
            let Some(found) = row.score(&report, id, n >= tuned) else {
                missed.push(format!("{} / {}", reference.name, edit.family));
                continue;
            };
            if let Some((query_start, reference_start)) = (edit.truth)(reference) {
                let error = row.boundary(found, (query_start, reference_start));
                if error > BOUNDARY_TARGET_SECONDS {
                    off_target.push(format!(
                        "{} / {}: query from {:.2} s (truth {query_start:.2}), reference from {:.2} s (truth {reference_start:.2}), speed {:.3}",
                        reference.name,
                        edit.family,
                        found.evidence.query_segment.start_seconds(),
                        found.evidence.reference_segment.start_seconds(),
                        found.evidence.speed,
                    ));
                }
            }
        }
        rows.push(row);
    }

    let unsealed = std::env::var_os("FIRSTSEEN_UNSEAL_HELD_OUT").is_some_and(|value| value == "1");
    let families: &[Family] = if full { &Family::ALL } else { &Family::ALL[..2] };
    let mut random_rows: Vec<FamilyResult> =
        families.iter().map(|family| FamilyResult { family: family.name(), ..FamilyResult::default() }).collect();
    let mut random_missed = Vec::new();
    let splits = [(TUNING_SEED, 0..tuned), (HELD_OUT_SEED, tuned..references.len())];
    // Each split's draws go on from where its single families left them, for the re-uploads.
    let mut split_rngs = Vec::new();
    for (seed, span) in splits.clone() {
        let held_out = seed == HELD_OUT_SEED;
        let mut rng = fastrand::Rng::with_seed(seed);
        for (row, &family) in random_rows.iter_mut().zip(families) {
            for (reference, &id) in references[span.clone()].iter().zip(&reference_ids[span.clone()]) {
                for _ in 0..if full { DRAWS } else { 1 } {
                    let edit = random_edits::draw(family, reference, &mut rng);
                    let query =
                        common::bench::derived(&work.join(random_edits::file_name(reference, &edit)), &edit.args);
                    manifest.queries.push(Query {
                        family: family.name(),
                        path: query.clone(),
                        expected: format!("reference:{}", reference.name),
                    });
                    let report = engine.lookup(&fingerprint(&query), None).expect("lookup");
                    match row.score(&report, id, held_out) {
                        Some(found) => {
                            row.boundary(found, edit.truth);
                        }
                        None if !held_out || unsealed => {
                            random_missed.push(format!("{}: {}", reference.name, edit.steps.join(", ")));
                        }
                        None => {}
                    }
                }
            }
        }
        split_rngs.push(rng);
    }
    // Re-uploads of re-uploads, after every single family so that the first hops, indexed, do
    // not change what those met.
    let mut reupload_row = FamilyResult { family: Family::Reupload.name(), ..FamilyResult::default() };
    // Per split, the first hops whose pictures met their reference in a lookup, and the
    // re-uploads of re-uploads found only through a link. A first hop that meets its reference
    // is linked to it only if the ingest's prescreen, which searches the pictures as shown, met
    // the reference too: a turned first hop is not.
    let (mut reupload_linked, mut reupload_traced) = ([0; 2], [0; 2]);
    for ((seed, span), mut rng) in splits.into_iter().zip(split_rngs).filter(|_| full) {
        let held_out = seed == HELD_OUT_SEED;
        for (reference, &id) in references[span.clone()].iter().zip(&reference_ids[span]) {
            let mut reuploads = Vec::new();
            for _ in 0..DRAWS {
                let first_hop = random_edits::draw(Family::Reupload, reference, &mut rng);
                let path =
                    common::bench::derived(&work.join(random_edits::file_name(reference, &first_hop)), &first_hop.args);
                let sighting = common::bench::indexed_sighting(format!("reupload:{}", path.display()), day(2500));
                let first_hop_fingerprint = fingerprint(&path);
                let seconds = f64::from(first_hop_fingerprint.duration_ms) / 1000.0;
                let met_reference = engine
                    .lookup(&first_hop_fingerprint, None)
                    .expect("lookup")
                    .matches
                    .iter()
                    .any(|found| found.footage() == id);
                reupload_linked[usize::from(held_out)] += usize::from(met_reference);
                let item = IngestItem {
                    fingerprint: first_hop_fingerprint,
                    sighting: sighting.clone(),
                    thumbnails: Vec::new(),
                    reviews: Vec::new(),
                };
                let reupload_id = engine.ingest(&item).expect("ingest").footage.id;
                manifest.index.push(IndexedVideo::new(&path, &sighting));
                let reupload = Reference { name: reference.name, seconds, path };
                let family = Family::SINGLE[rng.usize(..Family::SINGLE.len())];
                let edit = random_edits::draw(family, &reupload, &mut rng);
                let query = common::bench::derived(&work.join(random_edits::file_name(&reupload, &edit)), &edit.args);
                manifest.queries.push(Query {
                    family: Family::Reupload.name(),
                    path: query.clone(),
                    expected: format!("reference:{}", reference.name),
                });
                let report = engine.lookup(&fingerprint(&query), None).expect("lookup");
                let steps = || {
                    let met_reupload = report.matches.iter().any(|found| found.footage() == reupload_id);
                    format!(
                        "{}; then {} (the re-upload met the reference in a lookup: {}; the copy met the re-upload: {})",
                        first_hop.steps.join(", "),
                        edit.steps.join(", "),
                        if met_reference { "yes" } else { "no" },
                        if met_reupload { "yes" } else { "no" },
                    )
                };
                // The reference's re-uploads are right matches too, only not the earliest: a
                // lookup traced to the reference also reports its other re-uploads.
                reuploads.push(reupload_id);
                match reupload_row.score_allowing(&report, id, &reuploads, held_out) {
                    Some(found) => {
                        reupload_row.boundary(found, (edit.truth.0, first_hop.truth.1 + edit.truth.1));
                        reupload_traced[usize::from(held_out)] += usize::from(found.traced_through.is_some());
                    }
                    None if !held_out || unsealed => random_missed.push(format!("{}: {}", reference.name, steps())),
                    None => {}
                }
            }
        }
    }
    if full {
        random_rows.push(reupload_row);
    }
    let mut look_alike_rows = Vec::new();
    for (n, look_alike) in look_alikes().iter().enumerate().filter(|_| full) {
        let indexed = generated(&format!("look-alike-{n}-indexed.mp4"), &look_alike.indexed);
        let sighting = common::bench::indexed_sighting(format!("look-alike:{n}"), day(1000 + n as u64));
        let item =
            IngestItem { fingerprint: fingerprint(&indexed), sighting, thumbnails: Vec::new(), reviews: Vec::new() };
        let outcome = engine.ingest(&item).expect("ingest");
        let query = generated(&format!("look-alike-{n}-query.mp4"), &look_alike.query);
        let report = engine.lookup(&fingerprint(&query), None).expect("lookup");
        let wrong = report.matches.iter().filter(|found| found.footage() == outcome.footage.id).count();
        look_alike_rows.push((look_alike.name, wrong));
    }

    let mut negative_rows = Vec::new();
    for (n, (name, source)) in negatives.iter().enumerate() {
        let path = generated(&format!("negative-{n}.mp4"), source);
        let report: Report = engine.lookup(&fingerprint(&path), None).expect("lookup");
        negative_rows.push((name, report.matches.len()));
        manifest.negatives.push(path);
    }
    let baseline = vpdq_baseline(&manifest, &work.join("manifest.json"));

    println!(
        "index: {tuned} tuning references, {} held out, {distractor_count} distractors (dated earlier), radius {}",
        references.len() - tuned,
        Matcher::default().policy.radius
    );
    print_table("edit", &rows, &baseline);
    if !off_target.is_empty() {
        println!();
        println!("boundaries off by more than {BOUNDARY_TARGET_SECONDS} s:");
        for case in &off_target {
            println!("- {case}");
        }
    }
    if !missed.is_empty() {
        println!();
        println!("earliest appearance not found: {}", missed.join(", "));
    }
    println!();
    println!(
        "random edits: {} per family and reference, tuning seed {TUNING_SEED}, held-out seed {HELD_OUT_SEED} ({})",
        if full { DRAWS } else { 1 },
        if unsealed { "UNSEALED: the held-out split is spent" } else { "sealed" }
    );
    print_table("random family", &random_rows, &baseline);
    if full {
        println!();
        println!(
            "re-uploads of re-uploads: the first hop met its reference in a lookup {} times tuning, {} held out (linked to it if the pictures as shown met it); found only through a link {} tuning, {} held out",
            reupload_linked[0], reupload_linked[1], reupload_traced[0], reupload_traced[1]
        );
    }
    if !random_missed.is_empty() {
        println!();
        println!("random edits not found{}:", if unsealed { "" } else { " (tuning split only)" });
        for case in &random_missed {
            println!("- {case}");
        }
    }
    if !look_alike_rows.is_empty() {
        println!();
        println!("| look-alike (indexed beside its look-alike; must not match it) | matches |");
        println!("|---|---:|");
        for (name, matches) in &look_alike_rows {
            println!("| {name} | {matches} |");
        }
    }
    println!();
    println!("| must find nothing | matches |");
    println!("|---|---:|");
    for (name, matches) in &negative_rows {
        println!("| {name} | {matches} |");
    }
    println!();
    let look_alike_matches: usize = look_alike_rows.iter().map(|(_, matches)| matches).sum();
    let negative_matches: usize = negative_rows.iter().map(|(_, matches)| matches).sum();
    let [tuned_right, tuned_total, held_out_right, held_out_total] = split_totals(&rows);
    let total = tuned_total + held_out_total;
    println!(
        "overall: earliest right {tuned_right}/{tuned_total} on tuning footage, {held_out_right}/{held_out_total} held out; {negative_matches} matches on must-find-nothing queries",
    );
    let [tuned_right, tuned_total, held_out_right, held_out_total] = split_totals(&random_rows);
    let random_false_matches: usize = random_rows.iter().map(|row| row.false_matches).sum();
    println!(
        "random edits: earliest right {tuned_right}/{tuned_total} on the tuning split, {held_out_right}/{held_out_total} on the sealed held-out split; {random_false_matches} false matches; {look_alike_matches} matches on look-alikes",
    );
    match baseline {
        Ok(baseline) => {
            let families = baseline["families"].as_object().expect("families");
            let right: u64 =
                rows.iter().map(|row| families.get(row.family).map_or(0, |f| f["right"].as_u64().unwrap_or(0))).sum();
            println!(
                "vPDQ baseline: earliest right {right}/{total}, {} matches on must-find-nothing queries",
                baseline["negative_matches"]
            );
        }
        Err(reason) => println!("vPDQ baseline skipped: {reason}"),
    }
}

/// Accuracy of one edit family.
#[derive(Default)]
struct FamilyResult {
    family: &'static str,
    tuned: Tally,
    held_out: Tally,
    false_matches: usize,
    worst_error: Option<f64>,
}

impl FamilyResult {
    /// Counts one query's report: its false matches, and whether the earliest appearance is
    /// the reference `id`, which it returns.
    fn score<'r>(&mut self, report: &'r Report, id: FootageId, held_out: bool) -> Option<&'r Match> {
        self.score_allowing(report, id, &[], held_out)
    }

    /// [`FamilyResult::score`], with the footage of `also_right` (re-uploads of the reference)
    /// no false matches either.
    fn score_allowing<'r>(
        &mut self,
        report: &'r Report,
        id: FootageId,
        also_right: &[FootageId],
        held_out: bool,
    ) -> Option<&'r Match> {
        let set = if held_out { &mut self.held_out } else { &mut self.tuned };
        set.total += 1;
        self.false_matches += report
            .matches
            .iter()
            .filter(|found| found.footage() != id && !also_right.contains(&found.footage()))
            .count();
        let found = report.earliest().filter(|found| found.footage() == id)?;
        set.right += 1;
        Some(found)
    }

    /// The boundary error of `found` against `truth` (query start, reference start), kept if
    /// it is the family's worst.
    fn boundary(&mut self, found: &Match, truth: (f64, f64)) -> f64 {
        let error = common::corpus::boundary_error(
            truth,
            (found.evidence.query_segment.start_seconds(), found.evidence.reference_segment.start_seconds()),
        );
        self.worst_error = Some(self.worst_error.map_or(error, |worst: f64| worst.max(error)));
        error
    }
}

/// One table of families: firstseen's counts beside vPDQ's.
fn print_table(heading: &str, rows: &[FamilyResult], baseline: &Result<serde_json::Value, String>) {
    println!();
    println!(
        "| {heading} | earliest right: tuning | earliest right: held out | false matches | max boundary error (s) | vPDQ earliest right | vPDQ false matches |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let shown_error = row.worst_error.map_or_else(|| "–".to_owned(), |error| format!("{error:.2}"));
        let (vpdq_right, vpdq_false) = match baseline {
            Ok(baseline) => {
                let family = &baseline["families"][row.family];
                (format!("{}/{}", family["right"], family["total"]), family["false"].to_string())
            }
            Err(_) => ("–".to_owned(), "–".to_owned()),
        };
        println!(
            "| {} | {}/{} | {}/{} | {} | {shown_error} | {vpdq_right} | {vpdq_false} |",
            row.family, row.tuned.right, row.tuned.total, row.held_out.right, row.held_out.total, row.false_matches
        );
    }
}

/// Right and total per split, summed over `rows`: tuning right, tuning total, held-out right,
/// held-out total.
fn split_totals(rows: &[FamilyResult]) -> [usize; 4] {
    let sum = |count: fn(&FamilyResult) -> usize| rows.iter().map(count).sum::<usize>();
    [
        sum(|row| row.tuned.right),
        sum(|row| row.tuned.total),
        sum(|row| row.held_out.right),
        sum(|row| row.held_out.total),
    ]
}

/// Of how many queries the earliest appearance was right.
#[derive(Default)]
struct Tally {
    right: usize,
    total: usize,
}

/// What the vPDQ baseline script needs to ask vPDQ the same questions.
#[derive(Default, serde::Serialize)]
struct Manifest {
    index: Vec<IndexedVideo>,
    queries: Vec<Query>,
    negatives: Vec<PathBuf>,
}

#[derive(serde::Serialize)]
struct IndexedVideo {
    name: String,
    path: PathBuf,
    first_seen: String,
}

impl IndexedVideo {
    fn new(path: &Path, sighting: &firstseen::index::Sighting) -> IndexedVideo {
        IndexedVideo {
            name: sighting.source_url.clone(),
            path: path.to_owned(),
            first_seen: sighting.first_seen.to_rfc3339(),
        }
    }
}

#[derive(serde::Serialize)]
struct Query {
    family: &'static str,
    path: PathBuf,
    expected: String,
}

/// Runs `benches/vpdq_baseline.py` with the interpreter in `VPDQ_PYTHON` (default `python3`),
/// which needs the `vpdq` package; the reason it could not run otherwise.
fn vpdq_baseline(manifest: &Manifest, manifest_path: &Path) -> Result<serde_json::Value, String> {
    std::fs::write(manifest_path, serde_json::to_vec(manifest).expect("serialise")).expect("write the manifest");
    let python = std::env::var("VPDQ_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/vpdq_baseline.py");
    let output = std::process::Command::new(&python)
        .arg(script)
        .arg(manifest_path)
        .output()
        .map_err(|error| format!("cannot run {python}: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("{python} failed: {}", stderr.lines().last().unwrap_or("no message")));
    }
    serde_json::from_slice(&output.stdout).map_err(|error| format!("unreadable baseline output: {error}"))
}
