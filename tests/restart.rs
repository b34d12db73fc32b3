//! What was ingested is still there after the server dies without warning.

mod common;

use common::{Server, fixture, ingest, lookup, reencode, sighting};
use firstseen::proto::v1;

#[tokio::test]
async fn a_killed_server_restarts_with_everything_it_acknowledged() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let server = Server::start(&data, &[]);
    let mut client = server.client().await;
    let bikes =
        ingest(&mut client, &fixture("bikes.mp4"), sighting("https://example.org/bikes", "2020-11-10", "bikes"))
            .await
            .unwrap();
    ingest(&mut client, &fixture("bikes.mp4"), sighting("https://example.org/bikes-again", "2022-02-02", ""))
        .await
        .unwrap();
    ingest(&mut client, &fixture("bigbuckbunny.mp4"), sighting("https://example.org/bunny", "2008-05-30", ""))
        .await
        .unwrap();
    let before = client.stats(v1::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!((before.footage, before.sightings), (2, 3));
    server.crash();

    let server = Server::start(&data, &[]);
    let mut client = server.client().await;
    let after = client.stats(v1::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!((after.footage, after.sightings, after.keyframes), (before.footage, before.sightings, before.keyframes));
    let footage =
        client.get_footage(v1::GetFootageRequest { footage_id: bikes.footage_id }).await.unwrap().into_inner();
    assert_eq!(footage.sightings.len(), 2);

    let copy = reencode(&fixture("bikes.mp4"), "scale=320:-2", &["-crf", "34"], &work.path().join("copy.mp4"));
    let report = lookup(&mut client, &copy, None).await.unwrap();
    assert_eq!(report.earliest.unwrap().source_url, "https://example.org/bikes");

    // The new process assigns fresh ids after the ones it found on disk.
    let more = ingest(
        &mut client,
        &common::ffmpeg(
            &["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=4", "-c:v", "libx264", "-pix_fmt", "yuv420p"],
            &work.path().join("testsrc.mp4"),
        ),
        sighting("https://example.org/test", "2024-01-01", ""),
    )
    .await
    .unwrap();
    assert!(more.new_footage);
    assert!(more.footage_id > bikes.footage_id.max(2));
}
