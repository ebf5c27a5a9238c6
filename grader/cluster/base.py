"""The interface every grading-cluster backend implements (`local`, `docker`).

A cluster is started once and serves many jobs. Each job gets its own copy of
the loaded lab (a database cloned from a template on every node), so jobs never
see each other's writes, and the copy is dropped when the job ends.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from grader.core.errors import InfrastructureError
from grader.core.lab import Lab
from grader.core.trace import EngineInfo


@dataclass(frozen=True)
class Node:
    role: str  # "coordinator", "worker1", "worker2", "worker3"
    host: str
    port: int


@dataclass(frozen=True)
class JobDatabase:
    """One job's private copy of the lab, on every node."""

    name: str
    student_dsn: str  # coordinator, as the lab's non-superuser role that owns the tables
    admin_dsn: str  # coordinator, as a superuser: for the grader's own cleanup only


@dataclass(frozen=True)
class MemoryWatch:
    """A backend's memory limits, named with their values, and how it learns that one of its
    nodes' server processes was killed for memory (the node then restarts its sessions)."""

    statement_limit: str  # what a statement refused memory (sqlstate 53200) ran into
    node_limit: str  # what a node's server process killed for memory ran into
    kills: Callable[[], int]  # server processes killed so far, on every node of the cluster


class Cluster(ABC):
    """A running coordinator + workers. Implementations must be safe to reuse across jobs."""

    # Why this backend grades ("auto: no Docker engine reachable"): set by the cluster source,
    # carried by engine_info() into every report.
    chosen_because: str = ""

    @abstractmethod
    def engine_info(self) -> EngineInfo: ...

    @abstractmethod
    def nodes(self) -> list[Node]: ...

    @abstractmethod
    def prepare_lab(self, lab: Lab) -> None:
        """Load and distribute the lab into a template database, once per lab version."""

    @abstractmethod
    def new_job(self, lab: Lab, job_id: str, variant: str | None = None) -> JobDatabase:
        """A fresh copy of the prepared lab for one job: of its seed, or of the variant
        data set named `variant`."""

    @abstractmethod
    def end_job(self, job: JobDatabase) -> None:
        """Drop the job's copies and clear what it may have left: sessions, prepared
        transactions. Must succeed even after a job that failed half-way."""

    @abstractmethod
    def close(self) -> None:
        """Stop what this object started."""

    def memory_watch(self) -> MemoryWatch | None:
        """None: this backend cannot tell a node killed for memory from a lost engine."""
        return None

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JobCopies(Protocol):
    """Template and per-job copies of a lab (grader.cluster.lab_databases.LabDatabases)."""

    def prepare(self, lab: Lab) -> str: ...

    def new_job(self, lab: Lab, job_id: str, variant: str | None = None) -> JobDatabase: ...

    def end_job(self, job: JobDatabase) -> None: ...


class TemplateCluster(Cluster):
    """What both backends share once their nodes run: the lab lives in a template database
    and each job in a copy of it, managed by `databases`."""

    _nodes: list[Node]
    _engine: EngineInfo | None

    @property
    @abstractmethod
    def databases(self) -> JobCopies: ...

    def engine_info(self) -> EngineInfo:
        if self._engine is None:
            raise InfrastructureError(f"the {type(self).__name__} is not running")
        return self._engine.model_copy(update={"chosen_because": self.chosen_because})

    def nodes(self) -> list[Node]:
        return list(self._nodes)

    def prepare_lab(self, lab: Lab) -> None:
        self.databases.prepare(lab)

    def new_job(self, lab: Lab, job_id: str, variant: str | None = None) -> JobDatabase:
        return self.databases.new_job(lab, job_id, variant)

    def end_job(self, job: JobDatabase) -> None:
        self.databases.end_job(job)
