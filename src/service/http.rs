//! The page and the JSON API, on the same port as gRPC.
//!
//! gRPC's paths (`/firstseen.v1.FirstSeen/...`, health, reflection) go to the gRPC services;
//! every other path is here: the verification page (`/`, compiled into the binary), the JSON
//! API under `/api/v1/`, `/healthz` for load balancers that do not speak gRPC health, and
//! `/metrics`. The API answers with the same JSON as `lookup --json` (see `presentation`), with
//! the same keys and roles as gRPC (`Authorization: Bearer <key>`) and the same limits; a
//! refusal is a 4xx with `{"error": "<sentence>"}`, never a 5xx for bad input.

use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, MatchedPath, Multipart, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

use super::access::{ANONYMOUS, Call, Caller};
use super::desk::Desk;
use super::grpc::{ingest_response, recorded_review, recorded_sighting};
use super::upload::UploadFile;
use crate::claimreview;
use crate::engine::IngestItem;
use crate::fingerprint::Fingerprint;
use crate::index::{FootageId, MAX_REVIEWS_A_FOOTAGE};
use crate::media::{Thumbnail, nearest};
use crate::presentation::{self, EvidenceJson, ReportJson};
use crate::proto::{self, MAX_MESSAGE_BYTES, v1};
use crate::time;

const PAGE: &str = include_str!("web/index.html");
const SCRIPT: &str = include_str!("web/app.js");
const STYLE: &str = include_str!("web/style.css");

/// The page may load only itself: no inline script, nothing from elsewhere; images from the API
/// (as blobs) and the lookup's own data URLs.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; \
     script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Moments of a match shown as pictures: near its start, middle and end.
const EVIDENCE_POINTS: [f64; 3] = [0.15, 0.5, 0.85];

/// Form fields other than the video: dates, URLs and titles.
const MAX_FIELD_BYTES: usize = 8192;
/// A ClaimReview JSON-LD body: a fact-check page's holds a few KiB.
const MAX_CLAIMREVIEW_BYTES: usize = 256 * 1024;
/// Fields a form may have besides the video (ingest has four); more are not a form of ours.
const MAX_FIELDS: usize = 8;

pub fn router(desk: Arc<Desk>) -> axum::Router {
    let upload_limit = usize::try_from(desk.max_upload_bytes).unwrap_or(usize::MAX).saturating_add(1 << 20);
    axum::Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", PAGE) }))
        .route("/assets/app.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
        .route("/assets/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE) }))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route("/api/v1/session", get(session))
        .route("/api/v1/lookup", post(lookup).layer(DefaultBodyLimit::max(upload_limit)))
        // A fingerprint of the longest video is about 1 MiB as protobuf, several as JSON.
        .route("/api/v1/lookup-fingerprint", post(lookup_fingerprint).layer(DefaultBodyLimit::max(MAX_MESSAGE_BYTES)))
        .route("/api/v1/ingest", post(ingest).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/api/v1/footage/{id}", get(footage))
        .route("/api/v1/footage/{id}/reviews", post(add_reviews).layer(DefaultBodyLimit::max(MAX_CLAIMREVIEW_BYTES)))
        .route("/api/v1/footage/{id}/frames/{time_ms}", get(frame))
        .route("/api/v1/stats", get(stats))
        .with_state(desk)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// A refusal over HTTP: the gRPC status the desk gave, as the HTTP status that means the same,
/// with its sentence.
pub struct ApiError(Status);

impl From<Status> for ApiError {
    fn from(status: Status) -> Self {
        ApiError(status)
    }
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError(Status::invalid_argument(message))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = match self.0.code() {
            Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => StatusCode::BAD_REQUEST,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::PermissionDenied => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
            Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            Code::DeadlineExceeded => StatusCode::REQUEST_TIMEOUT,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        #[derive(Serialize)]
        struct ErrorJson<'a> {
            error: &'a str,
        }
        (code, Json(ErrorJson { error: self.0.message() })).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn authorize(desk: &Desk, request: &Parts, call: Call) -> Result<Caller, Status> {
    desk.authorize(&MetadataMap::from_headers(request.headers.clone()), call, peer(request))
}

/// The address a request came from, as the server's listener recorded it.
fn peer(request: &Parts) -> Option<std::net::IpAddr> {
    use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
    let tcp = request
        .extensions
        .get::<TcpConnectInfo>()
        .or_else(|| request.extensions.get::<TlsConnectInfo<TcpConnectInfo>>().map(TlsConnectInfo::get_ref));
    tcp.and_then(TcpConnectInfo::remote_addr).map(|address| address.ip())
}

/// Counts every request by gRPC method or HTTP route and outcome, for `/metrics`; and turns
/// tonic's own refusal of a message over its size limit, which it makes before any handler
/// runs, into the INVALID_ARGUMENT the API promises.
pub async fn observe(State(desk): State<Arc<Desk>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let matched = request.extensions().get::<MatchedPath>().map(|matched| matched.as_str().to_owned());
    let mut response = next.run(request).await;
    let grpc = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|kind| kind.as_bytes().starts_with(b"application/grpc"));
    let (route, status) = if grpc {
        // A failed call's status is in the headers; a successful one's comes in the trailers.
        let mut code = response
            .headers()
            .get("grpc-status")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<i32>().ok())
            .map_or(Code::Ok, Code::from_i32);
        if code == Code::OutOfRange {
            let headers = response.headers_mut();
            headers.insert("grpc-status", HeaderValue::from(Code::InvalidArgument as i32));
            headers.insert("grpc-message", HeaderValue::from_static(super::status::OVERSIZED_MESSAGE));
            code = Code::InvalidArgument;
        }
        // An unknown method is named by its caller: counted under one label, so that made-up
        // paths cannot grow the metrics without bound.
        let method = if code == Code::Unimplemented { "unknown" } else { path.rsplit('/').next().unwrap_or_default() };
        (method.to_owned(), format!("{code:?}"))
    } else {
        (matched.unwrap_or_else(|| "unmatched".into()), response.status().as_u16().to_string())
    };
    desk.metrics.requests.with_label_values(&[route.as_str(), status.as_str()]).inc();
    response
}

async fn metrics(State(desk): State<Arc<Desk>>) -> ApiResult<Response> {
    // The index's gauges are read now, so that a scrape shows the index as it is.
    desk.stats().await?;
    let mut response = desk.metrics.render().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    Ok(response)
}

#[derive(Serialize)]
struct SessionJson {
    anonymous_lookups: bool,
    caller: Option<CallerJson>,
}

#[derive(Serialize)]
struct CallerJson {
    name: String,
    role: &'static str,
}

/// Whether the key the page holds is good, and whether it needs one at all.
async fn session(State(desk): State<Arc<Desk>>, request: Parts) -> ApiResult<Json<SessionJson>> {
    let caller = authorize(&desk, &request, Call::Stats).ok().filter(|caller| caller.name != ANONYMOUS);
    Ok(Json(SessionJson {
        anonymous_lookups: desk.keys.allows_anonymous_lookups(),
        caller: caller.map(|caller| CallerJson { name: caller.name, role: caller.role.name() }),
    }))
}

/// A multipart form's video, written to an upload file, and its other fields.
struct Form {
    video: Option<tempfile::NamedTempFile>,
    fields: Vec<(String, String)>,
}

impl Form {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    fn date(&self, name: &str) -> ApiResult<Option<chrono::DateTime<chrono::Utc>>> {
        self.field(name)
            .map(|text| presentation::parse_date(text).map_err(|error| bad_request(format!("{name}: {error}"))))
            .transpose()
    }
}

async fn read_form(desk: &Desk, mut multipart: Multipart) -> ApiResult<Form> {
    let mut form = Form { video: None, fields: Vec::new() };
    loop {
        let next = tokio::time::timeout(desk.upload_idle_timeout, multipart.next_field()).await;
        let Some(mut field) = next.map_err(|_| idle(desk))?.map_err(unreadable)? else { break };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "video" {
            if form.video.is_some() {
                return Err(bad_request("send one video per request"));
            }
            let mut upload = UploadFile::create(&desk.incoming_dir, desk.max_upload_bytes)?;
            while let Some(chunk) = next_chunk(desk, &mut field).await? {
                upload.write(&chunk).await?;
            }
            form.video = Some(upload.finish().await?);
            continue;
        }
        if form.fields.len() == MAX_FIELDS {
            return Err(bad_request(format!("the form has more than {MAX_FIELDS} fields besides the video")));
        }
        let mut value = Vec::new();
        while let Some(chunk) = next_chunk(desk, &mut field).await? {
            value.extend_from_slice(&chunk);
            if value.len() > MAX_FIELD_BYTES {
                return Err(bad_request(format!("the field {name:?} is over {MAX_FIELD_BYTES} bytes")));
            }
        }
        let value =
            String::from_utf8(value).map_err(|_| bad_request(format!("the field {name:?} is not UTF-8 text")))?;
        form.fields.push((name, value));
    }
    Ok(form)
}

/// The next bytes of a form field, or a refusal once the client has sent nothing for the idle
/// timeout.
async fn next_chunk(
    desk: &Desk,
    field: &mut axum::extract::multipart::Field<'_>,
) -> ApiResult<Option<axum::body::Bytes>> {
    let chunk = tokio::time::timeout(desk.upload_idle_timeout, field.chunk()).await;
    chunk.map_err(|_| idle(desk))?.map_err(unreadable)
}

fn unreadable(error: axum::extract::multipart::MultipartError) -> ApiError {
    bad_request(format!("the form cannot be read: {}", error.body_text()))
}

fn idle(desk: &Desk) -> ApiError {
    ApiError(Status::resource_exhausted(format!(
        "the upload sent nothing for {} s, the most this server waits; it was closed",
        desk.upload_idle_timeout.as_secs()
    )))
}

fn no_video() -> ApiError {
    bad_request("the form needs a video file in the field \"video\"")
}

/// `POST /api/v1/lookup`: multipart `video` and optional `claimed_date`; the report with
/// evidence pictures.
async fn lookup(State(desk): State<Arc<Desk>>, request: Parts, multipart: Multipart) -> ApiResult<Json<ReportJson>> {
    let caller = authorize(&desk, &request, Call::Lookup)?;
    let _slots = (desk.keys.lookup_slot(&caller)?, desk.keys.upload_slot(&caller)?);
    let form = read_form(&desk, multipart).await?;
    let claimed = form.date("claimed_date")?;
    let video = form.video.ok_or_else(no_video)?;
    let (fingerprint, thumbnails) = desk.fingerprint_upload(video, true).await?;
    let report = presentation::report_to_wire(&desk.lookup(fingerprint, claimed).await?);
    let mut json = presentation::report_json(&report);
    json.claimed_date = claimed.map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    for found in &mut json.matches {
        found.evidence = evidence(&desk, found, &thumbnails).await?;
    }
    Ok(Json(json))
}

/// Pairs of pictures at a few moments of a match: the looked-up video's thumbnail nearest each
/// moment, and the footage's stored thumbnail nearest the same moment of the footage.
async fn evidence(
    desk: &Desk,
    found: &presentation::MatchJson,
    thumbnails: &[Thumbnail],
) -> ApiResult<Vec<EvidenceJson>> {
    let engine = Arc::clone(&desk.engine);
    let id = FootageId(found.footage_id);
    let stored =
        super::desk::blocking("read thumbnails", move || engine.thumbnail_times(id).map_err(super::status::from_index))
            .await?;
    let (query_span, reference_span) =
        (found.query_end - found.query_start, found.reference_end - found.reference_start);
    let mut pairs: Vec<EvidenceJson> = Vec::new();
    for point in EVIDENCE_POINTS {
        let at_ms = time::millis(found.query_start + point * query_span);
        let Some(query) = nearest(thumbnails, at_ms) else { continue };
        if pairs.iter().any(|pair| time::millis(pair.query_time) == query.time_ms) {
            continue;
        }
        let query_time = time::seconds(query.time_ms);
        let along = if query_span > 0.0 { (query_time - found.query_start) / query_span } else { 0.0 };
        let reference_time = found.reference_start + along.clamp(0.0, 1.0) * reference_span;
        let reference_ms = time::millis(reference_time);
        let reference = stored.iter().min_by_key(|&&time| time.abs_diff(reference_ms));
        pairs.push(EvidenceJson {
            query_time,
            query_image: format!(
                "data:image/jpeg;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(&query.jpeg)
            ),
            reference_time: reference.map_or(reference_time, |&ms| time::seconds(ms)),
            reference_image: reference.map(|time| format!("/api/v1/footage/{}/frames/{time}", found.footage_id)),
        });
    }
    Ok(pairs)
}

#[derive(Deserialize)]
struct FingerprintLookup {
    /// The `firstseen fingerprint --json` of the video.
    fingerprint: serde_json::Value,
    claimed_date: Option<String>,
}

/// `POST /api/v1/lookup-fingerprint`: `{"fingerprint": <firstseen fingerprint --json>,
/// "claimed_date": "2023-09-20"}`; the report.
async fn lookup_fingerprint(
    State(desk): State<Arc<Desk>>,
    request: Parts,
    body: axum::body::Bytes,
) -> ApiResult<Json<ReportJson>> {
    let caller = authorize(&desk, &request, Call::LookupFingerprint)?;
    let _slot = desk.keys.lookup_slot(&caller)?;
    let request: FingerprintLookup = serde_json::from_slice(&body)
        .map_err(|error| bad_request(format!("the body is not a fingerprint lookup: {error}")))?;
    let fingerprint: Fingerprint = presentation::fingerprint_from_json(request.fingerprint).map_err(bad_request)?;
    let claimed = request
        .claimed_date
        .as_deref()
        .map(|text| presentation::parse_date(text).map_err(|error| bad_request(format!("claimed_date: {error}"))))
        .transpose()?;
    let report = presentation::report_to_wire(&desk.lookup(fingerprint, claimed).await?);
    let mut json = presentation::report_json(&report);
    json.claimed_date = claimed.map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    Ok(Json(json))
}

#[derive(Serialize)]
struct IngestReply {
    #[serde(flatten)]
    outcome: presentation::IngestJson,
    summary: String,
}

/// `POST /api/v1/ingest` (contributor): multipart `video`, `first_seen`, `source_url`, and
/// optional `title`, `publisher`.
async fn ingest(State(desk): State<Arc<Desk>>, request: Parts, multipart: Multipart) -> ApiResult<Json<IngestReply>> {
    let caller = authorize(&desk, &request, Call::Ingest)?;
    let _slot = desk.keys.upload_slot(&caller)?;
    let form = read_form(&desk, multipart).await?;
    let first_seen = form
        .date("first_seen")?
        .ok_or_else(|| bad_request("the form needs first_seen: the date the video was first seen at the source"))?;
    let wire = v1::Sighting {
        source_url: form.field("source_url").unwrap_or_default().to_owned(),
        first_seen: Some(proto::date_to_wire(first_seen)),
        title: form.field("title").unwrap_or_default().to_owned(),
        publisher: form.field("publisher").unwrap_or_default().to_owned(),
        archive_url: form.field("archive_url").unwrap_or_default().to_owned(),
        ..Default::default()
    };
    let sighting = recorded_sighting(Some(&wire), &caller)?;
    let video = form.video.ok_or_else(no_video)?;
    let (fingerprint, thumbnails) = desk.fingerprint_upload(video, true).await?;
    let response = ingest_response(
        &desk.ingest(IngestItem { fingerprint, sighting, thumbnails, reviews: Vec::new() }, &caller).await?,
    );
    Ok(Json(IngestReply {
        outcome: presentation::ingest_json(&response),
        summary: presentation::ingest_summary(&response),
    }))
}

fn footage_id(text: &str) -> ApiResult<FootageId> {
    text.parse().map(FootageId).map_err(|_| bad_request(format!("{text:?} is not a footage id")))
}

async fn footage(
    State(desk): State<Arc<Desk>>,
    request: Parts,
    Path(id): Path<String>,
) -> ApiResult<Json<presentation::FootageJson>> {
    authorize(&desk, &request, Call::GetFootage)?;
    let details = desk.footage(footage_id(&id)?).await?;
    Ok(Json(presentation::footage_json(&(&details).into())))
}

#[derive(Serialize)]
struct ReviewsAdded {
    /// Reviews the footage did not have before; the others were already on record.
    new_reviews: usize,
    footage: presentation::FootageJson,
}

/// `POST /api/v1/footage/{id}/reviews` (contributor): a ClaimReview JSON-LD document, as a
/// fact-check page publishes it (one object, an array, or an `@graph`); every ClaimReview in it
/// is attached to the footage.
async fn add_reviews(
    State(desk): State<Arc<Desk>>,
    request: Parts,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ReviewsAdded>> {
    let caller = authorize(&desk, &request, Call::AddReview)?;
    let id = footage_id(&id)?;
    let text = std::str::from_utf8(&body).map_err(|_| bad_request("the body is not UTF-8 text"))?;
    let reviews = claimreview::read(text).map_err(|error| bad_request(error.to_string()))?;
    if reviews.len() > MAX_REVIEWS_A_FOOTAGE {
        return Err(bad_request(format!(
            "the body holds {} ClaimReviews; at most {MAX_REVIEWS_A_FOOTAGE} are accepted at once",
            reviews.len()
        )));
    }
    // Every review is checked before any is recorded, so that a bad one leaves the footage as it was.
    let reviews = reviews.iter().map(|wire| recorded_review(wire, &caller)).collect::<Result<Vec<_>, _>>()?;
    let (new_reviews, details) = desk.add_reviews(id, reviews, &caller).await?;
    Ok(Json(ReviewsAdded { new_reviews, footage: presentation::footage_json(&(&details).into()) }))
}

/// `GET /api/v1/footage/{id}/frames/{time_ms}`: a stored thumbnail, as a JPEG.
async fn frame(
    State(desk): State<Arc<Desk>>,
    request: Parts,
    Path((id, time_ms)): Path<(String, String)>,
) -> ApiResult<Response> {
    authorize(&desk, &request, Call::GetFootage)?;
    let id = footage_id(&id)?;
    let time_ms: u32 =
        time_ms.parse().map_err(|_| bad_request(format!("{time_ms:?} is not a time in milliseconds")))?;
    let engine = Arc::clone(&desk.engine);
    let jpeg = super::desk::blocking("read a thumbnail", move || {
        engine.thumbnail(id, time_ms).map_err(super::status::from_index)
    })
    .await?;
    let jpeg =
        jpeg.ok_or_else(|| ApiError(Status::not_found(format!("footage {} has no picture at {time_ms} ms", id.0))))?;
    let mut response = jpeg.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400"));
    Ok(response)
}

async fn stats(State(desk): State<Arc<Desk>>, request: Parts) -> ApiResult<Json<presentation::StatsJson>> {
    authorize(&desk, &request, Call::Stats)?;
    Ok(Json(presentation::stats_json(&(&desk.stats().await?).into())))
}
