CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    device_serial TEXT NOT NULL,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    payload TEXT NOT NULL,
    contact_sealed TEXT,
    send_mail INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until INTEGER,
    incident_number TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (device_serial, idempotency_key)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
