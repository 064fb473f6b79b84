//! Gateway claims between edge replicas (docs/adr/001-gateway-claims.md), and the random ids
//! the edge hands out.
//!
//! A replica that starts holding a gateway publishes a [`GatewayClaim`] on `gw.{eui}.claim`
//! after its `gw.{eui}.down` subscription is confirmed; a replica holding the same gateway
//! with an older claim lets go. This module decides who wins; subscribing and releasing are
//! the edge's work.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// A replica's claim of a gateway, the payload of `gw.{eui}.claim`.
///
/// Only gateway edge replicas exchange it. Its protobuf wire form is
/// `message GatewayClaim { string replica_id = 1; int64 claimed_at_unix_ns = 2; }`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub(crate) struct GatewayClaim {
    /// The claiming replica.
    #[prost(string, tag = "1")]
    pub(crate) replica_id: String,
    /// When the replica started holding the gateway, Unix nanoseconds by its clock.
    #[prost(int64, tag = "2")]
    pub(crate) claimed_at_unix_ns: i64,
}

impl GatewayClaim {
    /// Tells whether this claim supersedes `held`, the claim behind a route this replica holds:
    /// the later claim wins, and on equal times the greater replica id, so two replicas always
    /// agree on one holder.
    pub(crate) fn supersedes(&self, held: &GatewayClaim) -> bool {
        (self.claimed_at_unix_ns, self.replica_id.as_str())
            > (held.claimed_at_unix_ns, held.replica_id.as_str())
    }
}

/// Returns the current time as Unix nanoseconds; 0 for a clock before 1970.
pub(crate) fn now_unix_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|since| i64::try_from(since.as_nanos()).ok())
        .unwrap_or(0)
}

/// Hands out well-mixed 64-bit ids (SplitMix64 over a randomly seeded counter): replica ids,
/// uplink ids and PULL_RESP tokens. Not for secrets.
#[derive(Debug, Clone)]
pub(crate) struct Ids {
    state: u64,
}

impl Ids {
    /// Seeds from the process's random hasher keys and the clock.
    pub(crate) fn new() -> Ids {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_i64(now_unix_ns());
        hasher.write_u32(std::process::id());
        Ids {
            state: hasher.finish(),
        }
    }

    /// Returns the next id.
    pub(crate) fn next_u64(&mut self) -> u64 {
        // SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators").
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Returns the next id's low 32 bits.
    pub(crate) fn next_u32(&mut self) -> u32 {
        // Truncation is the point: any 32 bits of a SplitMix64 output are well mixed.
        self.next_u64() as u32
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    fn claim(replica_id: &str, claimed_at_unix_ns: i64) -> GatewayClaim {
        GatewayClaim {
            replica_id: replica_id.to_owned(),
            claimed_at_unix_ns,
        }
    }

    #[test]
    fn later_claim_wins_and_replica_id_breaks_ties() {
        let cases = [
            (claim("a", 2), claim("b", 1), true),
            (claim("a", 1), claim("b", 2), false),
            (claim("b", 1), claim("a", 1), true),
            (claim("a", 1), claim("b", 1), false),
            (claim("a", 1), claim("a", 1), false),
        ];
        for (incoming, held, expected) in cases {
            assert_eq!(
                incoming.supersedes(&held),
                expected,
                "{incoming:?} vs {held:?}"
            );
        }
    }

    #[test]
    fn claim_has_the_documented_wire_form() {
        // Field 1 (string, wire type 2) "r1", field 2 (varint) 300.
        let bytes = claim("r1", 300).encode_to_vec();
        assert_eq!(bytes, [0x0a, 2, b'r', b'1', 0x10, 0xac, 0x02]);
        assert_eq!(GatewayClaim::decode(&bytes[..]).unwrap(), claim("r1", 300));
    }

    #[test]
    fn ids_do_not_repeat_in_a_long_run() {
        let mut ids = Ids::new();
        let drawn: std::collections::HashSet<u64> = (0..10_000).map(|_| ids.next_u64()).collect();
        assert_eq!(drawn.len(), 10_000);
        assert_ne!(Ids::new().next_u64(), Ids::new().next_u64());
    }
}
