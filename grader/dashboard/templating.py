"""The dashboard's HTML: Jinja2 templates (autoescaped), the filters they share, and the
route class that turns errors on a page into an error page instead of JSON."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from grader.core.errors import GraderError
from grader.dashboard import kept_form
from grader.dashboard.auth import CsrfRejected, SignInRequired, Staff
from grader.dashboard.charts import share_colour
from grader.dashboard.deps import settings_of
from grader.render.summary import fmt_points

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
STATIC_DIR = HERE / "static"

# grader.pipeline.class_store names a folder that is not a git clone "local-<hash>".
LOCAL_COMMIT_PREFIX = "local-"

# The notices a page shows after a form, by key: a query parameter never becomes page text.
NOTICES = {
    "override": "Override saved. It is kept through every re-run.",
    "rerun": "Re-run queued at staff priority. Progress is shown below.",
    "review": "Review saved for every answer of the group. It is kept through every re-run.",
    "released": "Grades released. Every student's check run is being posted again.",
    "withheld": "Grades withheld. Every student's check run is being posted again.",
    "pass-mark": "Pass mark saved. Every student's check run is being posted again.",
    "repost": "Every student's check run is being posted again.",
    "take-out": "The answer was taken out of its group: it is a group of its own now.",
    "split": "The group was split: only answers with the same text stay together.",
}


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


TEMPLATES.env.filters["points"] = fmt_points
TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["short"] = lambda sha: (sha or "")[:7]
TEMPLATES.env.filters["colour"] = share_colour


class PageError(Exception):
    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def render(
    request: Request, name: str, staff: Staff | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get("done", ""))
    return TEMPLATES.TemplateResponse(
        request, name, {"staff": staff, "notice": notice, **context}, status_code=status_code
    )


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "message.html", None, status, title=title, message=message)


def on_github(sha: str) -> bool:
    """False for the stand-in id of a folder that was not a git clone: no such commit exists."""
    return not sha.startswith(LOCAL_COMMIT_PREFIX)


def github_link(request: Request, full_name: str, sha: str | None = None) -> str | None:
    """The repository, or its tree at a commit, on GitHub; None for a commit never there."""
    base = settings_of(request).dashboard.github_url.rstrip("/")
    if sha is None:
        return f"{base}/{full_name}"
    return f"{base}/{full_name}/tree/{sha}" if on_github(sha) else None


def blob_link(
    request: Request, full_name: str, sha: str, file: str, line: int | None
) -> str | None:
    """The file at a commit; `plain=1` makes GitHub show a markdown file's source, where a
    line anchor works, rather than the rendered page."""
    if not on_github(sha):
        return None
    base = settings_of(request).dashboard.github_url.rstrip("/")
    anchor = f"?plain=1#L{line}" if line else ""
    return f"{base}/{full_name}/blob/{sha}/{quote(file)}{anchor}"


class PageRoute(APIRoute):
    """Errors raised while serving a page become pages: sign-in, 403, 404, 400 in words."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as exc:
                back = await kept_form.return_url(request, exc.next_url)
                target = "/dashboard/login?" + urlencode({"next": back})
                return RedirectResponse(target, status_code=303)
            except CsrfRejected:
                text = "The form was not sent from this dashboard (its token is missing or old)."
                return error_page(request, 403, "Form refused", text + " Reload and try again.")
            except PageError as exc:
                return error_page(request, exc.status, exc.title, exc.message)
            except GraderError as exc:
                return error_page(
                    request, exc.status_code, _TITLES.get(exc.status_code, "Error"), exc.message
                )

        return page_handler


_TITLES = {
    400: "Not accepted",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible now",
    502: "GitHub did not answer as expected",
    503: "Unavailable",
}
