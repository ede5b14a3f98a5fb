-- no-transaction
-- Incident numbers count per partner (SR-2026-000001 for each partner). SQLite cannot drop the
-- column's UNIQUE, so the table is rebuilt the documented way (foreign keys off, one transaction).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE incident_counters_per_partner (
    partner_id TEXT NOT NULL REFERENCES partners(id),
    year BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (partner_id, year)
);
INSERT INTO incident_counters_per_partner (partner_id, year, last_seq)
SELECT partner_id, CAST(substr(number, 4, 4) AS INTEGER), MAX(CAST(substr(number, 9) AS INTEGER))
FROM incidents GROUP BY partner_id, CAST(substr(number, 4, 4) AS INTEGER);
CREATE TABLE incidents_rebuilt (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
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
    contact_removed_at BIGINT,
    UNIQUE (partner_id, number)
);
INSERT INTO incidents_rebuilt (id, number, partner_id, customer_id, device_id, kind, issue_code, description, supplies, contact_name, contact_email, contact_phone, status, created_at, updated_at, closed_at, contact_removed_at)
SELECT id, number, partner_id, customer_id, device_id, kind, issue_code, description, supplies, contact_name, contact_email, contact_phone, status, created_at, updated_at, closed_at, contact_removed_at FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_rebuilt RENAME TO incidents;
CREATE INDEX incidents_device_created ON incidents(device_id, created_at);
CREATE INDEX incidents_partner_created ON incidents(partner_id, created_at);
CREATE INDEX incidents_retention ON incidents(closed_at) WHERE contact_removed_at IS NULL;
COMMIT;
PRAGMA foreign_keys = ON;
