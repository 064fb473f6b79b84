//! The application schema's migrations, applied at start-up by `tern_postgres::migrate`.
//!
//! Append-only: an applied migration never changes; new columns come as new migrations.

use tern_postgres::Migration;

/// Every migration of the application schema, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "devices_and_integrations",
    sql: "
CREATE TABLE devices (
    -- The EUI-64 in its big-endian (display) byte order.
    dev_eui bytea PRIMARY KEY CHECK (octet_length(dev_eui) = 8),
    application_id text NOT NULL CHECK (application_id <> ''),
    device_id text NOT NULL CHECK (device_id <> ''),
    name text NOT NULL DEFAULT '',
    formatter text NOT NULL CHECK (formatter IN ('none', 'cayenne_lpp', 'javascript')),
    formatter_script text,
    CHECK ((formatter = 'javascript') = (formatter_script IS NOT NULL)),
    UNIQUE (application_id, device_id),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE integrations (
    application_id text NOT NULL,
    integration_id text NOT NULL CHECK (integration_id <> ''),
    kind text NOT NULL CHECK (kind IN ('webhook', 'mqtt')),
    url text NOT NULL,
    -- Webhook headers as a JSON object of strings.
    headers text NOT NULL DEFAULT '{}',
    username text,
    password text,
    -- Event names (up, join, ...); empty means every event.
    events text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, integration_id)
);
COMMENT ON TABLE devices IS
    'Application server: device to application, ids and payload formatter';
COMMENT ON TABLE integrations IS
    'Application server: webhook and MQTT integrations per application';
",
}];
