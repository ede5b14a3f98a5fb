-- A refused submission whose partner is still to be told is claimed like a delivered one.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state IN ('accepted', 'delivered', 'refusal_notice_due');
-- Old rate buckets are swept (see PgStore::take_rate_token); this index finds them.
CREATE INDEX rate_buckets_updated ON rate_buckets (updated_ms);
