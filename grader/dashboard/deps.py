"""What every dashboard route takes from the running service: its settings, its store pool
and its queue dispatcher (set up by grader.app's lifespan)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request

from grader.service.state import ServiceState
from grader.settings import Settings
from grader.store.db import Connection


def service_of(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


def settings_of(request: Request) -> Settings:
    return service_of(request).settings


@contextmanager
def store(request: Request) -> Iterator[Connection]:
    with service_of(request).pool.connection() as conn:
        yield conn
