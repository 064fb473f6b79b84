//! The key-encryption key (KEK) ABP session keys are wrapped under: in the registry's
//! `abp_sessions` table, and (the AppSKey) on its way to the application service, which
//! unwraps it with the same KEK (RFC 3394 AES key wrap).
//!
//! It comes from `identity.kek` (or, through `tern serve`, the application's or join
//! server's); `Debug` never prints it. Network session keys leave here in plaintext
//! envelopes, as `ns.device` takes them; this module does not decide where keys go.

use std::fmt;

use anyhow::Context as _;
use lorawan_codec::Aes128Key;
use tern_config::IdentityConfig;

use crate::{Error, Result};

/// A KEK with its label.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Kek {
    label: String,
    key: Aes128Key,
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kek")
            .field("label", &self.label)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Kek {
    /// Creates a KEK named `label`.
    pub(crate) fn new(label: impl Into<String>, key: Aes128Key) -> Kek {
        Kek {
            label: label.into(),
            key,
        }
    }

    /// Reads the KEK of `config`: `None` when unset; an error (without the text) when it is
    /// not 32 hex digits.
    pub(crate) fn from_config(config: &IdentityConfig) -> anyhow::Result<Option<Kek>> {
        let Some(text) = &config.kek else {
            return Ok(None);
        };
        let key = text
            .expose()
            .trim()
            .parse::<Aes128Key>()
            .ok()
            .context("identity.kek must be 32 hex digits")?;
        let label = config.kek_label.clone().unwrap_or_else(|| "default".into());
        Ok(Some(Kek::new(label, key)))
    }

    /// Returns the label.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// Returns `key` wrapped under this KEK.
    pub(crate) fn wrap(&self, key: &Aes128Key) -> Vec<u8> {
        lorawan_crypto::wrap_key(&self.key, key).to_vec()
    }

    /// Unwraps a key wrapped under the KEK named `label`; fails when that is not this KEK
    /// or the bytes do not unwrap.
    pub(crate) fn unwrap(&self, label: &str, wrapped: &[u8]) -> Result<Aes128Key> {
        if label != self.label {
            return Err(Error::FailedPrecondition(format!(
                "the stored abp session is wrapped under kek {label:?}, but identity.kek is {:?}; \
                 activate the device again",
                self.label
            )));
        }
        lorawan_crypto::unwrap_key(&self.key, wrapped)
            .map_err(|_| Error::Crypto("unwrap a stored abp session key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_unwraps_and_refuses_another_label() {
        let kek = Kek::new("k1", Aes128Key::from_bytes([7; 16]));
        let key = Aes128Key::from_bytes([1; 16]);
        let wrapped = kek.wrap(&key);
        assert_eq!(wrapped.len(), 24);
        assert_eq!(kek.unwrap("k1", &wrapped).unwrap(), key);
        let error = kek.unwrap("k2", &wrapped).unwrap_err();
        assert!(matches!(error, Error::FailedPrecondition(_)), "{error:?}");
        assert!(!format!("{kek:?}").contains("07070707"));
    }

    #[test]
    fn reads_the_config_and_refuses_bad_hex() {
        let mut config = IdentityConfig::default();
        assert_eq!(Kek::from_config(&config).unwrap(), None);
        config.kek = Some(tern_config::Secret::new(
            "000102030405060708090a0b0c0d0e0f".into(),
        ));
        config.kek_label = Some("test".into());
        let kek = Kek::from_config(&config).unwrap().unwrap();
        assert_eq!(kek.label(), "test");
        config.kek = Some(tern_config::Secret::new("not hex".into()));
        let error = Kek::from_config(&config).unwrap_err().to_string();
        assert!(!error.contains("not hex"), "{error}");
    }
}
