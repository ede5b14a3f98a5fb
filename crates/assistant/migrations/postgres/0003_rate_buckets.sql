-- The per-device rate limit, shared by every instance on this database: one token bucket per
-- key, refilled and taken by one atomic upsert on the database's clock.
CREATE TABLE rate_buckets (
    key TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    updated_ms BIGINT NOT NULL,
    allowed BOOLEAN NOT NULL
);
