//! Keys, roles, TLS and retraction, against the real server: who may call what, who recorded
//! each sighting, and how a poisoned index is mended without losing its history.

mod common;

use std::path::{Path, PathBuf};

use common::{Client, Server, ffmpeg, sighting, upload};
use firstseen::fingerprint::Fingerprint;
use firstseen::media::DecodeLimits;
use firstseen::proto::{BearerKey, UploadMessage, v1};
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

/// A short generated clip: cheap to decode, distinct from the fixtures.
fn clip(dir: &Path, name: &str, source: &str) -> PathBuf {
    ffmpeg(
        &["-f", "lavfi", "-i", source, "-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-pix_fmt", "yuv420p"],
        &dir.join(name),
    )
}

async fn create_key(admin: &mut Client, name: &str, role: v1::Role) -> String {
    let request = v1::CreateKeyRequest { name: name.to_owned(), role: role.into() };
    admin.create_key(request).await.expect("an admin creates keys").into_inner().key
}

/// Every call of the API, made once by `client`; the code it got (OK when it succeeded).
async fn every_call(
    client: &mut Client,
    video: &Path,
    fingerprint: &Fingerprint,
    n: usize,
) -> Vec<(&'static str, Code)> {
    let code = |result: Result<(), tonic::Status>| result.err().map_or(Code::Ok, |status| status.code());
    let wire: v1::Fingerprint = fingerprint.into();
    let item = |url: String| v1::IngestFingerprintRequest {
        sighting: Some(sighting(&url, "2022-02-02", "")),
        fingerprint: Some(wire.clone()),
        ..Default::default()
    };
    let lookup = v1::LookupFingerprintRequest { options: None, fingerprint: Some(wire.clone()) };
    let mut codes = Vec::new();
    let sighting_for = |what: &str| sighting(&format!("https://example.org/{what}/{n}"), "2022-02-02", "");
    codes.push((
        "Ingest",
        code(client.ingest(upload::<v1::IngestRequest>(video, sighting_for("upload"))).await.map(drop)),
    ));
    codes.push((
        "IngestFingerprint",
        code(client.ingest_fingerprint(item(format!("https://example.org/one/{n}"))).await.map(drop)),
    ));
    codes.push((
        "IngestFingerprints",
        code(
            client
                .ingest_fingerprints(tokio_stream::iter(vec![item(format!("https://example.org/bulk/{n}"))]))
                .await
                .map(drop),
        ),
    ));
    codes.push((
        "Lookup",
        code(client.lookup(upload::<v1::LookupRequest>(video, v1::LookupOptions::default())).await.map(drop)),
    ));
    codes.push(("LookupFingerprint", code(client.lookup_fingerprint(lookup.clone()).await.map(drop))));
    let batch = async {
        let items = vec![v1::BatchLookupRequest { id: "a".into(), lookup: Some(lookup.clone()) }];
        let mut results = client.batch_lookup(tokio_stream::iter(items)).await?.into_inner();
        while results.message().await?.is_some() {}
        Ok(())
    };
    codes.push(("BatchLookup", code(batch.await)));
    codes.push(("GetFootage", code(client.get_footage(v1::GetFootageRequest { footage_id: 1 }).await.map(drop))));
    codes.push(("Stats", code(client.stats(v1::StatsRequest {}).await.map(drop))));
    let export = async {
        let mut footage = client.export(v1::ExportRequest {}).await?.into_inner();
        while footage.message().await?.is_some() {}
        Ok(())
    };
    codes.push(("Export", code(export.await)));
    let retract = v1::RetractSightingRequest {
        footage_id: 1,
        source_url: "https://example.org/to-retract".into(),
        first_seen: Some(common::date("2021-01-01")),
        reason: "the matrix".into(),
    };
    codes.push(("RetractSighting", code(client.retract_sighting(retract).await.map(drop))));
    let add = v1::AddReviewRequest { footage_id: 1, review: Some(review(&format!("https://factcheck.example/{n}"))) };
    codes.push(("AddReview", code(client.add_review(add).await.map(drop))));
    let withdraw = v1::RetractReviewRequest {
        footage_id: 1,
        url: "https://factcheck.example/to-retract".into(),
        reason: "the matrix".into(),
    };
    codes.push(("RetractReview", code(client.retract_review(withdraw).await.map(drop))));
    let create = v1::CreateKeyRequest { name: format!("made-by-{n}"), role: v1::Role::Reader.into() };
    codes.push(("CreateKey", code(client.create_key(create).await.map(drop))));
    codes.push(("ListKeys", code(client.list_keys(v1::ListKeysRequest {}).await.map(drop))));
    let revoke = v1::RevokeKeyRequest { name: "to-revoke".into() };
    codes.push(("RevokeKey", code(client.revoke_key(revoke).await.map(drop))));
    codes
}

/// A fact-check of the matrix's footage, published at `url`.
fn review(url: &str) -> v1::Review {
    v1::Review {
        claim: "the claim".into(),
        reviewer: "A fact-checker".into(),
        rating: "False".into(),
        url: url.to_owned(),
        published: Some(common::date("2023-09-25")),
        ..Default::default()
    }
}

const READER_CALLS: [&str; 5] = ["Lookup", "LookupFingerprint", "BatchLookup", "GetFootage", "Stats"];
const CONTRIBUTOR_CALLS: [&str; 4] = ["Ingest", "IngestFingerprint", "IngestFingerprints", "AddReview"];

#[tokio::test]
async fn every_call_answers_every_kind_of_caller_with_the_documented_code() {
    let (work, server) = Server::in_temp_dir(&[]);
    let video = clip(work.path(), "clip.mp4", "testsrc2=s=160x90:d=3:r=10");
    let fingerprint = Fingerprint::of_file(&video, &DecodeLimits::default()).unwrap();
    let mut admin = server.client().await;
    admin
        .ingest_fingerprint(v1::IngestFingerprintRequest {
            sighting: Some(sighting("https://example.org/to-retract", "2021-01-01", "")),
            fingerprint: Some((&fingerprint).into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let to_retract =
        v1::AddReviewRequest { footage_id: 1, review: Some(review("https://factcheck.example/to-retract")) };
    admin.add_review(to_retract).await.unwrap();
    let reader = create_key(&mut admin, "reader", v1::Role::Reader).await;
    let contributor = create_key(&mut admin, "contributor", v1::Role::Contributor).await;
    let revoked = create_key(&mut admin, "revoked", v1::Role::Admin).await;
    create_key(&mut admin, "to-revoke", v1::Role::Reader).await;
    admin.revoke_key(v1::RevokeKeyRequest { name: "revoked".into() }).await.unwrap();
    let unknown = format!("fs_{}", "0".repeat(64));

    let callers: [(&str, Option<&str>); 6] = [
        ("no key", None),
        ("unknown key", Some(&unknown)),
        ("revoked key", Some(&revoked)),
        ("reader", Some(&reader)),
        ("contributor", Some(&contributor)),
        ("admin", None),
    ];
    let admin_key = server.admin_key();
    let mut matrix = Vec::new();
    for (n, (who, key)) in callers.into_iter().enumerate() {
        let key = if who == "admin" { Some(admin_key.as_str()) } else { key };
        let mut client = server.client_with(key).await;
        for (call, got) in every_call(&mut client, &video, &fingerprint, n).await {
            let allowed = match who {
                "reader" => READER_CALLS.contains(&call),
                "contributor" => READER_CALLS.contains(&call) || CONTRIBUTOR_CALLS.contains(&call),
                "admin" => true,
                _ => false,
            };
            let expected = match who {
                "no key" | "unknown key" | "revoked key" => Code::Unauthenticated,
                _ if allowed => Code::Ok,
                _ => Code::PermissionDenied,
            };
            matrix.push(format!("{who:>12} {call:<18} {got:?}"));
            assert_eq!(got, expected, "{who} calling {call}");
        }
    }
    println!("{}", matrix.join("\n"));

    // The refusals say which role the call needs.
    let mut as_reader = server.client_with(Some(&reader)).await;
    let denied = as_reader.export(v1::ExportRequest {}).await.expect_err("a reader cannot export");
    assert!(denied.message().contains("needs the admin role"), "{denied:?}");
    let mut anonymous = server.client_with(None).await;
    let refused = anonymous.stats(v1::StatsRequest {}).await.expect_err("no key");
    assert!(refused.message().contains("reader role"), "{refused:?}");
    // Health and reflection need no key.
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel().await);
    health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await.expect("health needs no key");
}

#[tokio::test]
async fn anonymous_lookups_read_without_a_key_and_still_cannot_write() {
    let (work, server) = Server::in_temp_dir(&["--anonymous-lookups"]);
    let video = clip(work.path(), "clip.mp4", "testsrc2=s=160x90:d=3:r=10");
    let fingerprint = Fingerprint::of_file(&video, &DecodeLimits::default()).unwrap();
    let mut anonymous = server.client_with(None).await;
    let lookup = v1::LookupFingerprintRequest { options: None, fingerprint: Some((&fingerprint).into()) };
    anonymous.lookup_fingerprint(lookup).await.expect("a public lookup desk");
    anonymous.stats(v1::StatsRequest {}).await.expect("stats too");
    let write = v1::IngestFingerprintRequest {
        sighting: Some(sighting("https://example.org/x", "2001-01-01", "")),
        fingerprint: Some((&fingerprint).into()),
        ..Default::default()
    };
    let refused = anonymous.ingest_fingerprint(write).await.expect_err("writes need a key");
    assert_eq!(refused.code(), Code::Unauthenticated);
}

fn earliest(report: &v1::LookupReport) -> (i64, String, String) {
    let earliest = report.earliest.as_ref().expect("a match");
    (common::seconds_of(&earliest.first_seen), earliest.source_url.clone(), earliest.recorded_by.clone())
}

#[tokio::test]
async fn a_poisoned_sighting_is_recorded_with_its_key_and_an_admins_retraction_survives_a_crash() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let server = Server::start(&data, &[]);
    let original = common::fixture("bikes.mp4");
    let fingerprint = Fingerprint::of_file(&original, &DecodeLimits::default()).unwrap();
    let wire: v1::Fingerprint = (&fingerprint).into();
    let item = |url: &str, day: &str| v1::IngestFingerprintRequest {
        sighting: Some(sighting(url, day, "")),
        fingerprint: Some(wire.clone()),
        ..Default::default()
    };
    let lookup = v1::LookupFingerprintRequest {
        options: Some(v1::LookupOptions { claimed_date: Some(common::date("2023-09-20")) }),
        fingerprint: Some(wire.clone()),
    };
    let mut admin = server.client().await;
    admin.ingest_fingerprint(item("https://example.org/original", "2020-11-10")).await.unwrap();
    let true_date = common::date("2020-11-10").seconds;

    // The CLI creates keys; the key is printed once and never listed.
    let created = server.cli(&["keys", "create", "--role", "contributor", "--name", "partner-desk"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let partner_key = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    assert!(partner_key.starts_with("fs_"), "{partner_key}");
    let reader_key = create_key(&mut admin, "newsroom", v1::Role::Reader).await;
    let listed = server.cli(&["keys", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("partner-desk") && listed.contains("contributor") && listed.contains("newsroom"),
        "{listed}"
    );
    assert!(!listed.contains(&partner_key) && !listed.contains("fs_"), "keys are never shown again: {listed}");

    // A reader cannot poison the index.
    let mut reader = server.client_with(Some(&reader_key)).await;
    let denied = reader.ingest_fingerprint(item("https://attacker.example/fake", "2001-01-01")).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(earliest(&reader.lookup_fingerprint(lookup.clone()).await.unwrap().into_inner()).0, true_date);

    // A contributor can, and the false sighting names its key.
    let mut partner = server.client_with(Some(&partner_key)).await;
    partner.ingest_fingerprint(item("https://attacker.example/fake", "2001-01-01")).await.unwrap();
    let poisoned = reader.lookup_fingerprint(lookup.clone()).await.unwrap().into_inner();
    assert_eq!(
        earliest(&poisoned),
        (common::date("2001-01-01").seconds, "https://attacker.example/fake".into(), "partner-desk".into())
    );

    // An admin retracts it: the lookup names the true original again.
    let retracted = server.cli(&[
        "sighting",
        "retract",
        "1",
        "--source-url",
        "https://attacker.example/fake",
        "--first-seen",
        "2001-01-01",
        "--reason",
        "the post is from 2023; the date was forged",
    ]);
    assert!(retracted.status.success(), "{}", String::from_utf8_lossy(&retracted.stderr));
    assert!(String::from_utf8_lossy(&retracted.stdout).contains("RETRACTED by admin"));
    let mended = reader.lookup_fingerprint(lookup.clone()).await.unwrap().into_inner();
    assert_eq!(earliest(&mended), (true_date, "https://example.org/original".into(), "admin".into()));
    assert!(mended.matches[0].sightings.iter().all(|sighting| sighting.retraction.is_none()));
    // Revoking the partner's key stops it at once.
    admin.revoke_key(v1::RevokeKeyRequest { name: "partner-desk".into() }).await.unwrap();
    let stopped = partner.stats(v1::StatsRequest {}).await.unwrap_err();
    assert_eq!(stopped.code(), Code::Unauthenticated, "{stopped:?}");

    // kill -9, restart: the retraction, the revocation and the history are all still there.
    let admin_key = server.admin_key();
    server.crash();
    let server = Server::start(&data, &[]);
    let mut reader = server.client_with(Some(&reader_key)).await;
    let after = reader.lookup_fingerprint(lookup).await.unwrap().into_inner();
    assert_eq!(earliest(&after).0, true_date);
    let footage = reader.get_footage(v1::GetFootageRequest { footage_id: 1 }).await.unwrap().into_inner();
    assert_eq!(common::seconds_of(&footage.first_seen), true_date);
    let forged = footage.sightings.iter().find(|sighting| sighting.source_url.contains("attacker")).expect("kept");
    let retraction = forged.retraction.as_ref().expect("with its retraction");
    assert_eq!((retraction.retracted_by.as_str(), forged.recorded_by.as_str()), ("admin", "partner-desk"));
    assert!(retraction.reason.contains("forged"));
    let mut partner = server.client_with(Some(&partner_key)).await;
    assert_eq!(partner.stats(v1::StatsRequest {}).await.unwrap_err().code(), Code::Unauthenticated);
    assert_eq!(server.admin_key(), admin_key, "a restart keeps the first admin key");
}

#[tokio::test]
async fn each_key_has_its_own_bound_on_uploads_in_progress() {
    let (work, server) = Server::in_temp_dir(&["--max-uploads-per-key", "1", "--upload-idle-timeout-secs", "30"]);
    let video = clip(work.path(), "clip.mp4", "testsrc2=s=160x90:d=2:r=10");
    let mut first = server.client().await;
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    sender.send(v1::LookupRequest::header(v1::LookupOptions::default())).await.unwrap();
    let held = tokio::spawn(async move { first.lookup(tokio_stream::wrappers::ReceiverStream::new(receiver)).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut second = server.client().await;
    let refused = second.lookup(upload::<v1::LookupRequest>(&video, v1::LookupOptions::default())).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(refused.message().contains("1 uploads in progress"), "{refused:?}");
    // Another key is not held back by it.
    let mut admin = server.client().await;
    let other = create_key(&mut admin, "other", v1::Role::Reader).await;
    let mut other = server.client_with(Some(&other)).await;
    other
        .lookup(upload::<v1::LookupRequest>(&video, v1::LookupOptions::default()))
        .await
        .expect("another key's upload");
    drop(sender);
    let _ = held.await;
}

/// A certificate authority and a server certificate for localhost and 127.0.0.1, made now.
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap()).unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server_params = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();
    let write = |name: &str, pem: String| {
        let path = dir.join(name);
        std::fs::write(&path, pem).unwrap();
        path
    };
    (write("ca.pem", ca.pem()), write("server.pem", server_cert.pem()), write("server.key", server_key.serialize_pem()))
}

#[tokio::test]
async fn over_tls_a_client_that_trusts_the_ca_connects_and_one_that_does_not_fails() {
    let work = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(work.path());
    let server = Server::start(
        &work.path().join("data"),
        &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);

    let trusting = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(std::fs::read(&ca).unwrap()));
    let channel =
        Channel::from_shared(server.url.clone()).unwrap().tls_config(trusting).unwrap().connect().await.unwrap();
    let mut client = BearerKey::new(Some(&server.admin_key())).unwrap().client(channel);
    client.stats(v1::StatsRequest {}).await.expect("a client trusting the CA is served");

    let untrusting = ClientTlsConfig::new().with_webpki_roots();
    let connected =
        match Channel::from_shared(server.url.clone()).unwrap().tls_config(untrusting).unwrap().connect().await {
            Err(_) => false,
            Ok(channel) => BearerKey::new(Some(&server.admin_key()))
                .unwrap()
                .client(channel)
                .stats(v1::StatsRequest {})
                .await
                .is_ok(),
        };
    assert!(!connected, "a client that does not trust the CA must not be served");
    let plain = Channel::from_shared(server.url.replace("https://", "http://")).unwrap().connect().await;
    let served_plain = match plain {
        Err(_) => false,
        Ok(channel) => {
            BearerKey::new(Some(&server.admin_key())).unwrap().client(channel).stats(v1::StatsRequest {}).await.is_ok()
        }
    };
    assert!(!served_plain, "no plaintext on a TLS port");

    // The CLI too, with --ca-cert.
    let stats = server.cli(&["stats", "--json", "--ca-cert", ca.to_str().unwrap()]);
    assert!(stats.status.success(), "{}", String::from_utf8_lossy(&stats.stderr));
    let without = server.cli(&["stats", "--json"]);
    assert!(!without.status.success(), "the CLI without the CA refuses the server");
}

#[tokio::test]
async fn a_key_revoked_while_its_stream_is_open_stops_at_the_next_item() {
    let (work, server) = Server::in_temp_dir(&[]);
    let video = clip(work.path(), "clip.mp4", "testsrc2=s=160x90:d=3:r=10");
    let wire: v1::Fingerprint = (&Fingerprint::of_file(&video, &DecodeLimits::default()).unwrap()).into();
    let mut admin = server.client().await;
    let key = create_key(&mut admin, "leaving", v1::Role::Contributor).await;
    let mut leaving = server.client_with(Some(&key)).await;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let item = |n: usize| v1::IngestFingerprintRequest {
        sighting: Some(sighting(&format!("https://example.org/{n}"), "2022-02-02", "")),
        fingerprint: Some(wire.clone()),
        ..Default::default()
    };
    sender.send(item(1)).await.unwrap();
    let stream = tokio::spawn(async move {
        leaving.ingest_fingerprints(tokio_stream::wrappers::ReceiverStream::new(receiver)).await
    });
    // The first item is written once the stream pauses; then the key is revoked.
    let written = std::time::Instant::now();
    while admin.stats(v1::StatsRequest {}).await.unwrap().into_inner().sightings < 1 {
        assert!(written.elapsed() < std::time::Duration::from_secs(20), "the first item was never written");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    admin.revoke_key(v1::RevokeKeyRequest { name: "leaving".into() }).await.unwrap();
    sender.send(item(2)).await.unwrap();
    drop(sender);
    let refused = stream.await.unwrap().expect_err("the stream stops");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    assert!(refused.message().contains("revoked") && refused.message().contains("1 items before it"), "{refused:?}");
    assert_eq!(
        admin.stats(v1::StatsRequest {}).await.unwrap().into_inner().sightings,
        1,
        "nothing after the revocation"
    );
}
