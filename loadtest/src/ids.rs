//! Deterministic identifiers and keys: the same fleet name and seed give the same DevEUIs,
//! gateway EUIs and root keys, so a repeated run finds its devices again.
//!
//! The numbers come from SplitMix64 over the name's FNV-1a hash; nothing here is meant to be
//! secret, the keys protect test devices only.

use lorawan_codec::{Aes128Key, Eui64};

/// Returns the next SplitMix64 value of `state`.
pub(crate) fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Mixes a few numbers into one well-spread value.
pub(crate) fn mix(parts: &[u64]) -> u64 {
    let mut state = 0x7465_726e_u64;
    for part in parts {
        state ^= *part;
        splitmix(&mut state);
    }
    splitmix(&mut state)
}

/// Returns a value in `[0, 1)` from a mixed number, for share decisions.
pub(crate) fn unit(value: u64) -> f64 {
    // The top 53 bits fill an f64 mantissa exactly.
    (value >> 11) as f64 / (1u64 << 53) as f64
}

/// FNV-1a of a name.
fn fnv(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Identifiers of one fleet.
#[derive(Debug, Clone)]
pub(crate) struct FleetIds {
    name_hash: u64,
    seed: u64,
}

impl FleetIds {
    /// Returns the identifiers of fleet `name` with `seed`.
    pub(crate) fn new(name: &str, seed: u64) -> FleetIds {
        FleetIds {
            name_hash: fnv(name),
            seed,
        }
    }

    /// The high 32 bits shared by the fleet's EUIs, with the locally administered bit of an
    /// EUI-64 set so they never collide with real hardware.
    fn prefix(&self, kind: u64) -> u64 {
        let high = (mix(&[self.name_hash, self.seed, kind]) >> 32) | 0x0200_0000;
        high << 32
    }

    /// Returns the DevEUI of device `index`.
    pub(crate) fn dev_eui(&self, index: usize) -> Eui64 {
        Eui64::from_u64(self.prefix(1) | index as u64)
    }

    /// Returns the JoinEUI of every device of the fleet.
    pub(crate) fn join_eui(&self) -> Eui64 {
        Eui64::from_u64(self.prefix(2))
    }

    /// Returns the EUI of gateway `index`.
    pub(crate) fn gateway_eui(&self, index: usize) -> u64 {
        self.prefix(3) | 0xff00_0000 | index as u64
    }

    /// Returns a root key of device `index`; `which` tells AppKey (0) from NwkKey (1).
    pub(crate) fn root_key(&self, index: usize, which: u64) -> Aes128Key {
        let high = mix(&[self.name_hash, self.seed, 4 + which, index as u64]);
        let low = mix(&[self.name_hash, self.seed, 6 + which, index as u64]);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&high.to_be_bytes());
        bytes[8..].copy_from_slice(&low.to_be_bytes());
        Aes128Key::from_bytes(bytes)
    }

    /// Returns a per-device seed for its random choices.
    pub(crate) fn device_seed(&self, index: usize) -> u64 {
        mix(&[self.name_hash, self.seed, 8, index as u64])
    }

    /// Tells whether device `index` falls in a share (class C, for instance) of the fleet.
    pub(crate) fn in_share(&self, index: usize, what: u64, share: f64) -> bool {
        unit(mix(&[self.name_hash, self.seed, what, index as u64])) < share
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_repeat_for_the_same_name_and_seed_and_differ_otherwise() {
        let ids = FleetIds::new("loadtest", 1);
        assert_eq!(ids.dev_eui(7), FleetIds::new("loadtest", 1).dev_eui(7));
        assert_ne!(ids.dev_eui(7), ids.dev_eui(8));
        assert_ne!(ids.dev_eui(7), FleetIds::new("other", 1).dev_eui(7));
        assert_ne!(ids.dev_eui(7), FleetIds::new("loadtest", 2).dev_eui(7));
        assert_ne!(ids.root_key(3, 0), ids.root_key(3, 1));
        assert_eq!(ids.dev_eui(5).to_u64() & 0xffff_ffff, 5);
    }

    #[test]
    fn shares_are_close_to_the_requested_fraction() {
        let ids = FleetIds::new("loadtest", 9);
        let hits = (0..10_000)
            .filter(|index| ids.in_share(*index, 1, 0.25))
            .count();
        assert!((2_300..2_700).contains(&hits), "{hits}");
        assert_eq!(
            (0..100)
                .filter(|index| ids.in_share(*index, 1, 0.0))
                .count(),
            0
        );
    }
}
