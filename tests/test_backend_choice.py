"""`backend = "auto"`: the decision on every combination of answers, and the real probes on
this machine, whose answers must agree with what is really installed and running here."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import docker
import docker.errors
import pytest
from local_cluster_support import HAS_CITUS, HAS_POSTGRES

from grader.cluster.choose import NAMED, Choice, Machine, choose, decide, probe
from grader.cluster.docker.probe import EngineProbe
from grader.core.errors import GraderError, InfrastructureError
from grader.settings import Settings

IMAGE = "citusdata/citus:12.1"


def test_no_engine_picks_local_with_citus() -> None:
    choice = decide(Machine(citus_installed=True), IMAGE)
    assert choice == Choice("local", "auto: no Docker engine reachable")


def test_no_engine_and_no_citus_picks_plain_local_and_says_why() -> None:
    choice = decide(Machine(), IMAGE)
    assert choice == Choice(
        "local", "auto: no Docker engine reachable; Citus is not installed beside PostgreSQL"
    )


def test_citus_turned_off_is_named_as_the_reason_for_plain_postgres() -> None:
    choice = decide(Machine(citus_installed=True), IMAGE, local_citus="off")
    assert choice.reason.endswith("; Citus is turned off by GRADER_LOCAL__CITUS")


def test_an_engine_the_grader_cannot_reach_into_names_the_settings_that_open_it() -> None:
    choice = decide(Machine(engine=True, image_present=True, citus_installed=True), IMAGE)
    assert choice.backend == "local"
    assert "GRADER_DOCKER__PUBLISH_LOOPBACK=true" in choice.reason
    assert "GRADER_DOCKER__WORKER_CONTAINER" in choice.reason


def test_engine_with_the_image_picks_docker() -> None:
    choice = decide(Machine(engine=True, nodes_reachable=True, image_present=True), IMAGE)
    assert choice == Choice("docker", f"auto: a Docker engine answered and has {IMAGE}")


def test_engine_that_pulled_the_image_picks_docker() -> None:
    choice = decide(Machine(engine=True, nodes_reachable=True, pulled=True), IMAGE)
    assert choice == Choice("docker", f"auto: a Docker engine answered and pulled {IMAGE}")


def test_a_failed_pull_falls_through_to_local() -> None:
    choice = decide(Machine(engine=True, nodes_reachable=True, citus_installed=True), IMAGE)
    assert choice == Choice(
        "local", f"auto: the Docker engine has no {IMAGE} and pulling it failed"
    )


def test_docker_does_not_need_postgres_installed() -> None:
    choice = decide(
        Machine(
            engine=True, nodes_reachable=True, image_present=True, postgres_missing="no server"
        ),
        IMAGE,
    )
    assert choice.backend == "docker"


def test_nothing_that_can_run_says_why_for_both_backends() -> None:
    with pytest.raises(InfrastructureError) as raised:
        decide(Machine(postgres_missing="PostgreSQL server binaries not found"), IMAGE)
    assert raised.value.message == (
        "no grading backend can run here: no Docker engine reachable, and PostgreSQL server "
        "binaries not found"
    )


@pytest.mark.parametrize("backend", ["local", "docker"])
def test_a_named_backend_is_taken_as_named(backend: str) -> None:
    assert choose(Settings(backend=backend)) == Choice(backend, NAMED)


def test_an_unknown_backend_lists_the_three_choices() -> None:
    with pytest.raises(GraderError, match="choose 'auto', 'local' or 'docker'"):
        choose(Settings(backend="kubernetes"))


def test_an_engine_that_is_not_there_is_not_reachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    with EngineProbe(seconds=2) as engine:
        assert engine.reachable() is False


def _engine_answers() -> str | None:
    """None when a Docker engine answers here, else why not: asked without the probe."""
    try:
        docker.from_env(timeout=5).ping()
    except (docker.errors.DockerException, OSError) as exc:
        return str(exc)
    return None


ENGINE_MISSING = _engine_answers()


def test_auto_on_this_machine_agrees_with_what_is_here() -> None:
    settings = Settings(backend="auto")
    machine = probe(settings)
    assert machine.engine is (ENGINE_MISSING is None)
    if machine.image_present or machine.pulled:
        assert choose(settings).backend == "docker"
        return
    assert machine.citus_installed is HAS_CITUS
    assert (machine.postgres_missing is None) is HAS_POSTGRES
    if not HAS_POSTGRES:
        pytest.skip("PostgreSQL server binaries are not installed: auto has no backend here")
    choice = decide(machine, settings.docker.image, settings.local.citus)
    assert choice.backend == "local"
    if ENGINE_MISSING is not None:
        assert choice.reason.startswith("auto: no Docker engine reachable")
    elif not machine.nodes_reachable:
        assert "GRADER_DOCKER__PUBLISH_LOOPBACK" in choice.reason
    else:
        assert "pulling it failed" in choice.reason
    assert ("Citus is not installed" in choice.reason) is (not HAS_CITUS)


@pytest.mark.docker_engine
@pytest.mark.skipif(ENGINE_MISSING is not None, reason=f"no Docker engine: {ENGINE_MISSING}")
def test_an_image_no_registry_has_falls_through_to_local() -> None:
    settings = Settings(backend="auto", backend_probe_seconds=5)
    settings.docker.publish_loopback = True
    settings.docker.image = "sql-lab-grader/never-published:0"
    machine = probe(settings)
    assert machine.engine and machine.nodes_reachable
    assert not machine.image_present and not machine.pulled
    if HAS_POSTGRES:
        choice = decide(machine, settings.docker.image, settings.local.citus)
        assert choice.backend == "local"
        assert "has no sql-lab-grader/never-published:0 and pulling it failed" in choice.reason


@contextmanager
def _silent_registry() -> Iterator[tuple[int, list[socket.socket]]]:
    """A listener on loopback that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with suppress(OSError):  # the server closed at the end of the test
            while True:
                accepted.append(server.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        server.close()
        for conn in accepted:
            conn.close()


def _still_open(conn: socket.socket) -> bool:
    conn.setblocking(False)
    try:
        while conn.recv(4096):  # what the engine sent: a TLS hello, an HTTP request
            pass
    except BlockingIOError:
        return True
    return False  # the engine hung up


@pytest.mark.docker_engine
@pytest.mark.skipif(ENGINE_MISSING is not None, reason=f"no Docker engine: {ENGINE_MISSING}")
def test_a_silent_registry_is_given_up_on_before_the_engine_gives_up() -> None:
    with _silent_registry() as (port, accepted), EngineProbe(seconds=1) as engine:
        assert engine.reachable()
        assert engine.pull(f"127.0.0.1:{port}/silent:1") is False
        # The engine is still waiting on the registry (it waits 25 s before it fails): the
        # probe gave up on its own timeout, not the engine's.
        assert accepted and any(_still_open(conn) for conn in accepted)
