//! Builds the expected `MacCommand` of a test vector from its JSON object by hand.
//!
//! It deliberately does not use the crate's own serde support, so the vectors check the codec
//! without the `serde` feature and independently of the derived serde code.

use lorawan_codec::*;
use serde_json::Value;

/// Reads an unsigned field that must fit in `T`.
fn uint<T: TryFrom<u64>>(object: &Value, field: &str) -> T {
    let value = object[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} missing or not an unsigned integer in {object}"));
    T::try_from(value).unwrap_or_else(|_| panic!("{field} out of range in {object}"))
}

fn flag(object: &Value, field: &str) -> bool {
    object[field]
        .as_bool()
        .unwrap_or_else(|| panic!("{field} missing or not a bool in {object}"))
}

fn text<'a>(object: &'a Value, field: &str) -> &'a str {
    object[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing or not a string in {object}"))
}

fn dwell_time(object: &Value, field: &str) -> DwellTime {
    match text(object, field) {
        "no_limit" => DwellTime::NoLimit,
        "limit_400ms" => DwellTime::Limit400Ms,
        other => panic!("unknown dwell time {other}"),
    }
}

fn class(object: &Value) -> DeviceModeClass {
    match &object["class"] {
        Value::String(name) if name == "class_a" => DeviceModeClass::ClassA,
        Value::String(name) if name == "class_c" => DeviceModeClass::ClassC,
        Value::Object(rfu) => DeviceModeClass::Rfu(uint(&Value::Object(rfu.clone()), "rfu")),
        other => panic!("unknown class {other}"),
    }
}

fn raw_payload(object: &Value) -> Vec<u8> {
    hex::decode(text(object, "payload")).expect("payload is hex")
}

/// Builds the command a vector's JSON object describes.
pub fn command(object: &Value) -> MacCommand {
    let o = object;
    match text(o, "command") {
        "reset_ind" => MacCommand::ResetInd(ResetIndPayload {
            dev_lorawan_minor: uint(o, "dev_lorawan_minor"),
        }),
        "reset_conf" => MacCommand::ResetConf(ResetConfPayload {
            serv_lorawan_minor: uint(o, "serv_lorawan_minor"),
        }),
        "link_check_req" => MacCommand::LinkCheckReq,
        "link_check_ans" => MacCommand::LinkCheckAns(LinkCheckAnsPayload {
            margin: uint(o, "margin"),
            gw_cnt: uint(o, "gw_cnt"),
        }),
        "link_adr_req" => MacCommand::LinkAdrReq(LinkAdrReqPayload {
            data_rate: uint(o, "data_rate"),
            tx_power: uint(o, "tx_power"),
            ch_mask: uint(o, "ch_mask"),
            ch_mask_cntl: uint(o, "ch_mask_cntl"),
            nb_trans: uint(o, "nb_trans"),
        }),
        "link_adr_ans" => MacCommand::LinkAdrAns(LinkAdrAnsPayload {
            channel_mask_ack: flag(o, "channel_mask_ack"),
            data_rate_ack: flag(o, "data_rate_ack"),
            power_ack: flag(o, "power_ack"),
        }),
        "duty_cycle_req" => MacCommand::DutyCycleReq(DutyCycleReqPayload {
            max_duty_cycle: uint(o, "max_duty_cycle"),
        }),
        "duty_cycle_ans" => MacCommand::DutyCycleAns,
        "rx_param_setup_req" => MacCommand::RxParamSetupReq(RxParamSetupReqPayload {
            rx1_dr_offset: uint(o, "rx1_dr_offset"),
            rx2_data_rate: uint(o, "rx2_data_rate"),
            frequency_hz: uint(o, "frequency_hz"),
        }),
        "rx_param_setup_ans" => MacCommand::RxParamSetupAns(RxParamSetupAnsPayload {
            channel_ack: flag(o, "channel_ack"),
            rx2_data_rate_ack: flag(o, "rx2_data_rate_ack"),
            rx1_dr_offset_ack: flag(o, "rx1_dr_offset_ack"),
        }),
        "dev_status_req" => MacCommand::DevStatusReq,
        "dev_status_ans" => MacCommand::DevStatusAns(DevStatusAnsPayload {
            battery: uint(o, "battery"),
            margin: o["margin"]
                .as_i64()
                .and_then(|margin| i8::try_from(margin).ok())
                .expect("margin is an i8"),
        }),
        "new_channel_req" => MacCommand::NewChannelReq(NewChannelReqPayload {
            ch_index: uint(o, "ch_index"),
            frequency_hz: uint(o, "frequency_hz"),
            min_dr: uint(o, "min_dr"),
            max_dr: uint(o, "max_dr"),
        }),
        "new_channel_ans" => MacCommand::NewChannelAns(NewChannelAnsPayload {
            channel_frequency_ok: flag(o, "channel_frequency_ok"),
            data_rate_range_ok: flag(o, "data_rate_range_ok"),
        }),
        "rx_timing_setup_req" => MacCommand::RxTimingSetupReq(RxTimingSetupReqPayload {
            delay: uint(o, "delay"),
        }),
        "rx_timing_setup_ans" => MacCommand::RxTimingSetupAns,
        "tx_param_setup_req" => MacCommand::TxParamSetupReq(TxParamSetupReqPayload {
            downlink_dwell_time: dwell_time(o, "downlink_dwell_time"),
            uplink_dwell_time: dwell_time(o, "uplink_dwell_time"),
            max_eirp: uint(o, "max_eirp"),
        }),
        "tx_param_setup_ans" => MacCommand::TxParamSetupAns,
        "dl_channel_req" => MacCommand::DlChannelReq(DlChannelReqPayload {
            ch_index: uint(o, "ch_index"),
            frequency_hz: uint(o, "frequency_hz"),
        }),
        "dl_channel_ans" => MacCommand::DlChannelAns(DlChannelAnsPayload {
            channel_frequency_ok: flag(o, "channel_frequency_ok"),
            uplink_frequency_exists: flag(o, "uplink_frequency_exists"),
        }),
        "rekey_ind" => MacCommand::RekeyInd(RekeyIndPayload {
            dev_lorawan_minor: uint(o, "dev_lorawan_minor"),
        }),
        "rekey_conf" => MacCommand::RekeyConf(RekeyConfPayload {
            serv_lorawan_minor: uint(o, "serv_lorawan_minor"),
        }),
        "adr_param_setup_req" => MacCommand::AdrParamSetupReq(AdrParamSetupReqPayload {
            limit_exp: uint(o, "limit_exp"),
            delay_exp: uint(o, "delay_exp"),
        }),
        "adr_param_setup_ans" => MacCommand::AdrParamSetupAns,
        "device_time_req" => MacCommand::DeviceTimeReq,
        "device_time_ans" => MacCommand::DeviceTimeAns(DeviceTimeAnsPayload {
            gps_epoch_seconds: uint(o, "gps_epoch_seconds"),
            fractional_second: uint(o, "fractional_second"),
        }),
        "force_rejoin_req" => MacCommand::ForceRejoinReq(ForceRejoinReqPayload {
            period: uint(o, "period"),
            max_retries: uint(o, "max_retries"),
            rejoin_type: uint(o, "rejoin_type"),
            data_rate: uint(o, "data_rate"),
        }),
        "rejoin_param_setup_req" => MacCommand::RejoinParamSetupReq(RejoinParamSetupReqPayload {
            max_time_n: uint(o, "max_time_n"),
            max_count_n: uint(o, "max_count_n"),
        }),
        "rejoin_param_setup_ans" => MacCommand::RejoinParamSetupAns(RejoinParamSetupAnsPayload {
            time_ok: flag(o, "time_ok"),
        }),
        "ping_slot_info_req" => MacCommand::PingSlotInfoReq(PingSlotInfoReqPayload {
            periodicity: uint(o, "periodicity"),
        }),
        "ping_slot_info_ans" => MacCommand::PingSlotInfoAns,
        "ping_slot_channel_req" => MacCommand::PingSlotChannelReq(PingSlotChannelReqPayload {
            frequency_hz: uint(o, "frequency_hz"),
            data_rate: uint(o, "data_rate"),
        }),
        "ping_slot_channel_ans" => MacCommand::PingSlotChannelAns(PingSlotChannelAnsPayload {
            channel_frequency_ok: flag(o, "channel_frequency_ok"),
            data_rate_ok: flag(o, "data_rate_ok"),
        }),
        "beacon_timing_req" => MacCommand::BeaconTimingReq,
        "beacon_timing_ans" => MacCommand::BeaconTimingAns(BeaconTimingAnsPayload {
            delay: uint(o, "delay"),
            channel: uint(o, "channel"),
        }),
        "beacon_freq_req" => MacCommand::BeaconFreqReq(BeaconFreqReqPayload {
            frequency_hz: uint(o, "frequency_hz"),
        }),
        "beacon_freq_ans" => MacCommand::BeaconFreqAns(BeaconFreqAnsPayload {
            beacon_frequency_ok: flag(o, "beacon_frequency_ok"),
        }),
        "device_mode_ind" => MacCommand::DeviceModeInd(DeviceModeIndPayload { class: class(o) }),
        "device_mode_conf" => MacCommand::DeviceModeConf(DeviceModeConfPayload { class: class(o) }),
        "unknown" => MacCommand::Unknown {
            cid: uint(o, "cid"),
            payload: raw_payload(o),
        },
        "proprietary" => MacCommand::Proprietary {
            cid: uint(o, "cid"),
            payload: raw_payload(o),
        },
        other => panic!("unknown command name {other}"),
    }
}
