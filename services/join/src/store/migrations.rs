//! The join schema's migrations, applied at start-up by `tern_postgres::migrate`.
//!
//! Append-only: an applied migration never changes; new columns come as new migrations.

use tern_postgres::Migration;

/// Every migration of the join schema, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "devices",
    sql: "
CREATE TABLE devices (
    -- EUI-64s in their big-endian (display) byte order.
    dev_eui bytea PRIMARY KEY CHECK (octet_length(dev_eui) = 8),
    join_eui bytea NOT NULL CHECK (octet_length(join_eui) = 8),
    mac_version text NOT NULL
        CHECK (mac_version IN ('1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.1')),
    -- Root keys wrapped with RFC 3394 under the KEK named by kek_label: never plaintext.
    kek_label text NOT NULL,
    app_key bytea NOT NULL CHECK (octet_length(app_key) = 24),
    nwk_key bytea CHECK (octet_length(nwk_key) = 24),
    -- Last accepted DevNonce, for LoRaWAN 1.0.4 and 1.1 counter semantics.
    last_dev_nonce integer CHECK (last_dev_nonce BETWEEN 0 AND 65535),
    -- Accepted DevNonces, oldest first, bounded by join.dev_nonce_history, for the random
    -- DevNonces of LoRaWAN 1.0.0 to 1.0.3.
    dev_nonce_history integer[] NOT NULL DEFAULT '{}',
    -- Last accepted RJcount1 of a LoRaWAN 1.1 rejoin-request type 1.
    last_rj_count1 integer CHECK (last_rj_count1 BETWEEN 0 AND 65535),
    -- Last allocated JoinNonce; 0 before the first join.
    join_nonce integer NOT NULL DEFAULT 0 CHECK (join_nonce BETWEEN 0 AND 16777215),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE devices IS
    'Join server: wrapped root keys, DevNonce history and JoinNonce counter per device';
",
}];
