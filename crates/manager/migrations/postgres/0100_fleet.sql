-- Fleet agent (issue 12): agents, their readings as time series per device.
CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    name TEXT NOT NULL,
    enrol_token_hash TEXT UNIQUE,
    enrol_expires_at BIGINT,
    credential_hash TEXT UNIQUE,
    revoked_at BIGINT,
    version TEXT,
    host TEXT,
    last_contact_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX agents_partner ON agents(partner_id);
-- Devices an agent reports: first seen, "new" until someone looks at them, the last reading.
CREATE TABLE fleet_devices (
    device_id TEXT PRIMARY KEY REFERENCES devices(id),
    partner_id TEXT NOT NULL REFERENCES partners(id),
    agent_id TEXT NOT NULL REFERENCES agents(id),
    is_new BIGINT NOT NULL DEFAULT 1,
    first_seen_at BIGINT NOT NULL,
    last_reading_id TEXT,
    last_read_at BIGINT
);
CREATE INDEX fleet_devices_partner ON fleet_devices(partner_id);
-- One row per reading (the whole interpreted reading as JSON, for the API and the console).
CREATE TABLE fleet_readings (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    device_id TEXT NOT NULL REFERENCES devices(id),
    agent_id TEXT NOT NULL REFERENCES agents(id),
    batch_id TEXT NOT NULL,
    read_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    address TEXT NOT NULL,
    device_status TEXT,
    printer_status TEXT,
    errors TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX fleet_readings_device ON fleet_readings(device_id, read_at);
-- Time series for forecasts and alert incidents (issue 13).
CREATE TABLE fleet_supply_levels (
    reading_id TEXT NOT NULL REFERENCES fleet_readings(id),
    device_id TEXT NOT NULL REFERENCES devices(id),
    supply_index TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    class TEXT NOT NULL,
    colorant TEXT,
    level BIGINT,
    max_capacity BIGINT,
    percent BIGINT,
    status TEXT NOT NULL,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (reading_id, supply_index)
);
CREATE INDEX fleet_supply_levels_device ON fleet_supply_levels(device_id, supply_index, read_at);
CREATE TABLE fleet_alerts (
    reading_id TEXT NOT NULL REFERENCES fleet_readings(id),
    device_id TEXT NOT NULL REFERENCES devices(id),
    alert_index TEXT NOT NULL,
    severity TEXT NOT NULL,
    training_level TEXT,
    alert_group TEXT,
    code BIGINT NOT NULL,
    code_name TEXT NOT NULL,
    description TEXT NOT NULL,
    device_time BIGINT,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (reading_id, alert_index)
);
CREATE INDEX fleet_alerts_device ON fleet_alerts(device_id, read_at);
CREATE TABLE fleet_batches (
    agent_id TEXT NOT NULL REFERENCES agents(id),
    batch_id TEXT NOT NULL,
    readings BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, batch_id)
);
