-- Evaluation after ingestion (issue 12): a stored batch counts up `batch_seq` of each device it
-- read; the evaluation of the devices' policies and forecasts runs after the upload is answered
-- (fleet/evaluate.rs, AfterBatch) and records the count it evaluated in `evaluated_seq`. A device
-- with batch_seq > evaluated_seq awaits evaluation: durable, so a crash or a failed evaluation
-- leaves it waiting for the next run instead of losing it.
ALTER TABLE fleet_devices ADD COLUMN batch_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fleet_devices ADD COLUMN evaluated_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX fleet_devices_to_evaluate ON fleet_devices(partner_id) WHERE batch_seq > evaluated_seq;
-- Ingestion writes about 17 rows per reading. On PostgreSQL every foreign key is a trigger per row
-- that locks the referenced row FOR KEY SHARE: the partner's and agent's rows were locked by every
-- concurrent batch (multixacts), each reading's row again by its 8 supply levels. Ingestion takes
-- every id it writes from rows it read or wrote in the same transaction, and nothing deletes
-- partners, agents, devices, readings or meter reads, so these keys guard nothing the code does
-- not: dropped on the time-series tables (measured with scripts/bench-ingest.sh, ARCHITECTURE.md).
ALTER TABLE fleet_readings
    DROP CONSTRAINT IF EXISTS fleet_readings_partner_id_fkey,
    DROP CONSTRAINT IF EXISTS fleet_readings_device_id_fkey,
    DROP CONSTRAINT IF EXISTS fleet_readings_agent_id_fkey;
ALTER TABLE fleet_supply_levels
    DROP CONSTRAINT IF EXISTS fleet_supply_levels_reading_id_fkey,
    DROP CONSTRAINT IF EXISTS fleet_supply_levels_device_id_fkey;
ALTER TABLE fleet_alerts
    DROP CONSTRAINT IF EXISTS fleet_alerts_reading_id_fkey,
    DROP CONSTRAINT IF EXISTS fleet_alerts_device_id_fkey;
ALTER TABLE meter_reads DROP CONSTRAINT IF EXISTS meter_reads_partner_id_fkey;
ALTER TABLE meter_values DROP CONSTRAINT IF EXISTS meter_values_read_id_fkey;
