//! The Kubernetes Lease election against a small in-test API server that keeps Leases in
//! memory and enforces `resourceVersion` on writes (409 on a stale one), as the real API
//! server does for `coordination.k8s.io/v1` Leases.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tern_network::leader::{KubeLease, KubeLeaseTarget, LeaderElection};
use tokio::task::JoinHandle;

const NAMESPACE: &str = "tern";
const LEASE: &str = "tern-network-gateway-sweep";

#[derive(Debug, Default)]
struct Leases {
    by_key: HashMap<(String, String), Value>,
    next_version: u64,
    /// When set, the next GET is followed by a write of another holder, so the caller's
    /// write carries a stale `resourceVersion`.
    race_next_get: Option<String>,
    writes: u64,
}

type Shared = Arc<Mutex<Leases>>;

fn status(code: StatusCode, reason: &str) -> (StatusCode, Json<Value>) {
    (
        code,
        Json(json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": reason,
            "reason": reason,
            "code": code.as_u16(),
        })),
    )
}

fn stored(leases: &mut Leases, namespace: &str, mut lease: Value) -> Value {
    leases.next_version += 1;
    leases.writes += 1;
    lease["apiVersion"] = json!("coordination.k8s.io/v1");
    lease["kind"] = json!("Lease");
    lease["metadata"]["namespace"] = json!(namespace);
    lease["metadata"]["resourceVersion"] = json!(leases.next_version.to_string());
    lease
}

async fn get_lease(
    State(shared): State<Shared>,
    Path((namespace, name)): Path<(String, String)>,
) -> (StatusCode, Json<Value>) {
    let mut leases = shared.lock().unwrap();
    let key = (namespace.clone(), name);
    let Some(lease) = leases.by_key.get(&key).cloned() else {
        return status(StatusCode::NOT_FOUND, "NotFound");
    };
    if let Some(thief) = leases.race_next_get.take() {
        let mut stolen = lease.clone();
        stolen["spec"]["holderIdentity"] = json!(thief);
        let stolen = stored(&mut leases, &namespace, stolen);
        leases.by_key.insert(key, stolen);
    }
    (StatusCode::OK, Json(lease))
}

async fn create_lease(
    State(shared): State<Shared>,
    Path(namespace): Path<String>,
    Json(lease): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut leases = shared.lock().unwrap();
    let Some(name) = lease["metadata"]["name"].as_str().map(str::to_owned) else {
        return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid");
    };
    let key = (namespace.clone(), name);
    if leases.by_key.contains_key(&key) {
        return status(StatusCode::CONFLICT, "AlreadyExists");
    }
    let lease = stored(&mut leases, &namespace, lease);
    leases.by_key.insert(key, lease.clone());
    (StatusCode::CREATED, Json(lease))
}

async fn replace_lease(
    State(shared): State<Shared>,
    Path((namespace, name)): Path<(String, String)>,
    Json(lease): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut leases = shared.lock().unwrap();
    let key = (namespace.clone(), name);
    let Some(current) = leases.by_key.get(&key) else {
        return status(StatusCode::NOT_FOUND, "NotFound");
    };
    if lease["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"] {
        return status(StatusCode::CONFLICT, "Conflict");
    }
    let lease = stored(&mut leases, &namespace, lease);
    leases.by_key.insert(key, lease.clone());
    (StatusCode::OK, Json(lease))
}

struct FakeApiServer {
    leases: Shared,
    url: String,
    task: JoinHandle<()>,
}

impl FakeApiServer {
    async fn start() -> FakeApiServer {
        let leases = Shared::default();
        let app = Router::new()
            .route(
                "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases",
                post(create_lease),
            )
            .route(
                "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}",
                get(get_lease).put(replace_lease),
            )
            .with_state(Arc::clone(&leases));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeApiServer { leases, url, task }
    }

    fn contender(&self, identity: &str, lease_duration: Duration) -> KubeLease {
        let config = kube::Config::new(self.url.parse().unwrap());
        let client = kube::Client::try_from(config).unwrap();
        KubeLease::new(
            KubeLeaseTarget {
                client,
                namespace: NAMESPACE.to_owned(),
                identity: identity.to_owned(),
            },
            LEASE,
            lease_duration,
        )
    }

    fn spec(&self) -> Value {
        let leases = self.leases.lock().unwrap();
        leases.by_key[&(NAMESPACE.to_owned(), LEASE.to_owned())]["spec"].clone()
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn one_pod_holds_the_lease_until_it_releases() {
    let server = FakeApiServer::start().await;
    let pod_a = server.contender("pod-a", Duration::from_secs(15));
    let pod_b = server.contender("pod-b", Duration::from_secs(15));

    assert!(pod_a.acquire_or_renew().await.unwrap());
    let created = server.spec();
    assert_eq!(created["holderIdentity"], "pod-a");
    assert_eq!(created["leaseDurationSeconds"], 15);
    assert_eq!(created["leaseTransitions"], 0);
    assert!(!pod_b.acquire_or_renew().await.unwrap());

    assert!(pod_a.acquire_or_renew().await.unwrap());
    let renewed = server.spec();
    assert_eq!(renewed["holderIdentity"], "pod-a");
    assert_eq!(renewed["acquireTime"], created["acquireTime"]);
    assert!(!pod_b.acquire_or_renew().await.unwrap());

    // Releasing a lease one does not hold leaves it alone.
    pod_b.release().await.unwrap();
    assert_eq!(server.spec()["holderIdentity"], "pod-a");

    pod_a.release().await.unwrap();
    assert!(server.spec()["holderIdentity"].is_null());
    assert!(pod_b.acquire_or_renew().await.unwrap());
    let taken = server.spec();
    assert_eq!(taken["holderIdentity"], "pod-b");
    assert_eq!(taken["leaseTransitions"], 1);
    assert!(!pod_a.acquire_or_renew().await.unwrap());
}

#[tokio::test]
async fn an_expired_lease_passes_to_the_next_pod() {
    let server = FakeApiServer::start().await;
    // 300 ms round up to the API's whole second.
    let pod_a = server.contender("pod-a", Duration::from_millis(300));
    let pod_b = server.contender("pod-b", Duration::from_millis(300));
    assert!(pod_a.acquire_or_renew().await.unwrap());
    assert_eq!(server.spec()["leaseDurationSeconds"], 1);
    assert!(!pod_b.acquire_or_renew().await.unwrap());

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(pod_b.acquire_or_renew().await.unwrap());
    assert_eq!(server.spec()["holderIdentity"], "pod-b");
    assert!(!pod_a.acquire_or_renew().await.unwrap());
}

#[tokio::test]
async fn a_write_with_a_stale_resource_version_loses() {
    let server = FakeApiServer::start().await;
    let pod_a = server.contender("pod-a", Duration::from_secs(15));
    assert!(pod_a.acquire_or_renew().await.unwrap());

    // Between pod-a's read and its renewal, pod-c writes the lease.
    server.leases.lock().unwrap().race_next_get = Some(String::from("pod-c"));
    assert!(!pod_a.acquire_or_renew().await.unwrap());
    assert_eq!(server.spec()["holderIdentity"], "pod-c");

    // Two pods creating the lease at once: the second create meets 409 AlreadyExists.
    let fresh = FakeApiServer::start().await;
    let pod_x = fresh.contender("pod-x", Duration::from_secs(15));
    let pod_y = fresh.contender("pod-y", Duration::from_secs(15));
    let (x, y) = tokio::join!(pod_x.acquire_or_renew(), pod_y.acquire_or_renew());
    let (x, y) = (x.unwrap(), y.unwrap());
    assert!(x ^ y, "exactly one pod leads: {x} {y}");
    assert_eq!(fresh.leases.lock().unwrap().writes, 1);
}
