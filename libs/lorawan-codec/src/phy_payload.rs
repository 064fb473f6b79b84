//! PHYPayload, a whole LoRaWAN frame: MHDR, a payload chosen by the MType, and the MIC.
//!
//! Decoding checks every length and never panics; it copies only a FRMPayload or a proprietary
//! payload to the heap. Join-accepts decode to their ciphertext. This module computes and
//! checks no MIC: [`PhyPayload::split_mic`] hands the covered bytes to `lorawan-crypto`.

#[cfg(feature = "serde")]
pub(crate) mod hex_serde;
mod mac_payload;

pub use mac_payload::MacPayload;

use crate::{
    Direction, EncryptedJoinAccept, Error, JoinAcceptPayload, JoinRequest, MType, Mhdr,
    RejoinRequest, Result,
};

/// The payload of a PHYPayload, chosen by the MType, LoRaWAN 1.0.4 §4 and 1.1 §4.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Payload {
    /// Join-request (MType 000).
    JoinRequest(JoinRequest),
    /// Decrypted join-accept (MType 001): what the MIC is computed over and what gets
    /// encrypted. Never produced by [`PhyPayload::decode`]; see
    /// [`PhyPayload::decode_plaintext_join_accept`].
    JoinAccept(JoinAcceptPayload),
    /// Join-accept as on the air (MType 001): the ciphertext after the MHDR, MIC included.
    EncryptedJoinAccept(EncryptedJoinAccept),
    /// Rejoin-request, LoRaWAN 1.1 (MType 110).
    RejoinRequest(RejoinRequest),
    /// Data frame (MTypes 010 to 101).
    MacPayload(MacPayload),
    /// Proprietary frame (MType 111): everything after the MHDR, uninterpreted and without a
    /// separate MIC.
    Proprietary(#[cfg_attr(feature = "serde", serde(with = "hex_serde::vec"))] Vec<u8>),
}

/// A LoRaWAN frame: MHDR, payload and MIC, LoRaWAN 1.0.4 §4.1 and 1.1 §4.1.
///
/// `mic` is `Some` for join-requests, rejoin-requests, data frames and plaintext
/// join-accepts, and `None` for encrypted join-accepts (whose MIC is inside the ciphertext)
/// and proprietary frames. Values built with the constructors, or accepted by
/// [`PhyPayload::validate`], encode to bytes that decode back to the same value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "serde_impl::Fields"))]
pub struct PhyPayload {
    /// MAC header.
    pub mhdr: Mhdr,
    /// Payload; its variant must match `mhdr.m_type`.
    pub payload: Payload,
    /// Message integrity code, as on the air.
    #[cfg_attr(feature = "serde", serde(with = "hex_serde::mic"))]
    pub mic: Option<[u8; 4]>,
}

impl PhyPayload {
    /// Largest PHYPayload LoRaWAN allows (the largest regional maximum).
    pub const MAX_LEN: usize = 255;
    /// Length of a join-request frame.
    pub const JOIN_REQUEST_LEN: usize = 1 + JoinRequest::LEN + 4;
    /// Shortest data frame: MHDR, a 7-byte FHDR and the MIC.
    pub const MIN_DATA_LEN: usize = 12;

    /// Builds a join-request frame.
    pub const fn join_request(join_request: JoinRequest, mic: [u8; 4]) -> Self {
        Self {
            mhdr: Mhdr::new(MType::JoinRequest),
            payload: Payload::JoinRequest(join_request),
            mic: Some(mic),
        }
    }

    /// Builds a rejoin-request frame (LoRaWAN 1.1).
    pub const fn rejoin_request(rejoin_request: RejoinRequest, mic: [u8; 4]) -> Self {
        Self {
            mhdr: Mhdr::new(MType::RejoinRequest),
            payload: Payload::RejoinRequest(rejoin_request),
            mic: Some(mic),
        }
    }

    /// Builds a plaintext join-accept frame, MHDR | body | MIC, LoRaWAN 1.0.4 §6.2.3.
    ///
    /// To compute the MIC, build it with any `mic` and take [`PhyPayload::encode_without_mic`];
    /// to encrypt, build it with the MIC and take `encode()[1..]`.
    pub const fn join_accept(join_accept: JoinAcceptPayload, mic: [u8; 4]) -> Self {
        Self {
            mhdr: Mhdr::new(MType::JoinAccept),
            payload: Payload::JoinAccept(join_accept),
            mic: Some(mic),
        }
    }

    /// Builds a join-accept frame as sent on the air, from its ciphertext.
    pub const fn encrypted_join_accept(ciphertext: EncryptedJoinAccept) -> Self {
        Self {
            mhdr: Mhdr::new(MType::JoinAccept),
            payload: Payload::EncryptedJoinAccept(ciphertext),
            mic: None,
        }
    }

    /// Builds a data frame; fails with [`Error::UnexpectedMType`] unless `m_type` is one of
    /// the four data MTypes, and with [`Error::FCtrlFlagWrongDirection`] when the FCtrl has a
    /// flag the MType's direction does not know.
    pub fn data(m_type: MType, mac_payload: MacPayload, mic: [u8; 4]) -> Result<Self> {
        let direction = match Direction::from_m_type(m_type) {
            Some(direction) if m_type.is_data() => direction,
            _ => return Err(Error::UnexpectedMType(m_type)),
        };
        mac_payload.fhdr().f_ctrl.validate(direction)?;
        Ok(Self {
            mhdr: Mhdr::new(m_type),
            payload: Payload::MacPayload(mac_payload),
            mic: Some(mic),
        })
    }

    /// Builds a proprietary frame; fails with [`Error::TooLong`] past 254 payload bytes.
    pub fn proprietary(payload: Vec<u8>) -> Result<Self> {
        if payload.len() > Self::MAX_LEN - 1 {
            return Err(Error::TooLong {
                max: Self::MAX_LEN - 1,
                got: payload.len(),
            });
        }
        Ok(Self {
            mhdr: Mhdr::new(MType::Proprietary),
            payload: Payload::Proprietary(payload),
            mic: None,
        })
    }

    /// Decodes a frame as received on the air, LoRaWAN 1.0.4 §4 and 1.1 §4.
    ///
    /// Checks every length: at most 255 bytes ([`Error::TooLong`]); join-requests exactly 23
    /// bytes; join-accepts 17 or 33 (kept encrypted); rejoin-requests 19 or 24; data frames at
    /// least 12 bytes plus FOptsLen ([`Error::TooShort`]). The MIC is not checked.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > Self::MAX_LEN {
            return Err(Error::TooLong {
                max: Self::MAX_LEN,
                got: bytes.len(),
            });
        }
        let Some((&mhdr, rest)) = bytes.split_first() else {
            return Err(Error::TooShort { needed: 1, got: 0 });
        };
        let mhdr = Mhdr::decode(mhdr)?;
        let m_type = mhdr.m_type;
        let (payload, mic) = match m_type {
            MType::JoinRequest => {
                exact_len(Self::JOIN_REQUEST_LEN, bytes.len())?;
                let (body, mic) = split_mic_or(rest, Self::JOIN_REQUEST_LEN, bytes.len())?;
                (Payload::JoinRequest(JoinRequest::decode(body)?), Some(mic))
            }
            MType::JoinAccept => {
                let ciphertext =
                    EncryptedJoinAccept::new(rest).map_err(|_| Error::InvalidLength {
                        structure: "join-accept",
                        got: bytes.len(),
                    })?;
                (Payload::EncryptedJoinAccept(ciphertext), None)
            }
            MType::RejoinRequest => {
                let len = match rest.first() {
                    None => {
                        return Err(Error::TooShort {
                            needed: 1 + RejoinRequest::TYPE_0_2_LEN + 4,
                            got: bytes.len(),
                        });
                    }
                    Some(0 | 2) => 1 + RejoinRequest::TYPE_0_2_LEN + 4,
                    Some(1) => 1 + RejoinRequest::TYPE_1_LEN + 4,
                    Some(&other) => return Err(Error::UnknownRejoinType(other)),
                };
                exact_len(len, bytes.len())?;
                let (body, mic) = split_mic_or(rest, len, bytes.len())?;
                (
                    Payload::RejoinRequest(RejoinRequest::decode(body)?),
                    Some(mic),
                )
            }
            MType::UnconfirmedDataUp
            | MType::UnconfirmedDataDown
            | MType::ConfirmedDataUp
            | MType::ConfirmedDataDown => {
                let f_opts_len = bytes.get(5).map_or(0, |f_ctrl| usize::from(f_ctrl & 0x0f));
                let needed = Self::MIN_DATA_LEN + f_opts_len;
                if bytes.len() < needed {
                    return Err(Error::TooShort {
                        needed,
                        got: bytes.len(),
                    });
                }
                let (body, mic) = split_mic_or(rest, needed, bytes.len())?;
                let direction = if m_type.is_uplink() {
                    Direction::Uplink
                } else {
                    Direction::Downlink
                };
                let body = MacPayload::decode(body, direction)?;
                (Payload::MacPayload(body), Some(mic))
            }
            MType::Proprietary => (Payload::Proprietary(rest.to_vec()), None),
        };
        Ok(Self { mhdr, payload, mic })
    }

    /// Decodes a join-accept whose body was already decrypted: MHDR | body | MIC, 17 or 33
    /// bytes, LoRaWAN 1.0.4 §6.2.3.
    pub fn decode_plaintext_join_accept(bytes: &[u8]) -> Result<Self> {
        let Some((&mhdr, plaintext)) = bytes.split_first() else {
            return Err(Error::TooShort { needed: 17, got: 0 });
        };
        let mhdr = Mhdr::decode(mhdr)?;
        if mhdr.m_type != MType::JoinAccept {
            return Err(Error::UnexpectedMType(mhdr.m_type));
        }
        let (body, mic) =
            JoinAcceptPayload::decode_with_mic(plaintext).map_err(|error| match error {
                Error::InvalidLength { structure, .. } => Error::InvalidLength {
                    structure,
                    got: bytes.len(),
                },
                other => other,
            })?;
        Ok(Self::join_accept(body, mic))
    }

    /// Splits a raw frame into the bytes the MIC covers (everything but the last four) and the
    /// MIC, without decoding or re-encoding it, LoRaWAN 1.0.4 §4.4.
    ///
    /// For a join-accept this works on the decrypted frame (MHDR and plaintext).
    pub fn split_mic(frame: &[u8]) -> Result<(&[u8], [u8; 4])> {
        match frame.split_last_chunk::<4>() {
            Some((covered, mic)) if !covered.is_empty() => Ok((covered, *mic)),
            _ => Err(Error::TooShort {
                needed: 5,
                got: frame.len(),
            }),
        }
    }

    /// Encodes the frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoded frame to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        self.encode_without_mic_into(out);
        if let Some(mic) = &self.mic {
            out.extend_from_slice(mic);
        }
    }

    /// Encodes everything but the MIC: the bytes a MIC is computed over (for a join-accept,
    /// over the plaintext; LoRaWAN 1.1 prefixes more fields, which `lorawan-crypto` adds).
    pub fn encode_without_mic(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_without_mic_into(&mut out);
        out
    }

    /// Appends everything but the MIC to `out`.
    pub fn encode_without_mic_into(&self, out: &mut Vec<u8>) {
        out.push(self.mhdr.encode());
        match &self.payload {
            Payload::JoinRequest(join_request) => out.extend_from_slice(&join_request.encode()),
            Payload::JoinAccept(join_accept) => join_accept.encode_into(out),
            Payload::EncryptedJoinAccept(ciphertext) => {
                out.extend_from_slice(ciphertext.as_bytes())
            }
            Payload::RejoinRequest(rejoin_request) => rejoin_request.encode_into(out),
            Payload::MacPayload(mac_payload) => {
                mac_payload.encode_into(self.direction_or_uplink(), out)
            }
            Payload::Proprietary(bytes) => out.extend_from_slice(bytes),
        }
    }

    /// Returns the encoded length.
    pub fn encoded_len(&self) -> usize {
        let payload_len = match &self.payload {
            Payload::JoinRequest(_) => JoinRequest::LEN,
            Payload::JoinAccept(join_accept) => join_accept.encoded_len(),
            Payload::EncryptedJoinAccept(ciphertext) => ciphertext.as_bytes().len(),
            Payload::RejoinRequest(rejoin_request) => rejoin_request.encoded_len(),
            Payload::MacPayload(mac_payload) => mac_payload.encoded_len(),
            Payload::Proprietary(bytes) => bytes.len(),
        };
        1 + payload_len + if self.mic.is_some() { 4 } else { 0 }
    }

    /// Checks that the fields agree: the payload variant and MIC presence fit the MType, the
    /// FCtrl flags fit the direction, and the frame is at most 255 bytes.
    pub fn validate(&self) -> Result<()> {
        let m_type = self.mhdr.m_type;
        let mic_expected = match (&self.payload, m_type) {
            (Payload::JoinRequest(_), MType::JoinRequest)
            | (Payload::JoinAccept(_), MType::JoinAccept)
            | (Payload::RejoinRequest(_), MType::RejoinRequest) => true,
            (Payload::MacPayload(mac_payload), _) if m_type.is_data() => {
                mac_payload
                    .fhdr()
                    .f_ctrl
                    .validate(self.direction_or_uplink())?;
                true
            }
            (Payload::EncryptedJoinAccept(_), MType::JoinAccept)
            | (Payload::Proprietary(_), MType::Proprietary) => false,
            _ => return Err(Error::UnexpectedMType(m_type)),
        };
        match (mic_expected, self.mic.is_some()) {
            (true, false) => return Err(Error::MissingMic(m_type)),
            (false, true) => return Err(Error::UnexpectedMic(m_type)),
            _ => {}
        }
        let len = self.encoded_len();
        if len > Self::MAX_LEN {
            return Err(Error::TooLong {
                max: Self::MAX_LEN,
                got: len,
            });
        }
        Ok(())
    }

    /// Returns the frame's direction, or `None` for a proprietary frame.
    pub const fn direction(&self) -> Option<Direction> {
        Direction::from_m_type(self.mhdr.m_type)
    }

    /// Borrows the MACPayload of a data frame.
    pub const fn mac_payload(&self) -> Option<&MacPayload> {
        match &self.payload {
            Payload::MacPayload(mac_payload) => Some(mac_payload),
            _ => None,
        }
    }

    /// Borrows the MACPayload of a data frame mutably, e.g. to decrypt it in place.
    pub const fn mac_payload_mut(&mut self) -> Option<&mut MacPayload> {
        match &mut self.payload {
            Payload::MacPayload(mac_payload) => Some(mac_payload),
            _ => None,
        }
    }

    fn direction_or_uplink(&self) -> Direction {
        self.direction().unwrap_or(Direction::Uplink)
    }
}

/// Checks that a frame of fixed length `expected` is `got` bytes long.
fn exact_len(expected: usize, got: usize) -> Result<()> {
    match got.cmp(&expected) {
        std::cmp::Ordering::Less => Err(Error::TooShort {
            needed: expected,
            got,
        }),
        std::cmp::Ordering::Greater => Err(Error::TooLong { max: expected, got }),
        std::cmp::Ordering::Equal => Ok(()),
    }
}

/// Splits the MIC off the bytes after the MHDR, reporting a too-short frame as needing
/// `needed` bytes in all.
fn split_mic_or(rest: &[u8], needed: usize, got: usize) -> Result<(&[u8], [u8; 4])> {
    rest.split_last_chunk::<4>()
        .map(|(body, mic)| (body, *mic))
        .ok_or(Error::TooShort { needed, got })
}

#[cfg(feature = "serde")]
mod serde_impl {
    //! JSON form of [`PhyPayload`]: the same fields, validated on the way in.

    use super::{Payload, PhyPayload, hex_serde};
    use crate::{Error, Mhdr};

    #[derive(serde::Deserialize)]
    pub(super) struct Fields {
        mhdr: Mhdr,
        payload: Payload,
        #[serde(with = "hex_serde::mic", default)]
        mic: Option<[u8; 4]>,
    }

    impl TryFrom<Fields> for PhyPayload {
        type Error = Error;

        fn try_from(fields: Fields) -> Result<Self, Error> {
            let phy_payload = PhyPayload {
                mhdr: fields.mhdr,
                payload: fields.payload,
                mic: fields.mic,
            };
            phy_payload.validate()?;
            Ok(phy_payload)
        }
    }
}

#[cfg(test)]
mod tests;
