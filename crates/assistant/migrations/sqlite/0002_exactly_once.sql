-- Exactly-once: every step after the claim is fenced by the claim's token; the states are
-- accepted -> delivered -> done (mail sent, contact erased), or refused.
ALTER TABLE outbox ADD COLUMN claim_token TEXT;
ALTER TABLE outbox ADD COLUMN mail_sent_at INTEGER;
UPDATE outbox SET state = 'accepted' WHERE state = 'pending';
UPDATE outbox SET state = 'refused' WHERE state = 'failed';
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state IN ('accepted', 'delivered');
