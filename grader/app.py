"""The web service: `uvicorn --factory grader.app:create_app`.

At start it applies the store's migrations and syncs the assignments file, so a
new deployment needs nothing but its settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from grader.core.errors import GraderError
from grader.dashboard.mount import install as install_dashboard
from grader.service import logs
from grader.service.job import Dispatcher
from grader.service.state import ServiceState
from grader.settings import Settings, get_settings
from grader.store.assignments import sync_file
from grader.store.db import open_pool
from grader.store.migrate import apply_migrations
from grader.webhook import routes as webhook


def create_app(settings: Settings | None = None, dispatcher: Dispatcher | None = None) -> FastAPI:
    """`dispatcher` defaults to the Celery queues of workers/."""
    config = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.configure(config)
        pool = open_pool(config.database_url)
        try:
            with pool.connection() as conn:
                apply_migrations(conn)
                if config.service.assignments_file is not None:
                    sync_file(conn, config.service.assignments_file)
            app.state.service = ServiceState(
                config, pool, dispatcher or _celery_dispatcher(config)
            )
            yield
        finally:
            pool.close()

    app = FastAPI(title="SQL lab grader", lifespan=lifespan)
    app.add_exception_handler(GraderError, _grader_error)  # type: ignore[arg-type]
    app.include_router(webhook.router)
    install_dashboard(app)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _celery_dispatcher(settings: Settings) -> Dispatcher:
    from workers.dispatch import CeleryDispatcher  # the web process only sends tasks

    return CeleryDispatcher.from_settings(settings)


async def _grader_error(request: Request, exc: GraderError) -> JSONResponse:
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status_code)
