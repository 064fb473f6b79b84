//! The LoRaWAN L2 versions the join server tells apart, and what each implies for the join:
//! which root key signs the request, how DevNonces are checked, and which keys are derived.
//!
//! Regional Parameters revisions are not tracked here: the network server picks the radio
//! settings that go into the join-accept.

use std::fmt;
use std::str::FromStr;

use tern_proto::internal::v1 as pb;

/// LoRaWAN L2 (MAC) version of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MacVersion {
    /// LoRaWAN 1.0.0.
    V1_0_0,
    /// LoRaWAN 1.0.1.
    V1_0_1,
    /// LoRaWAN 1.0.2.
    V1_0_2,
    /// LoRaWAN 1.0.3.
    V1_0_3,
    /// LoRaWAN 1.0.4 (TS001-1.0.4).
    V1_0_4,
    /// LoRaWAN 1.1.
    V1_1,
}

/// A MAC version string the join server does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown LoRaWAN MAC version {0:?}: expected 1.0.0, 1.0.1, 1.0.2, 1.0.3, 1.0.4 or 1.1")]
pub struct UnknownMacVersion(pub String);

impl MacVersion {
    /// Every version, oldest first.
    pub const ALL: [MacVersion; 6] = [
        MacVersion::V1_0_0,
        MacVersion::V1_0_1,
        MacVersion::V1_0_2,
        MacVersion::V1_0_3,
        MacVersion::V1_0_4,
        MacVersion::V1_1,
    ];

    /// Returns the version as written in the specifications: `1.0.3`, `1.1`.
    pub fn as_str(self) -> &'static str {
        match self {
            MacVersion::V1_0_0 => "1.0.0",
            MacVersion::V1_0_1 => "1.0.1",
            MacVersion::V1_0_2 => "1.0.2",
            MacVersion::V1_0_3 => "1.0.3",
            MacVersion::V1_0_4 => "1.0.4",
            MacVersion::V1_1 => "1.1",
        }
    }

    /// Tells whether the device speaks LoRaWAN 1.1: NwkKey and AppKey, OptNeg, four session
    /// keys and rejoin-requests (LoRaWAN 1.1 §6.2).
    pub fn is_1_1(self) -> bool {
        self == MacVersion::V1_1
    }

    /// Tells whether the DevNonce is a counter that must increase with every join-request
    /// (LoRaWAN 1.0.4 §6.2.5 and 1.1 §6.2.2) rather than a random value that must not repeat
    /// (LoRaWAN 1.0.3 §6.2.4 and earlier).
    pub fn dev_nonce_is_counter(self) -> bool {
        self >= MacVersion::V1_0_4
    }

    /// Returns the protobuf enum value.
    pub fn to_proto(self) -> pb::MacVersion {
        match self {
            MacVersion::V1_0_0 => pb::MacVersion::MacVersion100,
            MacVersion::V1_0_1 => pb::MacVersion::MacVersion101,
            MacVersion::V1_0_2 => pb::MacVersion::MacVersion102,
            MacVersion::V1_0_3 => pb::MacVersion::MacVersion103,
            MacVersion::V1_0_4 => pb::MacVersion::MacVersion104,
            MacVersion::V1_1 => pb::MacVersion::MacVersion11,
        }
    }
}

impl fmt::Display for MacVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MacVersion {
    type Err = UnknownMacVersion;

    /// Parses `1.0.0` to `1.0.4` and `1.1` (also written `1.1.0`).
    fn from_str(text: &str) -> Result<MacVersion, UnknownMacVersion> {
        match text {
            "1.1.0" => Ok(MacVersion::V1_1),
            _ => MacVersion::ALL
                .into_iter()
                .find(|version| version.as_str() == text)
                .ok_or_else(|| UnknownMacVersion(text.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_round_trip_through_text_and_know_their_nonce_rules() {
        let cases = [
            ("1.0.0", false, false),
            ("1.0.1", false, false),
            ("1.0.2", false, false),
            ("1.0.3", false, false),
            ("1.0.4", true, false),
            ("1.1", true, true),
        ];
        assert_eq!(cases.len(), MacVersion::ALL.len());
        for ((text, counter, is_1_1), version) in cases.into_iter().zip(MacVersion::ALL) {
            assert_eq!(text.parse::<MacVersion>(), Ok(version));
            assert_eq!(version.to_string(), text);
            assert_eq!(version.dev_nonce_is_counter(), counter, "{text}");
            assert_eq!(version.is_1_1(), is_1_1, "{text}");
        }
        assert_eq!("1.1.0".parse::<MacVersion>(), Ok(MacVersion::V1_1));
        assert_eq!(
            "1.2".parse::<MacVersion>(),
            Err(UnknownMacVersion("1.2".to_owned()))
        );
    }

    #[test]
    fn proto_values_are_distinct() {
        let values: std::collections::HashSet<i32> = MacVersion::ALL
            .iter()
            .map(|version| version.to_proto() as i32)
            .collect();
        assert_eq!(values.len(), 6);
        assert!(!values.contains(&(pb::MacVersion::Unspecified as i32)));
    }
}
