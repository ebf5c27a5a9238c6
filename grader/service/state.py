"""What every request handler of the web service reaches through `app.state.service`."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from grader.service.job import Dispatcher
from grader.settings import Settings
from grader.store.db import Connection


@dataclass(frozen=True)
class ServiceState:
    settings: Settings
    pool: ConnectionPool[Connection]
    dispatcher: Dispatcher
