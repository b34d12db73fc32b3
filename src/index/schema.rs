//! The on-disk layout: column families, key layouts and value encodings.
//!
//! Every key and every value starts with a format version byte, so a later layout can live beside
//! this one and be migrated lazily; the `meta` column family records the schema version of the
//! whole store, checked at open. Keys are laid out by hand (big-endian, fixed width) because
//! their byte order *is* the query plan: all sightings of a footage sort together, earliest
//! first, and all postings of a hash chunk share a 4-byte prefix. Values are serde structs in
//! postcard behind the version byte, except keyframes, packed at 53 bytes each.
//!
//! | column family | key | value |
//! |---|---|---|
//! | `meta` | `"schema"` / `"counters"` | schema version / [`Counters`] |
//! | `footage` | v, footage id | duration, keyframe count, first-seen |
//! | `sightings` | v, footage id, first-seen (sortable), source URL | the sighting |
//! | `keyframes` | v, footage id | all keyframes of the footage |
//! | `postings` | v, chunk index, chunk value, footage id, time, view | full hash of the view |

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::records::{FootageId, FootageRecord, Sighting};
use crate::fingerprint::{Keyframe, PerceptualHash, RegionHashes, ViewHashes};

/// Version of the store as a whole; bumped with any layout change below.
///
/// 2: keyframes carry six view hashes; postings are filed per indexed view.
pub const SCHEMA_VERSION: u32 = 2;
const KEY_V1: u8 = 1;
const VALUE_V1: u8 = 1;

pub const CF_META: &str = "meta";
pub const CF_FOOTAGE: &str = "footage";
pub const CF_SIGHTINGS: &str = "sightings";
pub const CF_KEYFRAMES: &str = "keyframes";
pub const CF_POSTINGS: &str = "postings";
pub const COLUMN_FAMILIES: [&str; 5] = [CF_META, CF_FOOTAGE, CF_SIGHTINGS, CF_KEYFRAMES, CF_POSTINGS];

pub const META_SCHEMA: &[u8] = b"schema";
pub const META_COUNTERS: &[u8] = b"counters";

/// Bytes shared by every posting of one bucket: version, chunk index, chunk value.
pub const POSTING_PREFIX_LEN: usize = 4;

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
    let mut bytes = vec![VALUE_V1];
    bytes.extend(postcard::to_stdvec(value).expect("serialising to memory cannot fail"));
    bytes
}

pub fn decode_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Undecodable> {
    match bytes.split_first() {
        Some((&VALUE_V1, body)) => postcard::from_bytes(body).map_err(|error| Undecodable(error.to_string())),
        Some((version, _)) => Err(Undecodable(format!("unknown value version {version}"))),
        None => Err(Undecodable("empty value".into())),
    }
}

/// Key of an entry that exists once per footage (`footage` and `keyframes` column families).
pub fn footage_key(id: FootageId) -> [u8; 9] {
    let mut key = [0; 9];
    key[0] = KEY_V1;
    key[1..].copy_from_slice(&id.0.to_be_bytes());
    key
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
    let mut key = footage_key(id).to_vec();
    key.extend_from_slice(&sortable_micros(sighting.first_seen));
    key.extend_from_slice(sighting.source_url.as_bytes());
    key
}

#[derive(Serialize, Deserialize)]
struct StoredSighting {
    source_url: String,
    first_seen_us: i64,
    title: String,
    publisher: String,
    ingested_at_us: i64,
}

pub fn encode_sighting(sighting: &Sighting) -> Vec<u8> {
    encode_value(&StoredSighting {
        source_url: sighting.source_url.clone(),
        first_seen_us: sighting.first_seen.timestamp_micros(),
        title: sighting.title.clone(),
        publisher: sighting.publisher.clone(),
        ingested_at_us: sighting.ingested_at.timestamp_micros(),
    })
}

pub fn decode_sighting(bytes: &[u8]) -> Result<Sighting, Undecodable> {
    let stored: StoredSighting = decode_value(bytes)?;
    Ok(Sighting {
        source_url: stored.source_url,
        first_seen: from_micros(stored.first_seen_us)?,
        title: stored.title,
        publisher: stored.publisher,
        ingested_at: from_micros(stored.ingested_at_us)?,
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
                },
                informative: packed[PACKED_KEYFRAME_LEN - 1] != 0,
            }
        })
        .collect())
}

pub fn posting_prefix(chunk_index: usize, chunk_value: u16) -> [u8; POSTING_PREFIX_LEN] {
    let [high, low] = chunk_value.to_be_bytes();
    [KEY_V1, chunk_index as u8, high, low]
}

const POSTING_KEY_LEN: usize = POSTING_PREFIX_LEN + 8 + 4 + 1;

/// `view` tells apart the postings of one keyframe's views that land in the same bucket.
pub fn posting_key(chunk_index: usize, chunk_value: u16, id: FootageId, time_ms: u32, view: u8) -> [u8; 17] {
    let mut key = [0; POSTING_KEY_LEN];
    key[..4].copy_from_slice(&posting_prefix(chunk_index, chunk_value));
    key[4..12].copy_from_slice(&id.0.to_be_bytes());
    key[12..16].copy_from_slice(&time_ms.to_be_bytes());
    key[16] = view;
    key
}

pub fn posting_value(hash: PerceptualHash) -> [u8; 9] {
    let mut value = [0; 9];
    value[0] = VALUE_V1;
    value[1..].copy_from_slice(&hash.0.to_be_bytes());
    value
}

/// The footage, time and full hash of one posting.
pub fn decode_posting(key: &[u8], value: &[u8]) -> Result<(FootageId, u32, PerceptualHash), Undecodable> {
    match (key.len(), value) {
        (POSTING_KEY_LEN, [VALUE_V1, hash @ ..]) if hash.len() == 8 => Ok((
            FootageId(u64::from_be_bytes(key[4..12].try_into().expect("8 bytes"))),
            u32::from_be_bytes(key[12..16].try_into().expect("4 bytes")),
            PerceptualHash(u64::from_be_bytes(hash.try_into().expect("8 bytes"))),
        )),
        _ => Err(Undecodable("malformed posting".into())),
    }
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
        };
        let id = FootageId(7);
        let old = sighting_key(id, &at("1969-07-20T20:17:00Z"));
        let mid = sighting_key(id, &at("2020-11-10T00:00:00Z"));
        let new = sighting_key(id, &at("2023-09-20T00:00:00Z"));
        assert!(old < mid && mid < new);
    }

    #[test]
    fn keyframes_and_postings_round_trip() {
        let regions = |n: u64| RegionHashes {
            whole: PerceptualHash(n),
            centre: PerceptualHash(n + 1),
            band: PerceptualHash(n << 32),
        };
        let hashes = |n: u64| ViewHashes { upright: regions(n), mirrored: regions(u64::MAX - n) };
        let keyframes = vec![
            Keyframe { time_ms: 0, hashes: hashes(7), informative: true },
            Keyframe { time_ms: 500, hashes: hashes(42), informative: false },
        ];
        assert_eq!(decode_keyframes(&encode_keyframes(&keyframes)).unwrap(), keyframes);
        let key = posting_key(3, 0xbeef, FootageId(9), 1500, 1);
        let decoded = decode_posting(&key, &posting_value(PerceptualHash(5))).unwrap();
        assert_eq!(decoded, (FootageId(9), 1500, PerceptualHash(5)));
    }

    #[test]
    fn a_value_of_an_unknown_version_is_refused() {
        let mut bytes = encode_value(&Counters::default());
        bytes[0] = 99;
        assert!(decode_value::<Counters>(&bytes).is_err());
    }
}
