//! MACPayload of data frames: FHDR, the optional FPort and the FRMPayload.
//!
//! The fields are private so that the rules of LoRaWAN 1.0.4 §4.3.1.6 and §4.3.2 hold by
//! construction: no FRMPayload without FPort, no FOpts on port 0, and no payload longer than
//! a PHYPayload can carry. The FRMPayload stays as it is on the air (encrypted).

use crate::{Direction, Error, FHdr, Result};

/// MACPayload of a data frame: FHDR, FPort and FRMPayload, LoRaWAN 1.0.4 §4.3.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MacPayload {
    fhdr: FHdr,
    f_port: Option<u8>,
    // Always empty when `f_port` is `None`.
    frm_payload: Vec<u8>,
}

impl MacPayload {
    /// Largest MACPayload: a 255-byte PHYPayload less the MHDR and the MIC.
    pub const MAX_LEN: usize = 250;

    /// Creates a MACPayload with an FPort and a FRMPayload (which may be empty).
    ///
    /// Fails with [`Error::FOptsWithPortZero`] when FOpts are present and `f_port` is 0
    /// (LoRaWAN 1.0.4 §4.3.1.6), and with [`Error::TooLong`] when the MACPayload would exceed
    /// 250 bytes.
    pub fn new(fhdr: FHdr, f_port: u8, frm_payload: Vec<u8>) -> Result<Self> {
        if f_port == 0 && !fhdr.f_opts.is_empty() {
            return Err(Error::FOptsWithPortZero);
        }
        let len = fhdr.encoded_len() + 1 + frm_payload.len();
        if len > Self::MAX_LEN {
            return Err(Error::TooLong {
                max: Self::MAX_LEN,
                got: len,
            });
        }
        Ok(Self {
            fhdr,
            f_port: Some(f_port),
            frm_payload,
        })
    }

    /// Creates a MACPayload with neither FPort nor FRMPayload (e.g. an empty ACK or a frame
    /// with MAC commands in FOpts only).
    pub const fn without_port(fhdr: FHdr) -> Self {
        Self {
            fhdr,
            f_port: None,
            frm_payload: Vec::new(),
        }
    }

    /// Returns the frame header.
    pub const fn fhdr(&self) -> &FHdr {
        &self.fhdr
    }

    /// Returns FPort, if present. Port 0 means the FRMPayload holds MAC commands.
    pub const fn f_port(&self) -> Option<u8> {
        self.f_port
    }

    /// Borrows the FRMPayload; empty when there is no FPort.
    pub fn frm_payload(&self) -> &[u8] {
        &self.frm_payload
    }

    /// Borrows the FRMPayload mutably, to encrypt or decrypt it in place (LoRaWAN 1.0.4
    /// §4.3.3); its length cannot change.
    pub fn frm_payload_mut(&mut self) -> &mut [u8] {
        &mut self.frm_payload
    }

    /// Borrows the FOpts bytes mutably, to encrypt or decrypt them in place (LoRaWAN 1.1
    /// §4.3.1.6); their length cannot change.
    pub fn f_opts_mut(&mut self) -> &mut [u8] {
        self.fhdr.f_opts.as_mut_bytes()
    }

    /// Takes the MACPayload apart into FHDR, FPort and FRMPayload.
    pub fn into_parts(self) -> (FHdr, Option<u8>, Vec<u8>) {
        (self.fhdr, self.f_port, self.frm_payload)
    }

    /// Decodes a MACPayload (the bytes between MHDR and MIC) of a frame in `direction`.
    ///
    /// FOptsLen must fit the input ([`Error::TooShort`]), FOpts with FPort 0 are rejected
    /// ([`Error::FOptsWithPortZero`]) and the input may not exceed 250 bytes. Only the
    /// FRMPayload is copied to the heap.
    pub fn decode(bytes: &[u8], direction: Direction) -> Result<Self> {
        if bytes.len() > Self::MAX_LEN {
            return Err(Error::TooLong {
                max: Self::MAX_LEN,
                got: bytes.len(),
            });
        }
        let fhdr = FHdr::decode(bytes, direction)?;
        let rest = bytes.get(fhdr.encoded_len()..).unwrap_or_default();
        let Some((&f_port, frm_payload)) = rest.split_first() else {
            return Ok(Self::without_port(fhdr));
        };
        if f_port == 0 && !fhdr.f_opts.is_empty() {
            return Err(Error::FOptsWithPortZero);
        }
        Ok(Self {
            fhdr,
            f_port: Some(f_port),
            frm_payload: frm_payload.to_vec(),
        })
    }

    /// Appends the encoded MACPayload for a frame in `direction` to `out`.
    pub fn encode_into(&self, direction: Direction, out: &mut Vec<u8>) {
        self.fhdr.encode_into(direction, out);
        if let Some(f_port) = self.f_port {
            out.push(f_port);
            out.extend_from_slice(&self.frm_payload);
        }
    }

    /// Returns the encoded length.
    pub fn encoded_len(&self) -> usize {
        self.fhdr.encoded_len() + usize::from(self.f_port.is_some()) + self.frm_payload.len()
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    //! JSON form of [`MacPayload`]: its three fields, the FRMPayload as hex, checked on the way
    //! in through the same constructors as in code.

    use serde::{Deserialize, Serialize};

    use super::MacPayload;
    use crate::FHdr;

    #[derive(Deserialize)]
    struct Fields {
        fhdr: FHdr,
        f_port: Option<u8>,
        #[serde(with = "crate::phy_payload::hex_serde::vec", default)]
        frm_payload: Vec<u8>,
    }

    #[derive(Serialize)]
    struct FieldsRef<'a> {
        fhdr: &'a FHdr,
        f_port: Option<u8>,
        #[serde(with = "crate::phy_payload::hex_serde::vec")]
        frm_payload: &'a [u8],
    }

    impl Serialize for MacPayload {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            FieldsRef {
                fhdr: &self.fhdr,
                f_port: self.f_port,
                frm_payload: &self.frm_payload,
            }
            .serialize(serializer)
        }
    }

    impl<'de> Deserialize<'de> for MacPayload {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            use serde::de::Error as _;
            let fields = Fields::deserialize(deserializer)?;
            match fields.f_port {
                Some(f_port) => MacPayload::new(fields.fhdr, f_port, fields.frm_payload)
                    .map_err(D::Error::custom),
                None if fields.frm_payload.is_empty() => Ok(MacPayload::without_port(fields.fhdr)),
                None => Err(D::Error::custom("FRMPayload present without FPort")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DevAddr, FCtrl, FOpts};

    fn fhdr(f_opts: &[u8]) -> FHdr {
        FHdr {
            dev_addr: DevAddr::from_u32(0x0102_0304),
            f_ctrl: FCtrl {
                adr: true,
                ..FCtrl::default()
            },
            f_cnt: 123,
            f_opts: FOpts::new(f_opts).unwrap(),
        }
    }

    #[test]
    fn round_trips_port_and_payload_combinations() {
        // Vectors from ChirpStack lrwn/src/payload.rs test_mac_payload.
        let cases: [(&[u8], MacPayload); 5] = [
            (
                &[0x04, 0x03, 0x02, 0x01, 0x80, 0x7b, 0x00],
                MacPayload::without_port(fhdr(&[])),
            ),
            (
                &[0x04, 0x03, 0x02, 0x01, 0x83, 0x7b, 0x00, 0x01, 0x02, 0x03],
                MacPayload::without_port(fhdr(&[1, 2, 3])),
            ),
            (
                &[0x04, 0x03, 0x02, 0x01, 0x80, 0x7b, 0x00, 0x0a],
                MacPayload::new(fhdr(&[]), 10, vec![]).unwrap(),
            ),
            (
                &[
                    0x04, 0x03, 0x02, 0x01, 0x80, 0x7b, 0x00, 0x0a, 0x01, 0x02, 0x03,
                ],
                MacPayload::new(fhdr(&[]), 10, vec![1, 2, 3]).unwrap(),
            ),
            (
                &[
                    0x04, 0x03, 0x02, 0x01, 0x83, 0x7b, 0x00, 0x03, 0x02, 0x01, 0x0a, 0x01, 0x02,
                    0x03,
                ],
                MacPayload::new(fhdr(&[3, 2, 1]), 10, vec![1, 2, 3]).unwrap(),
            ),
        ];
        for (bytes, mac_payload) in cases {
            assert_eq!(
                MacPayload::decode(bytes, Direction::Uplink).as_ref(),
                Ok(&mac_payload)
            );
            let mut out = Vec::new();
            mac_payload.encode_into(Direction::Uplink, &mut out);
            assert_eq!(out, bytes);
            assert_eq!(mac_payload.encoded_len(), bytes.len());
        }
    }

    #[test]
    fn rejects_fopts_with_port_zero() {
        assert_eq!(
            MacPayload::new(fhdr(&[2]), 0, vec![]),
            Err(Error::FOptsWithPortZero)
        );
        let bytes = [0x04, 0x03, 0x02, 0x01, 0x81, 0x7b, 0x00, 0x02, 0x00];
        assert_eq!(
            MacPayload::decode(&bytes, Direction::Uplink),
            Err(Error::FOptsWithPortZero)
        );
        // Port 0 without FOpts carries MAC commands in the FRMPayload and is fine.
        assert!(MacPayload::new(fhdr(&[]), 0, vec![2]).is_ok());
    }

    #[test]
    fn limits_the_length_to_what_a_phy_payload_carries() {
        assert!(MacPayload::new(fhdr(&[]), 1, vec![0; 242]).is_ok());
        assert_eq!(
            MacPayload::new(fhdr(&[1]), 1, vec![0; 242]),
            Err(Error::TooLong { max: 250, got: 251 })
        );
        assert_eq!(
            MacPayload::decode(&[0; 251], Direction::Uplink),
            Err(Error::TooLong { max: 250, got: 251 })
        );
    }

    #[test]
    fn payload_is_mutable_in_place_only() {
        let mut mac_payload = MacPayload::new(fhdr(&[7, 7]), 1, vec![1, 2]).unwrap();
        mac_payload.frm_payload_mut().copy_from_slice(&[9, 9]);
        mac_payload.f_opts_mut().copy_from_slice(&[8, 8]);
        let (fhdr, f_port, frm_payload) = mac_payload.into_parts();
        assert_eq!(fhdr.f_opts.as_bytes(), &[8, 8]);
        assert_eq!(f_port, Some(1));
        assert_eq!(frm_payload, vec![9, 9]);
    }
}
