-- One row per grading task sent for a branch. While the task is queued (not started), a
-- newer push to the branch joins it instead of sending a task of its own: the row points to
-- the branch's newest push, which the task grades when it starts. Pushes after the deadline
-- (plus grace) have tasks apart from those before it: an on-time push may be the submission.
CREATE TABLE branch_tasks (
    id bigserial PRIMARY KEY,
    repository_id bigint NOT NULL REFERENCES repositories (id),
    ref text NOT NULL,
    late boolean NOT NULL,
    task_push_id bigint NOT NULL UNIQUE REFERENCES pushes (id),  -- the id the task carries
    push_id bigint NOT NULL REFERENCES pushes (id),  -- the push it grades: the branch's newest
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'started')),
    started_at timestamptz
);
CREATE UNIQUE INDEX branch_tasks_queued ON branch_tasks (repository_id, ref, late)
    WHERE status = 'queued';
CREATE INDEX branch_tasks_push ON branch_tasks (push_id);
