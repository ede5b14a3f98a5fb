-- E-mail notifications (issue 13): the partner's addresses and the events each wants, and one
-- outbox row per (event, address) that senders lease, so several manager instances on one
-- database never send a message twice.
CREATE TABLE notification_recipients (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    -- The address, sealed with the contact-details key ring (context "<id>:recipient").
    address TEXT NOT NULL,
    language TEXT NOT NULL,
    -- Comma-separated event types; empty: all of them.
    events TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX notification_recipients_partner ON notification_recipients(partner_id);
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    recipient_id TEXT NOT NULL REFERENCES notification_recipients(id),
    event_type TEXT NOT NULL,
    -- The event as the webhooks get it (never contact details).
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    claim_token TEXT,
    sent_at BIGINT,
    failed_at BIGINT,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_partner ON mail_outbox(partner_id, created_at);
