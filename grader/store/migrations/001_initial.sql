-- The service's store: what GitHub told us, what we graded, what we posted back.

CREATE TABLE assignments (
    id bigserial PRIMARY KEY,
    organisation text NOT NULL,
    repository_prefix text NOT NULL,  -- e.g. "tp-distributed-": GitHub Classroom's naming
    lab_id text NOT NULL,
    deadline timestamptz,  -- NULL: no deadline, nothing is late
    grace interval NOT NULL DEFAULT '0',
    late_penalty_per_day double precision NOT NULL DEFAULT 0,  -- points per started day
    cutoff timestamptz,  -- pushes after it are not accepted
    pass_mark double precision NOT NULL DEFAULT 50,  -- percent of the lab's points
    UNIQUE (organisation, repository_prefix)
);

CREATE TABLE installations (
    id bigint PRIMARY KEY,  -- GitHub's installation id
    account_login text NOT NULL,
    account_type text NOT NULL DEFAULT '',
    active boolean NOT NULL DEFAULT true,  -- false once deleted or suspended
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE repositories (
    id bigserial PRIMARY KEY,
    full_name text NOT NULL UNIQUE,  -- "organisation/name"
    organisation text NOT NULL,
    name text NOT NULL,
    -- No foreign key: a push can arrive before its installation event does.
    installation_id bigint,
    assignment_id bigint REFERENCES assignments (id),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Only deliveries whose signature verified are stored: an unverified one could otherwise
-- occupy a delivery id and make GitHub's real delivery look like a duplicate.
CREATE TABLE deliveries (
    id bigserial PRIMARY KEY,
    delivery_id text NOT NULL UNIQUE,  -- X-GitHub-Delivery
    event text NOT NULL,
    action text,
    received_at timestamptz NOT NULL,  -- the server's clock when the request arrived
    payload jsonb NOT NULL,
    outcome text NOT NULL DEFAULT ''  -- what we did with it, e.g. "ignored: tag push"
);

CREATE TABLE pushes (
    id bigserial PRIMARY KEY,
    repository_id bigint NOT NULL REFERENCES repositories (id),
    ref text NOT NULL,  -- refs/heads/<branch>
    after_sha text NOT NULL,
    before_sha text NOT NULL,
    forced boolean NOT NULL,
    pushed_at timestamptz NOT NULL,  -- trusted push time: the delivery's received_at
    delivery_id text NOT NULL REFERENCES deliveries (delivery_id),
    status text NOT NULL CHECK (status IN ('queued', 'superseded', 'graded', 'error', 'ignored')),
    reason text NOT NULL DEFAULT '',
    enqueued_at timestamptz  -- NULL while the task could not be handed to the queue
);
CREATE INDEX pushes_branch ON pushes (repository_id, ref, pushed_at);

CREATE TABLE grading_runs (
    id bigserial PRIMARY KEY,
    push_id bigint REFERENCES pushes (id),  -- the push that first asked for this grade
    repository_id bigint NOT NULL REFERENCES repositories (id),
    commit_sha text NOT NULL,
    lab_id text NOT NULL,
    lab_version text NOT NULL,
    status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'completed', 'error')),
    score double precision,
    max_score double precision,
    report jsonb,
    error text,
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    rerun_requested_at timestamptz,  -- later than finished_at: grade again
    UNIQUE (repository_id, commit_sha, lab_id, lab_version)
);

CREATE TABLE check_runs (
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES grading_runs (id),
    github_id bigint NOT NULL UNIQUE,
    status text NOT NULL,  -- in_progress, completed
    conclusion text,
    posted_at timestamptz NOT NULL DEFAULT now()
);

-- A person's decision about a grade. Regrading updates grading_runs in place and never
-- touches this table, so an override survives every re-run.
CREATE TABLE overrides (
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES grading_runs (id),
    exercise_id text,  -- NULL: the whole run
    score double precision NOT NULL,
    reason text NOT NULL CHECK (btrim(reason) <> ''),
    by_whom text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
