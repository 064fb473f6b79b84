//! Leader election with a Kubernetes `coordination.k8s.io/v1` Lease, the way client-go's
//! leader election uses one: the holder renews `renewTime`, others take the lease over once
//! `renewTime + leaseDurationSeconds` has passed, and every write carries the
//! `resourceVersion` it read, so of two racing writers the API server accepts one (409 for
//! the other).
//!
//! Builds no client: the binary hands in a `kube::Client` (in-cluster configuration) and the
//! namespace, because only it may read the environment.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, PostParams};

use super::{LeaderElection, Result};

/// Where the Lease lives and who this replica is.
#[derive(Clone)]
pub struct KubeLeaseTarget {
    /// Client of the cluster's API server.
    pub client: kube::Client,
    /// Namespace of the Lease (the pod's own).
    pub namespace: String,
    /// Holder identity of this replica (the pod name).
    pub identity: String,
}

impl std::fmt::Debug for KubeLeaseTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeLeaseTarget")
            .field("namespace", &self.namespace)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// What one attempt does after reading the Lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseAction {
    /// No Lease exists: create it, held by this replica.
    Create,
    /// This replica holds the Lease: move `renewTime` on.
    Renew,
    /// The Lease is free or expired: take it over.
    TakeOver,
    /// Another replica holds a live Lease.
    Wait,
}

/// Decides what `identity` does with `lease` at `now`.
///
/// A Lease without holder, without `renewTime` or without `leaseDurationSeconds` counts as
/// free, so a half-written or released Lease never blocks election.
pub fn plan_lease(lease: Option<&Lease>, identity: &str, now: Timestamp) -> LeaseAction {
    let Some(lease) = lease else {
        return LeaseAction::Create;
    };
    let Some(spec) = &lease.spec else {
        return LeaseAction::TakeOver;
    };
    match spec.holder_identity.as_deref() {
        Some(holder) if holder == identity => return LeaseAction::Renew,
        None | Some("") => return LeaseAction::TakeOver,
        Some(_) => {}
    }
    let (Some(renew_time), Some(seconds)) = (&spec.renew_time, spec.lease_duration_seconds) else {
        return LeaseAction::TakeOver;
    };
    match renew_time
        .0
        .checked_add(SignedDuration::from_secs(i64::from(seconds)))
    {
        Ok(expires_at) if expires_at > now => LeaseAction::Wait,
        _ => LeaseAction::TakeOver,
    }
}

/// A contender for one Lease.
pub struct KubeLease {
    api: Api<Lease>,
    name: String,
    identity: String,
    lease_duration_seconds: i32,
}

impl std::fmt::Debug for KubeLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeLease")
            .field("name", &self.name)
            .field("identity", &self.identity)
            .field("lease_duration_seconds", &self.lease_duration_seconds)
            .finish_non_exhaustive()
    }
}

impl KubeLease {
    /// Creates a contender for the Lease `name` in `target.namespace`; the Lease lasts
    /// `lease_duration` rounded up to whole seconds (at least 1), the unit the API has.
    pub fn new(target: KubeLeaseTarget, name: &str, lease_duration: Duration) -> KubeLease {
        let seconds = lease_duration.as_secs() + u64::from(lease_duration.subsec_nanos() > 0);
        KubeLease {
            api: Api::namespaced(target.client, &target.namespace),
            name: name.to_owned(),
            identity: target.identity,
            lease_duration_seconds: i32::try_from(seconds).unwrap_or(i32::MAX).max(1),
        }
    }

    /// Writes `lease` back (or creates it) and tells whether the API server accepted it; a
    /// 409 (`Conflict` on a stale `resourceVersion`, `AlreadyExists` on a create) means
    /// another replica wrote first.
    async fn write(&self, lease: &Lease, create: bool) -> Result<bool> {
        let params = PostParams::default();
        let written = if create {
            self.api.create(&params, lease).await
        } else {
            self.api.replace(&self.name, &params, lease).await
        };
        match written {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.is_conflict() || status.is_already_exists() => {
                Ok(false)
            }
            Err(error) => Err(error.into()),
        }
    }
}

impl LeaderElection for KubeLease {
    async fn acquire_or_renew(&self) -> Result<bool> {
        let current = self.api.get_opt(&self.name).await?;
        let now = Timestamp::now();
        match plan_lease(current.as_ref(), &self.identity, now) {
            LeaseAction::Wait => Ok(false),
            LeaseAction::Create => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.name.clone()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(LeaseSpec {
                        holder_identity: Some(self.identity.clone()),
                        acquire_time: Some(MicroTime(now)),
                        renew_time: Some(MicroTime(now)),
                        lease_duration_seconds: Some(self.lease_duration_seconds),
                        lease_transitions: Some(0),
                        ..LeaseSpec::default()
                    }),
                };
                self.write(&lease, true).await
            }
            LeaseAction::Renew => {
                let mut lease = current.expect("renew is planned only for an existing lease");
                let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
                spec.renew_time = Some(MicroTime(now));
                spec.lease_duration_seconds = Some(self.lease_duration_seconds);
                self.write(&lease, false).await
            }
            LeaseAction::TakeOver => {
                let mut lease = current.expect("take-over is planned only for an existing lease");
                let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
                spec.holder_identity = Some(self.identity.clone());
                spec.acquire_time = Some(MicroTime(now));
                spec.renew_time = Some(MicroTime(now));
                spec.lease_duration_seconds = Some(self.lease_duration_seconds);
                spec.lease_transitions =
                    Some(spec.lease_transitions.unwrap_or(0).saturating_add(1));
                self.write(&lease, false).await
            }
        }
    }

    async fn release(&self) -> Result<()> {
        let Some(mut lease) = self.api.get_opt(&self.name).await? else {
            return Ok(());
        };
        let Some(spec) = lease.spec.as_mut() else {
            return Ok(());
        };
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.acquire_time = None;
        spec.renew_time = None;
        // A conflict means someone else wrote the Lease since: nothing is left to release.
        self.write(&lease, false).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(holder: Option<&str>, renewed_at: Timestamp, seconds: i32) -> Lease {
        Lease {
            metadata: ObjectMeta::default(),
            spec: Some(LeaseSpec {
                holder_identity: holder.map(str::to_owned),
                renew_time: Some(MicroTime(renewed_at)),
                lease_duration_seconds: Some(seconds),
                ..LeaseSpec::default()
            }),
        }
    }

    #[test]
    fn plans_by_holder_and_expiry() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let ten_ago = Timestamp::from_second(1_799_999_990).unwrap();
        let cases = [
            (None, LeaseAction::Create),
            (Some(lease(Some("a"), ten_ago, 15)), LeaseAction::Renew),
            (Some(lease(Some("b"), ten_ago, 15)), LeaseAction::Wait),
            (Some(lease(Some("b"), ten_ago, 10)), LeaseAction::TakeOver),
            (Some(lease(Some("b"), ten_ago, 5)), LeaseAction::TakeOver),
            (Some(lease(None, now, 15)), LeaseAction::TakeOver),
            (Some(lease(Some(""), now, 15)), LeaseAction::TakeOver),
            (
                Some(Lease {
                    metadata: ObjectMeta::default(),
                    spec: None,
                }),
                LeaseAction::TakeOver,
            ),
        ];
        for (current, want) in cases {
            assert_eq!(plan_lease(current.as_ref(), "a", now), want, "{current:?}");
        }
    }
}
