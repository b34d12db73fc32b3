//! The standard gRPC services beside the API: health for load balancers, reflection for
//! `grpcurl` and other tools that have no .proto file. Concurrent clients; and the server run
//! in the test's own process, stopped gracefully.

mod common;

use common::{Server, fixture, ingest, sighting};
use firstseen::proto::v1;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

#[tokio::test]
async fn health_and_reflection_describe_the_service() {
    let (_work, server) = Server::in_temp_dir(&[]);

    let channel = tonic::transport::Channel::from_shared(server.url.clone()).unwrap().connect().await.unwrap();
    let mut health = HealthClient::new(channel.clone());
    let request = HealthCheckRequest { service: "firstseen.v1.FirstSeen".into() };
    let status = health.check(request).await.unwrap().into_inner().status();
    assert_eq!(status, ServingStatus::Serving);

    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.message().await.unwrap().unwrap().message_response
    else {
        panic!("reflection did not list the services");
    };
    let names: Vec<String> = list.service.into_iter().map(|service| service.name).collect();
    assert!(names.contains(&"firstseen.v1.FirstSeen".to_owned()), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health".to_owned()), "{names:?}");
}

/// Two clients uploading the same footage at the same moment must not create it twice.
#[tokio::test]
async fn concurrent_ingests_of_the_same_footage_create_it_once() {
    let (_work, server) = Server::in_temp_dir(&[]);
    let (mut first, mut second) = (server.client().await, server.client().await);
    let bikes = fixture("bikes.mp4");
    let (a, b) = tokio::join!(
        ingest(&mut first, &bikes, sighting("https://example.org/a", "2021-01-01", "")),
        ingest(&mut second, &bikes, sighting("https://example.org/b", "2020-01-01", "")),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.footage_id, b.footage_id);
    assert!(a.new_footage != b.new_footage, "exactly one of them created the footage");
    let stats = first.stats(v1::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!((stats.footage, stats.sightings), (1, 2));
    let footage = first.get_footage(v1::GetFootageRequest { footage_id: a.footage_id }).await.unwrap().into_inner();
    assert_eq!(footage.first_seen, Some(common::date("2020-01-01")));
}

#[tokio::test]
async fn the_server_runs_in_process_and_a_graceful_stop_keeps_what_it_acknowledged() {
    let work = tempfile::tempdir().unwrap();
    let data_dir = work.path().join("data");
    let server = common::InProcessServer::start(&data_dir).await;
    let mut client = server.client().await;
    let original = sighting("https://example.org/original", "2020-11-10", "Baku, 10 November");
    let ingested = ingest(&mut client, &fixture("bikes.mp4"), original).await.unwrap();
    assert!(ingested.new_footage);
    drop(client);
    server.stop().await.expect("a clean stop");

    // The binary, on the same directory, finds it: the index was closed, not abandoned.
    let again = Server::start(&data_dir, &[]);
    let report = common::lookup(&mut again.client().await, &fixture("bikes.mp4"), None).await.unwrap();
    assert_eq!(report.earliest.expect("the footage is there").source_url, "https://example.org/original");
}
