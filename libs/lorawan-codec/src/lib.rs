//! LoRaWAN 1.0.x and 1.1 frame codec: PHYPayload, MHDR, FHDR, join messages and MAC commands.
//!
//! Pure encoding and decoding of the bytes defined by the LoRaWAN Link Layer specifications
//! (1.0.0 to 1.0.4, and 1.1). It deliberately does no cryptography (MIC checks and payload
//! encryption live in `lorawan-crypto`), no I/O and no clock: callers pass bytes in and get
//! typed values out, or the reverse.

mod error;
mod fhdr;
mod ids;
mod join;
mod mac;
mod mhdr;
mod phy_payload;

pub use error::{Error, Result};
pub use fhdr::{Direction, FCtrl, FHdr, FOpts};
pub use ids::{Aes128Key, DevAddr, Eui64, NetId};
pub use join::{
    CfList, CfListFrequencies, DevNonce, DlSettings, EncryptedJoinAccept, JoinAcceptPayload,
    JoinNonce, JoinReqType, JoinRequest, RejoinRequest, RxDelay,
};
pub use mac::{
    AdrParamSetupReqPayload, BATTERY_EXTERNAL_POWER, BATTERY_UNKNOWN, BeaconFreqAnsPayload,
    BeaconFreqReqPayload, BeaconTimingAnsPayload, DevStatusAnsPayload, DeviceModeClass,
    DeviceModeConfPayload, DeviceModeIndPayload, DeviceTimeAnsPayload, DlChannelAnsPayload,
    DlChannelReqPayload, DutyCycleReqPayload, DwellTime, ForceRejoinReqPayload, LinkAdrAnsPayload,
    LinkAdrReqPayload, LinkCheckAnsPayload, MacCommand, MacCommands, NewChannelAnsPayload,
    NewChannelReqPayload, PROPRIETARY_CID_MIN, PingSlotChannelAnsPayload,
    PingSlotChannelReqPayload, PingSlotInfoReqPayload, RejoinParamSetupAnsPayload,
    RejoinParamSetupReqPayload, RekeyConfPayload, RekeyIndPayload, ResetConfPayload,
    ResetIndPayload, RxParamSetupAnsPayload, RxParamSetupReqPayload, RxTimingSetupReqPayload,
    TxParamSetupReqPayload, decode_mac_commands, encode_mac_commands,
};
pub use mhdr::{MType, Major, Mhdr};
pub use phy_payload::{MacPayload, Payload, PhyPayload};
