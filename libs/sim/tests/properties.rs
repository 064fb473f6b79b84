//! Untrusted bytes never panic a device: arbitrary downlinks and join-accepts, and arbitrary
//! MAC command streams inside downlinks whose MIC is valid.

#[path = "support/network.rs"]
mod network;

use lorawan_codec::{DevAddr, Eui64};
use lorawan_region::Band;
use network::{DownlinkSpec, downlink, key};
use proptest::prelude::*;
use tern_sim::{Device, DeviceConfig, MacVersion, RootKeys, RxContext, SessionKeys, UplinkParams};

const DEV_ADDR: u32 = 0x2600_0099;

fn keys() -> SessionKeys {
    SessionKeys {
        f_nwk_s_int_key: key("11111111111111111111111111111111"),
        s_nwk_s_int_key: key("22222222222222222222222222222222"),
        nwk_s_enc_key: key("33333333333333333333333333333333"),
        app_s_key: key("44444444444444444444444444444444"),
    }
}

fn version(index: u8) -> MacVersion {
    [
        MacVersion::V1_0_2,
        MacVersion::V1_0_3,
        MacVersion::V1_0_4,
        MacVersion::V1_1,
    ][usize::from(index % 4)]
}

fn band(index: u8) -> Band {
    let names = ["eu868", "us915_1", "as923", "au915_0", "cn470_26a"];
    Band::by_name(names[usize::from(index) % names.len()]).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_downlink_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        version_index in any::<u8>(),
    ) {
        let config = DeviceConfig::new(version(version_index), band(0));
        let mut device = Device::abp(config, DevAddr::from_u32(DEV_ADDR), keys());
        let _ = device.handle_downlink(&bytes, RxContext::default());
        let _ = device.uplink(UplinkParams::default());
    }

    #[test]
    fn arbitrary_join_accept_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        version_index in any::<u8>(),
    ) {
        let root_keys = RootKeys::v1_0(Eui64::from_u64(1), Eui64::from_u64(2), key("55555555555555555555555555555555"));
        let mut device = Device::otaa(DeviceConfig::new(version(version_index), band(0)), root_keys);
        device.join_request().unwrap();
        let _ = device.handle_join_accept(&bytes);
        let mut join_accept = bytes;
        if let Some(first) = join_accept.first_mut() {
            *first = 0x20;
        }
        let _ = device.handle_join_accept(&join_accept);
    }

    #[test]
    fn arbitrary_mac_commands_in_valid_downlinks_never_panic(
        mac_bytes in proptest::collection::vec(any::<u8>(), 0..40),
        in_f_opts in any::<bool>(),
        version_index in any::<u8>(),
        band_index in any::<u8>(),
        snr_db in -40.0f32..40.0,
    ) {
        let version = version(version_index);
        let lorawan_1_1 = version == MacVersion::V1_1;
        let band = band(band_index);
        let config = DeviceConfig::new(version, band);
        let mut device = Device::abp(config, DevAddr::from_u32(DEV_ADDR), keys());
        let decoded = lorawan_codec::decode_mac_commands(&mac_bytes, lorawan_codec::Direction::Downlink);
        let spec = if in_f_opts && mac_bytes.len() <= 15 {
            DownlinkSpec { f_opts: decoded.commands.clone(), lorawan_1_1, ..DownlinkSpec::default() }
        } else {
            DownlinkSpec { f_port: Some(0), payload: mac_bytes.clone(), lorawan_1_1, ..DownlinkSpec::default() }
        };
        // Commands that do not encode back (unknown CIDs in FOpts) are skipped.
        if spec.f_port.is_none() && lorawan_codec::encode_mac_commands(&spec.f_opts).is_err() {
            return Ok(());
        }
        let phy = downlink(&spec, DevAddr::from_u32(DEV_ADDR), &keys());
        let received = device.handle_downlink(&phy, RxContext { snr_db, ..RxContext::default() });
        prop_assert!(received.is_ok(), "{received:?}");
        for _ in 0..3 {
            let uplink = device.uplink(UplinkParams::default());
            prop_assert!(
                uplink.is_ok() || matches!(uplink, Err(tern_sim::Error::PayloadTooLong { .. })),
                "{uplink:?}"
            );
        }
    }
}
