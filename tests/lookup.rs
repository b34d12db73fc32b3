//! End to end through the real server: ingest dated footage, look up edited copies.

mod common;

use std::path::PathBuf;

use common::{Client, Server, date, fixture, ingest, lookup, matched_urls, reencode, seconds_of, sighting};
use firstseen::proto::v1;

/// A server on a temp dir whose index holds `bikes.mp4`, first seen on 10 November 2020, a client
/// of it and the fixture's path: where every test of an edited copy of bikes starts. The temp
/// dir also holds the copies a test makes; the server stops when dropped.
async fn bikes_indexed() -> (tempfile::TempDir, Server, Client, PathBuf) {
    let (work, server) = Server::in_temp_dir(&[]);
    let mut client = server.client().await;
    let bikes = fixture("bikes.mp4");
    ingest(&mut client, &bikes, sighting("https://example.org/bikes", "2020-11-10", "")).await.unwrap();
    (work, server, client, bikes)
}

/// The case firstseen exists for: a re-upload is indexed first, the original after it, and a
/// re-encoded, downscaled, trimmed copy must still lead back to the original's date and URL.
#[tokio::test]
async fn a_trimmed_downscaled_copy_leads_to_the_original_date() {
    let work = tempfile::tempdir().unwrap();
    let original = fixture("bikes.mp4");
    let reupload = reencode(&original, "scale=480:-2", &["-crf", "30"], &work.path().join("reupload.mp4"));
    // Trimmed to 2–8 s of the original, 320 px wide, heavy compression, 24 fps.
    let query = reencode(
        &original,
        "trim=start=2:end=8,setpts=PTS-STARTPTS,scale=320:-2,fps=24",
        &["-crf", "36"],
        &work.path().join("query.mp4"),
    );
    let server = Server::start(&work.path().join("data"), &[]);
    let mut client = server.client().await;

    let first = ingest(&mut client, &reupload, sighting("https://example.org/reupload", "2023-09-20", "Baku tonight"))
        .await
        .unwrap();
    assert!(first.new_footage);
    let second =
        ingest(&mut client, &original, sighting("https://example.org/original", "2020-11-10", "Baku, 10 November"))
            .await
            .unwrap();
    assert!(!second.new_footage, "the original is the same footage as its re-upload");
    assert!(second.new_sighting);
    assert_eq!(second.footage_id, first.footage_id);
    assert_eq!(seconds_of(&second.footage_first_seen), date("2020-11-10").seconds);

    let report = lookup(&mut client, &query, Some(date("2023-09-20"))).await.unwrap();
    let earliest = report.earliest.as_ref().expect("the copy matches");
    assert_eq!(earliest.source_url, "https://example.org/original");
    assert_eq!(seconds_of(&earliest.first_seen), date("2020-11-10").seconds);
    assert_eq!(report.verdict(), v1::Verdict::PredatesClaim);
    assert_eq!(report.days_before_claim, 1044);

    assert_eq!(report.matches.len(), 1);
    let found = &report.matches[0];
    let urls: Vec<&str> = found.sightings.iter().map(|s| s.source_url.as_str()).collect();
    assert_eq!(urls, ["https://example.org/original", "https://example.org/reupload"]);
    let query_segment = found.query_segment.unwrap();
    let reference_segment = found.reference_segment.unwrap();
    assert!(query_segment.start_seconds < 1.0 && query_segment.end_seconds > 5.0, "{query_segment:?}");
    let offset = reference_segment.start_seconds - query_segment.start_seconds;
    assert!((offset - 2.0).abs() < 1.0, "the copy starts 2 s into the original: {reference_segment:?}");
    assert!(report.summary.contains("2020-11-10"), "{}", report.summary);
}

/// Footage that is not in the index must match nothing, and a mostly black video must not match
/// another one merely because both are dark.
#[tokio::test]
async fn unrelated_and_mostly_black_footage_match_nothing() {
    let (work, server) = Server::in_temp_dir(&[]);
    let mut client = server.client().await;
    ingest(&mut client, &fixture("bikes.mp4"), sighting("https://example.org/bikes", "2020-11-10", "")).await.unwrap();

    // Black with a small white box drifting across: what a mostly black clip looks like.
    let black_with_logo = |start_x: &str, name: &str| {
        let source = format!("color=c=black:s=640x360:d=8:r=25,drawbox=x={start_x}+t*20:y=20:w=40:h=20:c=white:t=fill");
        common::ffmpeg(
            &["-f", "lavfi", "-i", &source, "-c:v", "libx264", "-pix_fmt", "yuv420p"],
            &work.path().join(name),
        )
    };
    let dark_a = black_with_logo("20", "dark_a.mp4");
    let dark_b = black_with_logo("500", "dark_b.mp4");
    ingest(&mut client, &dark_a, sighting("https://example.org/dark", "2021-01-01", "")).await.unwrap();

    let unrelated = fixture("bigbuckbunny.mp4");
    let synthetic = common::ffmpeg(
        &["-f", "lavfi", "-i", "mandelbrot=s=320x240:r=25", "-t", "6", "-c:v", "libx264", "-pix_fmt", "yuv420p"],
        &work.path().join("mandelbrot.mp4"),
    );
    for query in [&unrelated, &synthetic, &dark_b] {
        let report = lookup(&mut client, query, Some(date("2023-09-20"))).await.unwrap();
        assert!(report.matches.is_empty(), "{} matched: {:?}", query.display(), report.matches);
        assert!(report.earliest.is_none());
        assert_eq!(report.verdict(), v1::Verdict::NoKnownFootage);
    }
}

/// The fingerprint-only path (the video never leaves the client) answers like the upload path.
#[tokio::test]
async fn a_locally_made_fingerprint_finds_the_same_footage() {
    let (work, server) = Server::in_temp_dir(&[]);
    let mut client = server.client().await;
    let bunny = fixture("bigbuckbunny.mp4");
    ingest(&mut client, &bunny, sighting("https://example.org/bunny", "2008-05-30", "Big Buck Bunny")).await.unwrap();
    let copy = reencode(&bunny, "scale=640:-2", &["-crf", "32"], &work.path().join("copy.mp4"));

    let fingerprint = firstseen::fingerprint::Fingerprint::of_file(&copy, &Default::default()).unwrap();
    let request = v1::LookupFingerprintRequest { options: None, fingerprint: Some((&fingerprint).into()) };
    let report = client.lookup_fingerprint(request).await.unwrap().into_inner();
    assert_eq!(report.verdict(), v1::Verdict::NoClaim);
    assert_eq!(report.earliest.unwrap().source_url, "https://example.org/bunny");

    let footage = client
        .get_footage(v1::GetFootageRequest { footage_id: report.earliest_footage_id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(footage.sightings.len(), 1);
    assert!((footage.duration_seconds - 5.3).abs() < 0.5, "{}", footage.duration_seconds);
}

/// A copy cropped off-centre (three quarters of the width from a quarter across, four fifths of
/// the height from the top) holds none of the regions every lookup searches. A lookup that finds
/// nothing else surveys the pictures the fingerprint carries for the core: by upload and from a
/// fingerprint made locally alike, and the report says the copy is cropped. Without its
/// pictures, the same fingerprint finds nothing.
#[tokio::test]
async fn a_copy_cropped_off_centre_is_found_through_its_pictures_and_told_as_cropped() {
    let (work, _server, mut client, bikes) = bikes_indexed().await;
    let cropped =
        reencode(&bikes, "crop=iw*3/4:ih*4/5:iw/4:0,scale=640:-2", &["-crf", "30"], &work.path().join("cropped.mp4"));
    let report = lookup(&mut client, &cropped, None).await.unwrap();
    assert_eq!(matched_urls(&report), ["https://example.org/bikes"]);
    assert!(report.matches[0].cropped, "{:?}", report.matches[0]);
    assert!(report.summary.contains("This copy is cropped off-centre."), "{}", report.summary);

    let mut fingerprint = firstseen::fingerprint::Fingerprint::of_file(&cropped, &Default::default()).unwrap();
    assert!(fingerprint.keyframes.iter().any(|keyframe| keyframe.picture.is_some()));
    for (with_pictures, expected) in [(true, vec!["https://example.org/bikes"]), (false, vec![])] {
        if !with_pictures {
            fingerprint.keyframes.iter_mut().for_each(|keyframe| keyframe.picture = None);
        }
        let request = v1::LookupFingerprintRequest { options: None, fingerprint: Some((&fingerprint).into()) };
        let report = client.lookup_fingerprint(request).await.unwrap().into_inner();
        assert_eq!(matched_urls(&report), expected, "with pictures: {with_pictures}");
    }
}

/// A vertical re-upload: the footage centred on black bars in a 9:16 frame.
#[tokio::test]
async fn footage_on_vertical_video_bars_is_found() {
    let (work, _server, mut client, bikes) = bikes_indexed().await;
    let vertical = reencode(
        &bikes,
        "scale=360:-2,pad=360:640:(ow-iw)/2:(oh-ih)/2",
        &["-crf", "30"],
        &work.path().join("vertical.mp4"),
    );
    let report = lookup(&mut client, &vertical, None).await.unwrap();
    assert_eq!(report.earliest.expect("the vertical copy matches").source_url, "https://example.org/bikes");
}

/// Very short footage: a one-second excerpt of longer footage, and a 1.5 s clip whose copy
/// keeps 0.8 s of it. At one keyframe every half second neither has the three keyframes a match
/// needs; short videos are sampled densely, so both are found, with the right stretch.
#[tokio::test]
async fn a_one_second_excerpt_and_a_trimmed_short_clip_are_found() {
    let (work, _server, mut client, bikes) = bikes_indexed().await;
    let short_clip = reencode(
        &fixture("bigbuckbunny.mp4"),
        "trim=start=1:end=2.5,setpts=PTS-STARTPTS",
        &["-crf", "23"],
        &work.path().join("short.mp4"),
    );
    ingest(&mut client, &short_clip, sighting("https://example.org/short", "2021-05-01", "")).await.unwrap();

    let excerpt = reencode(
        &bikes,
        "trim=start=6.2:end=7.2,setpts=PTS-STARTPTS,scale=480:-2",
        &["-crf", "30"],
        &work.path().join("excerpt.mp4"),
    );
    let trimmed = reencode(
        &short_clip,
        "trim=start=0.4:end=1.2,setpts=PTS-STARTPTS,scale=480:-2",
        &["-crf", "30"],
        &work.path().join("trimmed.mp4"),
    );
    for (query, url, starts_at) in
        [(&excerpt, "https://example.org/bikes", 6.2), (&trimmed, "https://example.org/short", 0.4)]
    {
        let report = lookup(&mut client, query, None).await.unwrap();
        let urls = matched_urls(&report);
        assert_eq!(urls, [url], "{}", query.display());
        let found = &report.matches[0];
        let offset = found.reference_segment.unwrap().start_seconds - found.query_segment.unwrap().start_seconds;
        assert!((offset - starts_at).abs() < 0.5, "{}: {found:?}", query.display());
    }
}

/// Crops that fill a narrower frame keep only the middle of the picture: a vertical re-upload
/// filling 9:16 from 16:9 footage keeps 32 % of its width, one side of a split screen filled
/// from it about half. Both meet the original through its indexed middle strip.
#[tokio::test]
async fn copies_cropped_to_fill_a_narrower_frame_are_found() {
    let (work, server) = Server::in_temp_dir(&[]);
    let mut client = server.client().await;
    let bunny = fixture("bigbuckbunny.mp4");
    ingest(&mut client, &bunny, sighting("https://example.org/bunny", "2008-05-30", "")).await.unwrap();
    let vertical =
        reencode(&bunny, "crop=ih*9/16:ih,scale=360:640", &["-crf", "30"], &work.path().join("vertical-filled.mp4"));
    let split = reencode(
        &bunny,
        "scale=-2:360,crop=320:360,split[clip][copy];[copy]negate,boxblur=8[other];[other][clip]hstack=inputs=2",
        &["-crf", "30"],
        &work.path().join("split-filled.mp4"),
    );
    for query in [&vertical, &split] {
        let report = lookup(&mut client, query, None).await.unwrap();
        let urls = matched_urls(&report);
        assert_eq!(urls, ["https://example.org/bunny"], "{}", query.display());
    }
}

/// A copy filmed askew: the footage tilted 5° either way, black in the corners, grainy. As shown
/// it is 10 bits or more from the original; tilted back it meets it, and the match says which way
/// it leans.
#[tokio::test]
async fn copies_tilted_a_few_degrees_are_found_and_said_to_be_tilted() {
    let (work, _server, mut client, bikes) = bikes_indexed().await;
    for (radians, tilt, way) in
        [(0.087, v1::Tilt::Clockwise, "clockwise"), (-0.087, v1::Tilt::Anticlockwise, "anticlockwise")]
    {
        let tilted = reencode(
            &bikes,
            &format!("rotate={radians}:fillcolor=black,noise=alls=8:allf=t,scale=640:-2"),
            &["-crf", "30"],
            &work.path().join(format!("tilted-{radians}.mp4")),
        );
        let report = lookup(&mut client, &tilted, None).await.unwrap();
        assert_eq!(matched_urls(&report), ["https://example.org/bikes"], "{radians} rad");
        assert_eq!(report.matches[0].tilt(), tilt, "{radians} rad");
        assert!(report.summary.contains(&format!("tilted a few degrees {way}")), "{}", report.summary);
    }
}

/// A copy faded until none of its keyframes passes the information test (a night re-upload, a
/// copy of a dim screen) still shows its original's pictures: searched anyway, it meets the
/// original's informative keyframes. Before every keyframe was searched, it was never found.
#[tokio::test]
async fn a_copy_too_faded_to_be_indexed_still_finds_its_original() {
    let (work, _server, mut client, bikes) = bikes_indexed().await;
    let faded = reencode(
        &bikes,
        "eq=contrast=0.15:brightness=-0.2:saturation=0,scale=480:-2",
        &["-crf", "28"],
        &work.path().join("faded.mp4"),
    );
    let fingerprint = firstseen::fingerprint::Fingerprint::of_file(&faded, &Default::default()).unwrap();
    assert_eq!(fingerprint.informative_keyframes().count(), 0, "the copy must be plain throughout to test this");
    let report = lookup(&mut client, &faded, None).await.unwrap();
    assert_eq!(matched_urls(&report), ["https://example.org/bikes"]);
    assert_eq!(report.query_informative_keyframes, 0);
}
