//! The registry in PostgreSQL schema `identity` (configurable): [`Store`] and its per-entity
//! queries (`store/*.rs`).
//!
//! Each entity kind is one table; its [`Spec`] names the columns the shared get, delete and
//! list queries use, and its module holds the row conversion and the insert and update
//! statements. Lists page by id (keyset paging): the page token is the last id of the page.
//! The store checks no rights; the gRPC layer does, before it calls the store.

mod abp_sessions;
mod api_keys;
mod applications;
mod bootstrap;
mod device_profiles;
mod devices;
mod gateways;
pub(crate) mod migrations;
mod tenants;
mod users;

use deadpool_postgres::Pool;
use tern_postgres::{MigrationReport, SchemaName};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use crate::{Error, Result};

pub(crate) use abp_sessions::StoredAbpSession;
pub use api_keys::StoredSecret as ApiKeySecret;
pub use bootstrap::BootstrapKey;

/// Default number of entities per page.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Most entities per page.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The registry store. Cheap to clone; clones share the pool.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    schema: SchemaName,
}

/// The columns of one entity kind that shared queries need.
#[derive(Debug)]
pub(crate) struct Spec {
    /// Table name inside the schema.
    pub table: &'static str,
    /// Entity kind in errors and events, e.g. `device`.
    pub kind: &'static str,
    /// Primary-key column.
    pub id: &'static str,
    /// Tenant column (`id` for tenants themselves).
    pub tenant: &'static str,
    /// Column the name prefix filter applies to.
    pub name: &'static str,
    /// Select list.
    pub columns: &'static str,
}

/// Filters of a list call; empty fields filter nothing.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Only entities of this tenant.
    pub tenant_id: Option<String>,
    /// Only devices of this application.
    pub application_id: Option<String>,
    /// Only devices of this device profile.
    pub device_profile_id: Option<String>,
    /// Only entities whose name starts with this.
    pub name_prefix: String,
    /// Only entities carrying all these tags (stored form, `key=value`).
    pub tags: Vec<String>,
}

/// One page request.
#[derive(Debug, Clone)]
pub struct Page {
    /// Entities per page, 1 to [`MAX_PAGE_SIZE`].
    pub size: u32,
    /// Return entities with an id after this one; empty for the first page.
    pub after: String,
}

impl Page {
    /// Builds a page from a request's `page_size` and `page_token`.
    pub fn new(page_size: u32, page_token: &str) -> Result<Page> {
        if page_size > MAX_PAGE_SIZE {
            return Err(Error::invalid(
                "page_size",
                format!("at most {MAX_PAGE_SIZE}"),
            ));
        }
        if page_token.len() > 64 {
            return Err(Error::invalid("page_token", "not a token this server gave"));
        }
        Ok(Page {
            size: if page_size == 0 {
                DEFAULT_PAGE_SIZE
            } else {
                page_size
            },
            after: page_token.to_owned(),
        })
    }
}

/// Selects a timestamp column as seconds since the Unix epoch.
macro_rules! epoch {
    ($column:literal) => {
        concat!("EXTRACT(EPOCH FROM ", $column, ")::bigint AS ", $column)
    };
}
pub(crate) use epoch;

impl Store {
    /// Creates a store for the registry in `schema`; connects to nothing yet.
    pub fn new(pool: Pool, schema: SchemaName) -> Store {
        Store { pool, schema }
    }

    /// Creates or upgrades the schema.
    pub async fn migrate(&self) -> Result<MigrationReport> {
        Ok(tern_postgres::migrate(&self.pool, &self.schema, migrations::MIGRATIONS).await?)
    }

    /// Returns the schema holding the registry.
    pub fn schema(&self) -> &SchemaName {
        &self.schema
    }

    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.pool.get().await?)
    }

    fn table(&self, spec: &Spec) -> String {
        self.schema.table(spec.table)
    }

    /// Reads one row by id.
    pub(crate) async fn get_row(&self, spec: &Spec, id: &str) -> Result<Option<Row>> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = $1",
            spec.columns,
            self.table(spec),
            spec.id
        );
        self.client()
            .await?
            .query_opt(&sql, &[&id])
            .await
            .map_err(Error::query("select entity"))
    }

    /// Deletes one row by id; tells whether it existed. A row others still refer to is
    /// refused with [`Error::InUse`].
    pub(crate) async fn delete_row(
        &self,
        spec: &Spec,
        id: &str,
        dependants: &'static str,
    ) -> Result<bool> {
        let sql = format!("DELETE FROM {} WHERE {} = $1", self.table(spec), spec.id);
        match self.client().await?.execute(&sql, &[&id]).await {
            Ok(n) => Ok(n > 0),
            Err(error) if error.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
                Err(Error::InUse {
                    kind: spec.kind,
                    id: id.to_owned(),
                    dependants,
                })
            }
            Err(error) => Err(Error::query("delete entity")(error)),
        }
    }

    /// Lists one page of rows; returns the rows and the next page token.
    pub(crate) async fn list_rows(
        &self,
        spec: &Spec,
        filter: &ListFilter,
        page: &Page,
    ) -> Result<(Vec<Row>, String)> {
        let limit = i64::from(page.size) + 1;
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&filter.name_prefix, &page.after, &limit];
        let mut sql = format!(
            "SELECT {} FROM {} WHERE starts_with({}, $1) AND ($2 = '' OR {} > $2)",
            spec.columns,
            self.table(spec),
            spec.name,
            spec.id
        );
        if let Some(tenant_id) = &filter.tenant_id {
            params.push(tenant_id);
            sql.push_str(&format!(" AND {} = ${}", spec.tenant, params.len()));
        }
        if let Some(application_id) = &filter.application_id {
            params.push(application_id);
            sql.push_str(&format!(" AND application_id = ${}", params.len()));
        }
        if let Some(device_profile_id) = &filter.device_profile_id {
            params.push(device_profile_id);
            sql.push_str(&format!(" AND device_profile_id = ${}", params.len()));
        }
        if !filter.tags.is_empty() {
            params.push(&filter.tags);
            sql.push_str(&format!(" AND tags @> ${}", params.len()));
        }
        sql.push_str(&format!(" ORDER BY {} LIMIT $3", spec.id));
        let mut rows = self
            .client()
            .await?
            .query(&sql, &params)
            .await
            .map_err(Error::query("list entities"))?;
        let next = if rows.len() > page.size as usize {
            rows.truncate(page.size as usize);
            rows.last()
                .map(|row| row.get::<_, String>(spec.id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((rows, next))
    }
}

/// Maps an insert's error: a duplicate id is [`Error::AlreadyExists`].
pub(crate) fn insert_error(
    kind: &'static str,
    id: &str,
) -> impl FnOnce(tokio_postgres::Error) -> Error {
    move |error| {
        if error.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            Error::AlreadyExists {
                kind,
                id: id.to_owned(),
            }
        } else if error.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) {
            Error::invalid("request", format!("{kind} {id} refers to a missing entity"))
        } else {
            Error::query("insert entity")(error)
        }
    }
}
