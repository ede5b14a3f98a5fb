-- Services Manager schema. Times are milliseconds since the Unix epoch (UTC); ids are UUID text.
CREATE TABLE partners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX customers_partner ON customers(partner_id);
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    serial TEXT NOT NULL,
    model TEXT NOT NULL,
    location TEXT NOT NULL,
    meter_version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (partner_id, serial)
);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE incident_counters (
    year BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    device_id TEXT NOT NULL REFERENCES devices(id),
    kind TEXT NOT NULL,
    issue_code TEXT,
    description TEXT NOT NULL,
    supplies TEXT NOT NULL,
    contact_name TEXT,
    contact_email TEXT,
    contact_phone TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    contact_removed_at BIGINT
);
CREATE INDEX incidents_device_created ON incidents(device_id, created_at);
CREATE INDEX incidents_partner_created ON incidents(partner_id, created_at);
CREATE INDEX incidents_retention ON incidents(closed_at) WHERE contact_removed_at IS NULL;
CREATE TABLE incident_events (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    comment TEXT NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events(incident_id, at);
CREATE TABLE meter_reads (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    device_id TEXT NOT NULL REFERENCES devices(id),
    read_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    meter_replacement BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX meter_reads_device ON meter_reads(device_id, read_at);
CREATE TABLE meter_values (
    read_id TEXT NOT NULL REFERENCES meter_reads(id),
    device_id TEXT NOT NULL,
    meter_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (read_id, meter_id)
);
CREATE INDEX meter_values_device_meter ON meter_values(device_id, meter_id, read_at);
-- Idempotency keys, per partner and operation, with a hash of the request and what it created.
CREATE TABLE idempotency_keys (
    partner_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (partner_id, operation, key)
);
