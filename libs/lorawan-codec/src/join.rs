//! Join messages: join-request, rejoin-request (LoRaWAN 1.1) and join-accept, with their
//! nonces and counters.
//!
//! The join-accept travels encrypted; this module decodes and encodes its plaintext form and
//! holds the ciphertext as opaque bytes. Encryption and MICs belong to `lorawan-crypto`.

mod accept;
mod cf_list;

pub use accept::{DlSettings, EncryptedJoinAccept, JoinAcceptPayload, RxDelay};
pub use cf_list::{CfList, CfListFrequencies};

use std::fmt;

use crate::{Error, Eui64, NetId, Result};

/// DevNonce of a join-request, LoRaWAN 1.0.4 §6.2.4: a counter since 1.0.4 and in 1.1, a
/// random value in earlier 1.0.x.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct DevNonce(u16);

impl DevNonce {
    /// Creates a DevNonce from its value.
    pub const fn new(value: u16) -> Self {
        Self(value)
    }

    /// Returns the value.
    pub const fn to_u16(self) -> u16 {
        self.0
    }

    /// Creates a DevNonce from the little-endian bytes of the air interface.
    pub const fn from_le_bytes(bytes: [u8; 2]) -> Self {
        Self(u16::from_le_bytes(bytes))
    }

    /// Returns the little-endian bytes of the air interface.
    pub const fn to_le_bytes(self) -> [u8; 2] {
        self.0.to_le_bytes()
    }
}

impl fmt::Display for DevNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// JoinNonce (AppNonce in LoRaWAN 1.0.x) of a join-accept: a 24-bit value chosen by the join
/// server, LoRaWAN 1.0.4 §6.2.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "u32", into = "u32"))]
pub struct JoinNonce(u32);

impl JoinNonce {
    /// Largest JoinNonce, 2^24 - 1.
    pub const MAX: u32 = 0x00ff_ffff;

    /// Creates a JoinNonce; fails with [`Error::OutOfRange`] past 24 bits.
    pub const fn new(value: u32) -> Result<Self> {
        if value > Self::MAX {
            return Err(Error::OutOfRange {
                field: "JoinNonce",
                value: value as u64,
            });
        }
        Ok(Self(value))
    }

    /// Returns the value.
    pub const fn to_u32(self) -> u32 {
        self.0
    }

    /// Creates a JoinNonce from the three little-endian bytes of the air interface.
    pub const fn from_le_bytes(bytes: [u8; 3]) -> Self {
        Self(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], 0]))
    }

    /// Returns the three little-endian bytes of the air interface.
    pub const fn to_le_bytes(self) -> [u8; 3] {
        let [b0, b1, b2, _] = self.0.to_le_bytes();
        [b0, b1, b2]
    }
}

impl TryFrom<u32> for JoinNonce {
    type Error = Error;

    fn try_from(value: u32) -> Result<Self> {
        Self::new(value)
    }
}

impl From<JoinNonce> for u32 {
    fn from(join_nonce: JoinNonce) -> u32 {
        join_nonce.0
    }
}

impl fmt::Display for JoinNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which request a join-accept answers: the JoinReqType field of the LoRaWAN 1.1 join-accept
/// MIC, LoRaWAN 1.1 §6.2.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum JoinReqType {
    /// A join-request (0xFF).
    JoinRequest,
    /// A rejoin-request of type 0.
    RejoinType0,
    /// A rejoin-request of type 1.
    RejoinType1,
    /// A rejoin-request of type 2.
    RejoinType2,
}

impl JoinReqType {
    /// Returns the JoinReqType byte: 0xFF for a join-request, the rejoin type otherwise.
    pub const fn to_byte(self) -> u8 {
        match self {
            Self::JoinRequest => 0xff,
            Self::RejoinType0 => 0,
            Self::RejoinType1 => 1,
            Self::RejoinType2 => 2,
        }
    }
}

/// Join-request message body: JoinEUI, DevEUI and DevNonce, LoRaWAN 1.0.4 §6.2.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct JoinRequest {
    /// JoinEUI (AppEUI in LoRaWAN 1.0.x).
    pub join_eui: Eui64,
    /// DevEUI.
    pub dev_eui: Eui64,
    /// DevNonce.
    pub dev_nonce: DevNonce,
}

impl JoinRequest {
    /// Encoded length: 8 + 8 + 2 bytes.
    pub const LEN: usize = 18;

    /// Decodes a join-request body of exactly 18 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let bytes = exact::<{ Self::LEN }>(bytes)?;
        let (join_eui, rest) = take::<8>(bytes)?;
        let (dev_eui, rest) = take::<8>(rest)?;
        let (dev_nonce, _) = take::<2>(rest)?;
        Ok(Self {
            join_eui: Eui64::from_le_bytes(*join_eui),
            dev_eui: Eui64::from_le_bytes(*dev_eui),
            dev_nonce: DevNonce::from_le_bytes(*dev_nonce),
        })
    }

    /// Encodes the 18-byte body.
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = [0; Self::LEN];
        out[..8].copy_from_slice(&self.join_eui.to_le_bytes());
        out[8..16].copy_from_slice(&self.dev_eui.to_le_bytes());
        out[16..].copy_from_slice(&self.dev_nonce.to_le_bytes());
        out
    }
}

/// Rejoin-request message body, LoRaWAN 1.1 §6.2.4.
///
/// Types 0 and 2 carry NetID, DevEUI and RJcount0; type 1 carries JoinEUI, DevEUI and RJcount1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum RejoinRequest {
    /// Type 0: asks for a new DevAddr and session keys, or a reset of the radio parameters.
    Type0 {
        /// NetID of the current network.
        net_id: NetId,
        /// DevEUI.
        dev_eui: Eui64,
        /// RJcount0.
        rj_count0: u16,
    },
    /// Type 1: a full rejoin, as after a join-request, to restore a lost session context.
    Type1 {
        /// JoinEUI.
        join_eui: Eui64,
        /// DevEUI.
        dev_eui: Eui64,
        /// RJcount1.
        rj_count1: u16,
    },
    /// Type 2: asks to rekey the session or change its parameters.
    Type2 {
        /// NetID of the current network.
        net_id: NetId,
        /// DevEUI.
        dev_eui: Eui64,
        /// RJcount0.
        rj_count0: u16,
    },
}

impl RejoinRequest {
    /// Encoded length of types 0 and 2.
    pub const TYPE_0_2_LEN: usize = 14;
    /// Encoded length of type 1.
    pub const TYPE_1_LEN: usize = 19;

    /// Decodes a rejoin-request body: the rejoin type byte, then 13 or 18 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let Some((&rejoin_type, rest)) = bytes.split_first() else {
            return Err(Error::TooShort {
                needed: Self::TYPE_0_2_LEN,
                got: 0,
            });
        };
        match rejoin_type {
            0 | 2 => {
                exact::<{ Self::TYPE_0_2_LEN }>(bytes)?;
                let (net_id, rest) = take::<3>(rest)?;
                let (dev_eui, rest) = take::<8>(rest)?;
                let (rj_count0, _) = take::<2>(rest)?;
                let net_id = NetId::from_le_bytes(*net_id);
                let dev_eui = Eui64::from_le_bytes(*dev_eui);
                let rj_count0 = u16::from_le_bytes(*rj_count0);
                Ok(if rejoin_type == 0 {
                    Self::Type0 {
                        net_id,
                        dev_eui,
                        rj_count0,
                    }
                } else {
                    Self::Type2 {
                        net_id,
                        dev_eui,
                        rj_count0,
                    }
                })
            }
            1 => {
                exact::<{ Self::TYPE_1_LEN }>(bytes)?;
                let (join_eui, rest) = take::<8>(rest)?;
                let (dev_eui, rest) = take::<8>(rest)?;
                let (rj_count1, _) = take::<2>(rest)?;
                Ok(Self::Type1 {
                    join_eui: Eui64::from_le_bytes(*join_eui),
                    dev_eui: Eui64::from_le_bytes(*dev_eui),
                    rj_count1: u16::from_le_bytes(*rj_count1),
                })
            }
            other => Err(Error::UnknownRejoinType(other)),
        }
    }

    /// Appends the encoded body to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(self.rejoin_type());
        match *self {
            Self::Type0 {
                net_id,
                dev_eui,
                rj_count0,
            }
            | Self::Type2 {
                net_id,
                dev_eui,
                rj_count0,
            } => {
                out.extend_from_slice(&net_id.to_le_bytes());
                out.extend_from_slice(&dev_eui.to_le_bytes());
                out.extend_from_slice(&rj_count0.to_le_bytes());
            }
            Self::Type1 {
                join_eui,
                dev_eui,
                rj_count1,
            } => {
                out.extend_from_slice(&join_eui.to_le_bytes());
                out.extend_from_slice(&dev_eui.to_le_bytes());
                out.extend_from_slice(&rj_count1.to_le_bytes());
            }
        }
    }

    /// Returns the encoded length: 14 bytes for types 0 and 2, 19 for type 1.
    pub const fn encoded_len(&self) -> usize {
        match self {
            Self::Type0 { .. } | Self::Type2 { .. } => Self::TYPE_0_2_LEN,
            Self::Type1 { .. } => Self::TYPE_1_LEN,
        }
    }

    /// Returns the rejoin type: 0, 1 or 2.
    pub const fn rejoin_type(&self) -> u8 {
        match self {
            Self::Type0 { .. } => 0,
            Self::Type1 { .. } => 1,
            Self::Type2 { .. } => 2,
        }
    }

    /// Returns the JoinReqType a join-accept answering this request carries in its MIC.
    pub const fn join_req_type(&self) -> JoinReqType {
        match self {
            Self::Type0 { .. } => JoinReqType::RejoinType0,
            Self::Type1 { .. } => JoinReqType::RejoinType1,
            Self::Type2 { .. } => JoinReqType::RejoinType2,
        }
    }

    /// Returns the DevEUI, which every rejoin type carries.
    pub const fn dev_eui(&self) -> Eui64 {
        match *self {
            Self::Type0 { dev_eui, .. }
            | Self::Type1 { dev_eui, .. }
            | Self::Type2 { dev_eui, .. } => dev_eui,
        }
    }
}

/// Checks that `bytes` is exactly `N` long and returns it as an array.
fn exact<const N: usize>(bytes: &[u8]) -> Result<&[u8; N]> {
    if bytes.len() > N {
        return Err(Error::TooLong {
            max: N,
            got: bytes.len(),
        });
    }
    bytes.try_into().map_err(|_| Error::TooShort {
        needed: N,
        got: bytes.len(),
    })
}

/// Splits the first `N` bytes off `bytes`.
pub(crate) fn take<const N: usize>(bytes: &[u8]) -> Result<(&[u8; N], &[u8])> {
    bytes.split_first_chunk::<N>().ok_or(Error::TooShort {
        needed: N,
        got: bytes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_request_round_trips() {
        // Body of the join-request in ChirpStack lrwn/src/payload.rs test_join_request_payload.
        let bytes = [
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
            0x07, 0x08, 0x00, 0x04,
        ];
        let join_request = JoinRequest {
            join_eui: Eui64::from_u64(0x0102_0304_0506_0708),
            dev_eui: Eui64::from_u64(0x0807_0605_0403_0201),
            dev_nonce: DevNonce::new(1024),
        };
        assert_eq!(JoinRequest::decode(&bytes), Ok(join_request));
        assert_eq!(join_request.encode(), bytes);
    }

    #[test]
    fn join_request_needs_exactly_eighteen_bytes() {
        assert_eq!(
            JoinRequest::decode(&[0; 17]),
            Err(Error::TooShort {
                needed: 18,
                got: 17
            })
        );
        assert_eq!(
            JoinRequest::decode(&[0; 19]),
            Err(Error::TooLong { max: 18, got: 19 })
        );
    }

    #[test]
    fn rejoin_requests_round_trip() {
        // Bodies from ChirpStack lrwn/src/payload.rs test_rejoin_request.
        let net_id = NetId::from_u32(0x01_0203).unwrap();
        let eui = Eui64::from_u64(0x0102_0304_0506_0708);
        let cases: [(&[u8], RejoinRequest); 3] = [
            (
                &[
                    0x00, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0xdb,
                    0x00,
                ],
                RejoinRequest::Type0 {
                    net_id,
                    dev_eui: eui,
                    rj_count0: 219,
                },
            ),
            (
                &[
                    0x02, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0xdb,
                    0x00,
                ],
                RejoinRequest::Type2 {
                    net_id,
                    dev_eui: eui,
                    rj_count0: 219,
                },
            ),
            (
                &[
                    0x01, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x01, 0x02, 0x03, 0x04,
                    0x05, 0x06, 0x07, 0x08, 0xdb, 0x00,
                ],
                RejoinRequest::Type1 {
                    join_eui: eui,
                    dev_eui: Eui64::from_u64(0x0807_0605_0403_0201),
                    rj_count1: 219,
                },
            ),
        ];
        for (bytes, rejoin_request) in cases {
            assert_eq!(RejoinRequest::decode(bytes), Ok(rejoin_request));
            let mut out = Vec::new();
            rejoin_request.encode_into(&mut out);
            assert_eq!(out, bytes);
            assert_eq!(rejoin_request.encoded_len(), bytes.len());
        }
    }

    #[test]
    fn rejoin_request_rejects_unknown_type_and_wrong_length() {
        let cases: [(&[u8], Error); 5] = [
            (&[], Error::TooShort { needed: 14, got: 0 }),
            (&[0x03; 14], Error::UnknownRejoinType(3)),
            (&[0x02], Error::TooShort { needed: 14, got: 1 }),
            (&[0x00; 15], Error::TooLong { max: 14, got: 15 }),
            (
                &[0x01; 14],
                Error::TooShort {
                    needed: 19,
                    got: 14,
                },
            ),
        ];
        for (bytes, error) in cases {
            assert_eq!(RejoinRequest::decode(bytes), Err(error), "{bytes:02x?}");
        }
    }

    #[test]
    fn join_nonce_is_24_bits() {
        assert_eq!(
            JoinNonce::new(0xff_ffff).unwrap().to_le_bytes(),
            [0xff, 0xff, 0xff]
        );
        assert_eq!(
            JoinNonce::new(0x100_0000),
            Err(Error::OutOfRange {
                field: "JoinNonce",
                value: 0x100_0000
            })
        );
        assert_eq!(JoinNonce::from_le_bytes([0x01, 0x01, 0x01]).to_u32(), 65793);
    }

    #[test]
    fn join_req_type_bytes_follow_lorawan_1_1() {
        assert_eq!(JoinReqType::JoinRequest.to_byte(), 0xff);
        let rejoin = RejoinRequest::Type1 {
            join_eui: Eui64::default(),
            dev_eui: Eui64::from_u64(7),
            rj_count1: 0,
        };
        assert_eq!(rejoin.join_req_type().to_byte(), 1);
        assert_eq!(rejoin.dev_eui(), Eui64::from_u64(7));
    }
}
