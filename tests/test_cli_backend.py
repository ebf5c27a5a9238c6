"""`grader grade` says which backend it chose and why, in its output and in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from local_cluster_support import needs_postgres
from typer.testing import CliRunner

from grader.cli import app
from grader.core.lab import default_lab_path, load_lab

pytestmark = [needs_postgres, pytest.mark.postgres, pytest.mark.slow]

LAB = load_lab(default_lab_path())
COMPLETE = LAB.root / "examples" / "complete"
NEED_CITUS = ", ".join(e.id for e in LAB.exercises if e.requires_citus)


def _no_engine(tmp_path: Path) -> dict[str, str]:
    """An engine address where nothing listens, and plain PostgreSQL: the same on any machine."""
    return {
        "DOCKER_HOST": f"unix://{tmp_path / 'no-engine.sock'}",
        "GRADER_LOCAL__CITUS": "off",
    }


def test_grade_json_keeps_stdout_the_report_and_says_the_backend_on_stderr(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(app, ["grade", str(COMPLETE), "--json"], env=_no_engine(tmp_path))
    assert result.exit_code == 0, result.output
    reason = "auto: no Docker engine reachable; Citus is turned off by GRADER_LOCAL__CITUS"
    report = json.loads(result.stdout)
    assert report["engine"]["backend"] == "local"
    assert report["engine"]["chosen_because"] == reason
    assert f"backend: local on plain PostgreSQL {report['engine']['postgres_version']} " in (
        result.stderr
    )
    assert f"({reason}); not graded without Citus: {NEED_CITUS}\n" in result.stderr


def test_grade_with_a_named_backend_says_it_was_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["grade", str(COMPLETE), "--backend", "local"], env=_no_engine(tmp_path)
    )
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("backend: local on plain PostgreSQL ")
    assert first.endswith(
        f"(set by GRADER_BACKEND or --backend); not graded without Citus: {NEED_CITUS}"
    )
