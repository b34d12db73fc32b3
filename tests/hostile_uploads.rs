//! Uploads and connections made as an attacker would: none of them makes the server read its
//! own disk, hold memory beyond its budget, keep resources forever, drop other calls, or answer
//! INTERNAL for the client's fault.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Client, Server, ffmpeg, fixture, ingest, lookup, mjpeg_declaring, sighting};
use firstseen::fingerprint::Fingerprint;
use firstseen::media::DecodeLimits;
use firstseen::proto::v1;
use prost::Message;
use tokio::io::AsyncReadExt;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// An HLS playlist and an FFmpeg concat list, each naming `target` on the server's disk.
fn lists_naming(dir: &Path, target: &Path, tag: &str) -> Vec<(String, PathBuf)> {
    let target = target.display();
    let playlist = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nfile://{target}\n#EXT-X-ENDLIST\n"
    );
    let plain = format!("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n{target}\n#EXT-X-ENDLIST\n");
    let concat = format!("ffconcat version 1.0\nfile '{target}'\n");
    [("hls with file://", playlist), ("hls with a path", plain), ("concat list", concat)]
        .into_iter()
        .map(|(what, text)| {
            let path = dir.join(format!("{tag}-{}.txt", what.replace(' ', "-").replace(['/', ':'], "")));
            std::fs::write(&path, text).unwrap();
            (format!("{what} ({tag})"), path)
        })
        .collect()
}

#[tokio::test]
async fn a_playlist_or_concat_list_naming_a_local_file_is_refused_alike_whether_the_file_exists_or_not() {
    let (work, mut server) = Server::in_temp_dir(&[]);
    let dir = work.path();
    // A private file on the server's disk, in a container the server would read.
    let private =
        ffmpeg(&["-i", fixture("bikes.mp4").to_str().unwrap(), "-c", "copy", "-f", "mpegts"], &dir.join("private.ts"));
    let mut cases = lists_naming(dir, &private, "existing");
    cases.extend(lists_naming(dir, &dir.join("no-such-file.ts"), "missing"));

    let mut client = server.client().await;
    let mut messages = Vec::new();
    for (what, path) in &cases {
        let refused = ingest(&mut client, path, sighting("https://attacker.example/x", "2001-01-01", "")).await;
        let refused = refused.expect_err(what);
        assert_eq!(refused.code(), Code::InvalidArgument, "{what}: {refused:?}");
        messages.push(refused.message().to_owned());
        let refused = lookup(&mut client, path, None).await.expect_err(what);
        assert_eq!(refused.code(), Code::InvalidArgument, "{what}: {refused:?}");
        messages.push(refused.message().to_owned());
        // The CLI fingerprints locally with the same decoder: a list someone sent is refused too.
        let local = Fingerprint::of_file(path, &DecodeLimits::default()).expect_err(what);
        assert!(local.to_string().contains("not a video"), "{what}: {local}");
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "one message whatever exists on the server's disk: {messages:#?}");
    assert!(messages[0].contains("not a video"), "{}", messages[0]);

    let stats = client.stats(v1::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!(stats.footage, 0, "nothing was stored");
    assert!(server.is_running());
}

#[tokio::test]
async fn a_huge_declared_frame_size_is_refused_before_its_memory_is_taken() {
    let (work, mut server) = Server::in_temp_dir(&["--decode-memory-mib", "64"]);
    let dir = work.path();
    let mut client = server.client().await;

    // The header declares 8000×8000: the decode alone would need more than the whole budget.
    let declared = mjpeg_declaring(dir, 8000, true);
    assert!(std::fs::metadata(&declared).unwrap().len() < 64 * 1024, "a small file");
    let refused = lookup(&mut client, &declared, None).await.expect_err("over the budget");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("MiB of memory") && refused.message().contains("64 MiB"), "{refused:?}");

    // The header says 64×64 and the frames 8000×8000: the decoder refuses frames larger than the
    // size the decode was admitted with instead of allocating them.
    let hidden = mjpeg_declaring(dir, 8000, false);
    let refused = lookup(&mut client, &hidden, None).await.expect_err("frames over the admitted size");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");

    // And an ordinary video still decodes within the same budget.
    let report = lookup(&mut client, &fixture("bikes.mp4"), None).await.unwrap();
    assert!(report.query_keyframes > 0);
    assert!(server.is_running());
}

#[tokio::test]
async fn an_idle_upload_is_closed_after_the_timeout_and_its_file_removed() {
    let (_work, mut server) = Server::in_temp_dir(&["--upload-idle-timeout-secs", "1"]);
    let mut client = server.client().await;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    sender
        .send(v1::IngestRequest {
            part: Some(v1::ingest_request::Part::Sighting(sighting("https://x", "2020-01-01", ""))),
        })
        .await
        .unwrap();
    sender.send(v1::IngestRequest { part: Some(v1::ingest_request::Part::Chunk(vec![0; 1024])) }).await.unwrap();
    let incoming = server.data_dir.join("incoming");
    let call = tokio::spawn(async move { client.ingest(tokio_stream::wrappers::ReceiverStream::new(receiver)).await });
    // The upload's file exists while the stream is open...
    let mut saw_file = false;
    for _ in 0..50 {
        if std::fs::read_dir(&incoming).unwrap().count() > 0 {
            saw_file = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(saw_file, "the upload was being received into incoming/");
    let refused = tokio::time::timeout(Duration::from_secs(20), call).await.expect("closed by the server").unwrap();
    drop(sender); // held open, silent, until the server gave up on it
    let refused = refused.expect_err("an idle upload is refused");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(refused.message().contains("sent nothing for 1 s"), "{refused:?}");
    assert_eq!(std::fs::read_dir(&incoming).unwrap().count(), 0, "...and is gone once it was closed");
    let mut client = server.client().await;
    client.stats(v1::StatsRequest {}).await.expect("the server keeps answering");
    assert!(server.is_running());
}

#[tokio::test]
async fn a_connection_that_never_sends_a_request_is_closed() {
    let (_work, server) = Server::in_temp_dir(&["--connection-idle-timeout-secs", "2"]);
    let address = server.address();
    let mut silent = tokio::net::TcpStream::connect(&address).await.unwrap();
    let mut buffer = [0u8; 1024];
    // The server's own preface may come first; then the connection must end.
    let closed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match silent.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a silent connection was still open after 20 s");
    // A real client on its own connection is kept through the same quiet time: it answers pings.
    let mut client = server.client().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    client.stats(v1::StatsRequest {}).await.expect("an idle but live connection stays open");
}

#[tokio::test]
async fn an_upload_refused_before_its_body_is_read_gets_its_refusal_not_a_reset() {
    use std::io::{Read, Write};
    let (_work, server) = Server::in_temp_dir(&[]);
    let address = server.address();
    // Large enough that most of it is still on its way when the refusal is sent: the server used
    // to close with it unread, and the client's next write failed.
    const BODY_BYTES: usize = 64 << 20;
    let (send_failure, refusal) = tokio::task::spawn_blocking(move || {
        let mut connection = std::net::TcpStream::connect(address).unwrap();
        let head = format!(
            "POST /api/v1/ingest HTTP/1.1\r\nhost: firstseen\r\n\
             content-type: multipart/form-data; boundary=x\r\ncontent-length: {BODY_BYTES}\r\n\r\n"
        );
        // Sent whole before the answer is read, as a client busy uploading does. curl gives up
        // at the first failed write ("Send failure: Broken pipe") and never reads the answer.
        let mut request = head.into_bytes();
        request.resize(request.len() + BODY_BYTES, b'x');
        let sent = connection.write_all(&request);
        let mut answer = Vec::new();
        let _ = connection.read_to_end(&mut answer);
        (sent.err().map(|error| error.to_string()), String::from_utf8_lossy(&answer).into_owned())
    })
    .await
    .unwrap();
    assert_eq!(send_failure, None, "the server hung up on the upload before it was sent");
    assert!(refusal.starts_with("HTTP/1.1 401"), "the client read {refusal:?}");
    assert!(refusal.contains("key"), "{refusal}");
}

/// Sends raw bytes as a request message, so that tests can send what no generated client would.
#[derive(Default)]
struct RawBytes;

struct RawEncoder;
struct StatsDecoder;

impl Codec for RawBytes {
    type Encode = Vec<u8>;
    type Decode = v1::StatsResponse;
    type Encoder = RawEncoder;
    type Decoder = StatsDecoder;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> StatsDecoder {
        StatsDecoder
    }
}

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, buffer: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        prost::bytes::BufMut::put_slice(buffer, &item);
        Ok(())
    }
}

impl Decoder for StatsDecoder {
    type Item = v1::StatsResponse;
    type Error = tonic::Status;

    fn decode(&mut self, buffer: &mut DecodeBuf<'_>) -> Result<Option<v1::StatsResponse>, tonic::Status> {
        v1::StatsResponse::decode(buffer).map(Some).map_err(|error| tonic::Status::internal(error.to_string()))
    }
}

async fn send_raw(server: &Server, method: &str, bytes: Vec<u8>) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(server.channel().await).max_encoding_message_size(64 << 20);
    grpc.ready().await.unwrap();
    let mut request = tonic::Request::new(bytes);
    request.metadata_mut().insert("authorization", format!("Bearer {}", server.admin_key()).parse().unwrap());
    let path = format!("/firstseen.v1.FirstSeen/{method}").parse().unwrap();
    grpc.unary(request, path, RawBytes).await.expect_err("refused")
}

#[tokio::test]
async fn malformed_and_oversized_messages_are_invalid_argument_with_the_limit_stated() {
    let (_work, mut server) = Server::in_temp_dir(&[]);
    let garbage = send_raw(&server, "LookupFingerprint", vec![0xff; 64]).await;
    assert_eq!(garbage.code(), Code::InvalidArgument, "{garbage:?}");
    assert!(garbage.message().contains("not a valid"), "{garbage:?}");

    // 20 MiB of a valid message's bytes: a fingerprint field holding junk keyframes.
    let mut oversized = v1::LookupFingerprintRequest::default().encode_to_vec();
    let junk = vec![0u8; 20 << 20];
    prost::encoding::bytes::encode(15, &junk, &mut oversized);
    let refused = send_raw(&server, "LookupFingerprint", oversized).await;
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("16 MiB"), "{refused:?}");
    assert!(server.is_running());
}

#[tokio::test]
async fn an_upload_in_tiny_chunks_succeeds_and_leaves_other_calls_on_the_connection_alone() {
    let (work, server) = Server::in_temp_dir(&[]);
    let small = ffmpeg(
        &["-f", "lavfi", "-i", "testsrc2=s=96x64:d=3:r=10", "-c:v", "libx264", "-preset", "veryfast", "-crf", "35"],
        &work.path().join("small.mp4"),
    );
    let bytes = std::fs::read(&small).unwrap();
    let header = v1::LookupRequest { part: Some(v1::lookup_request::Part::Options(v1::LookupOptions::default())) };
    let chunks =
        bytes.chunks(3).map(|chunk| v1::LookupRequest { part: Some(v1::lookup_request::Part::Chunk(chunk.to_vec())) });
    let messages: Vec<v1::LookupRequest> = std::iter::once(header).chain(chunks).collect();

    // One client, one connection: the upload and the calls beside it share it.
    let client: Client = server.client().await;
    let mut uploader = client.clone();
    let upload = tokio::spawn(async move { uploader.lookup(tokio_stream::iter(messages)).await });
    let mut beside = client.clone();
    let mut answered = 0;
    while !upload.is_finished() {
        beside.stats(v1::StatsRequest {}).await.expect("a call beside the upload");
        answered += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let report = upload.await.unwrap().expect("the tiny-chunk upload succeeds").into_inner();
    assert!(report.query_keyframes > 0, "the video was decoded: {report:?}");
    assert!(answered > 0);
    beside.stats(v1::StatsRequest {}).await.expect("the connection is still open");
}
