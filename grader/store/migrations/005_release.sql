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
