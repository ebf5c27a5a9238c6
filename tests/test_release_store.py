"""An assignment's release switch and pass mark on a real PostgreSQL: where the pass mark
comes from (the assignments file, else the lab's lab.toml, else the setting), that staff's
choice outlives a file that names none, which check runs were posted since a request, and
that a post asked for is sent again by the sweeper until a worker has done it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.core.errors import InvalidInput
from grader.core.lab import default_lab_path
from grader.service.job import Job
from grader.settings import Service, Settings
from grader.store import check_runs, runs
from grader.store.assignments import (
    find_assignment,
    get_assignment,
    request_reposts,
    set_pass_mark,
    set_release,
    sync_file,
)
from grader.store.db import Connection
from grader.store.repositories import save_repository
from workers.job import Outcome
from workers.repost import RepostJob
from workers.sweeper import sweep

pytestmark = [pytest.mark.service, pytest.mark.postgres]
pytest_plugins = ["service_fixtures"]

REPO = "classroom-org/tp-distributed-alice"
FILE = """
[[assignment]]
organisation = "classroom-org"
repository_prefix = "tp-distributed-"
lab = "mediai"
{extra}
"""


def write(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "assignments.toml"
    path.write_text(FILE.format(extra=extra), encoding="utf-8")
    return path


def lab_with_pass_mark(tmp_path: Path, mark: float) -> Path:
    folder = tmp_path / "lab"
    shutil.copytree(default_lab_path(), folder, ignore=shutil.ignore_patterns("examples"))
    manifest = folder / "lab.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            'exercise_file = "', f'pass_mark = {mark}\nexercise_file = "', 1
        ),
        encoding="utf-8",
    )
    return folder


def test_the_pass_mark_comes_from_the_file_else_the_lab_else_the_setting(
    conn: Connection, tmp_path: Path
) -> None:
    setting = Settings(service=Service(pass_mark=45))
    [first] = sync_file(conn, write(tmp_path), setting)
    assert get_assignment(conn, first).pass_mark == 45  # the bundled lab names none

    conn.execute("DELETE FROM assignments")
    with_lab = Settings(lab_dir=lab_with_pass_mark(tmp_path, 60), service=Service(pass_mark=45))
    [second] = sync_file(conn, write(tmp_path), with_lab)
    assert get_assignment(conn, second).pass_mark == 60

    [third] = sync_file(conn, write(tmp_path, "pass_mark = 70"), with_lab)
    assert third == second and get_assignment(conn, third).pass_mark == 70


def test_staff_pass_mark_outlives_a_file_that_names_none(conn: Connection, tmp_path: Path) -> None:
    settings = Settings(service=Service(pass_mark=50))
    [assignment_id] = sync_file(conn, write(tmp_path), settings)
    set_pass_mark(conn, assignment_id, 62.5)
    sync_file(conn, write(tmp_path), settings)  # a restart
    assert get_assignment(conn, assignment_id).pass_mark == 62.5
    sync_file(conn, write(tmp_path, "pass_mark = 40"), settings)  # the file says so: it wins
    assert get_assignment(conn, assignment_id).pass_mark == 40
    with pytest.raises(InvalidInput, match="between 0 and 100"):
        set_pass_mark(conn, assignment_id, 120)


def test_release_and_withhold(conn: Connection, tmp_path: Path) -> None:
    [assignment_id] = sync_file(conn, write(tmp_path), Settings())
    assert not get_assignment(conn, assignment_id).released
    set_release(conn, assignment_id, "prof-ada")
    released = get_assignment(conn, assignment_id)
    assert released.released and released.released_by == "prof-ada"
    sync_file(conn, write(tmp_path), Settings())  # the file never touches the switch
    found = find_assignment(conn, "classroom-org", "tp-distributed-alice")
    assert found is not None and found.released_at == released.released_at
    set_release(conn, assignment_id, None)
    withheld = get_assignment(conn, assignment_id)
    assert (withheld.released, withheld.released_at, withheld.released_by) == (False, None, None)


def test_check_runs_posted_since_a_request(conn: Connection, tmp_path: Path) -> None:
    [assignment_id] = sync_file(conn, write(tmp_path), Settings())
    repo = save_repository(conn, REPO, installation_id=1, assignment_id=assignment_id)
    run_ids = [
        runs.ensure_run(
            conn, repository_id=repo.id, commit_sha=sha, lab_id="mediai", lab_version="1",
            push_id=None,
        ).id
        for sha in ("a" * 40, "b" * 40)
    ]  # fmt: skip
    check_runs.record_check_run(conn, run_ids[0], 11, "completed", "neutral")
    request_reposts(conn, assignment_id)
    since = get_assignment(conn, assignment_id).reposts_requested_at
    assert since is not None
    assert check_runs.posted_since(conn, run_ids, since) == 0
    check_runs.record_check_run(conn, run_ids[0], 11, "completed", "success")  # updated
    check_runs.record_check_run(conn, run_ids[1], 12, "in_progress")  # not completed yet
    assert check_runs.posted_since(conn, run_ids, since) == 1
    check_runs.record_check_run(conn, run_ids[1], 12, "completed", "failure")
    assert check_runs.posted_since(conn, run_ids, since) == 2


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Job] = []

    def send(self, job: Job, *, staff: bool = False) -> None:
        self.sent.append(job)


def test_a_lost_post_is_sent_again_by_the_sweeper_until_done(
    conn: Connection, tmp_path: Path, store_url: str
) -> None:
    [assignment_id] = sync_file(conn, write(tmp_path), Settings())
    repo = save_repository(conn, REPO, installation_id=1, assignment_id=assignment_id)
    run = runs.ensure_run(
        conn, repository_id=repo.id, commit_sha="a" * 40, lab_id="mediai", lab_version="1",
        push_id=None,
    )  # fmt: skip
    check_runs.request_repost(conn, [run.id])  # the task itself never reached the queue
    recorder = Recorder()
    assert sweep(conn, recorder, stale_seconds=0).reposts == 1
    assert recorder.sent == [Job("repost", run.id, REPO)]
    assert sweep(conn, recorder, stale_seconds=60).reposts == 0  # sent just now: not again yet
    assert check_runs.repost_requested(conn, run.id) is not None

    # the worker's job: nothing graded yet (the grade will post), so the request is settled
    result = RepostJob(Settings(database_url=store_url)).repost(run.id)
    assert result.outcome is Outcome.SKIPPED and "not graded" in result.detail
    assert check_runs.repost_requested(conn, run.id) is None
    assert sweep(conn, recorder, stale_seconds=0).reposts == 0


def test_a_request_made_while_posting_stays(conn: Connection, tmp_path: Path) -> None:
    [assignment_id] = sync_file(conn, write(tmp_path), Settings())
    repo = save_repository(conn, REPO, installation_id=1, assignment_id=assignment_id)
    run = runs.ensure_run(
        conn, repository_id=repo.id, commit_sha="a" * 40, lab_id="mediai", lab_version="1",
        push_id=None,
    )  # fmt: skip
    check_runs.request_repost(conn, [run.id])
    asked = check_runs.repost_requested(conn, run.id)
    assert asked is not None
    check_runs.request_repost(conn, [run.id])  # a second override while the first posts
    check_runs.repost_done(conn, run.id, asked)
    assert check_runs.repost_requested(conn, run.id) is not None
