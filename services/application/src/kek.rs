//! The key-encryption key (KEK) the AppSKeys arrive wrapped under, and stay wrapped under in
//! Redis (RFC 3394 AES key wrap, as the join server does it).
//!
//! It comes from `application.kek` (or `join.kek`, handed in by the binary); `Debug` never
//! prints it, and an unwrapped AppSKey lives only in memory for one operation.

use std::fmt;

use lorawan_codec::Aes128Key;
use tern_proto::internal::v1 as pb;

use crate::{Error, Result};

/// A KEK with its label.
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

    /// Parses a KEK from 32 hex digits; fails without showing the text.
    pub fn parse(label: impl Into<String>, hex: Option<&str>) -> Result<Kek> {
        let text = hex.ok_or(Error::KekMissing)?;
        let key = text
            .trim()
            .parse::<Aes128Key>()
            .map_err(|_| Error::KekMalformed)?;
        Ok(Kek::new(label, key))
    }

    /// Returns the label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Returns `key` wrapped under this KEK, as an envelope carrying the label.
    pub fn envelope(&self, key: &Aes128Key) -> pb::KeyEnvelope {
        pb::KeyEnvelope {
            key: lorawan_crypto::wrap_key(&self.key, key).to_vec().into(),
            kek_label: self.label.clone(),
        }
    }

    /// Returns the envelope as stored at rest: wrapped under this KEK. A plaintext envelope
    /// (empty label) is wrapped here; a wrapped one is checked and kept as it came.
    pub fn to_rest(&self, envelope: &pb::KeyEnvelope) -> Result<pb::KeyEnvelope> {
        let key = self.open(envelope)?;
        if envelope.kek_label.is_empty() {
            Ok(self.envelope(&key))
        } else {
            Ok(envelope.clone())
        }
    }

    /// Unwraps an envelope (or reads a plaintext one).
    pub fn open(&self, envelope: &pb::KeyEnvelope) -> Result<Aes128Key> {
        if envelope.kek_label.is_empty() {
            let bytes =
                <[u8; 16]>::try_from(envelope.key.as_ref()).map_err(|_| Error::KeyLength)?;
            return Ok(Aes128Key::from_bytes(bytes));
        }
        if envelope.kek_label != self.label {
            return Err(Error::UnknownKekLabel {
                label: envelope.kek_label.clone(),
            });
        }
        lorawan_crypto::unwrap_key(&self.key, &envelope.key).map_err(Error::KeyUnwrap)
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
    use super::*;

    fn kek() -> Kek {
        Kek::parse("k1", Some("000102030405060708090a0b0c0d0e0f")).unwrap()
    }

    #[test]
    fn opens_wrapped_and_plaintext_envelopes_and_refuses_others() {
        let key: Aes128Key = "00112233445566778899aabbccddeeff".parse().unwrap();
        let wrapped = kek().envelope(&key);
        assert_eq!(wrapped.key.len(), 24);
        assert_eq!(kek().open(&wrapped).unwrap(), key);
        let plain = pb::KeyEnvelope {
            key: key.as_bytes().to_vec().into(),
            kek_label: String::new(),
        };
        assert_eq!(kek().open(&plain).unwrap(), key);
        let at_rest = kek().to_rest(&plain).unwrap();
        assert_eq!(at_rest.kek_label, "k1");
        assert_eq!(kek().open(&at_rest).unwrap(), key);
        let other = pb::KeyEnvelope {
            kek_label: String::from("k2"),
            ..wrapped.clone()
        };
        assert!(matches!(
            kek().open(&other),
            Err(Error::UnknownKekLabel { .. })
        ));
        let mut corrupted = wrapped.key.to_vec();
        corrupted[0] ^= 1;
        let corrupted = pb::KeyEnvelope {
            key: corrupted.into(),
            ..wrapped
        };
        assert!(matches!(kek().open(&corrupted), Err(Error::KeyUnwrap(_))));
    }

    #[test]
    fn parse_rejects_missing_and_malformed_keys_and_debug_hides_it() {
        assert!(matches!(Kek::parse("l", None), Err(Error::KekMissing)));
        assert!(matches!(
            Kek::parse("l", Some("xyz")),
            Err(Error::KekMalformed)
        ));
        assert!(!format!("{:?}", kek()).contains("0001020304"));
    }
}
