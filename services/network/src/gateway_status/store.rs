//! Gateway status in Redis: each gateway's latest stats, last-seen time, online flag and
//! status sequence in one hash, and the online gateways in a sorted set scored by last-seen.
//!
//! Both scripts read the clock of Redis (`TIME`), so replicas with drifting clocks agree on
//! who is silent, and each flips the online flag only from the state it checked, in the same
//! script: a stats message and a sweep racing on one gateway serialise in Redis, and their
//! events alternate online, offline, online with increasing sequence numbers.

use std::time::Duration;

use bytes::Bytes;
use fred::clients::Pool;
use fred::types::Value;
use fred::types::scripts::Script;
use lorawan_codec::Eui64;
use prost::Message;
use tern_proto::internal::v1 as pb;

use crate::keys::RedisKeys;
use crate::{Error, Result};

/// Records stats `ARGV[2]` of gateway `ARGV[1]` in hash `KEYS[1]` (kept `ARGV[3]` ms) and
/// scores it in the online set `KEYS[2]`. Returns `{changed, now_us, sequence}`: `changed` is
/// 1 when the gateway was not online before and is now.
const RECORD_STATS: &str = r"
local t = redis.call('TIME')
local now = t[1] .. string.format('%06d', tonumber(t[2]))
redis.call('HSET', KEYS[1], 'stats', ARGV[2], 'last_seen_us', now)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[1])
if redis.call('HGET', KEYS[1], 'online') == '1' then
  return {0, now, 0}
end
local sequence = redis.call('HINCRBY', KEYS[1], 'sequence', 1)
redis.call('HSET', KEYS[1], 'online', '1', 'changed_us', now)
return {1, now, sequence}
";

/// Returns up to `ARGV[2]` members of the online set `KEYS[1]` last seen more than `ARGV[1]`
/// microseconds ago.
const SILENT: &str = r"
local t = redis.call('TIME')
local cutoff = tonumber(t[1]) * 1000000 + tonumber(t[2]) - tonumber(ARGV[1])
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', cutoff), 'LIMIT', 0, ARGV[2])
";

/// For each gateway `ARGV[i + 1]` with hash `KEYS[i + 1]`: when it is online and was last seen
/// more than `ARGV[1]` microseconds ago, marks it offline and removes it from the online set
/// `KEYS[1]`; a gateway not online (or gone, or without a last-seen time) only leaves the
/// set. Returns, per gateway marked
/// offline, `{eui, last_seen_us, sequence, stats, now_us}`.
const MARK_OFFLINE: &str = r"
local t = redis.call('TIME')
local now = t[1] .. string.format('%06d', tonumber(t[2]))
local cutoff = tonumber(now) - tonumber(ARGV[1])
local marked = {}
for i = 2, #KEYS do
  local eui = ARGV[i]
  local state = redis.call('HMGET', KEYS[i], 'online', 'last_seen_us', 'stats')
  local last_seen = tonumber(state[2])
  if state[1] == '1' and last_seen ~= nil then
    if last_seen <= cutoff then
      local sequence = redis.call('HINCRBY', KEYS[i], 'sequence', 1)
      redis.call('HSET', KEYS[i], 'online', '0', 'changed_us', now)
      redis.call('ZREM', KEYS[1], eui)
      table.insert(marked, {eui, state[2], sequence, state[3] or '', now})
    end
  else
    redis.call('ZREM', KEYS[1], eui)
  end
end
return marked
";

/// Returns `{online, last_seen_us, stats, sequence, changed_us}` of gateway hash `KEYS[1]`,
/// each nil when absent.
const READ_STATUS: &str = r"
return redis.call('HMGET', KEYS[1], 'online', 'last_seen_us', 'stats', 'sequence', 'changed_us')
";

/// Returns the size of the online set `KEYS[1]`.
const COUNT_ONLINE: &str = "return redis.call('ZCARD', KEYS[1])";

/// How long a gateway's hash outlives its last stats; far beyond any offline threshold, so
/// only gateways gone for good are forgotten.
const STATE_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// A gateway's status change, as the event that reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Transition {
    /// The `gw.{eui}.status` event.
    pub(crate) status: pb::GatewayStatus,
}

/// Gateway status in Redis.
#[derive(Clone)]
pub(crate) struct GatewayStore {
    redis: Pool,
    keys: RedisKeys,
    record_stats: Script,
    silent: Script,
    mark_offline: Script,
    count_online: Script,
    read_status: Script,
}

impl std::fmt::Debug for GatewayStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayStore")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl GatewayStore {
    /// Creates the store under `keys`.
    pub(crate) fn new(redis: Pool, keys: RedisKeys) -> GatewayStore {
        GatewayStore {
            redis,
            keys,
            record_stats: Script::from_lua(RECORD_STATS),
            silent: Script::from_lua(SILENT),
            mark_offline: Script::from_lua(MARK_OFFLINE),
            count_online: Script::from_lua(COUNT_ONLINE),
            read_status: Script::from_lua(READ_STATUS),
        }
    }

    /// Records `stats` as the gateway's latest, in one round trip; returns the online event
    /// when the gateway was new or offline.
    pub(crate) async fn record(&self, stats: &pb::GatewayStats) -> Result<Option<Transition>> {
        let eui = Eui64::from_u64(stats.gateway_eui);
        let ttl_ms = i64::try_from(STATE_TTL.as_millis()).unwrap_or(i64::MAX);
        let reply: Vec<Value> = self
            .record_stats
            .evalsha_with_reload(
                self.redis.next(),
                vec![self.keys.gateway_status(eui), self.keys.gateways_online()],
                vec![
                    Value::from(eui.to_string()),
                    Value::Bytes(Bytes::from(stats.encode_to_vec())),
                    Value::from(ttl_ms),
                ],
            )
            .await
            .map_err(Error::redis("gateway record stats"))?;
        let [changed, now_us, sequence] = reply.as_slice() else {
            return Err(unexpected_reply("gateway record stats"));
        };
        if integer(changed) != Some(1) {
            return Ok(None);
        }
        let now_ns = integer(now_us).map_or(0, micros_to_nanos);
        Ok(Some(Transition {
            status: pb::GatewayStatus {
                gateway_eui: stats.gateway_eui,
                online: true,
                last_seen_at_unix_ns: now_ns,
                stats: Some(stats.clone()),
                changed_at_unix_ns: now_ns,
                sequence: integer(sequence)
                    .and_then(|sequence| u64::try_from(sequence).ok())
                    .unwrap_or(0),
            },
        }))
    }

    /// Marks up to `limit` online gateways silent for longer than `offline_after` as offline;
    /// returns their offline events and whether more silent gateways may remain.
    pub(crate) async fn sweep(
        &self,
        offline_after: Duration,
        limit: usize,
    ) -> Result<(Vec<Transition>, bool)> {
        let offline_after_us = i64::try_from(offline_after.as_micros()).unwrap_or(i64::MAX);
        let silent: Vec<String> = self
            .silent
            .evalsha_with_reload(
                self.redis.next(),
                self.keys.gateways_online(),
                vec![
                    Value::from(offline_after_us),
                    Value::from(i64::try_from(limit).unwrap_or(i64::MAX)),
                ],
            )
            .await
            .map_err(Error::redis("gateway find silent"))?;
        if silent.is_empty() {
            return Ok((Vec::new(), false));
        }
        let mut keys = Vec::with_capacity(silent.len() + 1);
        keys.push(self.keys.gateways_online());
        let mut args = Vec::with_capacity(silent.len() + 1);
        args.push(Value::from(offline_after_us));
        for member in &silent {
            // A member that is not an EUI is dropped from the set by the script: its hash
            // key below exists nowhere, so it counts as not online.
            let key = match u64::from_str_radix(member, 16) {
                Ok(eui) => self.keys.gateway_status(Eui64::from_u64(eui)),
                Err(_) => self.keys.gateway_status(Eui64::from_u64(0)) + ":invalid",
            };
            keys.push(key);
            args.push(Value::from(member.as_str()));
        }
        let marked: Vec<Vec<Value>> = self
            .mark_offline
            .evalsha_with_reload(self.redis.next(), keys, args)
            .await
            .map_err(Error::redis("gateway mark offline"))?;
        let transitions = marked
            .iter()
            .filter_map(|entry| offline_transition(entry))
            .collect();
        Ok((transitions, silent.len() >= limit))
    }

    /// Returns the gateway's current status, or `None` when no statistics of it are stored.
    ///
    /// `sequence` is that of the latest online or offline change, so a consumer that also
    /// follows `gw.{eui}.status` can order this answer among the events.
    pub(crate) async fn status(&self, gateway_eui: u64) -> Result<Option<pb::GatewayStatus>> {
        let reply: Vec<Value> = self
            .read_status
            .evalsha_with_reload(
                self.redis.next(),
                self.keys.gateway_status(Eui64::from_u64(gateway_eui)),
                Vec::<Value>::new(),
            )
            .await
            .map_err(Error::redis("gateway read status"))?;
        let [online, last_seen_us, stats, sequence, changed_us] = reply.as_slice() else {
            return Err(unexpected_reply("gateway read status"));
        };
        let Some(last_seen_us) = integer(last_seen_us) else {
            return Ok(None);
        };
        Ok(Some(pb::GatewayStatus {
            gateway_eui,
            online: integer(online) == Some(1),
            last_seen_at_unix_ns: micros_to_nanos(last_seen_us),
            stats: decode_stats(stats),
            changed_at_unix_ns: integer(changed_us).map_or(0, micros_to_nanos),
            sequence: integer(sequence)
                .and_then(|sequence| u64::try_from(sequence).ok())
                .unwrap_or(0),
        }))
    }

    /// Returns how many gateways are online.
    pub(crate) async fn count_online(&self) -> Result<u64> {
        self.count_online
            .evalsha_with_reload(
                self.redis.next(),
                self.keys.gateways_online(),
                Vec::<Value>::new(),
            )
            .await
            .map_err(Error::redis("gateway count online"))
    }
}

/// Builds the offline event from one `MARK_OFFLINE` entry; `None` when it is malformed.
fn offline_transition(entry: &[Value]) -> Option<Transition> {
    let [eui, last_seen_us, sequence, stats, now_us] = entry else {
        return None;
    };
    let gateway_eui = u64::from_str_radix(eui.as_str()?.as_ref(), 16).ok()?;
    let stats = decode_stats(stats);
    Some(Transition {
        status: pb::GatewayStatus {
            gateway_eui,
            online: false,
            last_seen_at_unix_ns: integer(last_seen_us).map_or(0, micros_to_nanos),
            stats,
            changed_at_unix_ns: integer(now_us).map_or(0, micros_to_nanos),
            sequence: integer(sequence)
                .and_then(|sequence| u64::try_from(sequence).ok())
                .unwrap_or(0),
        },
    })
}

/// Decodes stored stats; `None` when absent or malformed.
fn decode_stats(stats: &Value) -> Option<pb::GatewayStats> {
    let stats_bytes: &[u8] = match stats {
        Value::Bytes(bytes) => bytes,
        Value::String(text) => text.as_bytes(),
        _ => &[],
    };
    if stats_bytes.is_empty() {
        None
    } else {
        pb::GatewayStats::decode(stats_bytes).ok()
    }
}

/// Reads an integer reply, or a string holding one.
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(n) => Some(*n),
        Value::String(text) => text.parse().ok(),
        Value::Bytes(bytes) => std::str::from_utf8(bytes).ok()?.parse().ok(),
        _ => None,
    }
}

fn micros_to_nanos(micros: i64) -> i64 {
    micros.saturating_mul(1000)
}

fn unexpected_reply(what: &'static str) -> Error {
    Error::Redis {
        what,
        source: fred::error::Error::new(fred::error::ErrorKind::Parse, "unexpected script reply"),
    }
}
