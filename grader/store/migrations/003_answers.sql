-- What the reader extracted from a graded commit, exercise by exercise (SQL, pasted output,
-- prose, with their lines), so staff can read the answers beside the grade. One row per
-- commit, not per run: the answers of a commit do not change when the lab version does.
CREATE TABLE commit_answers (
    repository_id bigint NOT NULL REFERENCES repositories (id),
    commit_sha text NOT NULL,
    exercise_file text NOT NULL,
    answers jsonb NOT NULL,  -- {"<exercise id>": {"sql": [block], "outputs": [...], "prose": [...]}}
    stored_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (repository_id, commit_sha)
);
