"""The one settings object. Every knob is read here, from GRADER_* variables or a .env file.

Nested groups use a double underscore: GRADER_LIMITS__STATEMENT_SECONDS=5.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Limits(BaseModel):
    """What one grading job may use. Each limit that fires is named in the report with its value."""

    statement_seconds: float = 5.0
    exercise_seconds: float = 20.0
    job_seconds: float = 120.0
    max_rows_kept: int = 200  # rows of a result kept in the trace (all are counted)
    max_statements: int = 200  # per exercise
    max_exercise_file_bytes: int = 1_000_000
    max_repository_bytes: int = 50_000_000
    work_mem: str = "16MB"
    temp_file_limit: str = "100MB"  # stops a runaway INSERT ... generate_series from filling disk
    # Address space of each server process of a `local` node (the Docker backend bounds a
    # whole node with docker.memory): a statement that would build more fails with "out of
    # memory", named as this limit, instead of taking the machine's memory.
    node_memory_mb: int = Field(default=1024, ge=256)


class LocalCluster(BaseModel):
    """The embedded default: PostgreSQL nodes started from the installed server binaries."""

    pg_bin_dir: Path | None = None  # None: found with pg_config / the Debian layout
    # None: in memory (/dev/shm) when it is a tmpfs with room, else under the temp dir (not
    # $HOME: nodes run as os_user, who cannot enter root's home). See grader/cluster/local.
    base_dir: Path | None = None
    os_user: str = "postgres"  # PostgreSQL refuses to run as root; nodes run as this user
    workers: int = 3
    first_port: int = 0  # 0: pick free ports
    # "auto": Citus when its extension is installed beside the server binaries; "on": Citus
    # required (start fails without it); "off": plain PostgreSQL even where Citus is installed
    citus: Literal["auto", "on", "off"] = "auto"


class DockerCluster(BaseModel):
    """Grading clusters as containers on an internal network (see docs/docker.md)."""

    image: str = "citusdata/citus:12.1"
    workers: int = 3  # the students' cluster: citus_master and citus_worker1..3
    pool_size: int = 2
    memory: str = "1g"  # per node; PGDATA lives in tmpfs, which counts against it
    cpus: float = 1.0
    pids_limit: int = 256
    tmpfs_size: str = "512m"  # PGDATA of one node
    read_only_root: bool = True
    # The grading worker's own container (name or id) when it runs in one: it is attached to
    # each cluster's internal network, so nothing is published.
    worker_container: str = ""
    # A worker on the host instead: opt in to publishing every node on 127.0.0.1, random ports.
    publish_loopback: bool = False
    start_timeout_seconds: float = 120.0
    lease_timeout_seconds: float = 60.0  # a job waits this long for a free cluster
    heartbeat_seconds: float = 30.0  # how often a worker says its clusters are still in use
    reap_after_seconds: float = 600.0  # an owner silent this long has its clusters removed


class GitHubApp(BaseModel):
    app_id: int | None = None
    private_key: SecretStr | None = None  # PEM text
    private_key_path: Path | None = None
    webhook_secret: SecretStr = SecretStr("")
    api_url: str = "https://api.github.com"
    clone_url_base: str = "https://github.com"


class Service(BaseModel):
    """The webhook service and its Celery workers (see docs/github-app.md)."""

    # TOML file of assignments, synced into the store when the api or a worker starts
    assignments_file: Path | None = None
    check_name: str = "SQL lab grade"
    # Percent of the lab's points a check run counts as passed, for an assignment whose file
    # names no pass_mark and whose lab.toml names none either.
    pass_mark: float = Field(default=50.0, ge=0, le=100)
    # Per-repository routing: a repository always lands in the same one of these queues, so a
    # burst from one repository waits behind itself while the worker rotates between queues.
    shard_queues: int = 8
    # Redis hands an unacknowledged task out again after this long (how a task whose worker
    # died is recovered). Keep it above clone + job time: a copy of a task still running finds
    # its run locked and stops, but it is wasted work.
    visibility_timeout_seconds: int = 3600
    clone_seconds: float = 120.0
    github_retries: int = 6  # with exponential backoff, for GitHub's own errors
    error_retries: int = 2  # a run whose report is `error` (infrastructure) is retried this often
    retry_backoff_seconds: float = 30.0  # first delay; doubled on every retry
    work_dir: Path | None = None  # where clones are made; None: the system temp dir
    # The store is the source of truth: every worker runs a sweeper that re-sends a push still
    # queued this long after its last hand-off (a task lost with Redis, a failed hand-off) and
    # a run whose worker died; one sweeper at a time, every sweep_interval_seconds.
    sweep_stale_seconds: float = 120.0
    sweep_interval_seconds: float = 20.0
    # A grading worker runs at this CPU niceness, and so do the `local` nodes it starts: on a
    # machine it shares with the api, a delivery is answered first and grading takes the
    # rest of the CPU (0: the same priority as the api).
    grading_niceness: int = Field(default=10, ge=0, le=19)


class Dashboard(BaseModel):
    """The staff dashboard and its JSON API (see docs/dashboard.md)."""

    oauth_client_id: str = ""
    oauth_client_secret: SecretStr = SecretStr("")
    session_secret: SecretStr = SecretStr("change-me")  # sign-in is refused while it is this
    staff_logins: list[str] = Field(default_factory=list)  # GitHub logins, case ignored
    api_token: SecretStr = SecretStr("")  # empty: the JSON API answers 401 to everyone
    # Members of this team are staff too, e.g. "my-classroom/teaching-assistants" (sign-in
    # then asks GitHub for the read:org scope, to see the membership).
    staff_team: str = ""
    session_hours: float = 12.0
    # Where staff reach the dashboard, e.g. https://grader.example.edu: GitHub sends them back
    # there after sign-in. Empty: taken from each request (fine without a proxy in front).
    public_url: str = ""
    # GitHub's web site (sign-in, links to a student's file and line) and API (who signed in).
    github_url: str = "https://github.com"
    github_api_url: str = "https://api.github.com"
    oauth_seconds: float = 10.0  # timeout of each request to GitHub during sign-in


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GRADER_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    # "auto": docker where an engine answers and has (or can pull) docker.image and the
    # grader has a way to reach its nodes, else local (Citus when installed); or "local",
    # "docker". The report and the CLI say which was chosen and why (grader/cluster/choose.py).
    backend: str = "auto"
    # auto: how long the Docker engine, and a registry during a pull, may stay silent before
    # that way is given up for local
    backend_probe_seconds: float = 5.0
    lab_dir: Path | None = None  # None: the bundled MediAI lab
    database_url: str = "postgresql://postgres@127.0.0.1:5432/grader"
    # The api's store connections (per api process) for the dashboard, /metrics and the
    # deliveries other than branch pushes; branch pushes are stored in batches on one more
    # connection of their own (grader/webhook/writer.py), so a burst needs no bigger pool.
    # Keep pool + 1 per api process under the server's max_connections less the workers'.
    database_pool_size: int = Field(default=4, ge=1)
    redis_url: str = "redis://127.0.0.1:6379/0"
    # "text" for people, "json" for a log pipeline: one object a line, fields as keys.
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    max_webhook_bytes: int = 5_000_000
    # Serve the app's OpenAPI description at /openapi.json (for API clients and the tests'
    # probe). Off by default: it maps every route. There is never a /docs or /redoc page,
    # whose viewers would load their scripts from elsewhere.
    openapi_json: bool = False
    limits: Limits = Field(default_factory=Limits)
    local: LocalCluster = Field(default_factory=LocalCluster)
    docker: DockerCluster = Field(default_factory=DockerCluster)
    github: GitHubApp = Field(default_factory=GitHubApp)
    dashboard: Dashboard = Field(default_factory=Dashboard)
    service: Service = Field(default_factory=Service)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
