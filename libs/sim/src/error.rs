//! The crate's one error type: what went wrong building or opening a frame, and what went
//! wrong on a gateway's socket.

use lorawan_codec::{DevAddr, MType};

/// Errors of [`crate::Device`] and [`crate::Gateway`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not a well-formed LoRaWAN frame, or a field does not fit.
    #[error("lorawan frame")]
    Codec(#[from] lorawan_codec::Error),
    /// A cryptographic operation refused its input (length, not a MIC mismatch).
    #[error("lorawan crypto")]
    Crypto(lorawan_crypto::Error),
    /// The band refused a value (data rate, frequency, channel mask).
    #[error("band")]
    Region(#[from] lorawan_region::Error),
    /// A Semtech UDP datagram did not encode or decode.
    #[error("semtech udp")]
    Udp(#[from] semtech_udp::Error),
    /// The MIC does not match the frame and the device's keys.
    #[error("invalid mic")]
    InvalidMic,
    /// The operation needs a session and the device has none (not joined yet).
    #[error("device has no session")]
    NotActivated,
    /// The operation needs an OTAA device.
    #[error("device is not an otaa device")]
    NotOtaa,
    /// A join-accept arrived but no join-request was sent.
    #[error("no join-request awaits an answer")]
    NoJoinRequest,
    /// The frame has a message type the operation does not take.
    #[error("unexpected message type {0:?}")]
    UnexpectedMType(MType),
    /// The downlink is addressed to another device.
    #[error("downlink for dev_addr {got}, the device is {expected}")]
    DevAddrMismatch {
        /// The device's DevAddr.
        expected: DevAddr,
        /// The frame's DevAddr.
        got: DevAddr,
    },
    /// The downlink frame counter is not ahead of the last one received (a replay).
    #[error("downlink f_cnt {f_cnt} is not new")]
    FCntNotNew {
        /// The full counter the frame would have.
        f_cnt: u32,
    },
    /// The downlink frame counter is further ahead of the last one than MAX_FCNT_GAP.
    #[error("downlink f_cnt {f_cnt} is too far ahead")]
    FCntGapTooLarge {
        /// The full counter the frame would have.
        f_cnt: u32,
    },
    /// A frame counter would pass 2^32 - 1; the device must join again.
    #[error("frame counter exhausted")]
    FCntExhausted,
    /// A LoRaWAN 1.1 join-accept whose JoinNonce is not above the last accepted one.
    #[error("join_nonce {got} not above the last one {last}")]
    JoinNonceNotIncreasing {
        /// The last accepted JoinNonce.
        last: u32,
        /// The received JoinNonce.
        got: u32,
    },
    /// The uplink does not fit the maximum payload of its data rate.
    #[error("mac payload of {got} bytes exceeds {max} at this data rate")]
    PayloadTooLong {
        /// Largest MACPayload at the data rate.
        max: usize,
        /// The MACPayload length.
        got: usize,
    },
    /// No data uplink was sent in this session, so there is nothing to send again.
    #[error("no uplink to retransmit")]
    NothingToRetransmit,
    /// An FRMPayload was given without an FPort.
    #[error("frm_payload without f_port")]
    PayloadWithoutPort,
    /// No enabled channel allows the data rate.
    #[error("no enabled channel allows data rate {dr}")]
    NoChannel {
        /// The data rate.
        dr: u8,
    },
    /// The requested channel is not defined or not enabled.
    #[error("channel {0} is not enabled")]
    ChannelNotEnabled(usize),
    /// No data rate of the band has the modulation a `datr` names.
    #[error("no data rate for datr {0}")]
    UnknownDatr(semtech_udp::DataRate),
    /// A socket operation failed.
    #[error("{what}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Nothing arrived in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// The gateway's receive task ended (socket closed).
    #[error("gateway closed")]
    GatewayClosed,
}

impl From<lorawan_crypto::Error> for Error {
    fn from(error: lorawan_crypto::Error) -> Self {
        match error {
            lorawan_crypto::Error::InvalidMic => Self::InvalidMic,
            other => Self::Crypto(other),
        }
    }
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
