//! Semtech packet-forwarder UDP protocol v2: PUSH/PULL/TX_ACK datagrams and rxpk/txpk JSON.
//!
//! # What it does
//!
//! This crate turns the bytes of one UDP datagram exchanged between a LoRa gateway running
//! the Semtech packet forwarder and a network server into typed values, and back
//! (Lora-net/packet_forwarder `PROTOCOL.TXT`, and `PROTOCOL.md` of the SX1302 forwarder):
//!
//! - [`Datagram::decode`] / [`decode`] read PUSH_DATA, PUSH_ACK, PULL_DATA, PULL_RESP,
//!   PULL_ACK and TX_ACK, protocol versions 2 and 1; [`Datagram::encode`] and
//!   [`Datagram::encode_into`] write them.
//! - [`Header::decode`] reads only the binary header, and [`Header::ack`] /
//!   [`Datagram::ack_bytes`] build the PUSH_ACK or PULL_ACK an edge sends at once.
//! - [`Rxpk`], [`Stat`], [`Txpk`] and [`TxpkAck`] model every field real forwarders send,
//!   with `datr` parsed into [`DataRate`] (LoRa, FSK, LR-FHSS), `codr` into [`CodingRate`],
//!   payloads base64-decoded, and helpers such as [`Rxpk::freq_hz`] (868.1 MHz gives
//!   868 100 000 Hz) and [`parse_compact_time`].
//! - A PUSH_DATA with one bad rxpk still decodes: the good rxpks are in [`PushData::rxpk`]
//!   and the bad ones, with their typed [`Error`], in [`PushData::rejected`].
//!
//! Malformed input always yields an [`Error`] (its [`Error::reason`] is a metric label),
//! never a panic. Fields a gateway adds that this crate does not know are ignored.
//! Datagrams longer than [`MAX_DATAGRAM_LEN`] are rejected.
//!
//! # What it deliberately does not do
//!
//! It opens no socket, reads no clock, spawns nothing and logs nothing: callers pass bytes
//! in and get bytes out. It keeps no state (which gateway sits behind which address, which
//! token awaits a TX_ACK), does not decode the LoRaWAN PHYPayload inside `data`, does not
//! check data rates or frequencies against a region, does not decrypt fine timestamps, and
//! does not speak the LoRa Basics Station protocol.
//!
//! ```
//! use semtech_udp::{Datagram, Identifier};
//!
//! // PULL_DATA from gateway aa555a0000000101, token 0x1234.
//! let bytes = [2, 0x12, 0x34, 2, 0xaa, 0x55, 0x5a, 0, 0, 0, 1, 1];
//! let datagram = Datagram::decode(&bytes)?;
//! assert_eq!(datagram.identifier(), Identifier::PullData);
//! assert_eq!(datagram.ack_bytes(), Some([2, 0x12, 0x34, 4]));
//! # Ok::<(), semtech_udp::Error>(())
//! ```

mod datagram;
mod datr;
mod error;
mod frequency;
mod header;
mod push_data;
mod rsig;
mod rxpk;
mod stat;
mod time;
mod tx_ack;
mod txpk;
mod wire;

pub use datagram::{Ack, Datagram, PullData, PullResp, TxAck, decode};
pub use datr::{CodingRate, DataRate, Modulation};
pub use error::{Error, Result};
pub use frequency::{hz_to_mhz, mhz_to_hz};
pub use header::{
    ACK_LEN, GatewayEui, HEADER_WITH_EUI_LEN, Header, Identifier, MAX_DATAGRAM_LEN,
    ProtocolVersion, Token,
};
pub use push_data::{PushData, Rejected, RejectedObject};
pub use rsig::Rsig;
pub use rxpk::{CrcStatus, Rxpk};
pub use stat::Stat;
pub use time::{UtcTime, parse_compact_time, parse_expanded_time};
pub use tx_ack::{TxAckCode, TxAckValue, TxpkAck};
pub use txpk::Txpk;
