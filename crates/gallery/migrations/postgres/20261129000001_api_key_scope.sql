-- A key belongs to one partner (its devices only); NULL = the operator's admin scope.
-- Keys stored before this migration keep what they could do: they become admin keys.
ALTER TABLE api_keys ADD COLUMN partner TEXT;
