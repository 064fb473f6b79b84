//! Join-accept: the decrypted body (JoinNonce, Home_NetID, DevAddr, DLSettings, RxDelay,
//! CFList) and the encrypted form that travels on the air.
//!
//! Decrypting and encrypting, and computing the MIC over the plaintext, is `lorawan-crypto`'s
//! work; [`crate::PhyPayload::join_accept`] builds the plaintext frame it needs.

use std::fmt;

use super::{CfList, JoinNonce, take};
use crate::{DevAddr, Error, NetId, Result};

/// DLSettings of a join-accept: OptNeg (LoRaWAN 1.1; RFU in 1.0.x), RX1DRoffset and
/// RX2DataRate, LoRaWAN 1.0.4 §6.2.3 and 1.1 §6.2.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "DlSettingsFields"))]
pub struct DlSettings {
    opt_neg: bool,
    rx1_dr_offset: u8,
    rx2_data_rate: u8,
}

/// The fields of [`DlSettings`] as they appear in JSON, checked on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct DlSettingsFields {
    opt_neg: bool,
    rx1_dr_offset: u8,
    rx2_data_rate: u8,
}

#[cfg(feature = "serde")]
impl TryFrom<DlSettingsFields> for DlSettings {
    type Error = Error;

    fn try_from(fields: DlSettingsFields) -> Result<Self> {
        Self::new(fields.opt_neg, fields.rx1_dr_offset, fields.rx2_data_rate)
    }
}

impl DlSettings {
    /// Creates DLSettings; fails with [`Error::OutOfRange`] when RX1DRoffset exceeds 3 bits or
    /// RX2DataRate exceeds 4 bits.
    pub const fn new(opt_neg: bool, rx1_dr_offset: u8, rx2_data_rate: u8) -> Result<Self> {
        if rx1_dr_offset > 7 {
            return Err(Error::OutOfRange {
                field: "RX1DRoffset",
                value: rx1_dr_offset as u64,
            });
        }
        if rx2_data_rate > 15 {
            return Err(Error::OutOfRange {
                field: "RX2DataRate",
                value: rx2_data_rate as u64,
            });
        }
        Ok(Self {
            opt_neg,
            rx1_dr_offset,
            rx2_data_rate,
        })
    }

    /// OptNeg: set by a LoRaWAN 1.1 join server to select the 1.1 key derivation and MICs.
    pub const fn opt_neg(self) -> bool {
        self.opt_neg
    }

    /// RX1DRoffset, 0..=7.
    pub const fn rx1_dr_offset(self) -> u8 {
        self.rx1_dr_offset
    }

    /// RX2DataRate, 0..=15.
    pub const fn rx2_data_rate(self) -> u8 {
        self.rx2_data_rate
    }

    /// Decodes the DLSettings byte: OptNeg in bit 7, RX1DRoffset in bits 6..4, RX2DataRate in
    /// bits 3..0.
    pub const fn decode(byte: u8) -> Self {
        Self {
            opt_neg: byte & 0x80 != 0,
            rx1_dr_offset: (byte >> 4) & 0x07,
            rx2_data_rate: byte & 0x0f,
        }
    }

    /// Encodes the DLSettings byte.
    pub const fn encode(self) -> u8 {
        (if self.opt_neg { 0x80 } else { 0 }) | (self.rx1_dr_offset << 4) | self.rx2_data_rate
    }
}

/// RxDelay of a join-accept: the Del field giving the delay between the end of an uplink and
/// RX1, LoRaWAN 1.0.4 §6.2.3 (same encoding as RXTimingSetupReq, §5.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "u8", into = "u8"))]
pub struct RxDelay(u8);

impl RxDelay {
    /// Creates an RxDelay from the Del value; fails with [`Error::OutOfRange`] past 15.
    pub const fn new(del: u8) -> Result<Self> {
        if del > 15 {
            return Err(Error::OutOfRange {
                field: "RxDelay",
                value: del as u64,
            });
        }
        Ok(Self(del))
    }

    /// Returns the Del value, 0..=15.
    pub const fn del(self) -> u8 {
        self.0
    }

    /// Returns the RX1 delay in seconds: Del, except that 0 means 1 second.
    pub const fn seconds(self) -> u8 {
        if self.0 == 0 { 1 } else { self.0 }
    }

    /// Decodes the RxDelay byte; the four RFU bits are ignored.
    pub const fn decode(byte: u8) -> Self {
        Self(byte & 0x0f)
    }

    /// Encodes the RxDelay byte with RFU bits zero.
    pub const fn encode(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for RxDelay {
    type Error = Error;

    fn try_from(del: u8) -> Result<Self> {
        Self::new(del)
    }
}

impl From<RxDelay> for u8 {
    fn from(rx_delay: RxDelay) -> u8 {
        rx_delay.0
    }
}

/// Decrypted join-accept body, LoRaWAN 1.0.4 §6.2.3 and 1.1 §6.2.3: 12 bytes, or 28 with a
/// CFList. The MIC that follows it in the plaintext is not part of this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct JoinAcceptPayload {
    /// JoinNonce (AppNonce in LoRaWAN 1.0.x).
    pub join_nonce: JoinNonce,
    /// Home_NetID (NetID in LoRaWAN 1.0.x).
    pub home_net_id: NetId,
    /// DevAddr assigned to the device.
    pub dev_addr: DevAddr,
    /// DLSettings.
    pub dl_settings: DlSettings,
    /// RxDelay.
    pub rx_delay: RxDelay,
    /// Optional CFList.
    pub cf_list: Option<CfList>,
}

impl JoinAcceptPayload {
    /// Length without CFList.
    pub const LEN: usize = 12;
    /// Length with CFList.
    pub const LEN_WITH_CF_LIST: usize = Self::LEN + CfList::LEN;

    /// Decodes a decrypted join-accept body of 12 or 28 bytes (without the MIC).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (fixed, cf_list) = match bytes.len() {
            Self::LEN => (bytes, None),
            Self::LEN_WITH_CF_LIST => {
                let (fixed, cf_list) = bytes.split_at(Self::LEN);
                (fixed, Some(cf_list))
            }
            got => {
                return Err(Error::InvalidLength {
                    structure: "join-accept",
                    got,
                });
            }
        };
        let (join_nonce, rest) = take::<3>(fixed)?;
        let (home_net_id, rest) = take::<3>(rest)?;
        let (dev_addr, rest) = take::<4>(rest)?;
        let (&[dl_settings, rx_delay], _) = take::<2>(rest)?;
        let cf_list = match cf_list {
            Some(bytes) => Some(CfList::decode(take::<{ CfList::LEN }>(bytes)?.0)?),
            None => None,
        };
        Ok(Self {
            join_nonce: JoinNonce::from_le_bytes(*join_nonce),
            home_net_id: NetId::from_le_bytes(*home_net_id),
            dev_addr: DevAddr::from_le_bytes(*dev_addr),
            dl_settings: DlSettings::decode(dl_settings),
            rx_delay: RxDelay::decode(rx_delay),
            cf_list,
        })
    }

    /// Decodes a decrypted join-accept of 16 or 32 bytes: the body followed by its MIC.
    pub fn decode_with_mic(plaintext: &[u8]) -> Result<(Self, [u8; 4])> {
        let Some((body, mic)) = plaintext.split_last_chunk::<4>() else {
            return Err(Error::InvalidLength {
                structure: "join-accept",
                got: plaintext.len(),
            });
        };
        let payload = Self::decode(body).map_err(|error| match error {
            Error::InvalidLength { structure, .. } => Error::InvalidLength {
                structure,
                got: plaintext.len(),
            },
            other => other,
        })?;
        Ok((payload, *mic))
    }

    /// Appends the encoded body (12 or 28 bytes, without MIC) to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.join_nonce.to_le_bytes());
        out.extend_from_slice(&self.home_net_id.to_le_bytes());
        out.extend_from_slice(&self.dev_addr.to_le_bytes());
        out.push(self.dl_settings.encode());
        out.push(self.rx_delay.encode());
        if let Some(cf_list) = &self.cf_list {
            out.extend_from_slice(&cf_list.encode());
        }
    }

    /// Encodes the body (12 or 28 bytes, without MIC).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// Returns the encoded length: 12, or 28 with a CFList.
    pub const fn encoded_len(&self) -> usize {
        if self.cf_list.is_some() {
            Self::LEN_WITH_CF_LIST
        } else {
            Self::LEN
        }
    }
}

/// An encrypted join-accept as carried on the air after the MHDR: 16 or 32 bytes holding the
/// body and the MIC, LoRaWAN 1.0.4 §6.2.3. Held inline without heap allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EncryptedJoinAccept {
    len: u8,
    // Bytes past `len` are always zero, so the derived comparisons and hash are by content.
    bytes: [u8; 32],
}

impl EncryptedJoinAccept {
    /// Length without CFList: 12 bytes of body and 4 of MIC.
    pub const LEN: usize = 16;
    /// Length with CFList.
    pub const LEN_WITH_CF_LIST: usize = 32;

    /// Wraps a ciphertext; fails with [`Error::InvalidLength`] unless it is 16 or 32 bytes.
    pub fn new(ciphertext: &[u8]) -> Result<Self> {
        let len = ciphertext.len();
        if len != Self::LEN && len != Self::LEN_WITH_CF_LIST {
            return Err(Error::InvalidLength {
                structure: "encrypted join-accept",
                got: len,
            });
        }
        let mut bytes = [0; 32];
        bytes[..len].copy_from_slice(ciphertext);
        Ok(Self {
            len: len as u8,
            bytes,
        })
    }

    /// Borrows the ciphertext.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl AsRef<[u8]> for EncryptedJoinAccept {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for EncryptedJoinAccept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptedJoinAccept({})", hex::encode(self.as_bytes()))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for EncryptedJoinAccept {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.as_bytes()))
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for EncryptedJoinAccept {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let bytes = crate::phy_payload::hex_serde::vec::deserialize(deserializer)?;
        Self::new(&bytes).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CfListFrequencies;

    #[test]
    fn decodes_join_accept_body_without_cf_list() {
        // ChirpStack lrwn/src/payload.rs test_join_accept_payload, first case.
        let bytes = [
            0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x01, 0x67, 0x09,
        ];
        let payload = JoinAcceptPayload {
            join_nonce: JoinNonce::new(65793).unwrap(),
            home_net_id: NetId::from_u32(0x02_0202).unwrap(),
            dev_addr: DevAddr::from_u32(0x0102_0304),
            dl_settings: DlSettings::new(false, 6, 7).unwrap(),
            rx_delay: RxDelay::new(9).unwrap(),
            cf_list: None,
        };
        assert_eq!(JoinAcceptPayload::decode(&bytes), Ok(payload));
        assert_eq!(payload.encode(), bytes);
        assert_eq!(payload.encoded_len(), 12);
    }

    #[test]
    fn decodes_join_accept_plaintext_with_mic_and_cf_list() {
        // ChirpStack lrwn/src/payload.rs test_join_accept_payload, second case, followed by a
        // MIC of 01020304.
        let body = [
            0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x01, 0x67, 0x09, 0x18, 0x4f,
            0x84, 0xe8, 0x56, 0x84, 0xb8, 0x5e, 0x84, 0x88, 0x66, 0x84, 0x58, 0x6e, 0x84, 0x00,
        ];
        let mut plaintext = body.to_vec();
        plaintext.extend_from_slice(&[1, 2, 3, 4]);
        let (payload, mic) = JoinAcceptPayload::decode_with_mic(&plaintext).unwrap();
        assert_eq!(mic, [1, 2, 3, 4]);
        let hz = [
            867_100_000,
            867_300_000,
            867_500_000,
            867_700_000,
            867_900_000,
        ];
        assert_eq!(
            payload.cf_list,
            Some(CfList::Frequencies(CfListFrequencies::new(hz).unwrap()))
        );
        assert_eq!(payload.encode(), body);
    }

    #[test]
    fn join_accept_body_has_two_possible_lengths() {
        for len in [0, 11, 13, 27, 29] {
            assert_eq!(
                JoinAcceptPayload::decode(&vec![0; len]),
                Err(Error::InvalidLength {
                    structure: "join-accept",
                    got: len
                })
            );
        }
        for len in [0, 3, 17, 33] {
            assert_eq!(
                JoinAcceptPayload::decode_with_mic(&vec![0; len]),
                Err(Error::InvalidLength {
                    structure: "join-accept",
                    got: len
                })
            );
        }
    }

    #[test]
    fn dl_settings_and_rx_delay_follow_the_bit_layout() {
        // DLSettings 0xef: OptNeg, RX1DRoffset 6, RX2DataRate 15, from The Things Stack
        // pkg/encoding/lorawan/lorawan_test.go TestLoRaWANEncodingRawJoinAcceptPayload.
        let dl_settings = DlSettings::decode(0xef);
        assert_eq!(dl_settings, DlSettings::new(true, 6, 15).unwrap());
        assert_eq!(dl_settings.encode(), 0xef);
        assert_eq!(
            DlSettings::new(false, 8, 0),
            Err(Error::OutOfRange {
                field: "RX1DRoffset",
                value: 8
            })
        );
        assert_eq!(
            DlSettings::new(false, 0, 16),
            Err(Error::OutOfRange {
                field: "RX2DataRate",
                value: 16
            })
        );
        // RxDelay 0x42 carries RFU bits; Del is 2.
        assert_eq!(RxDelay::decode(0x42), RxDelay::new(2).unwrap());
        assert_eq!(RxDelay::new(0).unwrap().seconds(), 1);
        assert_eq!(RxDelay::new(15).unwrap().seconds(), 15);
        assert_eq!(
            RxDelay::new(16),
            Err(Error::OutOfRange {
                field: "RxDelay",
                value: 16
            })
        );
    }

    #[test]
    fn encrypted_join_accept_is_16_or_32_bytes() {
        assert_eq!(
            EncryptedJoinAccept::new(&[7; 16]).unwrap().as_bytes(),
            &[7; 16]
        );
        assert_eq!(
            EncryptedJoinAccept::new(&[7; 32]).unwrap().as_bytes(),
            &[7; 32]
        );
        for len in [0, 15, 17, 31, 33] {
            assert_eq!(
                EncryptedJoinAccept::new(&vec![0; len]),
                Err(Error::InvalidLength {
                    structure: "encrypted join-accept",
                    got: len
                })
            );
        }
    }
}
