//! Every Redis key of the network service, and nothing else builds one.
//!
//! Each key starts with the configured prefix and carries a Redis Cluster hash tag (`{...}`)
//! around the part that identifies the entity, so every key one Lua script touches lives in
//! one slot. The service owns these keys only; no other service reads them.

use lorawan_codec::{DevAddr, Eui64};

/// Builds the network service's Redis keys under one prefix.
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

    /// `{prefix}ns:session:{<dev_eui>}`: the device session (prost `DeviceSession`).
    pub fn session(&self, dev_eui: Eui64) -> String {
        format!("{}ns:session:{{{dev_eui}}}", self.prefix)
    }

    /// `{prefix}ns:pending:{<dev_eui>}`: the session of a join whose first uplink has not come
    /// yet; same hash tag as [`RedisKeys::session`], so one script can promote it.
    pub fn pending_session(&self, dev_eui: Eui64) -> String {
        format!("{}ns:pending:{{{dev_eui}}}", self.prefix)
    }

    /// `{prefix}ns:devaddr:{<dev_addr>}`: the set of DevEUIs whose session uses `dev_addr`.
    pub fn dev_addr_index(&self, dev_addr: DevAddr) -> String {
        format!("{}ns:devaddr:{{{dev_addr}}}", self.prefix)
    }

    /// `{prefix}ns:queue:{<dev_eui>}`: the device's downlink queue, a sorted set whose members
    /// are an order prefix and a prost `DownlinkQueueItem`; same hash tag as the session, so
    /// one script can store a session and consume the item it sent.
    pub fn queue(&self, dev_eui: Eui64) -> String {
        format!("{}ns:queue:{{{dev_eui}}}", self.prefix)
    }

    /// `{prefix}ns:classc:{<dev_eui>}`: held while a class C downlink of the device awaits its
    /// TX_ACK, so one replica sends at a time.
    pub fn class_c_lock(&self, dev_eui: Eui64) -> String {
        format!("{}ns:classc:{{{dev_eui}}}", self.prefix)
    }

    /// `{prefix}ns:downlink:{<gateway_eui>:<downlink_id>}`: a downlink awaiting its TX_ACK
    /// (prost `PendingDownlink`).
    pub fn pending_downlink(&self, gateway_eui: Eui64, downlink_id: u32) -> String {
        format!(
            "{}ns:downlink:{{{gateway_eui}:{downlink_id:08x}}}",
            self.prefix
        )
    }

    /// `{prefix}ns:duty:{<gateway_eui>}:<sub_band>:<hour>`: transmit time in milliseconds the
    /// gateway has been given in one regulatory sub-band during one hour since the Unix epoch.
    pub fn gateway_duty(&self, gateway_eui: Eui64, sub_band: usize, hour: u64) -> String {
        format!("{}ns:duty:{{{gateway_eui}}}:{sub_band}:{hour}", self.prefix)
    }

    /// `{prefix}ns:dedup:{<hash>}`: the list of gateway receptions of one uplink, keyed by a
    /// hex hash of PHYPayload, frequency and modulation.
    pub fn dedup(&self, frame_hash: &str) -> String {
        format!("{}ns:dedup:{{{frame_hash}}}", self.prefix)
    }

    /// `{prefix}ns:gw:{status}:<gateway_eui>`: one gateway's latest stats (prost
    /// `GatewayStats`), last-seen time, online flag and status sequence, as a hash. Every
    /// gateway key shares the hash tag `{status}`, so one script updates a gateway and
    /// [`RedisKeys::gateways_online`] together.
    pub fn gateway_status(&self, gateway_eui: Eui64) -> String {
        format!("{}ns:gw:{{status}}:{gateway_eui}", self.prefix)
    }

    /// `{prefix}ns:gw:{status}:online`: the sorted set of online gateway EUIs scored by
    /// last-seen time in microseconds; the sweep reads the silent ones from its low end.
    pub fn gateways_online(&self) -> String {
        format!("{}ns:gw:{{status}}:online", self.prefix)
    }

    /// `{prefix}ns:leader:{<role>}`: the Redis lock held by the replica elected for `role`.
    pub fn leader(&self, role: &str) -> String {
        format!("{}ns:leader:{{{role}}}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_prefix_and_a_hash_tag() {
        let keys = RedisKeys::new("t1:");
        let cases = [
            (
                keys.session(Eui64::from_u64(0x70b3_d57e_d000_0001)),
                "t1:ns:session:{70b3d57ed0000001}",
            ),
            (
                keys.pending_session(Eui64::from_u64(0x70b3_d57e_d000_0001)),
                "t1:ns:pending:{70b3d57ed0000001}",
            ),
            (
                keys.dev_addr_index(DevAddr::from_u32(0x2601_1234)),
                "t1:ns:devaddr:{26011234}",
            ),
            (keys.dedup("ab01"), "t1:ns:dedup:{ab01}"),
            (
                keys.queue(Eui64::from_u64(0x70b3_d57e_d000_0001)),
                "t1:ns:queue:{70b3d57ed0000001}",
            ),
            (
                keys.pending_downlink(Eui64::from_u64(0x0102_0304_0506_0708), 0xab),
                "t1:ns:downlink:{0102030405060708:000000ab}",
            ),
            (
                keys.gateway_status(Eui64::from_u64(0x0016_c001_ff10_0001)),
                "t1:ns:gw:{status}:0016c001ff100001",
            ),
            (keys.gateways_online(), "t1:ns:gw:{status}:online"),
            (keys.leader("gateway-sweep"), "t1:ns:leader:{gateway-sweep}"),
        ];
        for (key, want) in cases {
            assert_eq!(key, want);
        }
    }
}
