"""The last check before any container is created: student SQL runs in it, so nothing in it may
carry the service's secrets, its repositories or a way to drive the Docker engine."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

from grader.core.errors import GraderError
from grader.settings import Settings

# Credentials whatever their source: GitHub token prefixes, PEM private keys.
_TOKEN_PATTERN = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,})|PRIVATE KEY-----")
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PRIVATE|CREDENTIAL|API_?KEY|GITHUB|DOCKER_|AWS_|GRADER_")
_ALLOWED_ENV = {"POSTGRES_PASSWORD", "PGPASSWORD"}  # the cluster's own generated password
_MOUNT_KEYS = ("volumes", "mounts", "volumes_from", "devices", "device_requests")
_MIN_SECRET_LENGTH = 8  # shorter "secrets" would match everywhere and protect nothing


class UnsafeContainerSpec(GraderError):
    """A container spec would hand a secret or a host resource to student SQL. A bug or a
    misconfiguration: retrying cannot fix it."""

    code = "docker.unsafe-spec"


def assert_no_secrets(spec: Mapping[str, Any], settings: Settings) -> None:
    """Refuse a `containers.create` spec that carries a secret of `settings`, a token, a mount
    (the Docker socket, a `.git` folder, anything of the host) or a privilege beyond the node's."""
    problems = [*_secret_problems(spec, settings), *_environment_problems(spec)]
    problems += _host_access_problems(spec)
    if problems:
        raise UnsafeContainerSpec(
            f"refusing to create container {spec.get('name', '?')}: " + "; ".join(problems)
        )


def service_secrets(settings: Settings) -> list[str]:
    """Every secret value the service knows: SecretStr fields, URL passwords, key file path."""
    found = list(_secret_fields(settings))
    for url in (settings.database_url, settings.redis_url):
        password = urlsplit(url).password
        if password:
            found.append(password)
    if settings.github.private_key_path is not None:
        found.append(str(settings.github.private_key_path))
    return [s for s in found if len(s) >= _MIN_SECRET_LENGTH]


def _secret_fields(model: BaseModel) -> Iterator[str]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, SecretStr):
            yield value.get_secret_value()
        elif isinstance(value, BaseModel):
            yield from _secret_fields(value)


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield f"{where}.{key}", str(key)
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")


def _secret_problems(spec: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    known = service_secrets(settings)
    for where, text in _strings(dict(spec), "spec"):
        if any(secret in text for secret in known):
            yield f"{where} carries a secret of the service"
        elif _TOKEN_PATTERN.search(text):
            yield f"{where} carries a token or private key"


def _environment_problems(spec: Mapping[str, Any]) -> Iterator[str]:
    environment = spec.get("environment") or {}
    if isinstance(environment, Mapping):
        names = [str(name) for name in environment]
    else:
        names = [str(item).split("=", 1)[0] for item in environment]
    for name in names:
        if name not in _ALLOWED_ENV and _SECRET_NAME.search(name.upper()):
            yield f"environment variable {name} looks like a credential"


def _host_access_problems(spec: Mapping[str, Any]) -> Iterator[str]:
    for key in _MOUNT_KEYS:
        if spec.get(key):
            yield f"{key} given: a node mounts nothing of the host ({_mount_hint(spec[key])})"
    if spec.get("privileged"):
        yield "privileged container"
    if spec.get("cap_add"):
        yield f"cap_add {spec['cap_add']}: a node needs no capability"
    if "ALL" not in (spec.get("cap_drop") or []):
        yield "cap_drop must drop ALL"
    if "no-new-privileges:true" not in (spec.get("security_opt") or []):
        yield "security_opt must set no-new-privileges:true"
    for key in ("network_mode", "pid_mode", "ipc_mode", "userns_mode", "uts_mode"):
        if spec.get(key) == "host" or str(spec.get(key, "")).startswith("container:"):
            yield f"{key}={spec[key]} shares a namespace beyond the node"
    for container_port, binding in (spec.get("ports") or {}).items():
        host_ip = binding[0] if isinstance(binding, tuple) else None
        if host_ip != "127.0.0.1":
            yield f"port {container_port} published beyond 127.0.0.1: {binding!r}"


def _mount_hint(value: Any) -> str:
    """Name the worst thing a mount list reaches, so the refusal says why it matters."""
    text = " ".join(t for _, t in _strings(value, ""))
    if "docker.sock" in text:
        return "the Docker socket: full control of the engine and its host"
    if re.search(r"(^|[/\s])\.git($|[/\s:])", text):
        return "a .git folder: repositories and their credentials"
    return text[:120]
