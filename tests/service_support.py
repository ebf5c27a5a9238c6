"""Helpers shared by the service tests: a throwaway RSA key for the GitHub App, real git
repositories, GitHub's example deliveries adapted to them and signed like GitHub signs
them. The fixtures are in service_fixtures.py."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from grader.github.signature import sign

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
EXAMPLES = SHARED / "fixtures" / "github" / "webhook-examples"
SECRET = "test-webhook-secret"
APP_ID = 4242
INSTALLATION_ID = 777


def example(relative: str) -> dict[str, Any]:
    path = EXAMPLES / relative
    if not path.is_file():
        pytest.skip(f"GitHub's example delivery {relative} not found under {EXAMPLES}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def adapt(payload: dict[str, Any], full_name: str, **top: Any) -> dict[str, Any]:
    """GitHub's example delivery, about our test repository instead of theirs."""
    out = json.loads(json.dumps(payload))
    owner, _, name = full_name.partition("/")
    repo = out.setdefault("repository", {})
    repo.update(full_name=full_name, name=name, clone_url=f"https://example.invalid/{full_name}")
    if "pushed_at" in repo:  # GitHub stamps a push when it happens: now, in a test
        repo["pushed_at"] = int(time.time())
    repo.setdefault("owner", {})["login"] = owner
    out["installation"] = {"id": INSTALLATION_ID, "node_id": "MDIz"}
    out.update(top)
    return out


def delivery_headers(event: str, body: bytes, delivery: str | None = None) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(SECRET, body),
        "Content-Type": "application/json",
    }


def rsa_key_pair() -> tuple[str, str]:
    """(private PEM, public PEM): a throwaway App key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class WorkRepo:
    """A real working repository pushing to a bare one (the stand-in's hosted copy)."""

    def __init__(self, root: Path, bare: Path) -> None:
        self.path = root
        self.bare = bare
        root.parent.mkdir(parents=True, exist_ok=True)
        bare.parent.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--bare", "-b", "main", str(bare), cwd=root.parent)
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "-b", "main")
        self.git("remote", "add", "origin", str(bare))

    def git(self, *args: str, cwd: Path | None = None, at: datetime | None = None) -> str:
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.path.parent),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Student",
            "GIT_AUTHOR_EMAIL": "student@example.invalid",
            "GIT_COMMITTER_NAME": "Student",
            "GIT_COMMITTER_EMAIL": "student@example.invalid",
        }
        if at is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = at.isoformat()
        done = subprocess.run(
            ["git", *args], cwd=cwd or self.path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def commit(self, files: dict[str, str], message: str) -> str:
        for relative, text in files.items():
            target = self.path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        self.git("add", "-A")
        self.git("commit", "--quiet", "-m", message)
        return self.git("rev-parse", "HEAD")

    def push(self, *extra: str) -> None:
        self.git("push", "--quiet", *extra, "origin", "HEAD:refs/heads/main")


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)  # warm shutdown: the session closes its cluster
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
