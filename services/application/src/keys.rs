//! Every Redis key of the application service, and nothing else builds one.
//!
//! Each key starts with the configured prefix and carries a Redis Cluster hash tag around the
//! DevEUI, so the keys of one device, which one script touches together, live in one slot. No
//! other service reads them.

use lorawan_codec::Eui64;

/// Builds the application service's Redis keys under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisKeys {
    prefix: String,
}

impl RedisKeys {
    /// Creates the key builder for `prefix` (`redis.key_prefix`, e.g. `tern:`).
    pub fn new(prefix: &str) -> RedisKeys {
        RedisKeys {
            prefix: prefix.to_owned(),
        }
    }

    /// `{prefix}as:session:{<dev_eui>}`: the device's application session (JSON: DevAddr,
    /// wrapped AppSKey, and the session before it).
    pub fn session(&self, dev_eui: Eui64) -> String {
        format!("{}as:session:{{{dev_eui}}}", self.prefix)
    }

    /// `{prefix}as:afcntdown:{<dev_eui>}`: the next application downlink frame counter.
    pub fn a_f_cnt_down(&self, dev_eui: Eui64) -> String {
        format!("{}as:afcntdown:{{{dev_eui}}}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_prefix_and_a_hash_tag() {
        let keys = RedisKeys::new("t1:");
        let dev_eui = Eui64::from_u64(0x70b3_d57e_d000_0001);
        assert_eq!(keys.session(dev_eui), "t1:as:session:{70b3d57ed0000001}");
        assert_eq!(
            keys.a_f_cnt_down(dev_eui),
            "t1:as:afcntdown:{70b3d57ed0000001}"
        );
    }
}
