-- Rubric items, Gradescope-style: named shares of an exercise's points (a deduction or a
-- credit), per assignment and exercise, from lab.toml or added by staff. Applying items to an
-- answer decides its points (written as an override, so totals, exports and check runs read
-- one truth); the applications are what a change of an item's points re-scores.
CREATE TABLE rubric_items (
    id bigserial PRIMARY KEY,
    assignment_id bigint NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    exercise_id text NOT NULL,
    key text NOT NULL,  -- the item's id in lab.toml, or "staff-<n>"
    title text NOT NULL CHECK (btrim(title) <> ''),
    description text NOT NULL DEFAULT '',
    points double precision NOT NULL,  -- negative: a deduction; positive: a credit
    origin text NOT NULL CHECK (origin IN ('lab', 'staff')),
    position integer NOT NULL,  -- the page's order, and so its keys 1..9
    created_by text NOT NULL,  -- a GitHub login, or "lab.toml"
    created_at timestamptz NOT NULL DEFAULT now(),
    -- A lab item is added once: staff's later change of its points is kept when the page
    -- reads lab.toml again.
    UNIQUE (assignment_id, exercise_id, key)
);

-- An item applied to one answer. Keyed by repository and commit, as overrides are found, so
-- a re-run (the same commit graded again, or by a new lab version) keeps it.
CREATE TABLE rubric_applications (
    item_id bigint NOT NULL REFERENCES rubric_items (id) ON DELETE CASCADE,
    repository_id bigint NOT NULL REFERENCES repositories (id),
    commit_sha text NOT NULL,
    applied_by text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, repository_id, commit_sha)
);
CREATE INDEX rubric_applications_answer ON rubric_applications (repository_id, commit_sha);
