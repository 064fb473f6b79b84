//! API keys and what a caller may do.
//!
//! A key is `tern_<id>_<secret>`: the id (16 hex digits) finds the row, and the secret (64 hex
//! digits, 256 random bits) is compared with the stored SHA-256 in constant time. A high-entropy
//! secret needs no slow hash; user passwords, which people choose, get argon2.
//!
//! [`Caller`] is the authenticated key: its tenant (none for a global admin key) and its rights.
//! Entities of another tenant are reported as not found, so a key cannot probe for them; a call
//! that names another tenant, or lacks a right, is denied.

use std::fmt;

use argon2::password_hash::{PasswordHasher, SaltString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::metadata::MetadataMap;

use crate::store::Store;
use crate::{Error, Result};

/// A right an API key may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Right {
    /// Read devices and device profiles.
    DevicesRead,
    /// Create, update and delete devices and device profiles.
    DevicesWrite,
    /// Read gateways.
    GatewaysRead,
    /// Create, update and delete gateways.
    GatewaysWrite,
    /// Read applications.
    ApplicationsRead,
    /// Create, update and delete applications.
    ApplicationsWrite,
    /// Read application events.
    EventsRead,
    /// Queue downlinks.
    DownlinksWrite,
    /// Everything, in every tenant: admin keys only.
    TenantsAll,
}

impl Right {
    /// Every right.
    pub const ALL: [Right; 9] = [
        Right::DevicesRead,
        Right::DevicesWrite,
        Right::GatewaysRead,
        Right::GatewaysWrite,
        Right::ApplicationsRead,
        Right::ApplicationsWrite,
        Right::EventsRead,
        Right::DownlinksWrite,
        Right::TenantsAll,
    ];

    /// Returns the name used in the API, e.g. `devices:write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Right::DevicesRead => "devices:read",
            Right::DevicesWrite => "devices:write",
            Right::GatewaysRead => "gateways:read",
            Right::GatewaysWrite => "gateways:write",
            Right::ApplicationsRead => "applications:read",
            Right::ApplicationsWrite => "applications:write",
            Right::EventsRead => "events:read",
            Right::DownlinksWrite => "downlinks:write",
            Right::TenantsAll => "tenants:*",
        }
    }

    /// Parses a right name.
    pub fn parse(name: &str) -> Option<Right> {
        Right::ALL.into_iter().find(|right| right.as_str() == name)
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a list of right names; `admin` tells whether `tenants:*` may appear.
pub(crate) fn parse_rights(names: &[String], admin: bool) -> Result<Vec<Right>> {
    let mut rights = Vec::new();
    for name in names {
        let right = Right::parse(name).ok_or_else(|| {
            Error::invalid(
                "api_key.rights",
                format!(
                    "unknown right {name:?}; known rights: {}",
                    Right::ALL.map(Right::as_str).join(", ")
                ),
            )
        })?;
        if right == Right::TenantsAll && !admin {
            return Err(Error::invalid(
                "api_key.rights",
                "tenants:* belongs to admin keys, which have no tenant",
            ));
        }
        if !rights.contains(&right) {
            rights.push(right);
        }
    }
    Ok(rights)
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Id of the API key.
    pub key_id: String,
    /// Tenant the key acts in; `None` for a global admin key.
    pub tenant_id: Option<String>,
    /// Rights of the key.
    pub rights: Vec<Right>,
}

impl Caller {
    /// Tells whether this is a global admin key.
    pub fn is_admin(&self) -> bool {
        self.tenant_id.is_none() && self.rights.contains(&Right::TenantsAll)
    }

    /// Fails unless the key holds `right` (admin keys hold every right).
    pub(crate) fn require(&self, right: Right) -> Result<()> {
        if self.is_admin() || self.rights.contains(&right) {
            Ok(())
        } else {
            Err(Error::denied(format!("api key lacks right {right}")))
        }
    }

    /// Fails unless this is a global admin key.
    pub(crate) fn require_admin(&self) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Error::denied("this call needs an admin api key"))
        }
    }

    /// Tells whether the caller may see entities of `tenant_id`.
    pub(crate) fn sees(&self, tenant_id: &str) -> bool {
        self.is_admin() || self.tenant_id.as_deref() == Some(tenant_id)
    }

    /// Fails unless the caller may act in `tenant_id` (when creating into it, or listing it).
    pub(crate) fn require_tenant(&self, tenant_id: &str) -> Result<()> {
        if self.sees(tenant_id) {
            Ok(())
        } else {
            Err(Error::denied(format!(
                "api key may not act in tenant {tenant_id:?}"
            )))
        }
    }

    /// Returns the tenant filter of a list call: the requested tenant (which must be the
    /// caller's own unless it is an admin), or the caller's tenant when none was asked for.
    pub(crate) fn list_scope(&self, requested: &str) -> Result<Option<String>> {
        if requested.is_empty() {
            return Ok(self.tenant_id.clone());
        }
        self.require_tenant(requested)?;
        Ok(Some(requested.to_owned()))
    }
}

/// A freshly made API key: what to store and what to show once.
#[derive(Debug)]
pub(crate) struct NewKey {
    pub id: String,
    pub secret_sha256: Vec<u8>,
    /// The full key, `tern_<id>_<secret>`.
    pub key: String,
}

/// Draws a new key id and secret.
pub(crate) fn new_key() -> Result<NewKey> {
    let mut id = [0_u8; 8];
    let mut secret = [0_u8; 32];
    getrandom::fill(&mut id).map_err(|_| Error::Crypto("draw api key id"))?;
    getrandom::fill(&mut secret).map_err(|_| Error::Crypto("draw api key secret"))?;
    let id = hex::encode(id);
    let secret = hex::encode(secret);
    Ok(NewKey {
        key: format!("tern_{id}_{secret}"),
        secret_sha256: Sha256::digest(secret.as_bytes()).to_vec(),
        id,
    })
}

/// Splits a presented key into id and secret.
fn split_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("tern_")?;
    let (id, secret) = rest.split_once('_')?;
    let hex_of =
        |text: &str, len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_of(id, 16) && hex_of(secret, 64)).then_some((id, secret))
}

/// Authenticates the `authorization: Bearer <key>` metadata of a request.
pub(crate) async fn authenticate(store: &Store, metadata: &MetadataMap) -> Result<Caller> {
    let header = metadata
        .get("authorization")
        .ok_or(Error::Unauthenticated {
            reason: "missing authorization metadata (authorization: Bearer <api key>)",
        })?
        .to_str()
        .map_err(|_| Error::Unauthenticated {
            reason: "authorization metadata is not text",
        })?;
    let key = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or(Error::Unauthenticated {
            reason: "authorization metadata must be \"Bearer <api key>\"",
        })?;
    let invalid = Error::Unauthenticated {
        reason: "invalid api key",
    };
    let Some((id, secret)) = split_key(key.trim()) else {
        return Err(invalid);
    };
    let Some(stored) = store.api_key_secret(id).await? else {
        return Err(invalid);
    };
    let presented = Sha256::digest(secret.as_bytes());
    if !bool::from(presented.as_slice().ct_eq(&stored.secret_sha256)) {
        return Err(invalid);
    }
    let rights = stored
        .rights
        .iter()
        .filter_map(|name| Right::parse(name))
        .collect();
    Ok(Caller {
        key_id: id.to_owned(),
        tenant_id: stored.tenant_id,
        rights,
    })
}

/// Hashes a user password with argon2 (default parameters) off the async threads.
pub(crate) async fn hash_password(password: String) -> Result<String> {
    if password.len() < 8 || password.len() > 1024 {
        return Err(Error::invalid(
            "user.password",
            "must be 8 to 1024 bytes long",
        ));
    }
    tokio::task::spawn_blocking(move || {
        let mut salt = [0_u8; 16];
        getrandom::fill(&mut salt).map_err(|_| Error::Crypto("draw password salt"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|_| Error::Crypto("encode salt"))?;
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|_| Error::Crypto("hash password"))
    })
    .await
    .map_err(|_| Error::Crypto("password hashing task"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_split_back_into_id_and_secret() {
        let key = new_key().unwrap();
        let (id, secret) = split_key(&key.key).unwrap();
        assert_eq!(id, key.id);
        assert_eq!(
            Sha256::digest(secret.as_bytes()).to_vec(),
            key.secret_sha256
        );
        assert!(split_key("tern_abc_def").is_none());
        assert!(split_key(&key.key.replace("tern_", "tarn_")).is_none());
    }

    #[test]
    fn rights_parse_and_tenants_all_is_for_admins() {
        let names = vec!["devices:read".to_owned(), "devices:read".to_owned()];
        assert_eq!(parse_rights(&names, false).unwrap(), [Right::DevicesRead]);
        assert!(parse_rights(&["tenants:*".to_owned()], false).is_err());
        assert!(parse_rights(&["devices:admin".to_owned()], true).is_err());
    }

    #[test]
    fn tenant_keys_see_only_their_tenant() {
        let caller = Caller {
            key_id: "k".to_owned(),
            tenant_id: Some("acme".to_owned()),
            rights: vec![Right::DevicesRead],
        };
        assert!(caller.sees("acme"));
        assert!(!caller.sees("other"));
        assert!(caller.require(Right::DevicesWrite).is_err());
        assert_eq!(caller.list_scope("").unwrap().as_deref(), Some("acme"));
        assert!(caller.list_scope("other").is_err());
    }
}
