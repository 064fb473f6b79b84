//! Answers one `JoinRequest`: decode the frame, find the device, check the MIC, check and
//! record the nonce, allocate a JoinNonce, build the join-accept and hand out the keys.
//!
//! Every check that needs no storage runs before the nonce is recorded, so a request refused
//! for its shape or its MIC never changes stored state. The handler knows nothing of NATS:
//! [`crate::server`] feeds it requests and sends its answers.
//!
//! Rejoin-requests (LoRaWAN 1.1 §6.2.4) come only from 1.1 devices. Type 1 carries the JoinEUI
//! and a MIC under the JSIntKey, checked here, and its RJcount1 must increase. Types 0 and 2
//! carry the NetID instead and a MIC under the session's SNwkSIntKey, which only the network
//! server holds: it checks that MIC and RJcount0 before asking, and the join server trusts it.

use lorawan_codec::{JoinReqType, Payload, PhyPayload, RejoinRequest};
use lorawan_crypto::{
    MicKey, derive_js_int_key, verify_join_request_mic, verify_rejoin_request_mic,
};
use tern_proto::internal::v1 as pb;
use tracing::field::display;

use crate::accept::{AcceptParams, Accepted, Answering, RootKeys, SessionKeys};
use crate::kek::plaintext_envelope;
use crate::store::{JoinRecord, JoinStore, NonceCheck};
use crate::{Error, Kek, Result};

/// The request inside a PHYPayload.
enum Request {
    Join(lorawan_codec::JoinRequest),
    Rejoin(RejoinRequest),
}

/// Answers join-requests against one store.
#[derive(Debug)]
pub(crate) struct Handler<S> {
    store: S,
    kek: Kek,
    history_len: u32,
}

impl<S: JoinStore> Handler<S> {
    /// Creates a handler; `history_len` is `join.dev_nonce_history`.
    pub(crate) fn new(store: S, kek: Kek, history_len: u32) -> Handler<S> {
        Handler {
            store,
            kek,
            history_len,
        }
    }

    /// Answers one request, recording `dev_eui` and `join_eui` on the current span as soon as
    /// they are known.
    pub(crate) async fn handle(&self, request: &pb::JoinRequest) -> Result<pb::JoinAccept> {
        let params = AcceptParams::from_request(request)?;
        let phy_payload = request.phy_payload.as_ref();
        let frame = PhyPayload::decode(phy_payload).map_err(Error::DecodePhyPayload)?;
        let (covered, mic) = lorawan_crypto::split_mic(phy_payload).map_err(Error::MicInput)?;
        let request = match frame.payload {
            Payload::JoinRequest(join_request) => Request::Join(join_request),
            Payload::RejoinRequest(rejoin_request) => Request::Rejoin(rejoin_request),
            _ => return Err(Error::UnexpectedMType(frame.mhdr.m_type)),
        };
        let (dev_eui, claimed_join_eui) = match &request {
            Request::Join(join_request) => (join_request.dev_eui, Some(join_request.join_eui)),
            Request::Rejoin(RejoinRequest::Type1 {
                dev_eui, join_eui, ..
            }) => (*dev_eui, Some(*join_eui)),
            Request::Rejoin(rejoin_request) => (rejoin_request.dev_eui(), None),
        };
        let span = tracing::Span::current();
        span.record("dev_eui", display(dev_eui));
        if let Some(join_eui) = claimed_join_eui {
            span.record("join_eui", display(join_eui));
        }

        let device = self
            .store
            .device(dev_eui)
            .await?
            .ok_or(Error::UnknownDevice)?;
        if claimed_join_eui.is_some_and(|join_eui| join_eui != device.join_eui) {
            return Err(Error::JoinEuiMismatch);
        }
        span.record("join_eui", display(device.join_eui));
        let root = RootKeys::of(&device)?;

        let (answering, check) = match request {
            Request::Join(join_request) => {
                let key = MicKey::new(root.join_request_key());
                verify_join_request_mic(&key, covered, mic).map_err(mic_error)?;
                let dev_nonce = join_request.dev_nonce;
                let check = if device.mac_version.dev_nonce_is_counter() {
                    NonceCheck::DevNonceCounter(dev_nonce)
                } else {
                    NonceCheck::DevNonceHistory(dev_nonce)
                };
                let answering = Answering {
                    join_req_type: JoinReqType::JoinRequest,
                    nonce: dev_nonce.to_u16(),
                };
                (answering, check)
            }
            Request::Rejoin(rejoin_request) => {
                let RootKeys::V1_1 { nwk_key, .. } = root else {
                    return Err(Error::RejoinFromLegacyDevice(device.mac_version));
                };
                let join_req_type = rejoin_request.join_req_type();
                match rejoin_request {
                    RejoinRequest::Type1 { rj_count1, .. } => {
                        let key = MicKey::new(&derive_js_int_key(&nwk_key, dev_eui));
                        verify_rejoin_request_mic(&key, covered, mic).map_err(mic_error)?;
                        let answering = Answering {
                            join_req_type,
                            nonce: rj_count1,
                        };
                        (answering, NonceCheck::RjCount1(rj_count1))
                    }
                    RejoinRequest::Type0 { rj_count0, .. }
                    | RejoinRequest::Type2 { rj_count0, .. } => {
                        let answering = Answering {
                            join_req_type,
                            nonce: rj_count0,
                        };
                        (answering, NonceCheck::Unchecked)
                    }
                }
            }
        };

        let join_nonce = self
            .store
            .record_join(&JoinRecord {
                dev_eui,
                join_eui: device.join_eui,
                check,
                history_len: self.history_len,
            })
            .await?;
        let accepted = crate::accept::build(
            &root,
            dev_eui,
            device.join_eui,
            &params,
            answering,
            join_nonce,
        )?;
        Ok(self.answer(accepted, &device, &params, answering, join_nonce))
    }

    /// Assembles the answer: network keys in plaintext envelopes, the AppSKey wrapped.
    fn answer(
        &self,
        accepted: Accepted,
        device: &crate::DeviceRootKeys,
        params: &AcceptParams,
        answering: Answering,
        join_nonce: lorawan_codec::JoinNonce,
    ) -> pb::JoinAccept {
        let (f_nwk_s_int_key, s_nwk_s_int_key, nwk_s_enc_key, app_s_key) = match accepted.keys {
            // LoRaWAN 1.0.x has one network key; the network server uses it in all three roles
            // (LoRaWAN 1.1 §6.2.3, backward compatibility with 1.0 devices).
            SessionKeys::V1_0(keys) => (
                keys.nwk_s_key,
                keys.nwk_s_key,
                keys.nwk_s_key,
                keys.app_s_key,
            ),
            SessionKeys::V1_1(keys) => (
                keys.f_nwk_s_int_key,
                keys.s_nwk_s_int_key,
                keys.nwk_s_enc_key,
                keys.app_s_key,
            ),
        };
        pb::JoinAccept {
            phy_payload: accepted.phy_payload.into(),
            mac_version: device.mac_version.to_proto() as i32,
            dev_eui: device.dev_eui.to_u64(),
            join_eui: device.join_eui.to_u64(),
            dev_addr: params.dev_addr.to_u32(),
            join_nonce: join_nonce.to_u32(),
            dev_nonce: u32::from(answering.nonce),
            f_nwk_s_int_key: Some(plaintext_envelope(&f_nwk_s_int_key)),
            s_nwk_s_int_key: Some(plaintext_envelope(&s_nwk_s_int_key)),
            nwk_s_enc_key: Some(plaintext_envelope(&nwk_s_enc_key)),
            app_s_key: Some(self.kek.envelope(&app_s_key)),
        }
    }
}

/// Maps a MIC check failure: a wrong MIC, or (never for a decoded frame) a bad input length.
fn mic_error(error: lorawan_crypto::Error) -> Error {
    match error {
        lorawan_crypto::Error::InvalidMic => Error::InvalidMic,
        other => Error::MicInput(other),
    }
}
