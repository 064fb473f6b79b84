//! The network schema's migrations, applied at start-up by `tern_postgres::migrate`.
//!
//! Append-only: an applied migration never changes; new columns come as new migrations.

use tern_postgres::Migration;

/// Every migration of the network schema, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "devices",
        sql: "
CREATE TABLE devices (
    -- EUI-64s and DevAddrs in their big-endian (display) byte order.
    dev_eui bytea PRIMARY KEY CHECK (octet_length(dev_eui) = 8),
    band text NOT NULL,
    mac_version text NOT NULL
        CHECK (mac_version IN ('1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.1')),
    class text NOT NULL CHECK (class IN ('A', 'C')),
    rx1_delay_s smallint NOT NULL CHECK (rx1_delay_s BETWEEN 1 AND 15),
    rx1_dr_offset smallint NOT NULL CHECK (rx1_dr_offset BETWEEN 0 AND 7),
    rx2_dr smallint CHECK (rx2_dr BETWEEN 0 AND 15),
    rx2_frequency_hz bigint CHECK (rx2_frequency_hz BETWEEN 1 AND 4294967295),
    adr boolean NOT NULL,
    -- OTAA: the JoinEUI; ABP: the DevAddr and the network session keys.
    join_eui bytea CHECK (octet_length(join_eui) = 8),
    dev_addr bytea CHECK (octet_length(dev_addr) = 4),
    f_nwk_s_int_key bytea CHECK (octet_length(f_nwk_s_int_key) = 16),
    s_nwk_s_int_key bytea CHECK (octet_length(s_nwk_s_int_key) = 16),
    nwk_s_enc_key bytea CHECK (octet_length(nwk_s_enc_key) = 16),
    CHECK ((join_eui IS NULL) <> (dev_addr IS NULL)),
    CHECK ((dev_addr IS NULL) = (f_nwk_s_int_key IS NULL)
        AND (dev_addr IS NULL) = (s_nwk_s_int_key IS NULL)
        AND (dev_addr IS NULL) = (nwk_s_enc_key IS NULL)),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_dev_addr ON devices (dev_addr) WHERE dev_addr IS NOT NULL;
COMMENT ON TABLE devices IS
    'Network server: per-device MAC settings and ABP personalisation';
",
    },
    Migration {
        version: 2,
        name: "relax_f_cnt",
        sql: "
ALTER TABLE devices ADD COLUMN relax_f_cnt boolean NOT NULL DEFAULT false;
",
    },
];
