//! Device sessions in Redis: one prost `DeviceSession` per DevEUI, and a DevAddr index
//! pointing at the DevEUIs whose session uses that address.
//!
//! A join creates a pending session beside the active one: the device may not have received
//! the join-accept and keep using its old session. The first uplink that passes the MIC of
//! the pending session promotes it, in the same script that stores the uplink's changes.
//!
//! Updates after an uplink are compare-and-set on the whole stored value, in one Lua script,
//! so of two replicas racing on one session exactly one wins. The index may hold stale
//! members (an expired or moved session); lookups skip and remove them. This module does not
//! decide anything about frames; see `uplink`.

use std::time::Duration;

use fred::clients::Pool;
use fred::prelude::{Expiration, KeysInterface, SetsInterface};
use fred::types::Value;
use fred::types::scripts::Script;
use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use prost::Message;
use tern_proto::internal::v1 as pb;

use crate::keys::RedisKeys;
use crate::{Error, Result};

/// Stores `ARGV[2]` as the active session `KEYS[1]` with TTL `ARGV[3]` ms, only when the
/// session it was read from still holds exactly `ARGV[1]`: the active one, or with `ARGV[4]`
/// = `1` the pending one `KEYS[2]`, which is then promoted (deleted). A non-empty `ARGV[5]`
/// is the queue member (of queue `KEYS[3]`) the new session sent: it is consumed, and when it
/// is already gone nothing is stored. Returns 1 when stored, 0 on a session conflict, 2 when
/// the item was gone.
const COMPARE_AND_SET: &str = r"
local source = KEYS[1]
if ARGV[4] == '1' then
  source = KEYS[2]
end
if redis.call('GET', source) ~= ARGV[1] then
  return 0
end
if ARGV[5] ~= '' and redis.call('ZREM', KEYS[3], ARGV[5]) == 0 then
  return 2
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if ARGV[4] == '1' then
  redis.call('DEL', KEYS[2])
end
return 1
";

/// What a compare-and-set did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The new session is stored (and the sent item consumed).
    Yes,
    /// The session changed since it was read; nothing was stored.
    Conflict,
    /// The item to send was no longer queued; nothing was stored.
    ItemGone,
}

/// A session as read from Redis, with the exact bytes a compare-and-set checks against.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    /// The decoded session.
    pub session: pb::DeviceSession,
    /// Whether it is a joined session awaiting its first uplink.
    pub pending: bool,
    raw: Vec<u8>,
}

/// The network session keys of a stored session, checked to be 16 bytes each.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionKeys {
    pub(crate) f_nwk_s_int_key: Aes128Key,
    pub(crate) s_nwk_s_int_key: Aes128Key,
    pub(crate) nwk_s_enc_key: Aes128Key,
}

impl StoredSession {
    /// Returns the session's network keys.
    pub(crate) fn keys(&self) -> Result<SessionKeys> {
        let key = |bytes: &[u8]| {
            <[u8; 16]>::try_from(bytes)
                .map(Aes128Key::from_bytes)
                .map_err(|_| Error::SessionKey)
        };
        Ok(SessionKeys {
            f_nwk_s_int_key: key(&self.session.f_nwk_s_int_key)?,
            s_nwk_s_int_key: key(&self.session.s_nwk_s_int_key)?,
            nwk_s_enc_key: key(&self.session.nwk_s_enc_key)?,
        })
    }
}

/// Device sessions and the DevAddr index in Redis.
#[derive(Clone)]
pub struct SessionStore {
    redis: Pool,
    keys: RedisKeys,
    ttl: Duration,
    compare_and_set: Script,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore")
            .field("keys", &self.keys)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

impl SessionStore {
    /// Creates the store; sessions live `ttl` after their last write.
    pub fn new(redis: Pool, keys: RedisKeys, ttl: Duration) -> SessionStore {
        SessionStore {
            redis,
            keys,
            ttl,
            compare_and_set: Script::from_lua(COMPARE_AND_SET),
        }
    }

    /// Returns the active session of `dev_eui`, or `None`.
    pub async fn session(&self, dev_eui: Eui64) -> Result<Option<StoredSession>> {
        self.read(self.keys.session(dev_eui), false).await
    }

    /// Returns the pending session of `dev_eui` (joined, no uplink yet), or `None`.
    pub async fn pending_session(&self, dev_eui: Eui64) -> Result<Option<StoredSession>> {
        self.read(self.keys.pending_session(dev_eui), true).await
    }

    async fn read(&self, key: String, pending: bool) -> Result<Option<StoredSession>> {
        let raw: Option<Vec<u8>> = self
            .redis
            .get(key)
            .await
            .map_err(Error::redis("get session"))?;
        raw.map(|raw| {
            let session =
                pb::DeviceSession::decode(raw.as_slice()).map_err(Error::DecodeSession)?;
            Ok(StoredSession {
                session,
                pending,
                raw,
            })
        })
        .transpose()
    }

    /// Returns every live session, active or pending, using `dev_addr`; drops stale index
    /// members on the way.
    pub async fn candidates(&self, dev_addr: DevAddr) -> Result<Vec<StoredSession>> {
        let index = self.keys.dev_addr_index(dev_addr);
        let members: Vec<Vec<u8>> = self
            .redis
            .smembers(&index)
            .await
            .map_err(Error::redis("smembers devaddr index"))?;
        let mut sessions = Vec::with_capacity(members.len());
        for member in members {
            let Ok(bytes) = <[u8; 8]>::try_from(member.as_slice()) else {
                continue;
            };
            let dev_eui = Eui64::from_be_bytes(bytes);
            let before = sessions.len();
            for stored in [
                self.session(dev_eui).await?,
                self.pending_session(dev_eui).await?,
            ]
            .into_iter()
            .flatten()
            {
                if stored.session.dev_addr == dev_addr.to_u32() {
                    sessions.push(stored);
                }
            }
            if sessions.len() == before {
                let _: i64 = self
                    .redis
                    .srem(&index, member)
                    .await
                    .map_err(Error::redis("srem devaddr index"))?;
            }
        }
        Ok(sessions)
    }

    /// Stores `session` as the device's active session, replacing any previous one, and
    /// indexes it under its DevAddr.
    pub async fn create(&self, session: &pb::DeviceSession) -> Result<()> {
        let key = self.keys.session(Eui64::from_u64(session.dev_eui));
        self.write(key, session, false).await.map(|_| ())
    }

    /// Stores `session` as the device's pending session (after a join), replacing any earlier
    /// pending one, and indexes it under its DevAddr; the active session stays until the first
    /// uplink of the pending one.
    pub async fn create_pending(&self, session: &pb::DeviceSession) -> Result<()> {
        let key = self.keys.pending_session(Eui64::from_u64(session.dev_eui));
        self.write(key, session, false).await.map(|_| ())
    }

    /// Stores `session` as the active session only when the device has none; tells whether it
    /// was stored.
    pub async fn create_if_absent(&self, session: &pb::DeviceSession) -> Result<bool> {
        let key = self.keys.session(Eui64::from_u64(session.dev_eui));
        self.write(key, session, true).await
    }

    async fn write(
        &self,
        key: String,
        session: &pb::DeviceSession,
        only_new: bool,
    ) -> Result<bool> {
        let dev_eui = Eui64::from_u64(session.dev_eui);
        let dev_addr = DevAddr::from_u32(session.dev_addr);
        let options = only_new.then_some(fred::types::SetOptions::NX);
        let res: Option<String> = self
            .redis
            .set(
                key,
                session.encode_to_vec(),
                Some(Expiration::PX(ttl_ms(self.ttl))),
                options,
                false,
            )
            .await
            .map_err(Error::redis("set session"))?;
        if res.is_none() {
            return Ok(false);
        }
        let index = self.keys.dev_addr_index(dev_addr);
        let _: i64 = self
            .redis
            .sadd(&index, dev_eui.to_be_bytes().to_vec())
            .await
            .map_err(Error::redis("sadd devaddr index"))?;
        let _: i64 = self
            .redis
            .pexpire(&index, ttl_ms(self.ttl), None)
            .await
            .map_err(Error::redis("pexpire devaddr index"))?;
        Ok(true)
    }

    /// Stores `new` as the active session when Redis still holds `old` exactly (active or
    /// pending; a pending one is promoted); tells whether it did. Renews the session's TTL.
    pub async fn compare_and_set(
        &self,
        old: &StoredSession,
        new: &pb::DeviceSession,
    ) -> Result<bool> {
        Ok(self.compare_and_set_sending(old, new, None).await? == Stored::Yes)
    }

    /// Like [`SessionStore::compare_and_set`], and consumes the queue member `sent` (the
    /// application item the new session's counters were advanced for) in the same step.
    pub async fn compare_and_set_sending(
        &self,
        old: &StoredSession,
        new: &pb::DeviceSession,
        sent: Option<&[u8]>,
    ) -> Result<Stored> {
        let dev_eui = Eui64::from_u64(new.dev_eui);
        let keys = vec![
            self.keys.session(dev_eui),
            self.keys.pending_session(dev_eui),
            self.keys.queue(dev_eui),
        ];
        let args = vec![
            Value::Bytes(old.raw.clone().into()),
            Value::Bytes(new.encode_to_vec().into()),
            Value::from(ttl_ms(self.ttl)),
            Value::from(if old.pending { "1" } else { "0" }),
            Value::Bytes(sent.unwrap_or_default().to_vec().into()),
        ];
        let replaced: i64 = self
            .compare_and_set
            .evalsha_with_reload(self.redis.next(), keys, args)
            .await
            .map_err(Error::redis("compare-and-set session"))?;
        Ok(match replaced {
            1 => Stored::Yes,
            2 => Stored::ItemGone,
            _ => Stored::Conflict,
        })
    }

    /// Deletes the device's active and pending sessions and their DevAddr index entries, so
    /// its next uplink finds no session; tells whether there was one.
    pub async fn delete(&self, dev_eui: Eui64) -> Result<bool> {
        let sessions = [
            self.session(dev_eui).await?,
            self.pending_session(dev_eui).await?,
        ];
        let deleted: i64 = self
            .redis
            .del(vec![
                self.keys.session(dev_eui),
                self.keys.pending_session(dev_eui),
            ])
            .await
            .map_err(Error::redis("del sessions"))?;
        for stored in sessions.into_iter().flatten() {
            let index = self
                .keys
                .dev_addr_index(DevAddr::from_u32(stored.session.dev_addr));
            let _: i64 = self
                .redis
                .srem(&index, dev_eui.to_be_bytes().to_vec())
                .await
                .map_err(Error::redis("srem devaddr index"))?;
        }
        Ok(deleted > 0)
    }

    /// Returns the newest session of `dev_eui`: the pending one after a join, else the active.
    pub async fn latest(&self, dev_eui: Eui64) -> Result<Option<StoredSession>> {
        match self.pending_session(dev_eui).await? {
            Some(pending) => Ok(Some(pending)),
            None => self.session(dev_eui).await,
        }
    }
}
