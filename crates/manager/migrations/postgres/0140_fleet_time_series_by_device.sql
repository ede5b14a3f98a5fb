-- Supply levels and alerts keyed by device, in the order they are read in (issue 12, ingestion):
-- the key by reading and the index by device were two indexes written per row; the key by device
-- is the one index both need (the history of a device's supplies is read by it). It holds the
-- reading, so it stays unique as before. SQLite's 0140 keys them the same way.
ALTER TABLE fleet_supply_levels DROP CONSTRAINT fleet_supply_levels_pkey;
DROP INDEX IF EXISTS fleet_supply_levels_device;
ALTER TABLE fleet_supply_levels ADD PRIMARY KEY (device_id, supply_index, read_at, reading_id);
ALTER TABLE fleet_alerts DROP CONSTRAINT fleet_alerts_pkey;
DROP INDEX IF EXISTS fleet_alerts_device;
ALTER TABLE fleet_alerts ADD PRIMARY KEY (device_id, read_at, reading_id, alert_index);
-- Nothing reads readings by batch since the evaluation after a batch finds its devices by
-- `fleet_devices.batch_seq` (0130): one index fewer written per reading.
DROP INDEX IF EXISTS fleet_readings_batch;
