//! Device profiles: radio and MAC settings shared by a family of devices.

use tern_api::v1 as api;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{ListFilter, Page, Spec, Store, epoch, insert_error};
use crate::{Error, Result};

pub(crate) const SPEC: Spec = Spec {
    table: "device_profiles",
    kind: "device profile",
    id: "id",
    tenant: "tenant_id",
    name: "name",
    columns: concat!(
        "id, tenant_id, name, description, band, mac_version, regional_parameters_revision, \
         supports_class_c, activation, rx1_delay_s, rx1_dr_offset, rx2_dr, rx2_frequency_hz, \
         adr_enabled, adr_algorithm, max_eirp_dbm, payload_formatter_kind, \
         payload_formatter_source, ",
        epoch!("created_at"),
        ", ",
        epoch!("updated_at")
    ),
};

/// The settable columns, in the order of [`values`].
const SETTABLE: [&str; 16] = [
    "name",
    "description",
    "band",
    "mac_version",
    "regional_parameters_revision",
    "supports_class_c",
    "activation",
    "rx1_delay_s",
    "rx1_dr_offset",
    "rx2_dr",
    "rx2_frequency_hz",
    "adr_enabled",
    "adr_algorithm",
    "max_eirp_dbm",
    "payload_formatter_kind",
    "payload_formatter_source",
];

/// Column values of a checked profile; ranges were checked, so the conversions are lossless.
struct Values {
    activation: &'static str,
    rx1_delay_s: i32,
    rx1_dr_offset: i32,
    rx2_dr: i32,
    rx2_frequency_hz: i64,
}

impl Values {
    fn new(profile: &api::DeviceProfile) -> Values {
        let small = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
        Values {
            activation: match profile.activation() {
                api::Activation::Abp => "abp",
                _ => "otaa",
            },
            rx1_delay_s: small(profile.rx1_delay_s),
            rx1_dr_offset: small(profile.rx1_dr_offset),
            rx2_dr: small(profile.rx2_dr),
            rx2_frequency_hz: i64::try_from(profile.rx2_frequency_hz).unwrap_or(i64::MAX),
        }
    }

    fn params<'a>(&'a self, profile: &'a api::DeviceProfile) -> [&'a (dyn ToSql + Sync); 16] {
        [
            &profile.name,
            &profile.description,
            &profile.band,
            &profile.mac_version,
            &profile.regional_parameters_revision,
            &profile.supports_class_c,
            &self.activation,
            &self.rx1_delay_s,
            &self.rx1_dr_offset,
            &self.rx2_dr,
            &self.rx2_frequency_hz,
            &profile.adr_enabled,
            &profile.adr_algorithm,
            &profile.max_eirp_dbm,
            &profile.payload_formatter_kind,
            &profile.payload_formatter_source,
        ]
    }
}

fn from_row(row: &Row) -> api::DeviceProfile {
    let unsigned = |column: &str| u32::try_from(row.get::<_, i32>(column)).unwrap_or(0);
    let activation = match row.get::<_, &str>("activation") {
        "abp" => api::Activation::Abp,
        _ => api::Activation::Otaa,
    };
    api::DeviceProfile {
        id: row.get("id"),
        tenant_id: row.get("tenant_id"),
        name: row.get("name"),
        description: row.get("description"),
        band: row.get("band"),
        mac_version: row.get("mac_version"),
        regional_parameters_revision: row.get("regional_parameters_revision"),
        supports_class_c: row.get("supports_class_c"),
        activation: activation.into(),
        rx1_delay_s: unsigned("rx1_delay_s"),
        rx1_dr_offset: unsigned("rx1_dr_offset"),
        rx2_dr: unsigned("rx2_dr"),
        rx2_frequency_hz: u64::try_from(row.get::<_, i64>("rx2_frequency_hz")).unwrap_or(0),
        adr_enabled: row.get("adr_enabled"),
        adr_algorithm: row.get("adr_algorithm"),
        max_eirp_dbm: row.get("max_eirp_dbm"),
        payload_formatter_kind: row.get("payload_formatter_kind"),
        payload_formatter_source: row.get("payload_formatter_source"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

impl Store {
    /// Inserts a checked device profile.
    pub async fn create_device_profile(
        &self,
        profile: &api::DeviceProfile,
    ) -> Result<api::DeviceProfile> {
        let placeholders: Vec<String> = (3..=18).map(|n| format!("${n}")).collect();
        let sql = format!(
            "INSERT INTO {} (id, tenant_id, {}) VALUES ($1, $2, {}) RETURNING {}",
            self.table(&SPEC),
            SETTABLE.join(", "),
            placeholders.join(", "),
            SPEC.columns
        );
        let values = Values::new(profile);
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&profile.id, &profile.tenant_id];
        params.extend(values.params(profile));
        let row = self
            .client()
            .await?
            .query_one(&sql, &params)
            .await
            .map_err(insert_error(SPEC.kind, &profile.id))?;
        Ok(from_row(&row))
    }

    /// Reads a device profile.
    pub async fn device_profile(&self, id: &str) -> Result<Option<api::DeviceProfile>> {
        Ok(self.get_row(&SPEC, id).await?.as_ref().map(from_row))
    }

    /// Replaces a device profile's mutable fields; its tenant stays.
    pub async fn update_device_profile(
        &self,
        profile: &api::DeviceProfile,
    ) -> Result<Option<api::DeviceProfile>> {
        let assignments: Vec<String> = SETTABLE
            .iter()
            .enumerate()
            .map(|(index, column)| format!("{column} = ${}", index + 2))
            .collect();
        let sql = format!(
            "UPDATE {} SET {}, updated_at = now() WHERE id = $1 RETURNING {}",
            self.table(&SPEC),
            assignments.join(", "),
            SPEC.columns
        );
        let values = Values::new(profile);
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&profile.id];
        params.extend(values.params(profile));
        let row = self
            .client()
            .await?
            .query_opt(&sql, &params)
            .await
            .map_err(Error::query("update device profile"))?;
        Ok(row.as_ref().map(from_row))
    }

    /// Deletes a device profile no device uses.
    pub async fn delete_device_profile(&self, id: &str) -> Result<bool> {
        self.delete_row(&SPEC, id, "devices").await
    }

    /// Lists device profiles.
    pub async fn list_device_profiles(
        &self,
        filter: &ListFilter,
        page: &Page,
    ) -> Result<(Vec<api::DeviceProfile>, String)> {
        let (rows, next) = self.list_rows(&SPEC, filter, page).await?;
        Ok((rows.iter().map(from_row).collect(), next))
    }
}
