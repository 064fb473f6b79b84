//! Virtual LoRaWAN end devices and virtual Semtech UDP packet-forwarder gateways.
//!
//! [`Device`] is a pure state machine of a LoRaWAN 1.0.2, 1.0.3, 1.0.4 or 1.1 end device
//! (OTAA or ABP, class A or C) in one band: it builds join-requests and data uplinks, opens
//! join-accepts and downlinks, and answers MAC commands the way a real device does. It does no
//! I/O and reads no clock; randomness (random DevNonces, channel choice) comes from a seed the
//! caller gives, so a run can be replayed.
//!
//! [`Gateway`] is a packet forwarder speaking the Semtech UDP protocol v2 to a server address
//! on loopback: PUSH_DATA with `rxpk`s and `stat`, PULL_DATA keepalives, and PULL_RESP answered
//! with a TX_ACK whose outcome the caller scripts. The [`radio`] module maps a band's data
//! rates to `datr` strings and back, so a device's [`Uplink`] goes straight into
//! [`Gateway::send_uplink`].
//!
//! The crate deliberately knows nothing of Tern's services: it talks to a network server only
//! through UDP, so the same code drives tests and the load tester. It re-implements no
//! cryptography (`lorawan-crypto` does it all) and no band table (`lorawan-region`).

mod device;
mod error;
mod gateway;
pub mod radio;

pub use device::{
    Device, DeviceClass, DeviceConfig, Downlink, JoinAccepted, MacVersion, ReceivedPayload,
    RootKeys, RxContext, RxSettings, RxSlot, SessionKeys, Uplink, UplinkParams,
};
pub use error::{Error, Result};
pub use gateway::{
    Gateway, GatewayConfig, PushAck, ReceivedDownlink, RxMeta, SentUplink, TxAckReply,
};
