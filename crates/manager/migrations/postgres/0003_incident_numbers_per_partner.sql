-- Incident numbers count per partner (SR-2026-000001 for each partner), so no partner can estimate
-- another's volume from its own numbers. One counter row per partner and year, taken in the
-- incident's transaction (gapless; creates of one partner queue on its row, other partners do not).
CREATE TABLE incident_counters_per_partner (
    partner_id TEXT NOT NULL REFERENCES partners(id),
    year BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (partner_id, year)
);
INSERT INTO incident_counters_per_partner (partner_id, year, last_seq)
SELECT partner_id, CAST(substr(number, 4, 4) AS BIGINT), MAX(CAST(substr(number, 9) AS BIGINT))
FROM incidents GROUP BY partner_id, CAST(substr(number, 4, 4) AS BIGINT);
ALTER TABLE incidents DROP CONSTRAINT incidents_number_key;
ALTER TABLE incidents ADD CONSTRAINT incidents_partner_number UNIQUE (partner_id, number);
