//! Deduplication of one uplink across gateways and replicas, in Redis.
//!
//! Each copy runs one Lua script that appends its gateway receptions to a list keyed by a
//! hash of PHYPayload, frequency and modulation; the copy that created the list owns the
//! frame. When the dedup window closes the owner reads the list back. Copies arriving later
//! only extend the list until it expires and are never handled twice.

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
}

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
        }
    }

    /// Registers the receptions of one copy of `frame`; tells whether this copy owns it.
    pub async fn add(&self, frame: &pb::UplinkFrame) -> Result<Claim> {
        let key = self.keys.dedup(&frame_hash(frame));
        let ttl_ms = i64::try_from(self.ttl.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let mut args = Vec::with_capacity(frame.rx_metadata.len() + 1);
        args.push(Value::from(ttl_ms));
        args.extend(
            frame
                .rx_metadata
                .iter()
                .map(|rx| Value::Bytes(rx.encode_to_vec().into())),
        );
        let owner: i64 = self
            .add_copy
            .evalsha_with_reload(self.redis.next(), key.clone(), args)
            .await
            .map_err(Error::redis("dedup add copy"))?;
        Ok(if owner == 1 {
            Claim::Owner { key }
        } else {
            Claim::Duplicate
        })
    }

    /// Returns every reception registered under `key`, best SNR first; entries that do not
    /// decode are skipped.
    pub async fn collect(&self, key: &str) -> Result<Vec<pb::UplinkRxMetadata>> {
        let entries: Vec<Vec<u8>> = self
            .redis
            .lrange(key, 0, -1)
            .await
            .map_err(Error::redis("dedup collect"))?;
        let mut rx_metadata: Vec<pb::UplinkRxMetadata> = entries
            .iter()
            .filter_map(|entry| pb::UplinkRxMetadata::decode(entry.as_slice()).ok())
            .collect();
        rx_metadata.sort_by(|a, b| b.snr_db.total_cmp(&a.snr_db));
        Ok(rx_metadata)
    }
}
