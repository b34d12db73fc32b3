//! The `firstseen` command line against a real server, as a person or a script uses it.

mod common;

use std::process::{Command, Output};

use common::{BINARY, Server, fixture, reencode};

/// The command line without a server.
fn firstseen(args: &[&str]) -> Output {
    Command::new(BINARY).args(args).env_remove("FIRSTSEEN_SERVER").output().expect("run firstseen")
}

fn stdout_json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("one JSON object on stdout")
}

#[tokio::test]
async fn lookup_json_carries_the_documented_fields() {
    let (work, server) = Server::in_temp_dir(&[]);
    let bikes = fixture("bikes.mp4");
    let bikes = bikes.to_str().unwrap();
    let url = server.url.as_str();

    let ingested = stdout_json(&server.cli(&[
        "ingest",
        bikes,
        "--first-seen",
        "2020-11-10",
        "--source-url",
        "https://example.org/original",
        "--title",
        "Baku, 10 November",
        "--server",
        url,
        "--json",
    ]));
    assert_eq!(ingested["new_footage"], true);
    let uploaded = server.cli(&[
        "ingest",
        bikes,
        "--first-seen",
        "2023-09-20T18:00:00+03:00",
        "--source-url",
        "https://example.org/viral",
        "--upload",
        "--server",
        url,
    ]);
    assert!(uploaded.status.success(), "{}", String::from_utf8_lossy(&uploaded.stderr));
    assert!(String::from_utf8_lossy(&uploaded.stdout).contains("new sighting"));

    let copy = reencode(
        &fixture("bikes.mp4"),
        "trim=start=1:end=7,setpts=PTS-STARTPTS,scale=360:-2",
        &["-crf", "33"],
        &work.path().join("copy.mp4"),
    );
    let copy = copy.to_str().unwrap();
    for transport in [None, Some("--upload")] {
        let mut args = vec!["lookup", copy, "--claimed-date", "2023-09-20", "--json", "--server", url];
        args.extend(transport);
        let report = stdout_json(&server.cli(&args));
        assert_eq!(report["earliest"]["first_seen"], "2020-11-10T00:00:00Z");
        assert_eq!(report["earliest"]["source_url"], "https://example.org/original");
        assert_eq!(report["earliest"]["title"], "Baku, 10 November");
        assert_eq!(report["verdict"], "predates_claim");
        let found = &report["matches"][0];
        for field in
            ["source_url", "first_seen", "score", "query_start", "query_end", "reference_start", "reference_end"]
        {
            assert!(!found[field].is_null(), "match field {field} is missing: {found}");
        }
        assert_eq!(found["sightings"].as_array().unwrap().len(), 2);
        assert!(found["score"].as_f64().unwrap() > 0.0);
    }

    let human = server.cli(&["lookup", copy, "--server", url]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.starts_with("Earliest known appearance: 2020-11-10"), "{text}");
    assert!(text.contains("FIRST SEEN") && text.contains("https://example.org/viral"), "{text}");

    let stats = stdout_json(&server.cli(&["stats", "--json", "--server", url]));
    assert_eq!((stats["footage"].as_u64(), stats["sightings"].as_u64()), (Some(1), Some(2)));
}

#[test]
fn nothing_matched_is_null_and_errors_go_to_stderr_with_a_failure_code() {
    let fingerprint = stdout_json(&firstseen(&["fingerprint", fixture("bikes.mp4").to_str().unwrap(), "--json"]));
    let keyframes = fingerprint["keyframes"].as_array().unwrap();
    assert!(keyframes.len() >= 19, "about two keyframes a second over 10 s: {}", keyframes.len());
    assert_eq!(keyframes[0]["upright"]["whole"].as_str().unwrap().len(), 16);

    let work = tempfile::tempdir().unwrap();
    let text = work.path().join("notes.txt");
    std::fs::write(&text, "not a video").unwrap();
    let failed = firstseen(&["fingerprint", text.to_str().unwrap()]);
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("not a video"));

    let unreachable = firstseen(&["stats", "--server", "http://127.0.0.1:9"]);
    assert!(!unreachable.status.success());
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach a firstseen server"));
}

#[tokio::test]
async fn an_empty_index_reports_null_earliest() {
    let (_work, server) = Server::in_temp_dir(&[]);
    let report = stdout_json(&server.cli(&[
        "lookup",
        fixture("bikes.mp4").to_str().unwrap(),
        "--json",
        "--server",
        &server.url,
    ]));
    assert!(report["earliest"].is_null());
    assert_eq!(report["matches"].as_array().unwrap().len(), 0);
    assert_eq!(report["verdict"], "no_claim");
}
