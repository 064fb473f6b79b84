//! The key-encryption key (KEK) of the join server and its label.
//!
//! Root keys are stored wrapped under it and the AppSKey leaves the join server wrapped under
//! it (RFC 3394 AES key wrap, as the LoRaWAN Backend Interfaces TS002 KeyEnvelope). It comes
//! from `join.kek`; `Debug` never prints it and no answer or log line carries it.

use std::fmt;

use lorawan_codec::Aes128Key;
use lorawan_crypto::WRAPPED_KEY_LEN;
use tern_config::JoinConfig;
use tern_proto::internal::v1 as pb;

use crate::{Error, Result};

/// A KEK with the label that names it wherever wrapped keys are stored or sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Kek {
    label: String,
    key: Aes128Key,
}

impl Kek {
    /// Creates a KEK named `label`.
    pub fn new(label: impl Into<String>, key: Aes128Key) -> Kek {
        Kek {
            label: label.into(),
            key,
        }
    }

    /// Reads `join.kek` (32 hex digits) and `join.kek_label`.
    ///
    /// Fails with [`Error::KekMissing`] when the key is unset and [`Error::KekMalformed`] when
    /// it is not an AES-128 key in hex; neither error shows the configured value.
    pub fn from_config(config: &JoinConfig) -> Result<Kek> {
        let text = config.kek.as_ref().ok_or(Error::KekMissing)?.expose();
        let key = text
            .trim()
            .parse::<Aes128Key>()
            .map_err(|_| Error::KekMalformed)?;
        Ok(Kek::new(config.kek_label.clone(), key))
    }

    /// Returns the label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Wraps `key` (RFC 3394 §2.2.1) into 24 bytes.
    pub fn wrap_key(&self, key: &Aes128Key) -> [u8; WRAPPED_KEY_LEN] {
        lorawan_crypto::wrap_key(&self.key, key)
    }

    /// Unwraps a key stored as (`label`, `wrapped`); `what` names the key in errors.
    ///
    /// Fails with [`Error::UnknownKekLabel`] when `label` is not this KEK's label and with
    /// [`Error::KeyUnwrap`] when the integrity check fails.
    pub fn unwrap_key(&self, what: &'static str, label: &str, wrapped: &[u8]) -> Result<Aes128Key> {
        if label != self.label {
            return Err(Error::UnknownKekLabel {
                label: label.to_owned(),
            });
        }
        lorawan_crypto::unwrap_key(&self.key, wrapped)
            .map_err(|source| Error::KeyUnwrap { what, source })
    }

    /// Returns `key` wrapped under this KEK, as a `KeyEnvelope` carrying the label.
    pub fn envelope(&self, key: &Aes128Key) -> pb::KeyEnvelope {
        pb::KeyEnvelope {
            key: self.wrap_key(key).to_vec().into(),
            kek_label: self.label.clone(),
        }
    }
}

/// Returns `key` in a plaintext `KeyEnvelope` (empty label).
pub(crate) fn plaintext_envelope(key: &Aes128Key) -> pb::KeyEnvelope {
    pb::KeyEnvelope {
        key: key.as_bytes().to_vec().into(),
        kek_label: String::new(),
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kek")
            .field("label", &self.label)
            .field("key", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use tern_config::Secret;

    use super::*;

    fn config(kek: Option<&str>) -> JoinConfig {
        JoinConfig {
            kek: kek.map(|kek| Secret::new(kek.to_owned())),
            kek_label: "k1".to_owned(),
            ..JoinConfig::default()
        }
    }

    #[test]
    fn reads_the_kek_from_config_and_rejects_missing_or_malformed_ones() {
        let kek = Kek::from_config(&config(Some("000102030405060708090A0B0C0D0E0F"))).unwrap();
        assert_eq!(kek.label(), "k1");
        assert!(matches!(
            Kek::from_config(&config(None)),
            Err(Error::KekMissing)
        ));
        for bad in [
            "",
            "0011",
            "zz0102030405060708090a0b0c0d0e0f",
            &"00".repeat(17),
        ] {
            assert!(
                matches!(
                    Kek::from_config(&config(Some(bad))),
                    Err(Error::KekMalformed)
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn wraps_with_rfc_3394_and_checks_label_and_integrity() {
        // RFC 3394 §4.1: 128-bit key data wrapped with a 128-bit KEK.
        let kek = Kek::new(
            "default",
            "000102030405060708090a0b0c0d0e0f".parse().unwrap(),
        );
        let key: Aes128Key = "00112233445566778899aabbccddeeff".parse().unwrap();
        let wrapped = kek.wrap_key(&key);
        let expected: Vec<u8> = [
            0x1f, 0xa6, 0x8b, 0x0a, 0x81, 0x12, 0xb4, 0x47, 0xae, 0xf3, 0x4b, 0xd8, 0xfb, 0x5a,
            0x7b, 0x82, 0x9d, 0x3e, 0x86, 0x23, 0x71, 0xd2, 0xcf, 0xe5,
        ]
        .to_vec();
        assert_eq!(wrapped.to_vec(), expected);
        assert_eq!(kek.unwrap_key("AppKey", "default", &wrapped).unwrap(), key);
        assert!(matches!(
            kek.unwrap_key("AppKey", "other", &wrapped),
            Err(Error::UnknownKekLabel { .. })
        ));
        let mut corrupted = wrapped;
        corrupted[3] ^= 1;
        assert!(matches!(
            kek.unwrap_key("AppKey", "default", &corrupted),
            Err(Error::KeyUnwrap { what: "AppKey", .. })
        ));
        let envelope = kek.envelope(&key);
        assert_eq!(envelope.kek_label, "default");
        assert_eq!(envelope.key.to_vec(), expected);
    }

    #[test]
    fn debug_hides_the_key() {
        let kek = Kek::new("l", "000102030405060708090a0b0c0d0e0f".parse().unwrap());
        let shown = format!("{kek:?}");
        assert!(!shown.contains("0001020304"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
