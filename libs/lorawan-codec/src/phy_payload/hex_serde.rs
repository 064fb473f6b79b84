//! Serde helpers that write byte fields as lowercase hex strings, so frames printed as JSON
//! read like the hex dumps operators already know.
//!
//! Only compiled with the `serde` feature; the binary encoding never goes through here.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

/// Parses a hex string (upper or lower case) into bytes.
fn parse<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    hex::decode(text.as_ref()).map_err(D::Error::custom)
}

/// A byte vector as a hex string.
pub(crate) mod vec {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        parse(deserializer)
    }
}

/// An optional 4-byte MIC as a hex string or `null`.
pub(crate) mod mic {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        mic: &Option<[u8; 4]>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match mic {
            Some(mic) => serializer.serialize_str(&hex::encode(mic)),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<[u8; 4]>, D::Error> {
        let text = <Option<std::borrow::Cow<'de, str>>>::deserialize(deserializer)?;
        let Some(text) = text else {
            return Ok(None);
        };
        let bytes = hex::decode(text.as_ref()).map_err(D::Error::custom)?;
        let mic: [u8; 4] = bytes
            .try_into()
            .map_err(|_| D::Error::custom("a MIC is 4 bytes"))?;
        Ok(Some(mic))
    }
}
