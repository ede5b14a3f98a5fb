-- Supply forecasts as the evaluation of readings computed them (issue 13, part 7): what does not go
-- stale with time (the predicted run-out instant and the fit; "days left" is derived when read) and
-- what they were computed from, so a reader can tell whether they are still what a computation
-- from the history would give (fleet/devices.rs, DeviceFits::fresh). One row per device and supply.
CREATE TABLE fleet_supply_forecasts (
    device_id TEXT NOT NULL REFERENCES devices(id),
    supply_index TEXT NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    -- The device's last reading when computed, the policy's minimum span (ms), when computed,
    -- and the oldest history row read + 30 days (NULL: no row read).
    reading_id TEXT NOT NULL,
    min_span_ms BIGINT NOT NULL,
    computed_at BIGINT NOT NULL,
    valid_until BIGINT,
    -- predicted | not_enough_data | not_decreasing
    state TEXT NOT NULL,
    -- predicted: the run-out instant (ms), units used per day, fitted level at the last point
    predicted_at BIGINT,
    rate_per_day REAL,
    level_now REAL,
    -- not_enough_data: usable points of the current cartridge and their span
    points BIGINT NOT NULL,
    span_hours BIGINT NOT NULL,
    PRIMARY KEY (device_id, supply_index)
);
