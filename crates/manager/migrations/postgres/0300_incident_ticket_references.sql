-- The partner's own ticket number for an incident (the app configuration's help-desk override):
-- set by the partner's help desk with PUT /api/v1/incidents/{number}/ticket-reference (e.g. its
-- webhook receiver after incident.created); the assistant's confirmation e-mail shows it instead
-- of the incident number. A table of its own: the incident rows and their readers stay as they are.
CREATE TABLE incident_ticket_references (
    incident_id TEXT PRIMARY KEY REFERENCES incidents(id),
    reference TEXT NOT NULL,
    set_at BIGINT NOT NULL
);
