-- The foreign keys PostgreSQL's 0130 dropped, dropped on SQLite too (issue 12, ingestion): each
-- was a lookup of the referenced row per row written (about 27 per reading: the reading's partner,
-- device and agent, each supply level's and alert's reading and device, each meter value's read).
-- Ingestion takes every id it writes from rows it read or wrote in the same transaction, and
-- nothing deletes partners, agents, devices, readings or meter reads, so these keys guard nothing
-- the code does not. It also let ingestion drop `PRAGMA defer_foreign_keys`, which expired every
-- prepared statement of the writer each batch (a flag pragma expires them), so that each batch's
-- multi-row inserts were parsed again. SQLite cannot drop a key: the tables are made again.
-- Supply levels and alerts are kept in the order they are read in, by device (WITHOUT ROWID, the
-- key is the table): one b-tree written per row instead of three (the rowid table, the key by
-- reading and the index by device). The key holds the reading, so it stays unique as before.
-- Their key's columns come first, in the key's order: SQLite 3.40.0 to 3.41.0 (Debian 12's sqlite3
-- shell among them) report false "NULL value in" errors from PRAGMA integrity_check on a WITHOUT
-- ROWID table whose key is not in the order its columns are declared in.
-- Meter values likewise by their read (the key they are read by), beside their index by device.
-- The index of readings by batch goes: nothing reads it since the evaluation after a batch finds
-- its devices by `fleet_devices.batch_seq` (0130).
CREATE TABLE fleet_supply_levels_new (
    device_id TEXT NOT NULL,
    supply_index TEXT NOT NULL,
    read_at BIGINT NOT NULL,
    reading_id TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    class TEXT NOT NULL,
    colorant TEXT,
    level BIGINT,
    max_capacity BIGINT,
    percent BIGINT,
    status TEXT NOT NULL,
    PRIMARY KEY (device_id, supply_index, read_at, reading_id)
) WITHOUT ROWID;
INSERT INTO fleet_supply_levels_new (device_id, supply_index, read_at, reading_id, description, kind,
    class, colorant, level, max_capacity, percent, status)
    SELECT device_id, supply_index, read_at, reading_id, description, kind, class, colorant, level,
    max_capacity, percent, status FROM fleet_supply_levels;
DROP TABLE fleet_supply_levels;
ALTER TABLE fleet_supply_levels_new RENAME TO fleet_supply_levels;

CREATE TABLE fleet_alerts_new (
    device_id TEXT NOT NULL,
    read_at BIGINT NOT NULL,
    reading_id TEXT NOT NULL,
    alert_index TEXT NOT NULL,
    severity TEXT NOT NULL,
    training_level TEXT,
    alert_group TEXT,
    code BIGINT NOT NULL,
    code_name TEXT NOT NULL,
    description TEXT NOT NULL,
    device_time BIGINT,
    PRIMARY KEY (device_id, read_at, reading_id, alert_index)
) WITHOUT ROWID;
INSERT INTO fleet_alerts_new (device_id, read_at, reading_id, alert_index, severity, training_level,
    alert_group, code, code_name, description, device_time)
    SELECT device_id, read_at, reading_id, alert_index, severity, training_level, alert_group, code,
    code_name, description, device_time FROM fleet_alerts;
DROP TABLE fleet_alerts;
ALTER TABLE fleet_alerts_new RENAME TO fleet_alerts;

CREATE TABLE fleet_readings_new (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    read_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    address TEXT NOT NULL,
    device_status TEXT,
    printer_status TEXT,
    errors TEXT NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO fleet_readings_new SELECT id, partner_id, device_id, agent_id, batch_id, read_at,
    received_at, address, device_status, printer_status, errors, body FROM fleet_readings;
DROP TABLE fleet_readings;
ALTER TABLE fleet_readings_new RENAME TO fleet_readings;
CREATE INDEX fleet_readings_device ON fleet_readings(device_id, read_at);

CREATE TABLE meter_values_new (
    read_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    meter_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (read_id, meter_id)
) WITHOUT ROWID;
INSERT INTO meter_values_new SELECT read_id, device_id, meter_id, name, value, read_at FROM meter_values;
DROP TABLE meter_values;
ALTER TABLE meter_values_new RENAME TO meter_values;
CREATE INDEX meter_values_device_meter ON meter_values(device_id, meter_id, read_at);

-- meter_reads keeps its device's key (PostgreSQL kept it too); only the partner's goes.
CREATE TABLE meter_reads_new (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices(id),
    read_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    meter_replacement BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    number TEXT
);
INSERT INTO meter_reads_new SELECT id, partner_id, device_id, read_at, source, meter_replacement,
    created_at, number FROM meter_reads;
DROP TABLE meter_reads;
ALTER TABLE meter_reads_new RENAME TO meter_reads;
CREATE INDEX meter_reads_device ON meter_reads(device_id, read_at);
CREATE UNIQUE INDEX meter_reads_partner_number ON meter_reads(partner_id, number);
