"""The web service: `uvicorn --factory grader.app:create_app`.

At start it applies the store's migrations and syncs the assignments file, so a
new deployment needs nothing but its settings.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from grader.core.errors import GraderError, Unauthorized
from grader.dashboard import form_limits
from grader.dashboard.mount import install as install_dashboard
from grader.service import logs
from grader.service.job import Dispatcher
from grader.service.state import ServiceState
from grader.settings import Settings, get_settings
from grader.store.assignments import sync_file
from grader.store.db import open_pool
from grader.store.migrate import apply_migrations
from grader.web_security import SecuredApp, origin
from grader.webhook import routes as webhook
from grader.webhook.direct import DirectRoute

_SWITCH_SECONDS = 0.0005


def create_app(settings: Settings | None = None, dispatcher: Dispatcher | None = None) -> FastAPI:
    """`dispatcher` defaults to the Celery queues of workers/."""
    config = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.configure(config)
        pool = open_pool(config.database_url, max_size=config.database_pool_size)
        try:
            with pool.connection() as conn:
                apply_migrations(conn)
                if config.service.assignments_file is not None:
                    sync_file(conn, config.service.assignments_file)
            app.state.service = ServiceState(
                config, pool, dispatcher or _celery_dispatcher(config)
            )
            # What exists once the app is up (modules, routes, models) lives as long as the
            # process: the collector is told to leave it be. A full collection walked all of
            # it, 80 ms during which no delivery was answered.
            gc.freeze()
            # The push writer's thread and the event loop share the interpreter lock: at the
            # default 5 ms switch interval, each step of a batch's pipeline waited up to 5 ms
            # for the loop to let go while it took the next deliveries (burst.py: p99 61-88 ms
            # with the workers busy; 49 ms at 0.5 ms).
            sys.setswitchinterval(_SWITCH_SECONDS)
            yield
        finally:
            pool.close()

    app = SecuredApp(
        title="SQL lab grader",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if config.openapi_json else None,
        # a form sent after the session expired is redirected to GitHub's sign-in page
        form_targets=[origin(config.dashboard.github_url)],
    )
    app.add_exception_handler(GraderError, _grader_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, form_limits.refused)
    app.include_router(webhook.router)
    app.first_layers.append(
        lambda stack: DirectRoute(
            stack,
            method="POST",
            path=webhook.PATH,
            endpoint=webhook.github_webhook,
            on_error=_grader_error,
        )
    )
    install_dashboard(app)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _celery_dispatcher(settings: Settings) -> Dispatcher:
    from workers.push_publisher import PushPublisher  # the web process only sends tasks

    return PushPublisher.from_settings(settings)


async def _grader_error(request: Request, exc: GraderError) -> JSONResponse:
    headers = {"WWW-Authenticate": exc.challenge} if isinstance(exc, Unauthorized) else None
    return JSONResponse(
        {"error": exc.code, "message": exc.message}, status_code=exc.status_code, headers=headers
    )
