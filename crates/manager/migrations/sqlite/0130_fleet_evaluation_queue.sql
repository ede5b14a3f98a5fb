-- Evaluation after ingestion (issue 12): a stored batch counts up `batch_seq` of each device it
-- read; the evaluation of the devices' policies and forecasts runs after the upload is answered
-- (fleet/evaluate.rs, AfterBatch) and records the count it evaluated in `evaluated_seq`. A device
-- with batch_seq > evaluated_seq awaits evaluation: durable, so a crash or a failed evaluation
-- leaves it waiting for the next run instead of losing it.
ALTER TABLE fleet_devices ADD COLUMN batch_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fleet_devices ADD COLUMN evaluated_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX fleet_devices_to_evaluate ON fleet_devices(partner_id) WHERE batch_seq > evaluated_seq;
