//! Bulk work through the real server and the real CLI: batch lookups over folders, manifest
//! ingests that are killed and resumed, the streaming RPCs, and export / import between two
//! servers.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{Server, fixture, reencode, sighting};
use firstseen::fingerprint::{Fingerprint, RECIPE_VERSION};
use firstseen::media::DecodeLimits;
use firstseen::proto::v1;

fn ingest_fixture(name: &str, day: &str, url: &str, server: &Server) {
    let path = fixture(name);
    let output = server.cli(&["ingest", path.to_str().unwrap(), "--first-seen", day, "--source-url", url]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect()
}

#[tokio::test]
async fn a_batch_over_a_folder_reports_every_file_and_fails_softly_on_a_corrupt_one() {
    let (work, server) = Server::in_temp_dir(&[]);
    ingest_fixture("bikes.mp4", "2020-11-10", "https://example.org/bikes", &server);
    let folder = work.path().join("story");
    std::fs::create_dir_all(folder.join("more")).unwrap();
    reencode(&fixture("bikes.mp4"), "scale=320:-2", &["-crf", "32"], &folder.join("copy.mp4"));
    std::fs::copy(folder.join("copy.mp4"), folder.join("more/duplicate.mp4")).unwrap();
    std::fs::copy(fixture("carphone_pristine.mp4"), folder.join("unrelated.mp4")).unwrap();
    std::fs::write(folder.join("corrupt.mp4"), b"\x00\x00\x00\x18ftypmp42 this is not a video").unwrap();
    std::fs::write(folder.join("notes.txt"), "not a video, and not named like one").unwrap();

    let rows_path = work.path().join("results.jsonl");
    let output = server.cli(&[
        "lookup",
        folder.to_str().unwrap(),
        "--server",
        &server.url,
        "--concurrency",
        "3",
        "--claimed-date",
        "2023-09-20",
        "--out",
        rows_path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "one file failed: {}", String::from_utf8_lossy(&output.stderr));
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(
        summary.contains(
            "4 files: 2 matched known footage, 2 seen before the claimed date 2023-09-20, 1 could not be checked"
        ),
        "{summary}"
    );

    let mut rows = json_lines(&std::fs::read_to_string(&rows_path).unwrap());
    rows.sort_by_key(|row| row["file"].as_str().unwrap().to_owned());
    let names: Vec<&str> = rows
        .iter()
        .map(|row| Path::new(row["file"].as_str().unwrap()).file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, ["copy.mp4", "corrupt.mp4", "duplicate.mp4", "unrelated.mp4"]);
    for matched in [&rows[0], &rows[2]] {
        assert_eq!(matched["source_url"], "https://example.org/bikes");
        assert_eq!(matched["earliest_first_seen"], "2020-11-10T00:00:00Z");
        assert_eq!(matched["verdict"], "predates_claim");
        assert!(matched["score"].as_f64().unwrap() > 0.5);
        assert_eq!(matched["segments"].as_array().unwrap().len(), 1);
        assert!(matched["error"].is_null());
    }
    assert_eq!(rows[1]["verdict"], "error");
    assert!(rows[1]["error"].as_str().unwrap().contains("cannot fingerprint"), "{}", rows[1]["error"]);
    assert_eq!(rows[3]["verdict"], "no_known_footage");

    // The same batch as CSV: a header row, then one row per file.
    let csv_path = work.path().join("results.csv");
    let output =
        server.cli(&["lookup", folder.to_str().unwrap(), "--server", &server.url, "--out", csv_path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(
        csv.starts_with(
            "file,earliest_first_seen,source_url,footage_id,score,segments,verdict,error,fact_checks,rating,review_url\n"
        ),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 5);
}

/// Rows of a manifest: three videos, each seen at two sources.
fn write_manifest(dir: &Path) -> std::path::PathBuf {
    let mut manifest = String::from("path,first_seen,source_url,title,publisher\n");
    for name in ["bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"] {
        std::fs::copy(fixture(name), dir.join(name)).unwrap();
        for (day, source) in [("2020-11-10", "first"), ("2021-03-01", "second")] {
            manifest += &format!("{name},{day},https://example.org/{source}/{name},\"{name}, {source}\",Desk\n");
        }
    }
    manifest += "missing.mp4,2020-01-01,https://example.org/missing,,\n";
    let path = dir.join("archive.csv");
    std::fs::write(&path, manifest).unwrap();
    path
}

#[tokio::test]
async fn a_manifest_ingest_killed_half_way_and_resumed_ingests_every_row_once() {
    let (work, server) = Server::in_temp_dir(&[]);
    let manifest = write_manifest(work.path());
    let journal = work.path().join("archive.csv.done.jsonl");
    let args = ["ingest", "--manifest", manifest.to_str().unwrap(), "--concurrency", "1", "--server", &server.url];

    let mut interrupted = server.command().args(args).stderr(Stdio::null()).spawn().expect("start the ingest");
    let journaled = || std::fs::read_to_string(&journal).map_or(0, |text| text.lines().count());
    while journaled() < 2 {
        assert!(interrupted.try_wait().unwrap().is_none(), "the ingest ended before it could be interrupted");
        std::thread::sleep(Duration::from_millis(20));
    }
    interrupted.kill().unwrap();
    interrupted.wait().unwrap();
    let before_resume = journaled();
    assert!(before_resume < 6, "the kill came too late to test anything");

    let mut resume_args = args.to_vec();
    resume_args.push("--resume");
    let resumed = server.cli(&resume_args);
    assert_eq!(resumed.status.code(), Some(2), "the missing file is a row error");
    let summary = String::from_utf8_lossy(&resumed.stderr);
    assert!(summary.contains(&format!("{before_resume} skipped as already ingested")), "{summary}");
    assert!(summary.contains("1 failed"), "{summary}");
    let errors = std::fs::read_to_string(work.path().join("archive.csv.errors.csv")).unwrap();
    assert!(errors.contains("7,missing.mp4,cannot open"), "{errors}");

    let mut client = server.client().await;
    let stats = client.stats(v1::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!((stats.footage, stats.sightings), (3, 6), "every row once: three footage, six sightings");

    // Everything is done now: a second resume skips every good row.
    let again = server.cli(&resume_args);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("0 ingested"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

fn lookup_item(id: &str, fingerprint: Option<&Fingerprint>) -> v1::BatchLookupRequest {
    v1::BatchLookupRequest {
        id: id.to_owned(),
        lookup: Some(v1::LookupFingerprintRequest { options: None, fingerprint: fingerprint.map(Into::into) }),
    }
}

#[tokio::test]
async fn batch_lookup_and_bulk_ingest_streams_answer_per_item() {
    let (_work, server) = Server::in_temp_dir(&[]);
    let mut client = server.client().await;
    let limits = DecodeLimits::default();
    let bikes = Fingerprint::of_file(&fixture("bikes.mp4"), &limits).unwrap();
    let bunny = Fingerprint::of_file(&fixture("bigbuckbunny.mp4"), &limits).unwrap();
    let items = [
        (&bikes, sighting("https://example.org/bikes", "2020-11-10", "")),
        (&bunny, sighting("https://example.org/bunny", "2019-01-01", "")),
        (&bikes, sighting("https://example.org/bikes-again", "2022-02-02", "")),
    ]
    .map(|(fingerprint, sighting)| v1::IngestFingerprintRequest {
        sighting: Some(sighting),
        fingerprint: Some(fingerprint.into()),
        ..Default::default()
    });
    let summary = client.ingest_fingerprints(tokio_stream::iter(items.to_vec())).await.unwrap().into_inner();
    assert_eq!((summary.items, summary.new_footage, summary.new_sightings), (3, 2, 3));

    let mut bad = items[0].clone();
    bad.fingerprint.as_mut().unwrap().recipe_version = 1;
    let rejected = client.ingest_fingerprints(tokio_stream::iter(vec![items[1].clone(), bad])).await.unwrap_err();
    assert_eq!(rejected.code(), tonic::Code::InvalidArgument);
    assert!(rejected.message().starts_with("item 2: "), "{}", rejected.message());
    assert!(rejected.message().contains("the 1 items before it were ingested"), "{}", rejected.message());

    let requests: Vec<v1::BatchLookupRequest> = (0..20)
        .map(|n| match n % 3 {
            0 => lookup_item(&format!("bikes-{n}"), Some(&bikes)),
            1 => lookup_item(&format!("bunny-{n}"), Some(&bunny)),
            _ => lookup_item(&format!("empty-{n}"), None),
        })
        .collect();
    let mut results = client.batch_lookup(tokio_stream::iter(requests)).await.unwrap().into_inner();
    let mut seen = Vec::new();
    while let Some(result) = results.message().await.unwrap() {
        let expected = result.id.split('-').next().unwrap().to_owned();
        match result.outcome.expect("an outcome") {
            v1::batch_lookup_result::Outcome::Report(report) => {
                let sentence = &report.summary;
                assert!(
                    sentence.starts_with("Earliest known appearance: "),
                    "each report has its sentence: {sentence}"
                );
                assert!(sentence.contains(&format!(" at https://example.org/{expected};")), "{sentence}");
                let earliest = report.earliest.expect("found").source_url;
                assert_eq!(earliest, format!("https://example.org/{expected}"), "{}", result.id);
            }
            v1::batch_lookup_result::Outcome::Error(error) => {
                assert_eq!(expected, "empty");
                assert_eq!(error.code, tonic::Code::InvalidArgument as i32);
                assert!(error.message.contains("needs a fingerprint"), "{}", error.message);
            }
        }
        seen.push(result.id);
    }
    seen.sort();
    let mut expected: Vec<String> = (0..20).map(|n| format!("{}-{n}", ["bikes", "bunny", "empty"][n % 3])).collect();
    expected.sort();
    assert_eq!(seen, expected, "one result per id");
}

#[tokio::test]
async fn export_then_import_into_an_empty_server_gives_the_same_answers() {
    let (work, source) = Server::in_temp_dir(&[]);
    ingest_fixture("bikes.mp4", "2020-11-10", "https://example.org/bikes", &source);
    ingest_fixture("bikes.mp4", "2023-09-20", "https://example.org/viral", &source);
    ingest_fixture("bigbuckbunny.mp4", "2019-05-05", "https://example.org/bunny", &source);
    let export = work.path().join("index.jsonl");
    let exported = source.cli(&["export", "--out", export.to_str().unwrap(), "--server", &source.url]);
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let text = std::fs::read_to_string(&export).unwrap();
    assert_eq!(text.lines().count(), 2);

    // Written as the previous recipe would have: it files the same hashes, so it imports whole.
    let current = format!("\"recipe_version\":{RECIPE_VERSION}");
    assert!(text.contains(&current));
    std::fs::write(&export, text.replace(&current, &format!("\"recipe_version\":{}", RECIPE_VERSION - 1))).unwrap();

    let target = Server::start(&work.path().join("other"), &[]);
    let imported = target.cli(&["import", export.to_str().unwrap(), "--server", &target.url]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));

    let copy = reencode(
        &fixture("bikes.mp4"),
        "trim=start=1:end=8,setpts=PTS-STARTPTS,scale=320:-2",
        &["-crf", "32"],
        &work.path().join("copy.mp4"),
    );
    let fingerprint = Fingerprint::of_file(&copy, &DecodeLimits::default()).unwrap();
    // Met only through the middle strip, which the export must carry.
    let filled =
        reencode(&fixture("bigbuckbunny.mp4"), "crop=ih*9/16:ih", &["-crf", "30"], &work.path().join("filled.mp4"));
    let filled = Fingerprint::of_file(&filled, &DecodeLimits::default()).unwrap();
    let mut answers = Vec::new();
    for server in [&source, &target] {
        let mut client = server.client().await;
        let request = v1::LookupFingerprintRequest { options: None, fingerprint: Some((&filled).into()) };
        let report = client.lookup_fingerprint(request).await.unwrap().into_inner();
        assert_eq!(report.earliest.expect("the fill crop is found").source_url, "https://example.org/bunny");
        let request = v1::LookupFingerprintRequest { options: None, fingerprint: Some((&fingerprint).into()) };
        let mut report = client.lookup_fingerprint(request).await.unwrap().into_inner();
        // The import keeps who recorded each sighting and when, and says who imported it.
        let imported = std::ptr::eq(server, &target);
        for found in &mut report.matches {
            found.footage_id = 0;
            for sighting in &mut found.sightings {
                assert_eq!(sighting.recorded_by, "admin");
                assert_eq!(sighting.imported_by, if imported { "admin" } else { "" });
                sighting.imported_by.clear();
            }
        }
        report.earliest_footage_id = 0;
        report.earliest.as_mut().unwrap().imported_by.clear();
        let stats = client.stats(v1::StatsRequest {}).await.unwrap().into_inner();
        answers.push((report, stats.footage, stats.sightings, stats.keyframes));
    }
    assert_eq!(answers[0].0.matches.len(), 1);
    assert_eq!(answers[0].0.matches[0].sightings.len(), 2);
    assert_eq!(answers[0], answers[1]);
}
