"""The one settings object. Every knob is read here, from GRADER_* variables or a .env file.

Nested groups use a double underscore: GRADER_LIMITS__STATEMENT_SECONDS=5.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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


class LocalCluster(BaseModel):
    """The embedded default: PostgreSQL nodes started from the installed server binaries."""

    pg_bin_dir: Path | None = None  # None: found with pg_config / the Debian layout
    base_dir: Path = Path.home() / ".cache" / "sql-lab-grader" / "clusters"
    os_user: str = "postgres"  # PostgreSQL refuses to run as root; nodes run as this user
    workers: int = 3
    first_port: int = 0  # 0: pick free ports


class DockerCluster(BaseModel):
    image: str = "citusdata/citus:12.1"
    pool_size: int = 2
    memory: str = "1g"
    cpus: float = 1.0
    pids_limit: int = 256


class GitHubApp(BaseModel):
    app_id: int | None = None
    private_key: SecretStr | None = None  # PEM text
    private_key_path: Path | None = None
    webhook_secret: SecretStr = SecretStr("")
    api_url: str = "https://api.github.com"
    clone_url_base: str = "https://github.com"


class Dashboard(BaseModel):
    oauth_client_id: str = ""
    oauth_client_secret: SecretStr = SecretStr("")
    session_secret: SecretStr = SecretStr("change-me")
    staff_logins: list[str] = Field(default_factory=list)
    api_token: SecretStr = SecretStr("")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GRADER_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    backend: str = "local"  # "local" or "docker"
    lab_dir: Path | None = None  # None: the bundled MediAI lab
    database_url: str = "postgresql://postgres@127.0.0.1:5432/grader"
    redis_url: str = "redis://127.0.0.1:6379/0"
    max_webhook_bytes: int = 5_000_000
    limits: Limits = Field(default_factory=Limits)
    local: LocalCluster = Field(default_factory=LocalCluster)
    docker: DockerCluster = Field(default_factory=DockerCluster)
    github: GitHubApp = Field(default_factory=GitHubApp)
    dashboard: Dashboard = Field(default_factory=Dashboard)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
