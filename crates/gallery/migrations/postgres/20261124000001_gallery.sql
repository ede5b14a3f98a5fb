CREATE TABLE api_keys (
    key_hash   TEXT PRIMARY KEY NOT NULL,
    label      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE devices (
    serial      TEXT PRIMARY KEY NOT NULL,
    tenant      TEXT NOT NULL,
    auto_update BOOLEAN NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE app_configurations (
    serial     TEXT PRIMARY KEY NOT NULL REFERENCES devices(serial),
    sealed     TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE entitlements (
    serial             TEXT PRIMARY KEY NOT NULL REFERENCES devices(serial),
    service_starts_on  DATE,
    service_ends_on    DATE,
    supplies_starts_on DATE,
    supplies_ends_on   DATE,
    updated_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE app_versions (
    app_id       TEXT NOT NULL,
    version      TEXT NOT NULL,
    manifest     TEXT NOT NULL,
    package      BYTEA NOT NULL,
    sha256       TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_id, version)
);

CREATE TABLE credentials (
    id         TEXT PRIMARY KEY NOT NULL,
    serial     TEXT NOT NULL REFERENCES devices(serial),
    tenant     TEXT NOT NULL,
    app_id     TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    issued_at  TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX credentials_revoked ON credentials (revoked_at);

CREATE TABLE installations (
    serial        TEXT NOT NULL REFERENCES devices(serial),
    app_id        TEXT NOT NULL,
    version       TEXT NOT NULL,
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    installed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (serial, app_id)
);
