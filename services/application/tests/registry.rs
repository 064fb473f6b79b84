//! The application registry in PostgreSQL: devices with their formatters and applications'
//! integrations round-trip, and malformed entries are refused.

use lorawan_codec::Eui64;
use tern_application::testsuite::TestEnv;
use tern_application::{
    ApplicationDevice, ApplicationRegistry, Error, Formatter, Integration, IntegrationKind,
};
use tern_bus::AppEvent;

#[tokio::test]
async fn devices_and_integrations_round_trip() {
    let env = TestEnv::start().await.unwrap();
    let registry = &env.registry;
    let device = ApplicationDevice {
        dev_eui: Eui64::from_u64(0xa1),
        application_id: String::from("reg"),
        device_id: String::from("js-device"),
        name: String::from("Device with a script"),
        formatter: Formatter::JavaScript {
            source: String::from("function decodeUplink(i) { return {data: {}} }"),
        },
    };
    registry.set_device(&device).await.unwrap();
    assert_eq!(
        registry.device(device.dev_eui).await.unwrap(),
        Some(device.clone())
    );
    let replaced = ApplicationDevice {
        formatter: Formatter::CayenneLpp,
        ..device.clone()
    };
    registry.set_device(&replaced).await.unwrap();
    assert_eq!(
        registry.device(device.dev_eui).await.unwrap(),
        Some(replaced)
    );
    assert!(registry.delete_device(device.dev_eui).await.unwrap());
    assert!(!registry.delete_device(device.dev_eui).await.unwrap());
    assert_eq!(registry.device(device.dev_eui).await.unwrap(), None);

    let webhook = Integration {
        application_id: String::from("reg"),
        integration_id: String::from("hook"),
        kind: IntegrationKind::Webhook {
            url: String::from("https://example.com/tern"),
            headers: vec![
                (String::from("authorization"), String::from("Bearer x")),
                (String::from("x-extra"), String::from("1")),
            ],
        },
        events: vec![AppEvent::Up, AppEvent::Join],
    };
    let mqtt = Integration {
        application_id: String::from("reg"),
        integration_id: String::from("mqtt"),
        kind: IntegrationKind::Mqtt {
            url: String::from("mqtt://127.0.0.1:1883"),
            username: Some(String::from("user")),
            password: Some(String::from("secret")),
        },
        events: Vec::new(),
    };
    registry.set_integration(&mqtt).await.unwrap();
    registry.set_integration(&webhook).await.unwrap();
    assert_eq!(
        registry.integrations("reg").await.unwrap(),
        [webhook.clone(), mqtt.clone()]
    );
    assert!(registry.integrations("other").await.unwrap().is_empty());
    assert!(registry.delete_integration("reg", "hook").await.unwrap());
    assert_eq!(registry.integrations("reg").await.unwrap(), [mqtt]);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn refuses_application_ids_that_are_not_one_subject_token() {
    let env = TestEnv::start().await.unwrap();
    for application_id in ["", "a.b", "a*", "a b"] {
        let device = ApplicationDevice {
            dev_eui: Eui64::from_u64(0xa2),
            application_id: application_id.to_owned(),
            device_id: String::from("d"),
            name: String::new(),
            formatter: Formatter::None,
        };
        assert!(
            matches!(
                env.registry.set_device(&device).await,
                Err(Error::InvalidArgument(_))
            ),
            "{application_id:?}"
        );
    }
    env.stop().await.unwrap();
}
