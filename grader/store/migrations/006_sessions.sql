-- Dashboard sessions kept on the server: the cookie names a row here, so signing out (the row
-- deleted) ends the session even for a copy of the cookie, and expiry does not rest on the
-- cookie's own word.
CREATE TABLE dashboard_sessions (
    token_hash text PRIMARY KEY,  -- SHA-256 of the cookie's token: the store alone opens nothing
    login text NOT NULL,
    via text NOT NULL,  -- how the login was found to be staff: 'list' or 'team'
    csrf text NOT NULL,  -- the token every form of this session echoes
    started_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);

-- A delivery the grader ignores keeps its row (its id still de-duplicates redeliveries, and
-- its outcome says why nothing happened) but not its payload.
ALTER TABLE deliveries ALTER COLUMN payload DROP NOT NULL;
