//! Application sessions in Redis: per device the DevAddr, the AppSKey wrapped under the KEK,
//! and the next application downlink frame counter (AFCntDown; the shared FCntDown in 1.0.x).
//!
//! After a join the session before it is kept beside the new one: the device keeps using the
//! old one until its first uplink in the new one, and downlinks queued under the old one must
//! still be decrypted to be re-encrypted. The AppSKey is never stored in plaintext.

use std::time::Duration;

use fred::clients::Pool;
use fred::prelude::KeysInterface;
use fred::types::Value;
use fred::types::scripts::Script;
use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use serde::{Deserialize, Serialize};
use tern_proto::internal::v1 as pb;

use crate::kek::Kek;
use crate::keys::RedisKeys;
use crate::{Error, Result};

/// Stores the session JSON `ARGV[1]` at `KEYS[1]` and the counter `ARGV[2]` at `KEYS[2]`,
/// both expiring after `ARGV[3]` ms.
const STORE: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
";

/// Allocates `ARGV[1]` counters at `KEYS[1]`, starting no lower than `ARGV[2]`; returns the
/// first, or -1 when the device has no counter (no session). Refreshes the TTL (`ARGV[3]` ms).
const ALLOCATE: &str = r"
local next = redis.call('GET', KEYS[1])
if not next then return -1 end
next = tonumber(next)
local floor = tonumber(ARGV[2])
if floor > next then next = floor end
redis.call('SET', KEYS[1], next + tonumber(ARGV[1]), 'PX', ARGV[3])
return next
";

/// Returns the session JSON at `KEYS[1]` (or false) and, when it exists, restarts the TTL of it
/// and of the counter `KEYS[2]` (`ARGV[1]` ms), so a device that keeps sending keeps its
/// session.
const GET_AND_TOUCH: &str = r"
local session = redis.call('GET', KEYS[1])
if session then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
return session
";

/// One session as the application server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSession {
    /// DevAddr, big-endian integer.
    pub dev_addr: u32,
    /// JoinEUI.
    pub join_eui: u64,
    /// LoRaWAN version (`pb::MacVersion` value).
    pub mac_version: i32,
    /// AppSKey wrapped under the KEK, hex.
    pub app_s_key_wrapped: String,
    /// Label of the KEK.
    pub kek_label: String,
    /// When the session was created, Unix nanoseconds.
    pub created_at_unix_ns: i64,
}

impl AppSession {
    /// Returns the DevAddr.
    pub fn dev_addr(&self) -> DevAddr {
        DevAddr::from_u32(self.dev_addr)
    }

    /// Unwraps the AppSKey.
    pub fn app_s_key(&self, kek: &Kek) -> Result<Aes128Key> {
        let wrapped = hex::decode(&self.app_s_key_wrapped).map_err(|_| Error::KeyLength)?;
        kek.open(&pb::KeyEnvelope {
            key: wrapped.into(),
            kek_label: self.kek_label.clone(),
        })
    }
}

/// A device's current session and, after a rejoin, the one before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSessions {
    /// The latest session.
    pub current: AppSession,
    /// The session before it, with another DevAddr.
    pub previous: Option<AppSession>,
}

impl StoredSessions {
    /// Returns the session using `dev_addr`, current first.
    pub fn by_dev_addr(&self, dev_addr: u32) -> Option<&AppSession> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|session| session.dev_addr == dev_addr)
    }
}

/// Application sessions and downlink counters in Redis.
#[derive(Clone)]
pub struct SessionStore {
    redis: Pool,
    keys: RedisKeys,
    ttl: Duration,
    store: Script,
    allocate: Script,
    get_and_touch: Script,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore")
            .field("keys", &self.keys)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl SessionStore {
    /// Creates the store; keys expire `ttl` after the last write.
    pub fn new(redis: Pool, keys: RedisKeys, ttl: Duration) -> SessionStore {
        SessionStore {
            redis,
            keys,
            ttl,
            store: Script::from_lua(STORE),
            allocate: Script::from_lua(ALLOCATE),
            get_and_touch: Script::from_lua(GET_AND_TOUCH),
        }
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.ttl.as_millis())
            .unwrap_or(i64::MAX)
            .max(1)
    }

    /// Stores the session of `event` as the device's current one (the former current one, when
    /// it used another DevAddr, becomes the previous one) and resets the downlink counter.
    ///
    /// Fails when the AppSKey does not unwrap under `kek`, so a session this replica could
    /// never use is not stored.
    pub async fn store(&self, event: &pb::SessionEvent, kek: &Kek) -> Result<StoredSessions> {
        let envelope = event.app_s_key.clone().unwrap_or_default();
        let at_rest = kek.to_rest(&envelope)?;
        let session = AppSession {
            dev_addr: event.dev_addr,
            join_eui: event.join_eui,
            mac_version: event.mac_version,
            app_s_key_wrapped: hex::encode(&at_rest.key),
            kek_label: at_rest.kek_label,
            created_at_unix_ns: event.created_at_unix_ns,
        };
        let dev_eui = Eui64::from_u64(event.dev_eui);
        let previous = self.get(dev_eui).await?.and_then(|stored| {
            if stored.current.dev_addr == session.dev_addr {
                stored.previous
            } else {
                Some(stored.current)
            }
        });
        let stored = StoredSessions {
            current: session,
            previous,
        };
        let json = serde_json::to_string(&stored).map_err(Error::DecodeSession)?;
        let keys = vec![self.keys.session(dev_eui), self.keys.a_f_cnt_down(dev_eui)];
        let args = vec![
            Value::from(json),
            Value::from(i64::from(event.a_f_cnt_down)),
            Value::from(self.ttl_ms()),
        ];
        let _: i64 = self
            .store
            .evalsha_with_reload(self.redis.next(), keys, args)
            .await
            .map_err(Error::redis("store session"))?;
        Ok(stored)
    }

    /// Returns the device's sessions, or `None` when it has none.
    pub async fn get(&self, dev_eui: Eui64) -> Result<Option<StoredSessions>> {
        let json: Option<String> = self
            .redis
            .get(self.keys.session(dev_eui))
            .await
            .map_err(Error::redis("get session"))?;
        json.map(|json| serde_json::from_str(&json).map_err(Error::DecodeSession))
            .transpose()
    }

    /// Returns the device's sessions like [`SessionStore::get`] and restarts their TTL: for the
    /// uplink path, where traffic keeps a session alive.
    pub async fn get_and_touch(&self, dev_eui: Eui64) -> Result<Option<StoredSessions>> {
        let keys = vec![self.keys.session(dev_eui), self.keys.a_f_cnt_down(dev_eui)];
        let json: Option<String> = self
            .get_and_touch
            .evalsha_with_reload(self.redis.next(), keys, vec![Value::from(self.ttl_ms())])
            .await
            .map_err(Error::redis("get and touch session"))?;
        json.map(|json| serde_json::from_str(&json).map_err(Error::DecodeSession))
            .transpose()
    }

    /// Deletes the device's sessions and downlink counter; tells whether it had a session.
    pub async fn delete(&self, dev_eui: Eui64) -> Result<bool> {
        let deleted: i64 = self
            .redis
            .del(vec![
                self.keys.session(dev_eui),
                self.keys.a_f_cnt_down(dev_eui),
            ])
            .await
            .map_err(Error::redis("del session"))?;
        Ok(deleted > 0)
    }

    /// Allocates `count` consecutive downlink counters, none below `floor`; returns the first.
    pub async fn allocate(&self, dev_eui: Eui64, count: u32, floor: u32) -> Result<u32> {
        let args = vec![
            Value::from(i64::from(count)),
            Value::from(i64::from(floor)),
            Value::from(self.ttl_ms()),
        ];
        let first: i64 = self
            .allocate
            .evalsha_with_reload(self.redis.next(), self.keys.a_f_cnt_down(dev_eui), args)
            .await
            .map_err(Error::redis("allocate downlink counter"))?;
        if first < 0 {
            return Err(Error::NoSession(dev_eui.to_string()));
        }
        let last = first + i64::from(count);
        if last > i64::from(u32::MAX) + 1 {
            return Err(Error::CounterExhausted);
        }
        u32::try_from(first).map_err(|_| Error::CounterExhausted)
    }
}
