//! A full disk, made real: the server's data directory on a small tmpfs, filled to the last
//! byte. Writes are refused with RESOURCE_EXHAUSTED and a sentence, never INTERNAL; lookups go
//! on; nothing acknowledged is lost. Needs root to mount the tmpfs, as CI has.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Server, fixture, sighting};
use firstseen::fingerprint::{Fingerprint, Keyframe, PerceptualHash, RegionHashes, ViewHashes};
use firstseen::media::DecodeLimits;
use firstseen::proto::v1;
use tonic::Code;

/// A tmpfs mounted for the test's lifetime.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, mib: u32) -> SmallDisk {
        std::fs::create_dir_all(path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(path)
            .status()
            .expect("run mount");
        assert!(status.success(), "mounting a tmpfs needs root (CI and `make test` run as root)");
        SmallDisk { path: path.to_owned() }
    }

    /// Writes zeros until the disk refuses more.
    fn fill(&self) {
        let mut filler = std::fs::File::create(self.path.join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while filler.write_all(&block).and_then(|()| filler.sync_data()).is_ok() {}
        let _ = filler.write_all(&block[..1]);
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Footage of `keyframes` made-up keyframes, distinct for each `seed`: large writes, cheap to
/// make, new to the index.
fn made_up(seed: u64, count: u32) -> v1::Fingerprint {
    let mut rng = fastrand::Rng::with_seed(seed);
    let keyframes = (0..count)
        .map(|n| {
            let mut regions = || RegionHashes {
                whole: PerceptualHash(rng.u64(..)),
                centre: PerceptualHash(rng.u64(..)),
                band: PerceptualHash(rng.u64(..)),
            };
            let hashes = ViewHashes {
                upright: regions(),
                mirrored: regions(),
                windows: Vec::new(),
                turned: None,
                tilted: None,
                middle: None,
                core: None,
                filled: Vec::new(),
            };
            Keyframe { time_ms: n * 500, hashes, informative: true, picture: None }
        })
        .collect();
    (&Fingerprint { duration_ms: count * 500, keyframes }).into()
}

#[tokio::test]
async fn a_full_disk_refuses_writes_with_resource_exhausted_and_lookups_go_on() {
    let work = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&work.path().join("disk"), 48);
    let mut server = Server::start(&disk.path.join("data"), &[]);
    let mut client = server.client().await;
    let bikes = Fingerprint::of_file(&fixture("bikes.mp4"), &DecodeLimits::default()).unwrap();
    let ingest = |fingerprint: v1::Fingerprint, url: String| v1::IngestFingerprintRequest {
        sighting: Some(sighting(&url, "2020-11-10", "")),
        fingerprint: Some(fingerprint),
        ..Default::default()
    };
    client.ingest_fingerprint(ingest((&bikes).into(), "https://example.org/original".into())).await.unwrap();

    disk.fill();
    let mut acknowledged = 1;
    let mut refusal = None;
    for seed in 0..400 {
        match client.ingest_fingerprint(ingest(made_up(seed, 4000), format!("https://example.org/{seed}"))).await {
            Ok(_) => acknowledged += 1,
            Err(status) => {
                refusal = Some(status);
                break;
            }
        }
    }
    let refusal = refusal.expect("the disk filled up");
    assert_eq!(refusal.code(), Code::ResourceExhausted, "{refusal:?}");
    assert!(refusal.message().contains("disk is full"), "{refusal:?}");

    // An upload needs the disk too, and says so; a fingerprint lookup does not.
    let upload = common::lookup(&mut client, &fixture("bikes.mp4"), None).await.expect_err("no room for the upload");
    assert_eq!(upload.code(), Code::ResourceExhausted, "{upload:?}");
    let lookup = v1::LookupFingerprintRequest { options: None, fingerprint: Some((&bikes).into()) };
    let report = client.lookup_fingerprint(lookup).await.expect("lookups go on").into_inner();
    assert_eq!(report.earliest.unwrap().source_url, "https://example.org/original");
    let stats = client.stats(v1::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!(stats.footage, acknowledged, "every acknowledged ingest is there");
    assert!(server.is_running());
}
