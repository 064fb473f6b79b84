//! The service around the API: server reflection, the health service and the bootstrap of the
//! first admin.

use futures::StreamExt as _;
use tern_config::IdentityConfig;
use tern_identity::testsuite::TestIdentity;
use tern_identity::{SERVICE_NAMES, Store, prepare};
use tern_postgres::testsuite::{TestSchema, test_pool};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

#[tokio::test]
async fn reflection_lists_every_api_service() {
    let env = TestIdentity::start().await.unwrap();
    let mut client = ServerReflectionClient::new(env.channel().await.unwrap());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer {response:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for service in SERVICE_NAMES {
        assert!(
            names.iter().any(|name| name == service),
            "{service} in {names:?}"
        );
    }
    assert!(names.iter().any(|name| name == "grpc.health.v1.Health"));
    drop(responses);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn health_reports_every_service_serving() {
    let env = TestIdentity::start().await.unwrap();
    let mut health = HealthClient::new(env.channel().await.unwrap());
    for service in SERVICE_NAMES {
        let answer = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer.status(), ServingStatus::Serving, "{service}");
    }
    env.stop().await.unwrap();
}

#[tokio::test]
async fn bootstrap_happens_once_even_when_replicas_start_together() {
    let pool = test_pool().unwrap();
    let schema = TestSchema::new(&pool);
    let config = IdentityConfig {
        schema: schema.name().as_str().to_owned(),
        bootstrap_admin_username: "root".to_owned(),
        ..IdentityConfig::default()
    };
    let starts = futures::future::join_all((0..4).map(|_| prepare(&config, &pool))).await;
    let keys: Vec<_> = starts.into_iter().filter_map(Result::unwrap).collect();
    assert_eq!(keys.len(), 1, "exactly one start bootstraps");
    assert_eq!(keys[0].username, "root");
    assert!(prepare(&config, &pool).await.unwrap().is_none());

    let store = Store::new(pool.clone(), schema.name().clone());
    let admin = store.user("root").await.unwrap().unwrap();
    assert!(admin.admin);
    let id = keys[0].key.split('_').nth(1).unwrap();
    let stored = store.api_key(id).await.unwrap().unwrap();
    assert_eq!(stored.rights, ["tenants:*"]);
    assert!(!format!("{:?}", keys[0]).contains(&keys[0].key));
    schema.cleanup().await.unwrap();
}
