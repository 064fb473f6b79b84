//! LoRaWAN versions as the registry stores them (`"1.0.3"`, `"1.1"`) and as the bus carries
//! them (`MacVersion` of `tern-proto`).

use tern_proto::internal::v1 as pb;

/// Returns the text form of `mac_version`; `Unspecified` reads as 1.0.4.
pub(crate) fn mac_version_str(mac_version: pb::MacVersion) -> &'static str {
    match mac_version {
        pb::MacVersion::MacVersion100 => "1.0.0",
        pb::MacVersion::MacVersion101 => "1.0.1",
        pb::MacVersion::MacVersion102 => "1.0.2",
        pb::MacVersion::MacVersion103 => "1.0.3",
        pb::MacVersion::MacVersion104 | pb::MacVersion::Unspecified => "1.0.4",
        pb::MacVersion::MacVersion11 => "1.1",
    }
}

/// Parses the text form; `None` for anything else.
pub(crate) fn mac_version_from_str(text: &str) -> Option<pb::MacVersion> {
    let all = [
        pb::MacVersion::MacVersion100,
        pb::MacVersion::MacVersion101,
        pb::MacVersion::MacVersion102,
        pb::MacVersion::MacVersion103,
        pb::MacVersion::MacVersion104,
        pb::MacVersion::MacVersion11,
    ];
    all.into_iter()
        .find(|version| mac_version_str(*version) == text)
}

/// Tells whether a session of `mac_version` uses the LoRaWAN 1.1 MICs and counters.
pub(crate) fn is_1_1(mac_version: pb::MacVersion) -> bool {
    mac_version == pb::MacVersion::MacVersion11
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        for text in ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.1"] {
            let version = mac_version_from_str(text).unwrap();
            assert_eq!(mac_version_str(version), text);
        }
        assert_eq!(mac_version_from_str("1.2"), None);
    }
}
