//! Session and join-server key derivation, LoRaWAN 1.0.4 §6.2.5 and LoRaWAN 1.1 §6.2.3 and
//! §6.2.2.
//!
//! Every key is one AES-128 encryption of a 16-byte block holding a type byte and the join
//! values, little-endian as on the air, zero padded. JoinNonce (called AppNonce in LoRaWAN
//! 1.0.x) is a 24-bit value passed as `u32`: a larger value is a caller bug that debug builds
//! assert and release builds truncate to its low 24 bits. DevNonce is passed as `u16`. Which
//! root key to use depends on the device's and the network's LoRaWAN versions and is documented
//! per function.

use aes::Aes128;
use aes::cipher::{BlockEncrypt, KeyInit};
use lorawan_codec::{Aes128Key, Eui64, NetId};

/// Type bytes of the derivation blocks.
const F_NWK_S_INT_KEY: u8 = 0x01;
const APP_S_KEY: u8 = 0x02;
const S_NWK_S_INT_KEY: u8 = 0x03;
const NWK_S_ENC_KEY: u8 = 0x04;
const JS_ENC_KEY: u8 = 0x05;
const JS_INT_KEY: u8 = 0x06;

/// The LoRaWAN 1.0.x session keys, LoRaWAN 1.0.4 §6.2.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionKeys1_0 {
    /// NwkSKey: MIC of data frames and FRMPayload with FPort 0.
    pub nwk_s_key: Aes128Key,
    /// AppSKey: FRMPayload with FPort > 0.
    pub app_s_key: Aes128Key,
}

/// The LoRaWAN 1.1 session keys, LoRaWAN 1.1 §6.2.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionKeys1_1 {
    /// FNwkSIntKey: cmacF half of the uplink MIC.
    pub f_nwk_s_int_key: Aes128Key,
    /// SNwkSIntKey: cmacS half of the uplink MIC, downlink MIC, rejoin type 0/2 MIC.
    pub s_nwk_s_int_key: Aes128Key,
    /// NwkSEncKey: FOpts and FRMPayload with FPort 0.
    pub nwk_s_enc_key: Aes128Key,
    /// AppSKey: FRMPayload with FPort > 0.
    pub app_s_key: Aes128Key,
}

/// The LoRaWAN 1.1 join-server lifetime keys, LoRaWAN 1.1 §6.2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinServerKeys {
    /// JSIntKey: MIC of rejoin-request type 1 and of join-accepts with OptNeg set.
    pub js_int_key: Aes128Key,
    /// JSEncKey: encryption of join-accepts answering a rejoin-request.
    pub js_enc_key: Aes128Key,
}

fn encrypt(key: &Aes128Key, mut block: [u8; 16]) -> Aes128Key {
    Aes128::new(key.as_bytes().into()).encrypt_block((&mut block).into());
    Aes128Key::from_bytes(block)
}

/// Returns the 3 little-endian bytes of a 24-bit JoinNonce.
fn join_nonce_bytes(join_nonce: u32) -> [u8; 3] {
    debug_assert!(join_nonce <= 0x00ff_ffff, "JoinNonce is a 24-bit value");
    let [b0, b1, b2, _] = join_nonce.to_le_bytes();
    [b0, b1, b2]
}

/// `aes128_encrypt(key, type | JoinNonce | NetID | DevNonce | pad16)`, LoRaWAN 1.0.4 §6.2.5.
fn derive_1_0(
    key: &Aes128Key,
    key_type: u8,
    join_nonce: u32,
    net_id: NetId,
    dev_nonce: u16,
) -> Aes128Key {
    let mut block = [0u8; 16];
    block[0] = key_type;
    block[1..4].copy_from_slice(&join_nonce_bytes(join_nonce));
    block[4..7].copy_from_slice(&net_id.to_le_bytes());
    block[7..9].copy_from_slice(&dev_nonce.to_le_bytes());
    encrypt(key, block)
}

/// `aes128_encrypt(key, type | JoinNonce | JoinEUI | DevNonce | pad16)`, LoRaWAN 1.1 §6.2.3.
fn derive_1_1(
    key: &Aes128Key,
    key_type: u8,
    join_nonce: u32,
    join_eui: Eui64,
    dev_nonce: u16,
) -> Aes128Key {
    let mut block = [0u8; 16];
    block[0] = key_type;
    block[1..4].copy_from_slice(&join_nonce_bytes(join_nonce));
    block[4..12].copy_from_slice(&join_eui.to_le_bytes());
    block[12..14].copy_from_slice(&dev_nonce.to_le_bytes());
    encrypt(key, block)
}

/// `aes128_encrypt(NwkKey, type | DevEUI | pad16)`, LoRaWAN 1.1 §6.2.2.
fn derive_js(nwk_key: &Aes128Key, key_type: u8, dev_eui: Eui64) -> Aes128Key {
    let mut block = [0u8; 16];
    block[0] = key_type;
    block[1..9].copy_from_slice(&dev_eui.to_le_bytes());
    encrypt(nwk_key, block)
}

/// Derives the LoRaWAN 1.0.x NwkSKey, LoRaWAN 1.0.4 §6.2.5:
/// `aes128_encrypt(AppKey, 0x01 | JoinNonce | NetID | DevNonce | pad16)`.
///
/// The key is the AppKey of a LoRaWAN 1.0.x device, or the NwkKey of a LoRaWAN 1.1 device
/// joining with OptNeg unset. `join_nonce` (AppNonce) is 24 bits.
pub fn derive_nwk_s_key(
    app_key: &Aes128Key,
    join_nonce: u32,
    net_id: NetId,
    dev_nonce: u16,
) -> Aes128Key {
    derive_1_0(app_key, F_NWK_S_INT_KEY, join_nonce, net_id, dev_nonce)
}

/// Derives the LoRaWAN 1.0.x AppSKey, LoRaWAN 1.0.4 §6.2.5:
/// `aes128_encrypt(AppKey, 0x02 | JoinNonce | NetID | DevNonce | pad16)`.
///
/// Same key rule as [`derive_nwk_s_key`].
pub fn derive_app_s_key(
    app_key: &Aes128Key,
    join_nonce: u32,
    net_id: NetId,
    dev_nonce: u16,
) -> Aes128Key {
    derive_1_0(app_key, APP_S_KEY, join_nonce, net_id, dev_nonce)
}

/// Derives both LoRaWAN 1.0.x session keys; see [`derive_nwk_s_key`] and [`derive_app_s_key`].
pub fn derive_session_keys_1_0(
    app_key: &Aes128Key,
    join_nonce: u32,
    net_id: NetId,
    dev_nonce: u16,
) -> SessionKeys1_0 {
    SessionKeys1_0 {
        nwk_s_key: derive_nwk_s_key(app_key, join_nonce, net_id, dev_nonce),
        app_s_key: derive_app_s_key(app_key, join_nonce, net_id, dev_nonce),
    }
}

/// Derives the LoRaWAN 1.1 FNwkSIntKey, LoRaWAN 1.1 §6.2.3:
/// `aes128_encrypt(NwkKey, 0x01 | JoinNonce | JoinEUI | DevNonce | pad16)`.
pub fn derive_f_nwk_s_int_key(
    nwk_key: &Aes128Key,
    join_nonce: u32,
    join_eui: Eui64,
    dev_nonce: u16,
) -> Aes128Key {
    derive_1_1(nwk_key, F_NWK_S_INT_KEY, join_nonce, join_eui, dev_nonce)
}

/// Derives the LoRaWAN 1.1 SNwkSIntKey, LoRaWAN 1.1 §6.2.3:
/// `aes128_encrypt(NwkKey, 0x03 | JoinNonce | JoinEUI | DevNonce | pad16)`.
pub fn derive_s_nwk_s_int_key(
    nwk_key: &Aes128Key,
    join_nonce: u32,
    join_eui: Eui64,
    dev_nonce: u16,
) -> Aes128Key {
    derive_1_1(nwk_key, S_NWK_S_INT_KEY, join_nonce, join_eui, dev_nonce)
}

/// Derives the LoRaWAN 1.1 NwkSEncKey, LoRaWAN 1.1 §6.2.3:
/// `aes128_encrypt(NwkKey, 0x04 | JoinNonce | JoinEUI | DevNonce | pad16)`.
pub fn derive_nwk_s_enc_key(
    nwk_key: &Aes128Key,
    join_nonce: u32,
    join_eui: Eui64,
    dev_nonce: u16,
) -> Aes128Key {
    derive_1_1(nwk_key, NWK_S_ENC_KEY, join_nonce, join_eui, dev_nonce)
}

/// Derives the LoRaWAN 1.1 AppSKey, LoRaWAN 1.1 §6.2.3:
/// `aes128_encrypt(AppKey, 0x02 | JoinNonce | JoinEUI | DevNonce | pad16)`.
///
/// Note the root key is the AppKey, not the NwkKey.
pub fn derive_app_s_key_1_1(
    app_key: &Aes128Key,
    join_nonce: u32,
    join_eui: Eui64,
    dev_nonce: u16,
) -> Aes128Key {
    derive_1_1(app_key, APP_S_KEY, join_nonce, join_eui, dev_nonce)
}

/// Derives all four LoRaWAN 1.1 session keys of a join with OptNeg set, LoRaWAN 1.1 §6.2.3.
pub fn derive_session_keys_1_1(
    nwk_key: &Aes128Key,
    app_key: &Aes128Key,
    join_nonce: u32,
    join_eui: Eui64,
    dev_nonce: u16,
) -> SessionKeys1_1 {
    SessionKeys1_1 {
        f_nwk_s_int_key: derive_f_nwk_s_int_key(nwk_key, join_nonce, join_eui, dev_nonce),
        s_nwk_s_int_key: derive_s_nwk_s_int_key(nwk_key, join_nonce, join_eui, dev_nonce),
        nwk_s_enc_key: derive_nwk_s_enc_key(nwk_key, join_nonce, join_eui, dev_nonce),
        app_s_key: derive_app_s_key_1_1(app_key, join_nonce, join_eui, dev_nonce),
    }
}

/// Derives the JSIntKey, LoRaWAN 1.1 §6.2.2: `aes128_encrypt(NwkKey, 0x06 | DevEUI | pad16)`.
pub fn derive_js_int_key(nwk_key: &Aes128Key, dev_eui: Eui64) -> Aes128Key {
    derive_js(nwk_key, JS_INT_KEY, dev_eui)
}

/// Derives the JSEncKey, LoRaWAN 1.1 §6.2.2: `aes128_encrypt(NwkKey, 0x05 | DevEUI | pad16)`.
pub fn derive_js_enc_key(nwk_key: &Aes128Key, dev_eui: Eui64) -> Aes128Key {
    derive_js(nwk_key, JS_ENC_KEY, dev_eui)
}

/// Derives both join-server lifetime keys, LoRaWAN 1.1 §6.2.2.
pub fn derive_join_server_keys(nwk_key: &Aes128Key, dev_eui: Eui64) -> JoinServerKeys {
    JoinServerKeys {
        js_int_key: derive_js_int_key(nwk_key, dev_eui),
        js_enc_key: derive_js_enc_key(nwk_key, dev_eui),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_nonce_enters_as_three_little_endian_bytes() {
        assert_eq!(join_nonce_bytes(0x00ab_cdef), [0xef, 0xcd, 0xab]);
        assert_eq!(join_nonce_bytes(0), [0, 0, 0]);
    }

    #[test]
    fn bundled_derivations_match_the_single_ones() {
        let nwk_key = Aes128Key::from_bytes([7; 16]);
        let app_key = Aes128Key::from_bytes([9; 16]);
        let net_id = NetId::from_be_bytes([0, 0, 0x13]);
        let eui = Eui64::from_u64(0x0102_0304_0506_0708);

        let keys_1_0 = derive_session_keys_1_0(&app_key, 5, net_id, 6);
        assert_eq!(keys_1_0.nwk_s_key, derive_nwk_s_key(&app_key, 5, net_id, 6));
        assert_eq!(keys_1_0.app_s_key, derive_app_s_key(&app_key, 5, net_id, 6));
        assert_ne!(keys_1_0.nwk_s_key, keys_1_0.app_s_key);

        let keys_1_1 = derive_session_keys_1_1(&nwk_key, &app_key, 5, eui, 6);
        assert_eq!(
            keys_1_1.app_s_key,
            derive_app_s_key_1_1(&app_key, 5, eui, 6)
        );
        assert_eq!(
            keys_1_1.f_nwk_s_int_key,
            derive_f_nwk_s_int_key(&nwk_key, 5, eui, 6)
        );

        let js_keys = derive_join_server_keys(&nwk_key, eui);
        assert_eq!(js_keys.js_int_key, derive_js_int_key(&nwk_key, eui));
        assert_eq!(js_keys.js_enc_key, derive_js_enc_key(&nwk_key, eui));
    }
}
