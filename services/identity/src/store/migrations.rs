//! The identity schema's migrations, applied in order at start-up under the advisory lock of
//! `tern_postgres::migrate`.

use tern_postgres::Migration;

/// Every migration of the identity schema, in version order; append only.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "registry",
        sql: "
        CREATE TABLE tenants (
            id text PRIMARY KEY,
            name text NOT NULL,
            description text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE users (
            username text PRIMARY KEY,
            tenant_id text REFERENCES tenants (id) ON DELETE RESTRICT,
            admin boolean NOT NULL,
            password_hash text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX users_tenant ON users (tenant_id, username);
        CREATE TABLE api_keys (
            id text PRIMARY KEY,
            name text NOT NULL,
            tenant_id text REFERENCES tenants (id) ON DELETE RESTRICT,
            rights text[] NOT NULL,
            secret_sha256 bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);
        CREATE TABLE applications (
            id text PRIMARY KEY,
            tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
            name text NOT NULL,
            description text NOT NULL,
            tags text[] NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX applications_tenant ON applications (tenant_id, id);
        CREATE TABLE device_profiles (
            id text PRIMARY KEY,
            tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
            name text NOT NULL,
            description text NOT NULL,
            band text NOT NULL,
            mac_version text NOT NULL,
            regional_parameters_revision text NOT NULL,
            supports_class_c boolean NOT NULL,
            activation text NOT NULL,
            rx1_delay_s integer NOT NULL,
            rx1_dr_offset integer NOT NULL,
            rx2_dr integer NOT NULL,
            rx2_frequency_hz bigint NOT NULL,
            adr_enabled boolean NOT NULL,
            adr_algorithm text NOT NULL,
            max_eirp_dbm real NOT NULL,
            payload_formatter_kind text NOT NULL,
            payload_formatter_source text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX device_profiles_tenant ON device_profiles (tenant_id, id);
        CREATE TABLE devices (
            dev_eui text PRIMARY KEY,
            tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
            application_id text NOT NULL REFERENCES applications (id) ON DELETE RESTRICT,
            join_eui text NOT NULL,
            name text NOT NULL,
            description text NOT NULL,
            tags text[] NOT NULL,
            device_profile_id text NOT NULL REFERENCES device_profiles (id) ON DELETE RESTRICT,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX devices_application ON devices (application_id, dev_eui);
        CREATE INDEX devices_tenant ON devices (tenant_id, dev_eui);
        CREATE TABLE gateways (
            gateway_eui text PRIMARY KEY,
            tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
            name text NOT NULL,
            description text NOT NULL,
            latitude double precision NOT NULL,
            longitude double precision NOT NULL,
            altitude double precision NOT NULL,
            band text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX gateways_tenant ON gateways (tenant_id, gateway_eui);
        -- One row once the first start created the admin user and key; never again.
        CREATE TABLE bootstrap (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            admin_username text NOT NULL,
            done_at timestamptz NOT NULL DEFAULT now()
        );
    ",
    },
    Migration {
        version: 2,
        name: "abp_sessions",
        sql: "
        -- The session an ABP device was activated with. Every key is wrapped under the KEK
        -- named by kek_label; the row lets a device or profile change send the session to
        -- the network and application services again.
        CREATE TABLE abp_sessions (
            dev_eui text PRIMARY KEY REFERENCES devices (dev_eui) ON DELETE CASCADE,
            dev_addr bigint NOT NULL,
            kek_label text NOT NULL,
            f_nwk_s_int_key bytea NOT NULL,
            s_nwk_s_int_key bytea NOT NULL,
            nwk_s_enc_key bytea NOT NULL,
            app_s_key bytea NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
    ",
    },
];
