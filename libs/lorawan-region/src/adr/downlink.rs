//! Whether ADR obliges the network to send a downlink after an uplink: to carry a new
//! LinkADRReq, or to answer an ADRACKReq.
//!
//! It only decides; building the frame, choosing RX1 or RX2 and merging with queued
//! application data are the network server's scheduling concerns.

use super::AdrDecision;

/// Why ADR needs a downlink after an uplink, if it does.
///
/// An end-device whose ADR_ACK_CNT reaches ADR_ACK_LIMIT sets ADRACKReq; the network must
/// then send it any downlink within the next ADR_ACK_DELAY uplinks, or the device starts its
/// backoff (raises TX power, then lowers its data rate, then resets NbTrans and channels),
/// LoRaWAN 1.0.4 §4.3.1.1 and its Table 9 (RP002-1.0.4 defaults: ADR_ACK_LIMIT 64,
/// ADR_ACK_DELAY 32). Any downlink frame resets the device's counter, an empty one included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum AdrDownlink {
    /// ADR needs no downlink.
    NotRequired,
    /// The decision changed the device's settings: send a LinkADRReq (LoRaWAN 1.0.4 §5.3)
    /// carrying them. When `answers_adr_ack_req` is set, that downlink also answers the
    /// device's ADRACKReq.
    LinkAdrReq {
        /// The uplink had ADRACKReq set.
        answers_adr_ack_req: bool,
    },
    /// The uplink had ADRACKReq set and ADR changes nothing: send any downlink, an empty
    /// frame (no FPort, no FOpts) if nothing else is queued.
    AnswerAdrAckReq,
}

impl AdrDownlink {
    /// Tells whether a downlink must be scheduled in the uplink's receive windows.
    pub fn is_required(&self) -> bool {
        !matches!(self, Self::NotRequired)
    }
}

/// Decides whether the network must send a downlink after an uplink for ADR's sake, and why
/// (LoRaWAN 1.0.4 §4.3.1.1).
///
/// `adr_ack_req` is the uplink's FCtrl.ADRACKReq bit. `decision` is the ADR engine's result
/// for the uplink, or `None` when the network runs no ADR for the device. The spec allows
/// answering an ADRACKReq any time within ADR_ACK_DELAY uplinks, but the network cannot know
/// which of its downlinks reach the device, so this answers at the first ADRACKReq it sees.
pub fn adr_downlink(adr_ack_req: bool, decision: Option<&AdrDecision>) -> AdrDownlink {
    match decision {
        Some(decision) if decision.changed => AdrDownlink::LinkAdrReq {
            answers_adr_ack_req: adr_ack_req,
        },
        _ if adr_ack_req => AdrDownlink::AnswerAdrAckReq,
        _ => AdrDownlink::NotRequired,
    }
}
