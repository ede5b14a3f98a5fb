-- Fleet intelligence (issue 13): policies, supplies contracts, conditions that raise automatic
-- incidents or alerts, the evaluator's lease, webhooks with their outbox and delivery log.
-- Incidents say where they came from: walk_up (the panel, through the App Service) or automatic.
ALTER TABLE incidents ADD COLUMN source TEXT NOT NULL DEFAULT 'walk_up';
-- One policy document (JSON, every field optional) per partner, customer or device; the effective
-- policy is the defaults overlaid by the partner's, the customer's, then the device's.
CREATE TABLE fleet_policies (
    partner_id TEXT NOT NULL REFERENCES partners(id),
    scope TEXT NOT NULL,
    scope_id TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (partner_id, scope, scope_id)
);
-- A device's supplies contract (both days included): automatic orders only while it runs.
CREATE TABLE fleet_supplies_contracts (
    device_id TEXT PRIMARY KEY REFERENCES devices(id),
    partner_id TEXT NOT NULL REFERENCES partners(id),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL
);
-- A condition of a device or agent: a supply to order, a printer alert, a silent device or agent.
-- At most one open per (partner, key): the unique index makes a second evaluator's insert a no-op.
CREATE TABLE fleet_conditions (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    device_id TEXT REFERENCES devices(id),
    agent_id TEXT REFERENCES agents(id),
    kind TEXT NOT NULL,
    cond_key TEXT NOT NULL,
    detail TEXT NOT NULL,
    incident_id TEXT REFERENCES incidents(id),
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    raised_at BIGINT,
    cleared_at BIGINT,
    level_at_open BIGINT
);
CREATE UNIQUE INDEX fleet_conditions_open ON fleet_conditions(partner_id, cond_key) WHERE cleared_at IS NULL;
CREATE INDEX fleet_conditions_device ON fleet_conditions(device_id, first_seen_at);
-- The devices of a stored batch (evaluated right after it).
CREATE INDEX fleet_readings_batch ON fleet_readings(agent_id, batch_id);
-- Leases of periodic jobs: one holder at a time across manager instances on one database.
CREATE TABLE fleet_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX webhooks_partner ON webhooks(partner_id);
-- One row per (event, webhook) to deliver; a sender leases a row while it tries.
CREATE TABLE notification_outbox (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    webhook_id TEXT NOT NULL REFERENCES webhooks(id),
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    delivered_at BIGINT,
    failed_at BIGINT
);
CREATE INDEX notification_outbox_due ON notification_outbox(next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE TABLE notification_deliveries (
    id TEXT PRIMARY KEY,
    outbox_id TEXT NOT NULL REFERENCES notification_outbox(id),
    webhook_id TEXT NOT NULL REFERENCES webhooks(id),
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL,
    status_code BIGINT,
    error TEXT
);
CREATE INDEX notification_deliveries_webhook ON notification_deliveries(webhook_id, at);
