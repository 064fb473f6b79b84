//! Deduplication of one uplink across gateways and replicas, in Redis.
//!
//! Each copy runs one Lua script that appends its gateway receptions to a list keyed by a
//! hash of PHYPayload, frequency and modulation; the copy that created the list owns the
//! frame. When the dedup window closes the owner reads the list back. Copies arriving later
//! only extend the list until it expires and are never handled twice.
//!
//! Each replica also remembers the frames it is claiming or owns until it collects them: a
//! further copy reaching the same replica (every copy, with one replica) joins the first in
//! memory without a Redis round trip. When the claim finds another replica the owner, the
//! receptions gathered meanwhile go to its Redis list in one more script call; copies on other
//! replicas always go through the script. `collect` merges the list and the memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use fred::clients::Pool;
use fred::prelude::ListInterface;
use fred::types::Value;
use fred::types::scripts::Script;
use prost::Message;
use sha2::{Digest, Sha256};
use tern_proto::internal::v1 as pb;

use crate::keys::RedisKeys;
use crate::{Error, Result};

/// Appends `ARGV[2..]` to the list `KEYS[1]`; when this call created it, sets its TTL to
/// `ARGV[1]` ms and returns 1 (owner), otherwise 0.
const ADD_COPY: &str = r"
local n = redis.call('RPUSH', KEYS[1], unpack(ARGV, 2))
if n == #ARGV - 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return 1
end
return 0
";

/// The outcome of registering one copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This copy was first: this replica handles the frame; the list lives at `key`.
    Owner {
        /// The dedup key, to collect the receptions from.
        key: String,
    },
    /// Another copy was first; its owner handles the frame.
    Duplicate,
}

/// Deduplication lists in Redis.
#[derive(Clone)]
pub struct Dedup {
    redis: Pool,
    keys: RedisKeys,
    ttl: Duration,
    add_copy: Script,
    owned: Arc<Mutex<Owned>>,
}

/// Frames this replica is claiming or owns and has not collected yet, by dedup key.
#[derive(Default)]
struct Owned {
    frames: HashMap<String, Local>,
    /// Size at which expired entries (of owners that stopped before collecting) are swept.
    sweep_at: usize,
}

/// What this replica knows of one frame.
struct Local {
    until: tokio::time::Instant,
    state: LocalState,
    /// Receptions of later copies that reached this replica while it claims or owns the frame.
    rx_metadata: Vec<pb::UplinkRxMetadata>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LocalState {
    /// The first copy here is asking Redis who owns the frame.
    Claiming,
    /// This replica owns the frame.
    Owner,
    /// Another replica owns it: later copies go to its Redis list.
    Other,
}

/// Fewest entries before a sweep of expired owned frames.
const SWEEP_MIN: usize = 1024;

impl std::fmt::Debug for Dedup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dedup")
            .field("keys", &self.keys)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Returns the hex SHA-256 of PHYPayload, frequency and encoded modulation: equal exactly for
/// copies of one transmission.
pub fn frame_hash(frame: &pb::UplinkFrame) -> String {
    let mut hasher = Sha256::new();
    let tx_info = frame.tx_info.unwrap_or_default();
    hasher.update(
        u32::try_from(frame.phy_payload.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    hasher.update(&frame.phy_payload);
    hasher.update(tx_info.frequency_hz.to_le_bytes());
    hasher.update(
        tx_info
            .modulation
            .map(|modulation| modulation.encode_to_vec())
            .unwrap_or_default(),
    );
    hex::encode(hasher.finalize())
}

impl Dedup {
    /// Creates the store; lists expire `ttl` after the first copy.
    pub fn new(redis: Pool, keys: RedisKeys, ttl: Duration) -> Dedup {
        Dedup {
            redis,
            keys,
            ttl,
            add_copy: Script::from_lua(ADD_COPY),
            owned: Arc::default(),
        }
    }

    fn owned(&self) -> MutexGuard<'_, Owned> {
        // Plain data: usable after a panic elsewhere.
        self.owned.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers the receptions of one copy of `frame`; tells whether this copy owns it.
    pub async fn add(&self, frame: &pb::UplinkFrame) -> Result<Claim> {
        let key = self.keys.dedup(&frame_hash(frame));
        let now = tokio::time::Instant::now();
        let claiming = {
            let mut owned = self.owned();
            match owned.frames.get_mut(&key) {
                Some(entry) if now < entry.until && entry.state != LocalState::Other => {
                    entry.rx_metadata.extend(frame.rx_metadata.iter().cloned());
                    return Ok(Claim::Duplicate);
                }
                Some(entry) if now < entry.until => false,
                _ => {
                    if owned.frames.len() >= owned.sweep_at.max(SWEEP_MIN) {
                        owned.frames.retain(|_, entry| entry.until > now);
                        owned.sweep_at = owned.frames.len() * 2;
                    }
                    owned.frames.insert(
                        key.clone(),
                        Local {
                            until: now + self.ttl,
                            state: LocalState::Claiming,
                            rx_metadata: Vec::new(),
                        },
                    );
                    true
                }
            }
        };
        let claimed = self.push(&key, &frame.rx_metadata).await;
        if !claiming {
            return claimed.map(|_| Claim::Duplicate);
        }
        let gathered = {
            let mut owned = self.owned();
            match (&claimed, owned.frames.get_mut(&key)) {
                (Ok(true), Some(entry)) => {
                    entry.state = LocalState::Owner;
                    return Ok(Claim::Owner { key });
                }
                (Ok(false), Some(entry)) => {
                    entry.state = LocalState::Other;
                    std::mem::take(&mut entry.rx_metadata)
                }
                _ => {
                    owned.frames.remove(&key);
                    Vec::new()
                }
            }
        };
        if claimed? {
            // Swept while claiming, which only a stalled Redis allows: own it without memory.
            return Ok(Claim::Owner { key });
        }
        if !gathered.is_empty() {
            self.push(&key, &gathered).await?;
        }
        Ok(Claim::Duplicate)
    }

    /// Appends receptions to the list at `key` with the script; tells whether this call
    /// created the list.
    async fn push(&self, key: &str, rx_metadata: &[pb::UplinkRxMetadata]) -> Result<bool> {
        let ttl_ms = i64::try_from(self.ttl.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let mut args = Vec::with_capacity(rx_metadata.len() + 1);
        args.push(Value::from(ttl_ms));
        args.extend(
            rx_metadata
                .iter()
                .map(|rx| Value::Bytes(rx.encode_to_vec().into())),
        );
        let owner: i64 = self
            .add_copy
            .evalsha_with_reload(self.redis.next(), key.to_owned(), args)
            .await
            .map_err(Error::redis("dedup add copy"))?;
        Ok(owner == 1)
    }

    /// Returns every reception registered under `key`, best SNR first; entries that do not
    /// decode are skipped.
    pub async fn collect(&self, key: &str) -> Result<Vec<pb::UplinkRxMetadata>> {
        let entries: Vec<Vec<u8>> = self
            .redis
            .lrange(key, 0, -1)
            .await
            .map_err(Error::redis("dedup collect"))?;
        let local = self
            .owned()
            .frames
            .remove(key)
            .map(|entry| entry.rx_metadata)
            .unwrap_or_default();
        let mut rx_metadata: Vec<pb::UplinkRxMetadata> = entries
            .iter()
            .filter_map(|entry| pb::UplinkRxMetadata::decode(entry.as_slice()).ok())
            .chain(local)
            .collect();
        rx_metadata.sort_by(|a, b| b.snr_db.total_cmp(&a.snr_db));
        Ok(rx_metadata)
    }
}
