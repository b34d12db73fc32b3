//! The on-disk layout: column families, key layouts and value encodings.
//!
//! Every key and every value starts with a format version byte, so a later layout can live beside
//! this one and be migrated lazily; the `meta` column family records the schema version of the
//! whole store, checked at open. Keys are laid out by hand (big-endian, fixed width) because
//! their byte order *is* the query plan: all sightings of a footage sort together, earliest
//! first. Values are serde structs in postcard behind the version byte, except keyframes, packed
//! at 53 bytes each.
//!
//! | column family | key | value |
//! |---|---|---|
//! | `meta` | `"schema"` / `"counters"` | schema version / [`Counters`] |
//! | `footage` | v, footage id | duration, keyframe count, first-seen |
//! | `sightings` | v, footage id, first-seen (sortable), source URL | the sighting |
//! | `keyframes` | v, footage id | all keyframes of the footage |
//! | `keys` | v, key name | the key's role, digest, dates (never the key itself) |
//! | `thumbnails` | v, footage id, time (ms) | a small JPEG of the footage at that time |
//!
//! There is no on-disk search structure: the radius search reads a table rebuilt in memory from
//! `keyframes` at open (see `hamming_table`), which keeps the store at 53 bytes a keyframe.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::records::{FootageId, FootageRecord, KeyRecord, Retraction, Role, Sighting};
use crate::fingerprint::{Keyframe, PerceptualHash, RegionHashes, ViewHashes};

/// Version of the store as a whole; bumped with any layout change below.
///
/// 2: keyframes carry six view hashes; postings are filed per indexed view.
/// 3: no postings column family; the search table lives in memory.
/// 4: sightings say who recorded them and whether they were retracted (a v2 value; v1 values
///    still read, as recorded by nobody and standing); API keys in their own column family.
///    A version 3 store opens as it is and is marked 4.
pub const SCHEMA_VERSION: u32 = 4;
/// Stores of these versions read as [`SCHEMA_VERSION`] without rewriting anything.
pub const READABLE_SCHEMA_VERSIONS: [u32; 2] = [3, SCHEMA_VERSION];
const KEY_V1: u8 = 1;
const VALUE_V1: u8 = 1;
const VALUE_V2: u8 = 2;

pub const CF_META: &str = "meta";
pub const CF_FOOTAGE: &str = "footage";
pub const CF_SIGHTINGS: &str = "sightings";
pub const CF_KEYFRAMES: &str = "keyframes";
pub const CF_KEYS: &str = "keys";
pub const CF_THUMBNAILS: &str = "thumbnails";
pub const COLUMN_FAMILIES: [&str; 6] = [CF_META, CF_FOOTAGE, CF_SIGHTINGS, CF_KEYFRAMES, CF_KEYS, CF_THUMBNAILS];

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
struct StoredSighting {
    source_url: String,
    first_seen_us: i64,
    title: String,
    publisher: String,
    ingested_at_us: i64,
    recorded_by: String,
    imported_by: String,
    retraction: Option<StoredRetraction>,
}

#[derive(Serialize, Deserialize)]
struct StoredRetraction {
    retracted_by: String,
    retracted_at_us: i64,
    reason: String,
}

pub fn encode_sighting(sighting: &Sighting) -> Vec<u8> {
    encode_versioned(
        VALUE_V2,
        &StoredSighting {
            source_url: sighting.source_url.clone(),
            first_seen_us: sighting.first_seen.timestamp_micros(),
            title: sighting.title.clone(),
            publisher: sighting.publisher.clone(),
            ingested_at_us: sighting.ingested_at.timestamp_micros(),
            recorded_by: sighting.recorded_by.clone(),
            imported_by: sighting.imported_by.clone(),
            retraction: sighting.retraction.as_ref().map(|retraction| StoredRetraction {
                retracted_by: retraction.retracted_by.clone(),
                retracted_at_us: retraction.retracted_at.timestamp_micros(),
                reason: retraction.reason.clone(),
            }),
        },
    )
}

pub fn decode_sighting(bytes: &[u8]) -> Result<Sighting, Undecodable> {
    let stored: StoredSighting = match bytes.split_first() {
        Some((&VALUE_V2, body)) => decode_body(body)?,
        _ => {
            let old: StoredSightingV1 = decode_value(bytes)?;
            StoredSighting {
                source_url: old.source_url,
                first_seen_us: old.first_seen_us,
                title: old.title,
                publisher: old.publisher,
                ingested_at_us: old.ingested_at_us,
                recorded_by: String::new(),
                imported_by: String::new(),
                retraction: None,
            }
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
        retraction: stored
            .retraction
            .map(|retraction| {
                Ok::<_, Undecodable>(Retraction {
                    retracted_by: retraction.retracted_by,
                    retracted_at: from_micros(retraction.retracted_at_us)?,
                    reason: retraction.reason,
                })
            })
            .transpose()?,
    })
}

/// The key of a sighting of footage `id` seen at `source_url` on `first_seen`.
pub fn sighting_key_of(id: FootageId, first_seen: DateTime<Utc>, source_url: &str) -> Vec<u8> {
    let mut key = footage_key(id).to_vec();
    key.extend_from_slice(&sortable_micros(first_seen));
    key.extend_from_slice(source_url.as_bytes());
    key
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

/// Time, six view hashes, informative flag.
const PACKED_KEYFRAME_LEN: usize = 4 + 6 * 8 + 1;

pub fn encode_keyframes(keyframes: &[Keyframe]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1 + keyframes.len() * PACKED_KEYFRAME_LEN);
    bytes.push(VALUE_V1);
    for keyframe in keyframes {
        bytes.extend_from_slice(&keyframe.time_ms.to_be_bytes());
        for hash in keyframe.hashes.upright.all().into_iter().chain(keyframe.hashes.mirrored.all()) {
            bytes.extend_from_slice(&hash.0.to_be_bytes());
        }
        bytes.push(u8::from(keyframe.informative));
    }
    bytes
}

pub fn decode_keyframes(bytes: &[u8]) -> Result<Vec<Keyframe>, Undecodable> {
    let body = match bytes.split_first() {
        Some((&VALUE_V1, body)) if body.len() % PACKED_KEYFRAME_LEN == 0 => body,
        _ => return Err(Undecodable("malformed keyframe list".into())),
    };
    Ok(body
        .chunks_exact(PACKED_KEYFRAME_LEN)
        .map(|packed| {
            let hash = |n: usize| {
                let start = 4 + n * 8;
                PerceptualHash(u64::from_be_bytes(packed[start..start + 8].try_into().expect("8 bytes")))
            };
            Keyframe {
                time_ms: u32::from_be_bytes(packed[0..4].try_into().expect("4 bytes")),
                hashes: ViewHashes {
                    upright: RegionHashes { whole: hash(0), centre: hash(1), band: hash(2) },
                    mirrored: RegionHashes { whole: hash(3), centre: hash(4), band: hash(5) },
                    inset: None,
                },
                informative: packed[PACKED_KEYFRAME_LEN - 1] != 0,
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
    fn keyframes_and_footage_keys_round_trip() {
        let regions = |n: u64| RegionHashes {
            whole: PerceptualHash(n),
            centre: PerceptualHash(n + 1),
            band: PerceptualHash(n << 32),
        };
        let hashes = |n: u64| ViewHashes { upright: regions(n), mirrored: regions(u64::MAX - n), inset: None };
        let keyframes = vec![
            Keyframe { time_ms: 0, hashes: hashes(7), informative: true },
            Keyframe { time_ms: 500, hashes: hashes(42), informative: false },
        ];
        assert_eq!(decode_keyframes(&encode_keyframes(&keyframes)).unwrap(), keyframes);
        assert_eq!(decode_footage_key(&footage_key(FootageId(9))).unwrap(), FootageId(9));
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
        let mut bytes = encode_value(&Counters::default());
        bytes[0] = 99;
        assert!(decode_value::<Counters>(&bytes).is_err());
    }
}
