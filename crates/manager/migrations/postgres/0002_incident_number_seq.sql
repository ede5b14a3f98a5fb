-- Incident numbers come from a sequence on PostgreSQL (no hot counter row under concurrent creates).
CREATE SEQUENCE incident_number_seq;
