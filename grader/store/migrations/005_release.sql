-- Releasing reviewed grades to students, per assignment. Until an assignment is released
-- its check runs show the grader's own points and say that written answers are being
-- reviewed; once released they show the grade after overrides, with the reviewers'
-- comments. Every change of what students see re-posts the class's check runs.
ALTER TABLE assignments
    ADD COLUMN released_at timestamptz,  -- NULL: not released (or withheld again)
    ADD COLUMN released_by text,
    -- the last time every current check run of the class was asked to be posted again
    -- (release, withhold, pass mark); check_runs.posted_at after it: in step
    ADD COLUMN reposts_requested_at timestamptz;

-- A check-run post asked for (after an override, a review, a release) and not yet done: the
-- store, not the queue, is the truth, so the sweeper sends the task again when it is lost.
ALTER TABLE grading_runs ADD COLUMN repost_requested_at timestamptz;
CREATE INDEX grading_runs_repost ON grading_runs (repost_requested_at)
    WHERE repost_requested_at IS NOT NULL;
