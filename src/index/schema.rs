//! The on-disk layout: column families, key layouts and value encodings.
//!
//! Every key and every value starts with a format version byte, so a later layout can live beside
//! this one and be migrated lazily; the `meta` column family records the schema version of the
//! whole store, checked at open. Keys are laid out by hand (big-endian, fixed width) because
//! their byte order *is* the query plan: all sightings of a footage sort together, earliest
//! first. Values are serde structs in postcard behind the version byte, except keyframes, packed
//! at 69 bytes each (61 in stores written before schema 8, 53 before schema 7).
//!
//! | column family | key | value |
//! |---|---|---|
//! | `meta` | `"schema"` / `"counters"` | schema version / [`Counters`] |
//! | `footage` | v, footage id | duration, keyframe count, first-seen |
//! | `sightings` | v, footage id, first-seen (sortable), source URL | the sighting |
//! | `reviews` | v, footage id, article URL | the fact-check and its provenance |
//! | `keyframes` | v, footage id | all keyframes of the footage |
//! | `keys` | v, key name | the key's role, digest, dates (never the key itself) |
//! | `thumbnails` | v, footage id, time (ms) | a small JPEG of the footage at that time |
//! | `links` | v, footage id, linked footage id | the two stretches that show the same pictures, and the speed |
//!
//! There is no on-disk search structure: the radius search reads a table rebuilt in memory from
//! `keyframes` at open (see `hamming_table`), which keeps the store at 69 bytes a keyframe.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::records::{FootageId, FootageRecord, KeyRecord, Link, NumericRating, Retraction, Review, Role, Sighting};
use crate::fingerprint::{Keyframe, PerceptualHash, RegionHashes, ViewHashes};
use crate::time::Segment;

/// Version of the store as a whole; bumped with any layout change below.
///
/// 2: keyframes carry six view hashes; postings are filed per indexed view.
/// 3: no postings column family; the search table lives in memory.
/// 4: sightings say who recorded them and whether they were retracted (a v2 value; v1 values
///    still read, as recorded by nobody and standing); API keys in their own column family.
///    A version 3 store opens as it is and is marked 4.
/// 5: reviews in their own column family, counted in the counters (a v2 value); sightings may
///    carry an archive URL (a v3 value). Older values still read; a version 3 or 4 store opens
///    as it is and is marked 5.
/// 6: links between footage in their own column family, each kept under both footage. A
///    version 3, 4 or 5 store opens as it is (it has no links) and is marked 6.
/// 7: keyframes carry the middle strip's hash too (a v2 value). v1 keyframe lists still read,
///    without it, so a version 3 to 6 store opens as it is and is marked 7. Its footage is not
///    met by fill crops: ingesting a known video again only adds a sighting, so the strip comes
///    only with fingerprints of the videos made anew into a new store.
/// 8: keyframes carry the core's hash too (a v3 value). v1 and v2 keyframe lists still read,
///    without it, so a version 3 to 7 store opens as it is and is marked 8; its footage is not
///    met by off-centre crops, for the reason above.
pub const SCHEMA_VERSION: u32 = 8;
/// Stores of these versions read as [`SCHEMA_VERSION`] without rewriting anything.
pub const READABLE_SCHEMA_VERSIONS: [u32; 6] = [3, 4, 5, 6, 7, SCHEMA_VERSION];
const KEY_V1: u8 = 1;
const VALUE_V1: u8 = 1;
const VALUE_V2: u8 = 2;
const VALUE_V3: u8 = 3;

pub const CF_META: &str = "meta";
pub const CF_FOOTAGE: &str = "footage";
pub const CF_SIGHTINGS: &str = "sightings";
pub const CF_KEYFRAMES: &str = "keyframes";
pub const CF_KEYS: &str = "keys";
pub const CF_THUMBNAILS: &str = "thumbnails";
pub const CF_REVIEWS: &str = "reviews";
pub const CF_LINKS: &str = "links";
pub const COLUMN_FAMILIES: [&str; 8] =
    [CF_META, CF_FOOTAGE, CF_SIGHTINGS, CF_KEYFRAMES, CF_KEYS, CF_THUMBNAILS, CF_REVIEWS, CF_LINKS];

pub const META_SCHEMA: &[u8] = b"schema";
pub const META_COUNTERS: &[u8] = b"counters";

/// A stored entry that does not decode: written by something else, or damaged.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Undecodable(String);

/// Running totals, kept in the same write batches as the data they count.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Counters {
    pub next_footage_id: u64,
    pub footage: u64,
    pub sightings: u64,
    pub keyframes: u64,
    pub indexed_keyframes: u64,
    pub reviews: u64,
}

/// The counters as schema 4 wrote them (value version 1): before reviews.
#[derive(Serialize, Deserialize)]
struct CountersV1 {
    next_footage_id: u64,
    footage: u64,
    sightings: u64,
    keyframes: u64,
    indexed_keyframes: u64,
}

pub fn encode_counters(counters: &Counters) -> Vec<u8> {
    encode_versioned(VALUE_V2, counters)
}

pub fn decode_counters(bytes: &[u8]) -> Result<Counters, Undecodable> {
    if let Some((&VALUE_V2, body)) = bytes.split_first() {
        return decode_body(body);
    }
    let old: CountersV1 = decode_value(bytes)?;
    Ok(Counters {
        next_footage_id: old.next_footage_id,
        footage: old.footage,
        sightings: old.sightings,
        keyframes: old.keyframes,
        indexed_keyframes: old.indexed_keyframes,
        reviews: 0,
    })
}

pub fn encode_value<T: Serialize>(value: &T) -> Vec<u8> {
    encode_versioned(VALUE_V1, value)
}

fn encode_versioned<T: Serialize>(version: u8, value: &T) -> Vec<u8> {
    let mut bytes = vec![version];
    bytes.extend(postcard::to_stdvec(value).expect("serialising to memory cannot fail"));
    bytes
}

pub fn decode_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Undecodable> {
    match bytes.split_first() {
        Some((&VALUE_V1, body)) => decode_body(body),
        Some((version, _)) => Err(Undecodable(format!("unknown value version {version}"))),
        None => Err(Undecodable("empty value".into())),
    }
}

fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, Undecodable> {
    postcard::from_bytes(body).map_err(|error| Undecodable(error.to_string()))
}

/// Key of an entry that exists once per footage (`footage` and `keyframes` column families).
pub fn footage_key(id: FootageId) -> [u8; 9] {
    let mut key = [0; 9];
    key[0] = KEY_V1;
    key[1..].copy_from_slice(&id.0.to_be_bytes());
    key
}

pub fn decode_footage_key(key: &[u8]) -> Result<FootageId, Undecodable> {
    match key {
        [KEY_V1, id @ ..] if id.len() == 8 => Ok(FootageId(u64::from_be_bytes(id.try_into().expect("8 bytes")))),
        _ => Err(Undecodable("malformed footage key".into())),
    }
}

#[derive(Serialize, Deserialize)]
struct StoredFootage {
    duration_ms: u32,
    keyframes: u32,
    first_seen_us: i64,
}

pub fn encode_footage(record: &FootageRecord) -> Vec<u8> {
    encode_value(&StoredFootage {
        duration_ms: record.duration_ms,
        keyframes: record.keyframes,
        first_seen_us: record.first_seen.timestamp_micros(),
    })
}

pub fn decode_footage(id: FootageId, bytes: &[u8]) -> Result<FootageRecord, Undecodable> {
    let stored: StoredFootage = decode_value(bytes)?;
    Ok(FootageRecord {
        id,
        duration_ms: stored.duration_ms,
        keyframes: stored.keyframes,
        first_seen: from_micros(stored.first_seen_us)?,
    })
}

/// Sightings of one footage sort by first-seen, so the first one under the prefix is the
/// earliest. The source URL closes the key: the same URL on the same date is the same sighting.
pub fn sighting_key(id: FootageId, sighting: &Sighting) -> Vec<u8> {
    sighting_key_of(id, sighting.first_seen, &sighting.source_url)
}

/// A sighting as schema 3 wrote it (value version 1).
#[derive(Serialize, Deserialize)]
struct StoredSightingV1 {
    source_url: String,
    first_seen_us: i64,
    title: String,
    publisher: String,
    ingested_at_us: i64,
}

/// Value version 2: who recorded it, who imported it, and its retraction.
#[derive(Serialize, Deserialize)]
struct StoredSightingV2 {
    source_url: String,
    first_seen_us: i64,
    title: String,
    publisher: String,
    ingested_at_us: i64,
    recorded_by: String,
    imported_by: String,
    retraction: Option<StoredRetraction>,
}

/// Value version 3: version 2's fields, then the archive URL. Postcard writes a struct as its
/// fields in order, so a version 2 body is a version 3 body's prefix.
#[derive(Serialize, Deserialize)]
struct StoredSighting {
    base: StoredSightingV2,
    archive_url: String,
}

#[derive(Serialize, Deserialize)]
struct StoredRetraction {
    retracted_by: String,
    retracted_at_us: i64,
    reason: String,
}

fn store_retraction(retraction: &Option<Retraction>) -> Option<StoredRetraction> {
    retraction.as_ref().map(|retraction| StoredRetraction {
        retracted_by: retraction.retracted_by.clone(),
        retracted_at_us: retraction.retracted_at.timestamp_micros(),
        reason: retraction.reason.clone(),
    })
}

fn read_retraction(stored: Option<StoredRetraction>) -> Result<Option<Retraction>, Undecodable> {
    stored
        .map(|retraction| {
            Ok(Retraction {
                retracted_by: retraction.retracted_by,
                retracted_at: from_micros(retraction.retracted_at_us)?,
                reason: retraction.reason,
            })
        })
        .transpose()
}

pub fn encode_sighting(sighting: &Sighting) -> Vec<u8> {
    encode_versioned(
        VALUE_V3,
        &StoredSighting {
            base: StoredSightingV2 {
                source_url: sighting.source_url.clone(),
                first_seen_us: sighting.first_seen.timestamp_micros(),
                title: sighting.title.clone(),
                publisher: sighting.publisher.clone(),
                ingested_at_us: sighting.ingested_at.timestamp_micros(),
                recorded_by: sighting.recorded_by.clone(),
                imported_by: sighting.imported_by.clone(),
                retraction: store_retraction(&sighting.retraction),
            },
            archive_url: sighting.archive_url.clone(),
        },
    )
}

pub fn decode_sighting(bytes: &[u8]) -> Result<Sighting, Undecodable> {
    let StoredSighting { base: stored, archive_url } = match bytes.split_first() {
        Some((&VALUE_V3, body)) => decode_body(body)?,
        Some((&VALUE_V2, body)) => StoredSighting { base: decode_body(body)?, archive_url: String::new() },
        _ => {
            let old: StoredSightingV1 = decode_value(bytes)?;
            let base = StoredSightingV2 {
                source_url: old.source_url,
                first_seen_us: old.first_seen_us,
                title: old.title,
                publisher: old.publisher,
                ingested_at_us: old.ingested_at_us,
                recorded_by: String::new(),
                imported_by: String::new(),
                retraction: None,
            };
            StoredSighting { base, archive_url: String::new() }
        }
    };
    Ok(Sighting {
        source_url: stored.source_url,
        first_seen: from_micros(stored.first_seen_us)?,
        title: stored.title,
        publisher: stored.publisher,
        ingested_at: from_micros(stored.ingested_at_us)?,
        recorded_by: stored.recorded_by,
        imported_by: stored.imported_by,
        retraction: read_retraction(stored.retraction)?,
        archive_url,
    })
}

/// A review's key: its article URL under its footage. Reading them all is one prefix scan.
pub fn review_key(id: FootageId, url: &str) -> Vec<u8> {
    let mut key = footage_key(id).to_vec();
    key.extend_from_slice(url.as_bytes());
    key
}

#[derive(Serialize, Deserialize)]
struct StoredReview {
    claim: String,
    claimant: String,
    claim_url: String,
    claim_date_us: Option<i64>,
    language: String,
    reviewer: String,
    reviewer_url: String,
    rating: String,
    /// Value, worst, best.
    numeric_rating: Option<(f64, f64, f64)>,
    url: String,
    published_us: i64,
    recorded_by: String,
    recorded_at_us: i64,
    imported_by: String,
    retraction: Option<StoredRetraction>,
}

pub fn encode_review(review: &Review) -> Vec<u8> {
    encode_value(&StoredReview {
        claim: review.claim.clone(),
        claimant: review.claimant.clone(),
        claim_url: review.claim_url.clone(),
        claim_date_us: review.claim_date.map(|date| date.timestamp_micros()),
        language: review.language.clone(),
        reviewer: review.reviewer.clone(),
        reviewer_url: review.reviewer_url.clone(),
        rating: review.rating.clone(),
        numeric_rating: review.numeric_rating.map(|rating| (rating.value, rating.worst, rating.best)),
        url: review.url.clone(),
        published_us: review.published.timestamp_micros(),
        recorded_by: review.recorded_by.clone(),
        recorded_at_us: review.recorded_at.timestamp_micros(),
        imported_by: review.imported_by.clone(),
        retraction: store_retraction(&review.retraction),
    })
}

pub fn decode_review(bytes: &[u8]) -> Result<Review, Undecodable> {
    let stored: StoredReview = decode_value(bytes)?;
    Ok(Review {
        claim: stored.claim,
        claimant: stored.claimant,
        claim_url: stored.claim_url,
        claim_date: stored.claim_date_us.map(from_micros).transpose()?,
        language: stored.language,
        reviewer: stored.reviewer,
        reviewer_url: stored.reviewer_url,
        rating: stored.rating,
        numeric_rating: stored.numeric_rating.map(|(value, worst, best)| NumericRating { value, worst, best }),
        url: stored.url,
        published: from_micros(stored.published_us)?,
        recorded_by: stored.recorded_by,
        recorded_at: from_micros(stored.recorded_at_us)?,
        imported_by: stored.imported_by,
        retraction: read_retraction(stored.retraction)?,
    })
}

/// The key of a sighting of footage `id` seen at `source_url` on `first_seen`.
pub fn sighting_key_of(id: FootageId, first_seen: DateTime<Utc>, source_url: &str) -> Vec<u8> {
    let mut key = footage_key(id).to_vec();
    key.extend_from_slice(&sortable_micros(first_seen));
    key.extend_from_slice(source_url.as_bytes());
    key
}

/// A link's key: the linked footage's id under the footage's key, so that reading every link of
/// a footage is one prefix scan.
pub fn link_key(link: &Link) -> [u8; 17] {
    let mut key = [0; 17];
    key[..9].copy_from_slice(&footage_key(link.footage));
    key[9..].copy_from_slice(&link.linked.0.to_be_bytes());
    key
}

/// Both stretches, (start, end) in ms, and the speed.
#[derive(Serialize, Deserialize)]
struct StoredLink {
    segment: (u32, u32),
    linked_segment: (u32, u32),
    speed: f64,
}

pub fn encode_link(link: &Link) -> Vec<u8> {
    let ends = |segment: Segment| (segment.start_ms, segment.end_ms);
    encode_value(&StoredLink {
        segment: ends(link.segment),
        linked_segment: ends(link.linked_segment),
        speed: link.speed,
    })
}

pub fn decode_link(key: &[u8], bytes: &[u8]) -> Result<Link, Undecodable> {
    let (footage, linked) = match key {
        [KEY_V1, ids @ ..] if ids.len() == 16 => {
            let id = |bytes: &[u8]| FootageId(u64::from_be_bytes(bytes.try_into().expect("8 bytes")));
            (id(&ids[..8]), id(&ids[8..]))
        }
        _ => return Err(Undecodable("malformed link key".into())),
    };
    let stored: StoredLink = decode_value(bytes)?;
    let segment = |(start_ms, end_ms): (u32, u32)| Segment { start_ms, end_ms };
    Ok(Link {
        footage,
        segment: segment(stored.segment),
        linked,
        linked_segment: segment(stored.linked_segment),
        speed: stored.speed,
    })
}

/// Thumbnails of one footage sort by time under its footage key.
pub fn thumbnail_key(id: FootageId, time_ms: u32) -> [u8; 13] {
    let mut key = [0; 13];
    key[..9].copy_from_slice(&footage_key(id));
    key[9..].copy_from_slice(&time_ms.to_be_bytes());
    key
}

pub fn decode_thumbnail_time(key: &[u8]) -> Result<u32, Undecodable> {
    match key {
        [KEY_V1, _, _, _, _, _, _, _, _, time @ ..] if time.len() == 4 => {
            Ok(u32::from_be_bytes(time.try_into().expect("4 bytes")))
        }
        _ => Err(Undecodable("malformed thumbnail key".into())),
    }
}

/// A thumbnail is stored as its JPEG bytes behind the version byte.
pub fn encode_thumbnail(jpeg: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1 + jpeg.len());
    bytes.push(VALUE_V1);
    bytes.extend_from_slice(jpeg);
    bytes
}

pub fn decode_thumbnail(bytes: &[u8]) -> Result<Vec<u8>, Undecodable> {
    match bytes.split_first() {
        Some((&VALUE_V1, jpeg)) => Ok(jpeg.to_vec()),
        _ => Err(Undecodable("malformed thumbnail".into())),
    }
}

pub fn key_record_key(name: &str) -> Vec<u8> {
    let mut key = vec![KEY_V1];
    key.extend_from_slice(name.as_bytes());
    key
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    name: String,
    role: u8,
    digest: [u8; 32],
    created_at_us: i64,
    last_used_us: Option<i64>,
    revoked_at_us: Option<i64>,
}

fn role_code(role: Role) -> u8 {
    match role {
        Role::Reader => 1,
        Role::Contributor => 2,
        Role::Admin => 3,
    }
}

pub fn encode_key_record(record: &KeyRecord) -> Vec<u8> {
    encode_value(&StoredKey {
        name: record.name.clone(),
        role: role_code(record.role),
        digest: record.digest,
        created_at_us: record.created_at.timestamp_micros(),
        last_used_us: record.last_used.map(|time| time.timestamp_micros()),
        revoked_at_us: record.revoked_at.map(|time| time.timestamp_micros()),
    })
}

pub fn decode_key_record(bytes: &[u8]) -> Result<KeyRecord, Undecodable> {
    let stored: StoredKey = decode_value(bytes)?;
    let role = Role::ALL
        .into_iter()
        .find(|&role| role_code(role) == stored.role)
        .ok_or_else(|| Undecodable(format!("unknown role {}", stored.role)))?;
    Ok(KeyRecord {
        name: stored.name,
        role,
        digest: stored.digest,
        created_at: from_micros(stored.created_at_us)?,
        last_used: stored.last_used_us.map(from_micros).transpose()?,
        revoked_at: stored.revoked_at_us.map(from_micros).transpose()?,
    })
}

/// v1: time, six view hashes, informative flag.
const PACKED_KEYFRAME_V1_LEN: usize = 4 + 6 * 8 + 1;
/// v2: time, six view hashes, the middle strip's hash, flags.
const PACKED_KEYFRAME_V2_LEN: usize = 4 + 7 * 8 + 1;
/// v3: time, six view hashes, the middle strip's hash, the core's hash, flags.
const PACKED_KEYFRAME_LEN: usize = 4 + 8 * 8 + 1;
/// Bits of a v2 or v3 keyframe's flags byte.
const INFORMATIVE: u8 = 1;
const HAS_MIDDLE: u8 = 2;
const HAS_CORE: u8 = 4;

pub fn encode_keyframes(keyframes: &[Keyframe]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1 + keyframes.len() * PACKED_KEYFRAME_LEN);
    bytes.push(VALUE_V3);
    for keyframe in keyframes {
        let views = &keyframe.hashes;
        bytes.extend_from_slice(&keyframe.time_ms.to_be_bytes());
        let [middle, core] = [views.middle, views.core].map(|hash| hash.unwrap_or(PerceptualHash(0)));
        for hash in views.upright.all().into_iter().chain(views.mirrored.all()).chain([middle, core]) {
            bytes.extend_from_slice(&hash.0.to_be_bytes());
        }
        let flag = |present: bool, bit: u8| if present { bit } else { 0 };
        bytes.push(
            flag(keyframe.informative, INFORMATIVE)
                | flag(views.middle.is_some(), HAS_MIDDLE)
                | flag(views.core.is_some(), HAS_CORE),
        );
    }
    bytes
}

pub fn decode_keyframes(bytes: &[u8]) -> Result<Vec<Keyframe>, Undecodable> {
    let (body, packed_len) = match bytes.split_first() {
        Some((&VALUE_V1, body)) if body.len() % PACKED_KEYFRAME_V1_LEN == 0 => (body, PACKED_KEYFRAME_V1_LEN),
        Some((&VALUE_V2, body)) if body.len() % PACKED_KEYFRAME_V2_LEN == 0 => (body, PACKED_KEYFRAME_V2_LEN),
        Some((&VALUE_V3, body)) if body.len() % PACKED_KEYFRAME_LEN == 0 => (body, PACKED_KEYFRAME_LEN),
        _ => return Err(Undecodable("malformed keyframe list".into())),
    };
    Ok(body
        .chunks_exact(packed_len)
        .map(|packed| {
            let hash = |n: usize| {
                let start = 4 + n * 8;
                PerceptualHash(u64::from_be_bytes(packed[start..start + 8].try_into().expect("8 bytes")))
            };
            let flags = packed[packed_len - 1];
            // v1 has no flags but the informative bit, v2 no core.
            let has = |bit: u8, from_len: usize| packed_len >= from_len && flags & bit != 0;
            Keyframe {
                time_ms: u32::from_be_bytes(packed[0..4].try_into().expect("4 bytes")),
                hashes: ViewHashes {
                    upright: RegionHashes { whole: hash(0), centre: hash(1), band: hash(2) },
                    mirrored: RegionHashes { whole: hash(3), centre: hash(4), band: hash(5) },
                    windows: Vec::new(),
                    turned: None,
                    tilted: None,
                    middle: has(HAS_MIDDLE, PACKED_KEYFRAME_V2_LEN).then(|| hash(6)),
                    core: has(HAS_CORE, PACKED_KEYFRAME_LEN).then(|| hash(7)),
                    filled: Vec::new(),
                },
                // v1 stored the flag as 0 or 1, which is the informative bit.
                informative: flags & INFORMATIVE != 0,
                picture: None,
            }
        })
        .collect())
}

/// Big-endian with the sign bit flipped, so byte order is time order, before 1970 included.
fn sortable_micros(time: DateTime<Utc>) -> [u8; 8] {
    ((time.timestamp_micros() as u64) ^ (1 << 63)).to_be_bytes()
}

fn from_micros(micros: i64) -> Result<DateTime<Utc>, Undecodable> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| Undecodable(format!("timestamp {micros} µs is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sighting_keys_sort_by_date_including_before_1970() {
        let at = |rfc3339: &str| Sighting {
            source_url: "https://example.org/v".into(),
            first_seen: DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc(),
            title: String::new(),
            publisher: String::new(),
            ingested_at: Utc::now(),
            ..Sighting::default()
        };
        let id = FootageId(7);
        let old = sighting_key(id, &at("1969-07-20T20:17:00Z"));
        let mid = sighting_key(id, &at("2020-11-10T00:00:00Z"));
        let new = sighting_key(id, &at("2023-09-20T00:00:00Z"));
        assert!(old < mid && mid < new);
    }

    #[test]
    fn links_round_trip_and_sort_under_their_footage() {
        let link = Link {
            footage: FootageId(3),
            segment: Segment { start_ms: 0, end_ms: 4_000 },
            linked: FootageId(1 << 40),
            linked_segment: Segment { start_ms: 10_000, end_ms: 15_000 },
            speed: 1.25,
        };
        assert_eq!(decode_link(&link_key(&link), &encode_link(&link)).unwrap(), link);
        assert!(link_key(&link).starts_with(&footage_key(FootageId(3))));
        assert!(decode_link(&footage_key(FootageId(3)), &encode_link(&link)).is_err(), "a key without the linked id");
    }

    #[test]
    fn keyframes_and_footage_keys_round_trip() {
        let regions = |n: u64| RegionHashes {
            whole: PerceptualHash(n),
            centre: PerceptualHash(n + 1),
            band: PerceptualHash(n << 32),
        };
        let hashes = |n: u64, middle: Option<u64>, core: Option<u64>| ViewHashes {
            upright: regions(n),
            mirrored: regions(u64::MAX - n),
            windows: Vec::new(),
            turned: None,
            tilted: None,
            middle: middle.map(PerceptualHash),
            core: core.map(PerceptualHash),
            filled: Vec::new(),
        };
        let keyframe = |time_ms: u32, hashes: ViewHashes, informative: bool| Keyframe {
            time_ms,
            hashes,
            informative,
            picture: None,
        };
        let keyframes = vec![
            keyframe(0, hashes(7, Some(0), Some(5)), true),
            keyframe(500, hashes(42, Some(u64::MAX), None), false),
            keyframe(1000, hashes(43, None, Some(u64::MAX)), true),
            keyframe(1500, hashes(44, None, None), true),
        ];
        assert_eq!(decode_keyframes(&encode_keyframes(&keyframes)).unwrap(), keyframes);
        assert_eq!(decode_footage_key(&footage_key(FootageId(9))).unwrap(), FootageId(9));
    }

    #[test]
    fn keyframes_of_schema_7_still_read_without_their_core() {
        let mut v2 = vec![VALUE_V2];
        v2.extend_from_slice(&500u32.to_be_bytes());
        for n in 0..7u64 {
            v2.extend_from_slice(&(100 + n).to_be_bytes());
        }
        v2.push(INFORMATIVE | HAS_MIDDLE | HAS_CORE);
        let [read] = decode_keyframes(&v2).unwrap().try_into().expect("one keyframe");
        assert_eq!((read.time_ms, read.informative), (500, true));
        assert_eq!((read.hashes.middle, read.hashes.core), (Some(PerceptualHash(106)), None));
    }

    #[test]
    fn keyframes_of_schema_6_still_read_without_their_middle_strip() {
        let mut v1 = vec![VALUE_V1];
        for (time_ms, informative) in [(0u32, 1u8), (500, 0)] {
            v1.extend_from_slice(&time_ms.to_be_bytes());
            for n in 0..6u64 {
                v1.extend_from_slice(&(u64::from(time_ms) + n).to_be_bytes());
            }
            v1.push(informative);
        }
        let read = decode_keyframes(&v1).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!((read[0].informative, read[1].informative), (true, false));
        assert_eq!(read[1].hashes.mirrored.band, PerceptualHash(505));
        assert!(read.iter().all(|keyframe| keyframe.hashes.middle.is_none()));
    }

    #[test]
    fn sightings_of_schema_3_still_read_and_new_ones_keep_who_recorded_and_retracted_them() {
        let old = encode_value(&StoredSightingV1 {
            source_url: "https://example.org/original".into(),
            first_seen_us: 1_604_966_400_000_000,
            title: "Baku".into(),
            publisher: String::new(),
            ingested_at_us: 1_700_000_000_000_000,
        });
        let read = decode_sighting(&old).unwrap();
        assert_eq!((read.source_url.as_str(), read.recorded_by.as_str()), ("https://example.org/original", ""));
        assert!(read.stands());

        let retracted = Sighting {
            recorded_by: "desk".into(),
            imported_by: "admin".into(),
            retraction: Some(Retraction {
                retracted_by: "admin".into(),
                retracted_at: from_micros(1_800_000_000_000_000).unwrap(),
                reason: "false date".into(),
            }),
            ..read
        };
        assert_eq!(decode_sighting(&encode_sighting(&retracted)).unwrap(), retracted);
    }

    #[test]
    fn sightings_of_schema_4_still_read_and_new_ones_keep_their_archive_url() {
        let v2 = encode_versioned(
            VALUE_V2,
            &StoredSightingV2 {
                source_url: "https://example.org/original".into(),
                first_seen_us: 1_604_966_400_000_000,
                title: "Baku".into(),
                publisher: String::new(),
                ingested_at_us: 1_700_000_000_000_000,
                recorded_by: "desk".into(),
                imported_by: String::new(),
                retraction: None,
            },
        );
        let read = decode_sighting(&v2).unwrap();
        assert_eq!((read.recorded_by.as_str(), read.archive_url.as_str()), ("desk", ""));
        let archived =
            Sighting { archive_url: "https://web.archive.org/web/2020/https://example.org/original".into(), ..read };
        assert_eq!(decode_sighting(&encode_sighting(&archived)).unwrap(), archived);
    }

    #[test]
    fn reviews_round_trip_and_counters_of_schema_4_read_with_none() {
        let review = Review {
            claim: "Baku celebrates the new offensive".into(),
            claim_date: Some(from_micros(1_695_168_000_000_000).unwrap()),
            reviewer: "Misbar".into(),
            rating: "Misleading".into(),
            numeric_rating: Some(NumericRating { value: 2.0, worst: 1.0, best: 5.0 }),
            url: "https://misbar.com/factcheck/baku".into(),
            published: from_micros(1_695_600_000_000_000).unwrap(),
            recorded_at: from_micros(1_800_000_000_000_000).unwrap(),
            retraction: Some(Retraction {
                retracted_by: "admin".into(),
                retracted_at: from_micros(1_800_000_000_000_001).unwrap(),
                reason: "wrong footage".into(),
            }),
            ..Review::default()
        };
        assert_eq!(decode_review(&encode_review(&review)).unwrap(), review);

        let old = encode_value(&CountersV1 {
            next_footage_id: 3,
            footage: 3,
            sightings: 4,
            keyframes: 40,
            indexed_keyframes: 30,
        });
        let counters = decode_counters(&old).unwrap();
        assert_eq!((counters.sightings, counters.reviews), (4, 0));
        let counted = Counters { reviews: 2, ..counters };
        assert_eq!(decode_counters(&encode_counters(&counted)).unwrap().reviews, 2);
    }

    #[test]
    fn key_records_round_trip() {
        let record = KeyRecord {
            name: "partner desk".into(),
            role: Role::Contributor,
            digest: [7; 32],
            created_at: from_micros(1_800_000_000_000_000).unwrap(),
            last_used: None,
            revoked_at: Some(from_micros(1_800_000_000_000_001).unwrap()),
        };
        assert_eq!(decode_key_record(&encode_key_record(&record)).unwrap(), record);
    }

    #[test]
    fn a_value_of_an_unknown_version_is_refused() {
        let mut bytes = encode_counters(&Counters::default());
        bytes[0] = 99;
        assert!(decode_counters(&bytes).is_err());
    }
}
