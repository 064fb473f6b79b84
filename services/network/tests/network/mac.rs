//! The MAC layer through the running service, with a simulated device that answers like a
//! real one: ADR raises the data rate of a device heard with a good SNR, and the device's
//! LinkADRAns is applied to the session.

use std::time::Duration;

use futures::StreamExt;

use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use lorawan_region::{Band, Modulation};
use tern_network::testsuite::{TestEnv, abp_device, default_config, next};
use tern_network::{DeviceRegistry, RedisKeys, SessionStore};
use tern_proto::internal::v1 as pb;
use tern_sim::{Device, DeviceConfig, MacVersion, RxContext, RxSlot, SessionKeys, UplinkParams};

const GATEWAY: u64 = 0x0016_c001_ff10_c000;

/// The `UplinkFrame` a gateway edge publishes for a simulated uplink heard at `snr_db`.
fn frame(uplink: &tern_sim::Uplink, snr_db: f32, tmst: u32) -> pb::UplinkFrame {
    let Modulation::Lora {
        spreading_factor,
        bandwidth_hz,
        ..
    } = uplink.modulation
    else {
        panic!("the test device sends LoRa");
    };
    pb::UplinkFrame {
        phy_payload: uplink.phy.clone().into(),
        tx_info: Some(pb::UplinkTxInfo {
            frequency_hz: uplink.frequency_hz,
            modulation: Some(pb::Modulation {
                parameters: Some(pb::modulation::Parameters::Lora(pb::LoraModulation {
                    spreading_factor: u32::from(spreading_factor),
                    bandwidth_hz,
                    code_rate: pb::CodeRate::Cr45 as i32,
                })),
            }),
        }),
        rx_metadata: vec![pb::UplinkRxMetadata {
            gateway_eui: GATEWAY,
            tmst: Some(tmst),
            snr_db,
            rssi_dbm: -70,
            crc_status: pb::CrcStatus::Ok as i32,
            ..pb::UplinkRxMetadata::default()
        }],
        received_at_unix_ns: 1_715_000_000_000_000_000,
    }
}

#[tokio::test]
async fn adr_raises_the_data_rate_of_a_device_with_a_good_link_and_applies_its_answer() {
    let config = tern_config::NetworkConfig {
        dev_status_interval: Duration::ZERO,
        ..default_config()
    };
    let env = TestEnv::start_with(config).await.unwrap();
    let dev_eui = Eui64::from_u64(0x70b3_d57e_d0ad_0001);
    let dev_addr = DevAddr::from_u32(0x2620_0001);
    let nwk_s_key = Aes128Key::from_bytes([0x3c; 16]);
    env.registry
        .set_device(&abp_device(dev_eui, dev_addr, nwk_s_key))
        .await
        .unwrap();
    let band = Band::by_name("eu868").unwrap();
    let mut device_config = DeviceConfig::new(MacVersion::V1_0_3, band);
    device_config.dr = 0;
    let mut device = Device::abp(
        device_config,
        dev_addr,
        SessionKeys::v1_0(nwk_s_key, Aes128Key::from_bytes([0x4d; 16])),
    );
    let sessions = SessionStore::new(
        env.redis.clone(),
        RedisKeys::new(&env.redis_config.key_prefix),
        Duration::from_secs(60),
    );
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();

    let mut link_adr_seen = false;
    for round in 0..40_u32 {
        let uplink = device
            .uplink(UplinkParams {
                f_port: Some(1),
                payload: vec![1, 2, 3],
                ..UplinkParams::default()
            })
            .unwrap();
        env.publish_uplink(&frame(&uplink, 12.0, round * 1_000_000))
            .await
            .unwrap();
        next(&mut as_up).await.unwrap();
        // Any downlink follows its `as.up` at once.
        while let Ok(Some(delivery)) =
            tokio::time::timeout(Duration::from_millis(150), down.next()).await
        {
            let downlink = delivery.into_message();
            let answered = device
                .handle_downlink(
                    &downlink.items[0].phy_payload,
                    RxContext {
                        slot: RxSlot::Rx1,
                        snr_db: 12.0,
                    },
                )
                .unwrap();
            if answered
                .mac_commands
                .iter()
                .any(|command| matches!(command, lorawan_codec::MacCommand::LinkAdrReq(_)))
            {
                link_adr_seen = true;
            }
        }
        let stored = sessions.session(dev_eui).await.unwrap().unwrap();
        let mac = stored.session.mac.unwrap_or_default();
        if link_adr_seen && device.dr() > 0 && mac.data_rate == u32::from(device.dr()) {
            // The network asked for more than DR0 and took the device's ACK as applied.
            assert!(device.dr() >= 4, "ADR moved only to DR{}", device.dr());
            assert_eq!(mac.tx_power_index, u32::from(device.tx_power()));
            assert!(mac.pending.is_empty());
            env.stop().await.unwrap();
            return;
        }
    }
    panic!("no LinkADRReq applied after 40 uplinks (seen: {link_adr_seen})");
}
