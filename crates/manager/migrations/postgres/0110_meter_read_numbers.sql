-- Meter reads get a number people can quote, MR-2026-000123, counted per partner and year like
-- incident numbers (crates/manager/src/storage: Counter). Reads made before get numbers in the
-- order they were made.
CREATE TABLE meter_read_counters_per_partner (
    partner_id TEXT NOT NULL REFERENCES partners(id),
    year BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (partner_id, year)
);
ALTER TABLE meter_reads ADD COLUMN number TEXT;
UPDATE meter_reads r SET number = n.number
FROM (
    SELECT id, 'MR-' || y || '-' || lpad(CAST(ROW_NUMBER() OVER (PARTITION BY partner_id, y ORDER BY created_at, id) AS TEXT), 6, '0') AS number
    FROM (
        SELECT id, partner_id, created_at,
               to_char(to_timestamp(created_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY') AS y
        FROM meter_reads
    ) s
) n
WHERE n.id = r.id;
INSERT INTO meter_read_counters_per_partner (partner_id, year, last_seq)
SELECT partner_id, CAST(substr(number, 4, 4) AS BIGINT), MAX(CAST(substr(number, 9) AS BIGINT))
FROM meter_reads GROUP BY partner_id, CAST(substr(number, 4, 4) AS BIGINT);
ALTER TABLE meter_reads ALTER COLUMN number SET NOT NULL;
ALTER TABLE meter_reads ADD CONSTRAINT meter_reads_partner_number UNIQUE (partner_id, number);
