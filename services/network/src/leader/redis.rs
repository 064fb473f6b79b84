//! Leader election with a Redis lock: `SET NX PX` under a random holder id, renewed and
//! released only by its holder through compare-and-set scripts.
//!
//! Holds no fencing token: the lock only keeps replicas from doing the same work twice in
//! the normal case (see the parent module).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fred::clients::Pool;
use fred::types::Value;
use fred::types::scripts::Script;

use super::{LeaderElection, Result};

/// Renews the lock `KEYS[1]` for `ARGV[2]` ms when `ARGV[1]` holds it, otherwise takes it
/// when free; returns 1 when `ARGV[1]` holds it afterwards.
const ACQUIRE_OR_RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
";

/// Deletes the lock `KEYS[1]` only when `ARGV[1]` holds it.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// A lock in Redis that one replica at a time holds.
pub struct RedisLock {
    redis: Pool,
    key: String,
    holder_id: String,
    lease_duration: Duration,
    acquire_or_renew: Script,
    release: Script,
}

impl std::fmt::Debug for RedisLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLock")
            .field("key", &self.key)
            .field("holder_id", &self.holder_id)
            .field("lease_duration", &self.lease_duration)
            .finish_non_exhaustive()
    }
}

impl RedisLock {
    /// Creates a contender for the lock at `key` (built by `RedisKeys::leader`) with a fresh
    /// random holder id; a held lock expires `lease_duration` after its last renewal.
    pub fn new(redis: Pool, key: String, lease_duration: Duration) -> RedisLock {
        RedisLock {
            redis,
            key,
            holder_id: random_holder_id(),
            lease_duration,
            acquire_or_renew: Script::from_lua(ACQUIRE_OR_RENEW),
            release: Script::from_lua(RELEASE),
        }
    }

    /// Returns this contender's holder id, the value stored in the lock while it leads.
    pub fn holder_id(&self) -> &str {
        &self.holder_id
    }
}

impl LeaderElection for RedisLock {
    async fn acquire_or_renew(&self) -> Result<bool> {
        let lease_ms = i64::try_from(self.lease_duration.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let held: i64 = self
            .acquire_or_renew
            .evalsha_with_reload(
                self.redis.next(),
                self.key.clone(),
                vec![Value::from(self.holder_id.as_str()), Value::from(lease_ms)],
            )
            .await?;
        Ok(held == 1)
    }

    async fn release(&self) -> Result<()> {
        let _deleted: i64 = self
            .release
            .evalsha_with_reload(
                self.redis.next(),
                self.key.clone(),
                vec![Value::from(self.holder_id.as_str())],
            )
            .await?;
        Ok(())
    }
}

/// Returns 128 unpredictable bits as hex from the standard library's randomly keyed hasher;
/// holder ids only need to differ between replicas, not resist guessing.
fn random_holder_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let mut halves = [0_u64; 2];
    for (idx, half) in halves.iter_mut().enumerate() {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_usize(idx);
        hasher.write_u32(std::process::id());
        *half = hasher.finish();
    }
    format!("{:016x}{:016x}", halves[0], halves[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_ids_differ() {
        let first = random_holder_id();
        let second = random_holder_id();
        assert_eq!(first.len(), 32);
        assert_ne!(first, second);
    }
}
