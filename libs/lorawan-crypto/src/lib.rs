//! LoRaWAN MIC, payload encryption, key derivation and AES key wrap.
//!
//! The cryptography of the LoRaWAN 1.0.x (TS001-1.0.4) and 1.1 link layers: message integrity
//! codes of every message type ([`compute_join_request_mic`], [`verify_data_uplink_mic_1_0`],
//! ...), FRMPayload and FOpts encryption, join-accept encryption, session and join-server key
//! derivation, RFC 3394 key wrap and 32-bit frame-counter reconstruction.
//!
//! The crate is pure: no I/O, no clock, no randomness (callers pass nonces and counters), no
//! logging. It works on raw bytes and integers and deliberately does not parse frames: the MIC
//! input is "the PHYPayload minus its last 4 bytes" (see [`split_mic`]), header fields are passed
//! as values, and picking the right key and LoRaWAN version is the caller's job, documented on
//! each function.
//!
//! Keys used per frame come prepared: MIC functions take a [`MicKey`] and payload encryption a
//! [`CipherKey`], each built once from an `Aes128Key` and reusable for every frame of a session.
//! One-off operations (join-accept encryption, key derivation, key wrap) take `Aes128Key`s.

mod cmac;
mod derive;
mod error;
mod f_opts;
mod fcnt;
mod join_accept;
mod keys;
mod keywrap;
mod mic;
mod payload;

pub use derive::{
    JoinServerKeys, SessionKeys1_0, SessionKeys1_1, derive_app_s_key, derive_app_s_key_1_1,
    derive_f_nwk_s_int_key, derive_join_server_keys, derive_js_enc_key, derive_js_int_key,
    derive_nwk_s_enc_key, derive_nwk_s_key, derive_s_nwk_s_int_key, derive_session_keys_1_0,
    derive_session_keys_1_1,
};
pub use error::{Error, Result};
pub use f_opts::{
    FOptsCounter, FOptsScheme, MAX_F_OPTS_LEN, decrypt_f_opts, decrypt_f_opts_in_place,
    encrypt_f_opts, encrypt_f_opts_in_place,
};
pub use fcnt::{FullFCnt, MAX_FCNT_GAP, reconstruct_f_cnt};
pub use join_accept::{decrypt_join_accept, encrypt_join_accept};
pub use keys::{CipherKey, MicKey};
pub use keywrap::{WRAPPED_KEY_LEN, unwrap_key, wrap_key};
pub use mic::{
    B1Fields, JoinReqType, MIC_LEN, compute_data_downlink_mic_1_0, compute_data_downlink_mic_1_1,
    compute_data_uplink_mic_1_0, compute_data_uplink_mic_1_1, compute_join_accept_mic_1_0,
    compute_join_accept_mic_1_1, compute_join_request_mic, compute_rejoin_request_mic, split_mic,
    verify_data_downlink_mic_1_0, verify_data_downlink_mic_1_1, verify_data_uplink_mic_1_0,
    verify_data_uplink_mic_1_1, verify_join_accept_mic_1_0, verify_join_accept_mic_1_1,
    verify_join_request_mic, verify_rejoin_request_mic,
};
pub use payload::{
    Direction, MAX_FRM_PAYLOAD_LEN, decrypt_frm_payload, decrypt_frm_payload_in_place,
    encrypt_frm_payload, encrypt_frm_payload_in_place,
};
