"""Adds the dashboard to the service's FastAPI app: pages under /dashboard, their CSS and
JavaScript under /dashboard/static (served from the package, nothing from elsewhere), and
the JSON API under /api."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from grader.dashboard import (
    error_pages,
    routes_actions,
    routes_api,
    routes_auth,
    routes_class,
    routes_exercise,
    routes_export,
    routes_release,
    routes_review,
    routes_student,
)
from grader.dashboard.templating import STATIC_DIR


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, error_pages.http_error)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    for module in (
        routes_auth,
        routes_class,
        routes_student,
        routes_exercise,
        routes_review,
        routes_actions,
        routes_release,
        routes_export,
        routes_api,
    ):
        app.include_router(module.router)
