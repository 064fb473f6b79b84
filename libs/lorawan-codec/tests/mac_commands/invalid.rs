//! Commands whose fields do not fit their bits or grid, each with the error encoding must give.

use lorawan_codec::*;

/// Returns each invalid command with the error its encoding must return.
pub fn cases() -> Vec<(MacCommand, Error)> {
    let out_of_range = |field: &'static str, value: u64| Error::OutOfRange { field, value };
    vec![
        (
            MacCommand::LinkAdrReq(LinkAdrReqPayload {
                data_rate: 16,
                ..Default::default()
            }),
            out_of_range("DataRate", 16),
        ),
        (
            MacCommand::LinkAdrReq(LinkAdrReqPayload {
                tx_power: 16,
                ..Default::default()
            }),
            out_of_range("TXPower", 16),
        ),
        (
            MacCommand::LinkAdrReq(LinkAdrReqPayload {
                ch_mask_cntl: 8,
                ..Default::default()
            }),
            out_of_range("ChMaskCntl", 8),
        ),
        (
            MacCommand::LinkAdrReq(LinkAdrReqPayload {
                nb_trans: 16,
                ..Default::default()
            }),
            out_of_range("NbTrans", 16),
        ),
        (
            MacCommand::LinkCheckAns(LinkCheckAnsPayload {
                margin: 255,
                gw_cnt: 1,
            }),
            out_of_range("Margin", 255),
        ),
        (
            MacCommand::DutyCycleReq(DutyCycleReqPayload { max_duty_cycle: 16 }),
            out_of_range("MaxDutyCycle", 16),
        ),
        (
            MacCommand::RxParamSetupReq(RxParamSetupReqPayload {
                rx1_dr_offset: 8,
                rx2_data_rate: 0,
                frequency_hz: 869_525_000,
            }),
            out_of_range("RX1DROffset", 8),
        ),
        (
            MacCommand::RxParamSetupReq(RxParamSetupReqPayload {
                rx1_dr_offset: 0,
                rx2_data_rate: 0,
                frequency_hz: 869_525_050,
            }),
            Error::InvalidFrequency {
                frequency_hz: 869_525_050,
            },
        ),
        (
            MacCommand::DevStatusAns(DevStatusAnsPayload {
                battery: 1,
                margin: 32,
            }),
            Error::SignedOutOfRange {
                field: "Margin",
                value: 32,
            },
        ),
        (
            MacCommand::DevStatusAns(DevStatusAnsPayload {
                battery: 1,
                margin: -33,
            }),
            Error::SignedOutOfRange {
                field: "Margin",
                value: -33,
            },
        ),
        (
            MacCommand::NewChannelReq(NewChannelReqPayload {
                ch_index: 3,
                frequency_hz: 1_677_721_600,
                min_dr: 0,
                max_dr: 5,
            }),
            Error::InvalidFrequency {
                frequency_hz: 1_677_721_600,
            },
        ),
        (
            MacCommand::NewChannelReq(NewChannelReqPayload {
                ch_index: 3,
                frequency_hz: 867_100_000,
                min_dr: 0,
                max_dr: 16,
            }),
            out_of_range("MaxDR", 16),
        ),
        (
            MacCommand::RxTimingSetupReq(RxTimingSetupReqPayload { delay: 16 }),
            out_of_range("Del", 16),
        ),
        (
            MacCommand::TxParamSetupReq(TxParamSetupReqPayload {
                max_eirp: 16,
                ..Default::default()
            }),
            out_of_range("MaxEIRP", 16),
        ),
        (
            MacCommand::DlChannelReq(DlChannelReqPayload {
                ch_index: 0,
                frequency_hz: u32::MAX,
            }),
            Error::InvalidFrequency {
                frequency_hz: u32::MAX,
            },
        ),
        (
            MacCommand::ResetInd(ResetIndPayload {
                dev_lorawan_minor: 16,
            }),
            out_of_range("Dev LoRaWAN version", 16),
        ),
        (
            MacCommand::RekeyConf(RekeyConfPayload {
                serv_lorawan_minor: 17,
            }),
            out_of_range("Serv LoRaWAN version", 17),
        ),
        (
            MacCommand::AdrParamSetupReq(AdrParamSetupReqPayload {
                limit_exp: 16,
                delay_exp: 0,
            }),
            out_of_range("Limit_exp", 16),
        ),
        (
            MacCommand::ForceRejoinReq(ForceRejoinReqPayload {
                period: 8,
                ..Default::default()
            }),
            out_of_range("Period", 8),
        ),
        (
            MacCommand::ForceRejoinReq(ForceRejoinReqPayload {
                rejoin_type: 8,
                ..Default::default()
            }),
            out_of_range("RejoinType", 8),
        ),
        (
            MacCommand::RejoinParamSetupReq(RejoinParamSetupReqPayload {
                max_time_n: 0,
                max_count_n: 16,
            }),
            out_of_range("MaxCountN", 16),
        ),
        (
            MacCommand::PingSlotInfoReq(PingSlotInfoReqPayload { periodicity: 8 }),
            out_of_range("Periodicity", 8),
        ),
        (
            MacCommand::PingSlotChannelReq(PingSlotChannelReqPayload {
                frequency_hz: 869_525_000,
                data_rate: 16,
            }),
            out_of_range("DataRate", 16),
        ),
        (
            MacCommand::BeaconFreqReq(BeaconFreqReqPayload { frequency_hz: 1 }),
            Error::InvalidFrequency { frequency_hz: 1 },
        ),
        (
            MacCommand::DeviceModeConf(DeviceModeConfPayload {
                class: DeviceModeClass::Rfu(2),
            }),
            out_of_range("Class (RFU)", 2),
        ),
        (
            MacCommand::Unknown {
                cid: 0x80,
                payload: vec![],
            },
            out_of_range("unknown CID", 0x80),
        ),
        (
            MacCommand::Proprietary {
                cid: 0x7f,
                payload: vec![1],
            },
            out_of_range("proprietary CID", 0x7f),
        ),
    ]
}
