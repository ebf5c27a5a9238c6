"""How long a text the dashboard takes may be, from a form or a query string, and the page a
request gets when one is longer (or otherwise not of the shape a route declares).

The caps are declared on each parameter (`Form(max_length=...)`, `Query(max_length=...)`), so
FastAPI refuses a long text before the route runs: nothing is truncated, nothing is stored.
"""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError

from grader.dashboard import kept_form
from grader.dashboard.error_pages import wants_html
from grader.dashboard.templating import PageRoute, error_page

TOKEN_CHARS = 256  # CSRF tokens, OAuth codes and states: ours are 43 characters, GitHub's 20
SHORT_CHARS = 200  # a score, an exercise id, a scope, a search box
URL_CHARS = kept_form.URL_CHARS  # a page to return to after sign-in
TEXT_CHARS = 5_000  # a reason or a review comment: a long paragraph, not a file


async def refused(request: Request, exc: Exception) -> Response:
    """A dashboard page, or any request of a browser outside the API, answers with a page that
    says which field to fix; everything else (the JSON API, the webhook) keeps FastAPI's JSON
    answer."""
    assert isinstance(exc, RequestValidationError)
    page = isinstance(request.scope.get("route"), PageRoute) or wants_html(request)
    if request.url.path.startswith("/api/") or not page:
        return await request_validation_exception_handler(request, exc)
    problems = "; ".join(_problem(error) for error in exc.errors())
    return error_page(
        request, 422, "Not accepted", f"{problems}. Correct it and send the form again."
    )


def _problem(error: dict[str, object]) -> str:
    loc = error.get("loc")
    field = str(loc[-1]) if isinstance(loc, tuple | list) and loc else "a field"
    context = error.get("ctx")
    if error.get("type") == "string_too_long" and isinstance(context, dict):
        return f"{field} is too long: at most {context.get('max_length')} characters"
    return f"{field}: {error.get('msg', 'not accepted')}"
