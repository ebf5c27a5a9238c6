-- The staff dashboard: every override and re-run request on record, and re-run batches
-- whose progress the dashboard shows.

CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,  -- the GitHub login of the staff member
    action text NOT NULL,  -- "override", "rerun", "sign-in", "sign-in-refused"
    assignment_id bigint REFERENCES assignments (id),
    run_id bigint REFERENCES grading_runs (id),
    exercise_id text,
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_assignment ON audit_log (assignment_id, at);

-- One request to grade again: a student, or the whole class (asked for the class or for one
-- exercise: the grader grades whole submissions, so both re-grade every run).
CREATE TABLE rerun_batches (
    id bigserial PRIMARY KEY,
    assignment_id bigint NOT NULL REFERENCES assignments (id),
    scope text NOT NULL CHECK (scope IN ('student', 'exercise', 'class')),
    repository_id bigint REFERENCES repositories (id),
    exercise_id text,
    reason text NOT NULL DEFAULT '',
    requested_by text NOT NULL,
    -- The clock re-run requests use (grading_runs.rerun_requested_at): a run finished after
    -- this was graded again for the batch.
    requested_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rerun_batches_assignment ON rerun_batches (assignment_id, requested_at);

CREATE TABLE rerun_batch_runs (
    batch_id bigint NOT NULL REFERENCES rerun_batches (id),
    run_id bigint NOT NULL REFERENCES grading_runs (id),
    queued boolean NOT NULL DEFAULT false,  -- the task reached the queue
    PRIMARY KEY (batch_id, run_id)
);
