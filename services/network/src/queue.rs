//! The network server's downlink queue per device in Redis: application items, already
//! encrypted, in send order.
//!
//! One sorted set per device; every member scores 0, so Redis orders members by their bytes.
//! A member is a fixed-width order prefix (priority, then creation time) followed by the
//! prost `DownlinkQueueItem`, so reading the set returns the queue in send order and removing
//! an item needs nothing but the member read. The key shares the session's hash tag, so the
//! session update that sends an item also consumes it in the same script (see `session`).

use std::time::Duration;

use fred::clients::Pool;
use fred::interfaces::SortedSetsInterface;
use fred::types::Value;
use fred::types::scripts::Script;
use lorawan_codec::Eui64;
use prost::Message;
use tern_proto::internal::v1 as pb;

use crate::keys::RedisKeys;
use crate::{Error, Result};

/// Width of the order prefix: 8 hex digits of inverted priority, 16 of creation time.
const ORDER_PREFIX_LEN: usize = 24;

/// Adds `ARGV[3..]` to the queue `KEYS[1]` unless it would then hold more than `ARGV[1]`
/// members; renews the TTL `ARGV[2]` ms. Returns the new length, or -1 when full.
const PUSH: &str = r"
local count = redis.call('ZCARD', KEYS[1])
if count + #ARGV - 2 > tonumber(ARGV[1]) then
  return -1
end
for i = 3, #ARGV do
  redis.call('ZADD', KEYS[1], 0, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])
";

/// Replaces the queue `KEYS[1]` with `ARGV[2..]`, TTL `ARGV[1]` ms. Returns the new length.
const REPLACE: &str = r"
redis.call('DEL', KEYS[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 0, ARGV[i])
end
if #ARGV > 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return redis.call('ZCARD', KEYS[1])
";

/// One queued item with the exact member that stores it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueuedItem {
    /// The decoded item.
    pub(crate) item: pb::DownlinkQueueItem,
    /// The stored member, for removal.
    pub(crate) member: Vec<u8>,
}

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// The items were added; the queue now holds this many.
    Added(u64),
    /// The queue would exceed its maximum length; nothing was added.
    Full,
}

/// Downlink queues in Redis.
#[derive(Clone)]
pub(crate) struct QueueStore {
    redis: Pool,
    keys: RedisKeys,
    ttl: Duration,
    max_len: u32,
    push: Script,
    replace: Script,
}

impl std::fmt::Debug for QueueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueStore")
            .field("ttl", &self.ttl)
            .field("max_len", &self.max_len)
            .finish_non_exhaustive()
    }
}

/// Builds the stored member of `item`: order prefix, then the prost bytes.
pub(crate) fn member(item: &pb::DownlinkQueueItem) -> Vec<u8> {
    // Higher priority first: invert it into an unsigned that sorts ascending.
    let priority = (i64::from(i32::MAX) - i64::from(item.priority)) as u32;
    // Signed nanoseconds shifted into an unsigned that sorts ascending.
    let created = (item.created_at_unix_ns as u64) ^ (1 << 63);
    let mut member = format!("{priority:08x}{created:016x}").into_bytes();
    debug_assert_eq!(member.len(), ORDER_PREFIX_LEN);
    member.extend_from_slice(&item.encode_to_vec());
    member
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

impl QueueStore {
    /// Creates the store; a queue lives `ttl` after its last push, at most `max_len` items.
    pub(crate) fn new(redis: Pool, keys: RedisKeys, ttl: Duration, max_len: u32) -> QueueStore {
        QueueStore {
            redis,
            keys,
            ttl,
            max_len,
            push: Script::from_lua(PUSH),
            replace: Script::from_lua(REPLACE),
        }
    }

    /// Returns the device's queue in send order. A member that does not decode is skipped
    /// (and removed), so one corrupt entry cannot block the queue.
    pub(crate) async fn list(&self, dev_eui: Eui64) -> Result<Vec<QueuedItem>> {
        let key = self.keys.queue(dev_eui);
        let members: Vec<Vec<u8>> = self
            .redis
            .zrange(&key, 0, -1, None, false, None, false)
            .await
            .map_err(Error::redis("zrange queue"))?;
        let mut items = Vec::with_capacity(members.len());
        for member in members {
            let decoded = member
                .get(ORDER_PREFIX_LEN..)
                .and_then(|bytes| pb::DownlinkQueueItem::decode(bytes).ok());
            match decoded {
                Some(item) => items.push(QueuedItem { item, member }),
                None => self.remove(dev_eui, &[member]).await?,
            }
        }
        Ok(items)
    }

    /// Appends `items` (in their priority order) unless the queue would grow beyond its limit.
    pub(crate) async fn push(
        &self,
        dev_eui: Eui64,
        items: &[pb::DownlinkQueueItem],
    ) -> Result<Pushed> {
        let mut args = vec![
            Value::from(i64::from(self.max_len)),
            Value::from(ttl_ms(self.ttl)),
        ];
        args.extend(items.iter().map(|item| Value::Bytes(member(item).into())));
        let length: i64 = self
            .push
            .evalsha_with_reload(self.redis.next(), vec![self.keys.queue(dev_eui)], args)
            .await
            .map_err(Error::redis("push queue"))?;
        Ok(u64::try_from(length).map_or(Pushed::Full, Pushed::Added))
    }

    /// Replaces the whole queue with `items`; an empty list flushes it. Refuses more than the
    /// maximum length.
    pub(crate) async fn replace(
        &self,
        dev_eui: Eui64,
        items: &[pb::DownlinkQueueItem],
    ) -> Result<Pushed> {
        if items.len() > usize::try_from(self.max_len).unwrap_or(usize::MAX) {
            return Ok(Pushed::Full);
        }
        let mut args = vec![Value::from(ttl_ms(self.ttl))];
        args.extend(items.iter().map(|item| Value::Bytes(member(item).into())));
        let length: i64 = self
            .replace
            .evalsha_with_reload(self.redis.next(), vec![self.keys.queue(dev_eui)], args)
            .await
            .map_err(Error::redis("replace queue"))?;
        Ok(Pushed::Added(u64::try_from(length).unwrap_or(0)))
    }

    /// Removes the given stored members; members already gone are ignored.
    pub(crate) async fn remove(&self, dev_eui: Eui64, members: &[Vec<u8>]) -> Result<()> {
        if members.is_empty() {
            return Ok(());
        }
        let values: Vec<Value> = members
            .iter()
            .map(|member| Value::Bytes(member.clone().into()))
            .collect();
        let _: i64 = self
            .redis
            .zrem(self.keys.queue(dev_eui), values)
            .await
            .map_err(Error::redis("zrem queue"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, priority: i32, created_at_unix_ns: i64) -> pb::DownlinkQueueItem {
        pb::DownlinkQueueItem {
            id: id.to_owned(),
            priority,
            created_at_unix_ns,
            ..pb::DownlinkQueueItem::default()
        }
    }

    #[test]
    fn members_sort_by_priority_then_creation_time() {
        let mut items = [
            item("late-low", -5, 30),
            item("early-normal", 0, -10),
            item("late-normal", 0, 20),
            item("high", 7, 40),
            item("max", i32::MAX, i64::MAX),
            item("min", i32::MIN, i64::MIN),
        ];
        items.sort_by_key(member);
        let order: Vec<&str> = items.iter().map(|item| item.id.as_str()).collect();
        assert_eq!(
            order,
            [
                "max",
                "high",
                "early-normal",
                "late-normal",
                "late-low",
                "min"
            ]
        );
    }

    #[test]
    fn a_member_holds_the_item_after_its_prefix() {
        let item = item("a", 1, 2);
        let member = member(&item);
        let decoded = pb::DownlinkQueueItem::decode(&member[ORDER_PREFIX_LEN..]).unwrap();
        assert_eq!(decoded, item);
    }
}
