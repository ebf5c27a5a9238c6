"""Which backend grades: the one the settings name, or, for `auto`, the first that can run here.

`auto` prefers the students' own engine (the docker backend and its image, by default
`citusdata/citus:12.1`), then `local` with Citus, then `local` on plain PostgreSQL, where the
exercises that need Citus are reported not graded. The reason travels with the cluster into
every report, so whoever reads a grade can tell what graded it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from grader.core.errors import GraderError, InfrastructureError
from grader.settings import Settings

NAMED = "set by GRADER_BACKEND or --backend"


@dataclass(frozen=True)
class Choice:
    backend: str  # "local" or "docker"
    reason: str  # why, as the report and the CLI print it


@dataclass(frozen=True)
class Machine:
    """What this machine answered. Questions are asked in field order, each only while docker
    is still possible, so the answers after a "no" keep their defaults."""

    engine: bool = False  # a Docker engine answered
    nodes_reachable: bool = False  # the settings give the grader a way into a cluster's network
    image_present: bool = False  # the engine has the node image
    pulled: bool = False  # it had not, and pulling it worked
    postgres_missing: str | None = None  # why the local backend cannot start; None: it can
    citus_installed: bool = False  # beside the PostgreSQL server binaries


def decide(machine: Machine, image: str, local_citus: str = "auto") -> Choice:
    """The `auto` choice; `local_citus` is the local backend's own citus setting."""
    if not machine.engine:
        why = "no Docker engine reachable"
    elif not machine.nodes_reachable:
        why = (
            "a Docker engine answered, but the grader reaches its nodes only once "
            "GRADER_DOCKER__PUBLISH_LOOPBACK=true (a grader on the engine's host) or "
            "GRADER_DOCKER__WORKER_CONTAINER is set"
        )
    elif machine.image_present:
        return Choice("docker", f"auto: a Docker engine answered and has {image}")
    elif machine.pulled:
        return Choice("docker", f"auto: a Docker engine answered and pulled {image}")
    else:
        why = f"the Docker engine has no {image} and pulling it failed"
    if machine.postgres_missing is not None:
        raise InfrastructureError(
            f"no grading backend can run here: {why}, and {machine.postgres_missing}"
        )
    if local_citus == "off":
        why += "; Citus is turned off by GRADER_LOCAL__CITUS"
    elif not machine.citus_installed:
        why += "; Citus is not installed beside PostgreSQL"
    return Choice("local", f"auto: {why}")


def probe(settings: Settings) -> Machine:
    """Ask this machine, with short timeouts, what `decide` needs, and no more: nothing is
    pulled when no engine answers or its nodes could not be reached."""
    from grader.cluster.docker.probe import EngineProbe
    from grader.cluster.local.binaries import find_binaries

    docker = settings.docker
    nodes_reachable = bool(docker.worker_container or docker.publish_loopback)
    with EngineProbe(settings.backend_probe_seconds) as engine:
        answered = engine.reachable()
        present = answered and nodes_reachable and engine.has_image(docker.image)
        pulled = answered and nodes_reachable and not present and engine.pull(docker.image)
    docker_answers = Machine(answered, nodes_reachable, present, pulled)
    if present or pulled:
        return docker_answers
    try:
        citus = find_binaries(settings.local.pg_bin_dir).has_citus
    except InfrastructureError as exc:
        return replace(docker_answers, postgres_missing=exc.message)
    return replace(docker_answers, citus_installed=citus)


def choose(settings: Settings) -> Choice:
    if settings.backend in ("local", "docker"):
        return Choice(settings.backend, NAMED)
    if settings.backend == "auto":
        return decide(probe(settings), settings.docker.image, settings.local.citus)
    raise GraderError(f"unknown backend {settings.backend!r}: choose 'auto', 'local' or 'docker'")
