-- Supply levels keyed by device, then time (issue 12, ingestion): a reading's supplies go side by
-- side at the end of their device's rows, one page written per device and reading, where the key
-- by supply (0140) put each of its supplies in a run of its own, a page each once the history has
-- grown. The history is read by device and time (newest first), which this key gives in order.
-- Nothing reads one supply's rows alone. The key's columns come first, in its order (see 0140).
CREATE TABLE fleet_supply_levels_new (
    device_id TEXT NOT NULL,
    read_at BIGINT NOT NULL,
    reading_id TEXT NOT NULL,
    supply_index TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    class TEXT NOT NULL,
    colorant TEXT,
    level BIGINT,
    max_capacity BIGINT,
    percent BIGINT,
    status TEXT NOT NULL,
    PRIMARY KEY (device_id, read_at, reading_id, supply_index)
) WITHOUT ROWID;
INSERT INTO fleet_supply_levels_new (device_id, read_at, reading_id, supply_index, description, kind,
    class, colorant, level, max_capacity, percent, status)
    SELECT device_id, read_at, reading_id, supply_index, description, kind, class, colorant, level,
    max_capacity, percent, status FROM fleet_supply_levels;
DROP TABLE fleet_supply_levels;
ALTER TABLE fleet_supply_levels_new RENAME TO fleet_supply_levels;
