//! The six datagrams of the protocol and their byte-level decode and encode.
//!
//! [`Datagram::decode`] takes the bytes of one UDP datagram and returns a typed value or a
//! typed error; [`Datagram::encode_into`] appends the bytes of a value to a buffer. Neither
//! does I/O, keeps state, or checks that a gateway is known.

use crate::error::{Error, Result};
use crate::header::{
    self, ACK_LEN, GatewayEui, Header, Identifier, MAX_DATAGRAM_LEN, ProtocolVersion, Token,
};
use crate::push_data::{self, PushData};
use crate::tx_ack::{TxAckBodyIn, TxAckBodyOut, TxpkAck};
use crate::txpk::{Txpk, TxpkIn, TxpkOut};

/// One datagram of the Semtech UDP protocol (PROTOCOL.TXT §3, §5).
#[derive(Debug, Clone, PartialEq)]
pub enum Datagram {
    /// PUSH_DATA, gateway to server: received packets and status.
    PushData(PushData),
    /// PUSH_ACK, server to gateway.
    PushAck(Ack),
    /// PULL_DATA, gateway to server: keep-alive that opens the downlink route.
    PullData(PullData),
    /// PULL_RESP, server to gateway: a packet to transmit.
    PullResp(PullResp),
    /// PULL_ACK, server to gateway.
    PullAck(Ack),
    /// TX_ACK, gateway to server: outcome of a PULL_RESP.
    TxAck(TxAck),
}

/// PUSH_ACK or PULL_ACK: the header alone (PROTOCOL.TXT §3.3, §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ack {
    /// Protocol version of the acknowledged datagram.
    pub version: ProtocolVersion,
    /// Token of the acknowledged datagram.
    pub token: Token,
}

/// PULL_DATA (PROTOCOL.TXT §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PullData {
    /// Protocol version; the PULL_ACK must echo it.
    pub version: ProtocolVersion,
    /// Random token; the PULL_ACK must echo it.
    pub token: Token,
    /// Gateway that sent the datagram.
    pub gateway_eui: GatewayEui,
}

/// PULL_RESP (PROTOCOL.TXT §5.4). In version 1 the token bytes are unused.
#[derive(Debug, Clone, PartialEq)]
pub struct PullResp {
    /// Protocol version, the one the gateway's PULL_DATA used.
    pub version: ProtocolVersion,
    /// Token the gateway echoes in its TX_ACK.
    pub token: Token,
    /// The packet to transmit.
    pub txpk: Txpk,
}

/// TX_ACK (SX1302 forwarder PROTOCOL.md §5.5).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TxAck {
    /// Protocol version.
    pub version: ProtocolVersion,
    /// Token of the PULL_RESP being acknowledged.
    pub token: Token,
    /// Gateway that sent the datagram.
    pub gateway_eui: GatewayEui,
    /// The `txpk_ack` object; `None` when the datagram has no JSON, which means success.
    pub txpk_ack: Option<TxpkAck>,
}

impl TxAck {
    /// Returns the rejection reason, or `None` when the downlink was accepted.
    pub fn rejection(&self) -> Option<&crate::TxAckCode> {
        self.txpk_ack.as_ref().and_then(TxpkAck::rejection)
    }
}

/// Strips the NUL bytes some forwarders append (the Kerlink iBTS sends a TX_ACK with a single
/// 0 byte for "no JSON", ChirpStack tx_ack_test.go) and reports whether anything is left.
fn json_part(body: &[u8]) -> Option<&[u8]> {
    let end = body.iter().rposition(|byte| *byte != 0)? + 1;
    body.get(..end)
}

fn no_trailing_bytes(identifier: Identifier, body: &[u8]) -> Result<()> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(Error::TrailingBytes {
            identifier,
            extra: body.len(),
        })
    }
}

impl Datagram {
    /// Decodes one datagram (PROTOCOL.TXT §3, §5).
    ///
    /// A PUSH_DATA decodes even when some of its rxpk objects do not; those are listed in
    /// [`PushData::rejected`].
    pub fn decode(bytes: &[u8]) -> Result<Datagram> {
        let (header, header_len) = Header::decode(bytes)?;
        let body = bytes.get(header_len..).unwrap_or_default();
        let Header {
            version,
            token,
            identifier,
            gateway_eui,
        } = header;
        let gateway_eui = gateway_eui.unwrap_or_default();
        match identifier {
            Identifier::PushData => {
                let json = json_part(body).ok_or(Error::MissingJson(identifier))?;
                let (rxpk, stat, rejected) = push_data::decode_body(json)?;
                Ok(Datagram::PushData(PushData {
                    version,
                    token,
                    gateway_eui,
                    rxpk,
                    stat,
                    rejected,
                }))
            }
            Identifier::PushAck => {
                no_trailing_bytes(identifier, body)?;
                Ok(Datagram::PushAck(Ack { version, token }))
            }
            Identifier::PullData => {
                no_trailing_bytes(identifier, body)?;
                Ok(Datagram::PullData(PullData {
                    version,
                    token,
                    gateway_eui,
                }))
            }
            Identifier::PullResp => {
                let json = json_part(body).ok_or(Error::MissingJson(identifier))?;
                let body: PullRespBodyIn = serde_json::from_slice(json)?;
                let txpk = body.txpk.ok_or(Error::MissingField {
                    object: "PULL_RESP",
                    field: "txpk",
                })?;
                Ok(Datagram::PullResp(PullResp {
                    version,
                    token,
                    txpk: txpk.into_txpk()?,
                }))
            }
            Identifier::PullAck => {
                no_trailing_bytes(identifier, body)?;
                Ok(Datagram::PullAck(Ack { version, token }))
            }
            Identifier::TxAck => {
                let txpk_ack = match json_part(body) {
                    Some(json) => serde_json::from_slice::<TxAckBodyIn>(json)?.into_txpk_ack(),
                    None => None,
                };
                Ok(Datagram::TxAck(TxAck {
                    version,
                    token,
                    gateway_eui,
                    txpk_ack,
                }))
            }
        }
    }

    /// Encodes the datagram into a new buffer.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Appends the encoded datagram to `out`; on error `out` is left as it was.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        let res = self.encode_unchecked(out).and_then(|()| {
            let len = out.len() - start;
            if len > MAX_DATAGRAM_LEN {
                Err(Error::TooLong {
                    max: MAX_DATAGRAM_LEN,
                    got: len,
                })
            } else {
                Ok(())
            }
        });
        if res.is_err() {
            out.truncate(start);
        }
        res
    }

    fn encode_unchecked(&self, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(&header::encode_ack(
            self.version(),
            self.token(),
            self.identifier(),
        ));
        if let Some(gateway_eui) = self.gateway_eui() {
            out.extend_from_slice(&gateway_eui.to_be_bytes());
        }
        match self {
            Datagram::PushData(push_data) => push_data::encode_body(push_data, out),
            Datagram::PullResp(pull_resp) => {
                let body = PullRespBodyOut {
                    txpk: TxpkOut::new(&pull_resp.txpk)?,
                };
                serde_json::to_writer(out, &body).map_err(Error::from)
            }
            Datagram::TxAck(TxAck {
                txpk_ack: Some(txpk_ack),
                ..
            }) => serde_json::to_writer(out, &TxAckBodyOut::new(txpk_ack)?).map_err(Error::from),
            Datagram::TxAck(_)
            | Datagram::PushAck(_)
            | Datagram::PullData(_)
            | Datagram::PullAck(_) => Ok(()),
        }
    }

    /// Returns the identifier (byte 3).
    pub fn identifier(&self) -> Identifier {
        match self {
            Datagram::PushData(_) => Identifier::PushData,
            Datagram::PushAck(_) => Identifier::PushAck,
            Datagram::PullData(_) => Identifier::PullData,
            Datagram::PullResp(_) => Identifier::PullResp,
            Datagram::PullAck(_) => Identifier::PullAck,
            Datagram::TxAck(_) => Identifier::TxAck,
        }
    }

    /// Returns the protocol version (byte 0).
    pub fn version(&self) -> ProtocolVersion {
        match self {
            Datagram::PushData(push_data) => push_data.version,
            Datagram::PushAck(ack) | Datagram::PullAck(ack) => ack.version,
            Datagram::PullData(pull_data) => pull_data.version,
            Datagram::PullResp(pull_resp) => pull_resp.version,
            Datagram::TxAck(tx_ack) => tx_ack.version,
        }
    }

    /// Returns the token (bytes 1-2).
    pub fn token(&self) -> Token {
        match self {
            Datagram::PushData(push_data) => push_data.token,
            Datagram::PushAck(ack) | Datagram::PullAck(ack) => ack.token,
            Datagram::PullData(pull_data) => pull_data.token,
            Datagram::PullResp(pull_resp) => pull_resp.token,
            Datagram::TxAck(tx_ack) => tx_ack.token,
        }
    }

    /// Returns the gateway EUI (bytes 4-11) of PUSH_DATA, PULL_DATA and TX_ACK.
    pub fn gateway_eui(&self) -> Option<GatewayEui> {
        match self {
            Datagram::PushData(push_data) => Some(push_data.gateway_eui),
            Datagram::PullData(pull_data) => Some(pull_data.gateway_eui),
            Datagram::TxAck(tx_ack) => Some(tx_ack.gateway_eui),
            Datagram::PushAck(_) | Datagram::PullAck(_) | Datagram::PullResp(_) => None,
        }
    }

    /// Returns the PUSH_ACK or PULL_ACK that answers this datagram, or `None` when the
    /// protocol expects no answer (PROTOCOL.TXT §3.3, §5.3).
    pub fn ack(&self) -> Option<Datagram> {
        let ack = Ack {
            version: self.version(),
            token: self.token(),
        };
        match self {
            Datagram::PushData(_) => Some(Datagram::PushAck(ack)),
            Datagram::PullData(_) => Some(Datagram::PullAck(ack)),
            _ => None,
        }
    }

    /// Returns the 4 bytes of the PUSH_ACK or PULL_ACK that answers this datagram.
    pub fn ack_bytes(&self) -> Option<[u8; ACK_LEN]> {
        let identifier = match self {
            Datagram::PushData(_) => Identifier::PushAck,
            Datagram::PullData(_) => Identifier::PullAck,
            _ => return None,
        };
        Some(header::encode_ack(self.version(), self.token(), identifier))
    }
}

/// Decodes one datagram; shorthand for [`Datagram::decode`].
pub fn decode(bytes: &[u8]) -> Result<Datagram> {
    Datagram::decode(bytes)
}

/// Root object of PULL_RESP JSON as read.
#[derive(serde::Deserialize)]
struct PullRespBodyIn {
    txpk: Option<TxpkIn>,
}

/// Root object of PULL_RESP JSON as written.
#[derive(serde::Serialize)]
struct PullRespBodyOut<'a> {
    txpk: TxpkOut<'a>,
}
