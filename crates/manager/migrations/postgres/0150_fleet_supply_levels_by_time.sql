-- Supply levels keyed by device, then time (issue 12, ingestion): a reading's supplies go side by
-- side at the end of their device's entries, one index page written per device and reading, where
-- the key by supply (0140) put each of its supplies in a run of its own. The history is read by
-- device and time (newest first), which this key gives in order. Nothing reads one supply's rows
-- alone. SQLite's 0150 keys them the same way.
ALTER TABLE fleet_supply_levels DROP CONSTRAINT fleet_supply_levels_pkey;
ALTER TABLE fleet_supply_levels ADD PRIMARY KEY (device_id, read_at, reading_id, supply_index);
-- Every batch bumps its devices' meter version (a row update per device and batch). With full
-- pages each update was a new row version elsewhere, and an entry in each of the devices' two
-- indexes; with room left on the page it is a heap-only update that touches no index.
ALTER TABLE devices SET (fillfactor = 70);
