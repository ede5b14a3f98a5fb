-- Console login attempts, counted per key (a hashed account e-mail or source address) in a
-- fixed window that begins at the key's first attempt. One row per key; rows whose window has
-- passed are deleted by the server's clean-up, so the table stays bounded.
CREATE TABLE login_attempts (
    attempt_key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    attempts BIGINT NOT NULL
);
CREATE INDEX login_attempts_window ON login_attempts(window_start);
