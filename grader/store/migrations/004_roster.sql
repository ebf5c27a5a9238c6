-- Who each student of an assignment is in the school's records: the roster GitHub Classroom
-- exports (identifier <-> GitHub username), uploaded by staff so the gradebook exports carry
-- the identifier the LMS knows. One roster per assignment; an upload replaces it whole.
CREATE TABLE rosters (
    assignment_id bigint PRIMARY KEY REFERENCES assignments (id) ON DELETE CASCADE,
    source_name text NOT NULL DEFAULT '',  -- the uploaded file's name, as staff see it
    uploaded_by text NOT NULL,  -- a GitHub login, or "grade-class" for the command line
    uploaded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE roster_entries (
    assignment_id bigint NOT NULL REFERENCES rosters (assignment_id) ON DELETE CASCADE,
    position integer NOT NULL,  -- the line order of the file
    identifier text NOT NULL,
    github_username text NOT NULL DEFAULT '',  -- '' until the student links an account
    github_id bigint,
    name text NOT NULL DEFAULT '',
    PRIMARY KEY (assignment_id, identifier)
);
-- GitHub logins are case-insensitive: one account is one student.
CREATE UNIQUE INDEX roster_entries_login ON roster_entries (assignment_id, lower(github_username))
    WHERE github_username <> '';
