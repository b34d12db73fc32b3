//! Whatever a client sends, the server answers INVALID_ARGUMENT with a sentence a person can act
//! on, and keeps serving.

mod common;

use std::path::Path;

use common::{Server, ffmpeg, fixture, ingest, lookup, sighting};
use firstseen::fingerprint::RECIPE_VERSION;
use firstseen::proto::v1;
use tonic::Code;

fn write(path: &Path, bytes: &[u8]) -> std::path::PathBuf {
    std::fs::write(path, bytes).unwrap();
    path.to_owned()
}

#[tokio::test]
async fn unusable_uploads_are_refused_with_a_reason_and_the_server_keeps_answering() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let bikes = std::fs::read(fixture("bikes.mp4")).unwrap();
    let mut corrupt = bikes.clone();
    corrupt[..4096].iter_mut().enumerate().for_each(|(i, byte)| *byte = (i * 7 + 13) as u8);
    // With the index up front, a cut-off file opens but stops after a third of its length.
    let faststart = ffmpeg(
        &["-i", fixture("bikes.mp4").to_str().unwrap(), "-c", "copy", "-movflags", "+faststart"],
        &dir.join("faststart.mp4"),
    );
    let faststart = std::fs::read(faststart).unwrap();
    let too_wide = ffmpeg(&["-f", "lavfi", "-i", "color=s=9000x16:d=1", "-c:v", "ffv1"], &dir.join("wide.mkv"));
    let audio_only =
        ffmpeg(&["-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:a", "aac"], &dir.join("tone.m4a"));

    let cases = [
        ("empty", write(&dir.join("empty.mp4"), b""), "empty"),
        ("truncated", write(&dir.join("truncated.mp4"), &bikes[..bikes.len() / 3]), "not a video"),
        ("truncated, index first", write(&dir.join("cut.mp4"), &faststart[..faststart.len() / 3]), "truncated"),
        ("corrupt", write(&dir.join("corrupt.mp4"), &corrupt), "not a video"),
        (
            "not a video",
            write(&dir.join("notes.txt"), "Baku, 10 November 2020: crowds waving flags.\n".repeat(50).as_bytes()),
            "not a video",
        ),
        ("audio only", audio_only, "no video stream"),
        ("absurd frame size", too_wide, "frame size 9000x16"),
    ];

    let mut server = Server::start(&dir.join("data"), &[]);
    let mut client = server.client().await;
    for (what, path, expected) in &cases {
        let refused = lookup(&mut client, path, None).await.expect_err(what);
        assert_eq!(refused.code(), Code::InvalidArgument, "{what}: {refused:?}");
        assert!(refused.message().contains(expected), "{what}: {:?} should mention {expected:?}", refused.message());
        let refused =
            ingest(&mut client, path, sighting("https://example.org/x", "2020-01-01", "")).await.expect_err(what);
        assert_eq!(refused.code(), Code::InvalidArgument, "{what}: {refused:?}");
    }
    assert!(server.is_running());
    let stats = client.stats(v1::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!(stats.footage, 0, "nothing unusable was indexed");
}

#[tokio::test]
async fn oversized_uploads_and_malformed_requests_are_refused() {
    let (work, mut server) = Server::in_temp_dir(&["--max-upload-mib", "1"]);
    let mut client = server.client().await;

    let big = write(&work.path().join("big.mp4"), &vec![0u8; 3 * 1024 * 1024]);
    let refused = lookup(&mut client, &big, None).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("limit of 1 MiB"), "{}", refused.message());

    let no_date = v1::Sighting { first_seen: None, ..sighting("https://example.org/x", "2020-01-01", "") };
    let refused = ingest(&mut client, &fixture("bikes.mp4"), no_date).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("first_seen"), "{}", refused.message());

    let regions =
        v1::RegionHashes { whole: 0x0f0f_0f0f_0f0f_0f0f, centre: 0x00ff_00ff_00ff_00ff, band: 0x0ff0_0ff0_0ff0_0ff0 };
    let keyframe = |time_ms| v1::Keyframe {
        time_ms,
        informative: true,
        upright: Some(regions),
        mirrored: Some(regions),
        windows: Vec::new(),
        turned: Vec::new(),
        tilted: Vec::new(),
        middle: None,
        filled: Vec::new(),
        core: None,
        picture: None,
    };
    let bad_fingerprints = [
        (
            v1::Fingerprint {
                duration_ms: 5000,
                keyframes: vec![keyframe(1000), keyframe(500)],
                recipe_version: RECIPE_VERSION,
            },
            "time order",
        ),
        (v1::Fingerprint { duration_ms: 5000, keyframes: vec![keyframe(0)], recipe_version: 99 }, "recipe version 99"),
        (v1::Fingerprint { duration_ms: 5000, keyframes: vec![], recipe_version: RECIPE_VERSION }, "no keyframes"),
        (
            v1::Fingerprint { duration_ms: 100, keyframes: vec![keyframe(4000)], recipe_version: RECIPE_VERSION },
            "after the end",
        ),
    ];
    for (fingerprint, expected) in bad_fingerprints {
        let request = v1::LookupFingerprintRequest { options: None, fingerprint: Some(fingerprint) };
        let refused = client.lookup_fingerprint(request).await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert!(refused.message().contains(expected), "{:?} should mention {expected:?}", refused.message());
    }

    let headless = [v1::LookupRequest { part: Some(v1::lookup_request::Part::Chunk(vec![0; 16])) }];
    let refused = client.lookup(tokio_stream::iter(headless)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("must carry the lookup options"), "{}", refused.message());

    let missing = client.get_footage(v1::GetFootageRequest { footage_id: 42 }).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert!(server.is_running());
}
