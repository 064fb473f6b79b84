//! The PostgreSQL device registry: what goes in comes back out.

use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use tern_network::testsuite::{TestEnv, abp_device};
use tern_network::{Activation, DeviceRegistry, NetworkDevice, NetworkSessionKeys};
use tern_proto::internal::v1 as pb;

#[tokio::test]
async fn stores_reads_finds_by_dev_addr_and_deletes_devices() {
    let env = TestEnv::start().await.unwrap();
    let dev_addr = DevAddr::from_u32(0x2600_0001);
    let abp = abp_device(
        Eui64::from_u64(0x70b3_d57e_d000_0001),
        dev_addr,
        Aes128Key::from_bytes([1; 16]),
    );
    let abp_1_1 = NetworkDevice {
        dev_eui: Eui64::from_u64(0x70b3_d57e_d000_0002),
        mac_version: pb::MacVersion::MacVersion11,
        class: pb::DeviceClass::C,
        rx1_delay_s: 5,
        rx1_dr_offset: 2,
        rx2_dr: Some(3),
        rx2_frequency_hz: Some(869_525_000),
        adr: false,
        relax_f_cnt: false,
        activation: Activation::Abp {
            dev_addr,
            keys: NetworkSessionKeys {
                f_nwk_s_int_key: Aes128Key::from_bytes([2; 16]),
                s_nwk_s_int_key: Aes128Key::from_bytes([3; 16]),
                nwk_s_enc_key: Aes128Key::from_bytes([4; 16]),
            },
        },
        ..abp.clone()
    };
    let otaa = NetworkDevice {
        dev_eui: Eui64::from_u64(0x70b3_d57e_d000_0003),
        activation: Activation::Otaa {
            join_eui: Eui64::from_u64(0x0101),
        },
        ..abp.clone()
    };
    for device in [&abp, &abp_1_1, &otaa] {
        env.registry.set_device(device).await.unwrap();
        assert_eq!(
            env.registry.device(device.dev_eui).await.unwrap().as_ref(),
            Some(device)
        );
    }
    let mut found = env.registry.abp_devices(dev_addr).await.unwrap();
    found.sort_by_key(|device| device.dev_eui);
    assert_eq!(found, vec![abp.clone(), abp_1_1.clone()]);

    // Replacing an ABP device by an OTAA one drops it from the DevAddr lookup.
    let moved = NetworkDevice {
        activation: otaa.activation,
        ..abp.clone()
    };
    env.registry.set_device(&moved).await.unwrap();
    assert_eq!(
        env.registry.abp_devices(dev_addr).await.unwrap(),
        vec![abp_1_1]
    );

    let unknown_band = NetworkDevice {
        band: String::from("eu433x"),
        ..otaa.clone()
    };
    assert!(matches!(
        env.registry.set_device(&unknown_band).await,
        Err(tern_network::Error::Band(_))
    ));
    assert_eq!(
        env.registry.device(otaa.dev_eui).await.unwrap().as_ref(),
        Some(&otaa)
    );

    assert!(env.registry.delete_device(otaa.dev_eui).await.unwrap());
    assert!(!env.registry.delete_device(otaa.dev_eui).await.unwrap());
    assert_eq!(env.registry.device(otaa.dev_eui).await.unwrap(), None);
    env.stop().await.unwrap();
}
