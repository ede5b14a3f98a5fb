-- A refused submission whose partner is still to be told is claimed like a delivered one.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state IN ('accepted', 'delivered', 'refusal_notice_due');
