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
UPDATE meter_reads SET number = (
    SELECT 'MR-' || n.y || '-' || printf('%06d', n.seq)
    FROM (
        SELECT id AS rid,
               strftime('%Y', created_at / 1000, 'unixepoch') AS y,
               ROW_NUMBER() OVER (
                   PARTITION BY partner_id, strftime('%Y', created_at / 1000, 'unixepoch')
                   ORDER BY created_at, id
               ) AS seq
        FROM meter_reads
    ) n
    WHERE n.rid = meter_reads.id
);
INSERT INTO meter_read_counters_per_partner (partner_id, year, last_seq)
SELECT partner_id, CAST(substr(number, 4, 4) AS INTEGER), MAX(CAST(substr(number, 9) AS INTEGER))
FROM meter_reads GROUP BY partner_id, CAST(substr(number, 4, 4) AS INTEGER);
CREATE UNIQUE INDEX meter_reads_partner_number ON meter_reads(partner_id, number);
