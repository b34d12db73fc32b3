//! Who is calling, and may they make this call: API keys, roles and per-key limits.
//!
//! A key is 32 random bytes in hex behind an `fs_` prefix, shown once when it is created. The
//! index keeps only its BLAKE3 digest, with its name, role and dates ([`KeyRecord`]); the key
//! ring holds those records in memory, so checking a call costs one hash and a constant-time
//! comparison with each digest, no disk read. Every change goes to RocksDB first and to the ring
//! after, so a revoked key stops working with the call that revoked it, and stays revoked after
//! a restart.
//!
//! Roles nest: a contributor may do what a reader may, an admin everything ([`Call::needs`]).
//! The name of the key is what a sighting records as `recorded_by`. Each key also gets its own
//! bound on uploads and lookups in progress, so that one caller cannot hold the server's decodes
//! and searches without end (on a machine of four cores or fewer, one key's uploads may still
//! fill every decode slot for a while).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::Status;
use tonic::metadata::MetadataMap;

use super::status;
use crate::engine::Engine;
use crate::index::{Durability, IndexError, KeyRecord, Role};

/// What a key's name may be: a label a person reads in `keys list` and on sightings.
const MAX_KEY_NAME_CHARS: usize = 64;

/// How stale a key's "last used" may get before it is written again: a write per call would
/// cost more than the call.
const LAST_USED_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// The name calls without a key act under when the server allows anonymous lookups.
pub const ANONYMOUS: &str = "anonymous";

/// Every call of `firstseen.v1.FirstSeen`, with the least role that may make it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Ingest,
    IngestFingerprint,
    IngestFingerprints,
    Lookup,
    LookupFingerprint,
    BatchLookup,
    GetFootage,
    Stats,
    Export,
    RetractSighting,
    AddReview,
    RetractReview,
    CreateKey,
    ListKeys,
    RevokeKey,
}

impl Call {
    pub fn needs(self) -> Role {
        match self {
            Call::Lookup | Call::LookupFingerprint | Call::BatchLookup | Call::GetFootage | Call::Stats => Role::Reader,
            Call::Ingest | Call::IngestFingerprint | Call::IngestFingerprints | Call::AddReview => Role::Contributor,
            Call::Export
            | Call::RetractSighting
            | Call::RetractReview
            | Call::CreateKey
            | Call::ListKeys
            | Call::RevokeKey => Role::Admin,
        }
    }

    fn name(self) -> String {
        format!("{self:?}")
    }
}

/// Whoever made a call: the name of their key (or [`ANONYMOUS`]) and its role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
    /// Whose per-key limits the call counts against: the key's name, or for a call without a
    /// key the address it came from, so that one anonymous client cannot hold every anonymous
    /// caller's slots.
    bucket: String,
}

impl Caller {
    /// "the key \"desk\"", or "this address" for a call without a key.
    fn described(&self) -> String {
        if self.name == ANONYMOUS {
            "this address (calling without a key)".to_owned()
        } else {
            format!("the key {:?}", self.name)
        }
    }
}

/// Bounds on what one key may have in progress at once.
#[derive(Clone, Copy, Debug)]
pub struct PerKeyLimits {
    /// Video uploads (Ingest and Lookup streams) being received or decoded.
    pub uploads: usize,
    /// Lookups of any kind being answered; a batch stream counts once.
    pub lookups: usize,
}

/// What one key is using now.
struct InUse {
    uploads: Arc<Semaphore>,
    lookups: Arc<Semaphore>,
}

/// The keys a server knows, checked on every call.
pub struct KeyRing {
    engine: Arc<Engine>,
    records: RwLock<Vec<KeyRecord>>,
    anonymous_lookups: bool,
    limits: PerKeyLimits,
    in_use: Mutex<HashMap<String, InUse>>,
}

impl KeyRing {
    pub fn open(engine: Arc<Engine>, anonymous_lookups: bool, limits: PerKeyLimits) -> Result<KeyRing, IndexError> {
        let records = RwLock::new(engine.key_records()?);
        Ok(KeyRing { engine, records, anonymous_lookups, limits, in_use: Mutex::new(HashMap::new()) })
    }

    pub fn allows_anonymous_lookups(&self) -> bool {
        self.anonymous_lookups
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<KeyRecord>> {
        // The records are replaced whole under the lock: a panic cannot leave half of one.
        self.records.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<KeyRecord>> {
        self.records.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The caller of a request, if its key (or the lack of one) may make `call`.
    pub fn authorize(&self, metadata: &MetadataMap, call: Call, peer: Option<IpAddr>) -> Result<Caller, Status> {
        let needed = call.needs();
        let Some(presented) = presented_key(metadata)? else {
            if self.anonymous_lookups && needed == Role::Reader {
                let from = peer.map_or_else(|| "unknown".to_owned(), |peer| peer.to_string());
                return Ok(Caller {
                    name: ANONYMOUS.to_owned(),
                    role: Role::Reader,
                    bucket: format!("{ANONYMOUS}@{from}"),
                });
            }
            return Err(Status::unauthenticated(format!(
                "{} needs an API key with the {} role, sent as the metadata `authorization: Bearer <key>`; none was sent",
                call.name(),
                needed.name()
            )));
        };
        let digest = blake3::hash(presented.as_bytes());
        let record = {
            let records = self.read();
            // Every digest is compared, in constant time: how long the check takes says nothing
            // about how close a guess came.
            let mut found = None;
            for record in records.iter() {
                if bool::from(record.digest.ct_eq(digest.as_bytes())) {
                    found = Some(record.clone());
                }
            }
            found
        };
        let Some(record) = record else {
            return Err(Status::unauthenticated("the API key is not one this server knows"));
        };
        if let Some(revoked_at) = record.revoked_at {
            return Err(Status::unauthenticated(format!(
                "the API key {:?} was revoked on {}",
                record.name,
                revoked_at.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        if record.role < needed {
            return Err(Status::permission_denied(format!(
                "{} needs the {} role; the key {:?} is a {}",
                call.name(),
                needed.name(),
                record.name,
                record.role.name()
            )));
        }
        self.note_use(&record, Utc::now());
        Ok(Caller { bucket: record.name.clone(), name: record.name, role: record.role })
    }

    /// Checks again, mid-stream, that the caller's key still stands: a key revoked while one of
    /// its streams is open stops at the stream's next item.
    pub fn recheck(&self, caller: &Caller) -> Result<(), Status> {
        let revoked = self.read().iter().find(|record| record.name == caller.name).and_then(|record| record.revoked_at);
        match revoked {
            Some(revoked_at) => Err(Status::unauthenticated(format!(
                "the API key {:?} was revoked on {} while this stream was open",
                caller.name,
                revoked_at.format("%Y-%m-%d %H:%M UTC")
            ))),
            None => Ok(()),
        }
    }

    /// Records when a key was last used, at most once a [`LAST_USED_RESOLUTION`], off the
    /// caller's path and without a disk sync: a crash may lose the latest minute of it.
    fn note_use(&self, record: &KeyRecord, now: DateTime<Utc>) {
        if record.last_used.is_some_and(|last| now - last < LAST_USED_RESOLUTION) {
            return;
        }
        let updated = {
            let mut records = self.write();
            let Some(stored) = records.iter_mut().find(|stored| stored.name == record.name) else { return };
            stored.last_used = Some(now);
            stored.clone()
        };
        let engine = Arc::clone(&self.engine);
        tokio::task::spawn_blocking(move || {
            if let Err(error) = engine.update_key(&updated, Durability::AtNextSync) {
                tracing::warn!(%error, key = updated.name, "cannot record when the key was last used");
            }
        });
    }

    /// Creates a key named `name` with `role`; returns its record and the key itself, which
    /// is never stored.
    pub fn create(&self, name: &str, role: Role) -> Result<(KeyRecord, String), Status> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_KEY_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(Status::invalid_argument(format!(
                "a key's name must be 1 to {MAX_KEY_NAME_CHARS} printable characters"
            )));
        }
        if name == ANONYMOUS {
            return Err(Status::invalid_argument(format!("{ANONYMOUS:?} names calls made without a key")));
        }
        let key = new_key().map_err(|error| status::internal("draw a random key", error))?;
        let record = KeyRecord {
            name: name.to_owned(),
            role,
            digest: *blake3::hash(key.as_bytes()).as_bytes(),
            created_at: Utc::now(),
            last_used: None,
            revoked_at: None,
        };
        self.engine.insert_key(&record).map_err(status::from_index)?;
        self.write().push(record.clone());
        Ok((record, key))
    }

    /// Every key's record, in name order.
    pub fn list(&self) -> Vec<KeyRecord> {
        let mut records = self.read().clone();
        records.sort_by(|a, b| a.name.cmp(&b.name));
        records
    }

    /// Revokes the key named `name`: on disk, then at once for every call after.
    pub fn revoke(&self, name: &str) -> Result<KeyRecord, Status> {
        let mut records = self.write();
        let record = records
            .iter_mut()
            .find(|record| record.name == name)
            .ok_or_else(|| Status::not_found(format!("no key named {name:?}")))?;
        if record.revoked_at.is_some() {
            return Ok(record.clone());
        }
        let mut revoked = record.clone();
        revoked.revoked_at = Some(Utc::now());
        self.engine.update_key(&revoked, Durability::Synced).map_err(status::from_index)?;
        *record = revoked.clone();
        Ok(revoked)
    }

    /// A slot for one upload of `caller`'s, held until dropped.
    pub fn upload_slot(&self, caller: &Caller) -> Result<OwnedSemaphorePermit, Status> {
        self.slot(caller, "uploads", self.limits.uploads, |in_use| &in_use.uploads)
    }

    /// A slot for one lookup (or one batch stream) of `caller`'s, held until dropped.
    pub fn lookup_slot(&self, caller: &Caller) -> Result<OwnedSemaphorePermit, Status> {
        self.slot(caller, "lookups", self.limits.lookups, |in_use| &in_use.lookups)
    }

    fn slot(
        &self,
        caller: &Caller,
        what: &str,
        limit: usize,
        which: impl Fn(&InUse) -> &Arc<Semaphore>,
    ) -> Result<OwnedSemaphorePermit, Status> {
        self.semaphores(caller, which).try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(format!(
                "{} already has {limit} {what} in progress, the most this server allows a key; wait for one to finish",
                caller.described()
            ))
        })
    }

    fn semaphores(&self, caller: &Caller, which: impl Fn(&InUse) -> &Arc<Semaphore>) -> Arc<Semaphore> {
        let mut in_use = self.in_use.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = in_use.entry(caller.bucket.clone()).or_insert_with(|| InUse {
            uploads: Arc::new(Semaphore::new(self.limits.uploads)),
            lookups: Arc::new(Semaphore::new(self.limits.lookups)),
        });
        Arc::clone(which(entry))
    }
}

/// The key in `authorization: Bearer <key>`, if one was sent.
fn presented_key(metadata: &MetadataMap) -> Result<Option<String>, Status> {
    let Some(value) = metadata.get("authorization") else { return Ok(None) };
    let malformed = || Status::unauthenticated("the authorization metadata must be `Bearer <key>`");
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, key) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") || key.trim().is_empty() {
        return Err(malformed());
    }
    Ok(Some(key.trim().to_owned()))
}

/// 256 random bits from the operating system, in hex behind a prefix that says what it is.
fn new_key() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("fs_{}", bytes.iter().map(|byte| format!("{byte:02x}")).collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest_and_every_call_needs_one() {
        assert!(Role::Reader < Role::Contributor && Role::Contributor < Role::Admin);
        assert_eq!(Call::Lookup.needs(), Role::Reader);
        assert_eq!(Call::IngestFingerprints.needs(), Role::Contributor);
        assert_eq!(Call::Export.needs(), Role::Admin);
    }

    #[test]
    fn keys_are_long_random_and_distinct() {
        let (first, second) = (new_key().unwrap(), new_key().unwrap());
        assert_ne!(first, second);
        assert_eq!(first.len(), 3 + 64);
        assert!(first.starts_with("fs_"));
    }

    #[test]
    fn only_a_bearer_key_is_read_from_the_metadata() {
        let mut metadata = MetadataMap::new();
        assert_eq!(presented_key(&metadata).unwrap(), None);
        metadata.insert("authorization", "Bearer fs_abc".parse().unwrap());
        assert_eq!(presented_key(&metadata).unwrap().as_deref(), Some("fs_abc"));
        metadata.insert("authorization", "Basic dXNlcjpwYXNz".parse().unwrap());
        assert_eq!(presented_key(&metadata).unwrap_err().code(), tonic::Code::Unauthenticated);
    }
}
