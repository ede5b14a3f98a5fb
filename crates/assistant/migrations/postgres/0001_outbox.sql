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
    send_mail BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    incident_number TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (device_serial, idempotency_key)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
