"""Errors the router answers before any route runs (405, an unknown address): a page for a
browser, FastAPI's JSON for the API and for clients that do not ask for HTML."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException

from grader.dashboard.templating import error_page

_PAGES = {
    404: ("Not found", "There is no page at this address. Start again from the dashboard."),
    405: (
        "Not possible here",
        "This address does not take a {method} request: use the page's own links and buttons.",
    ),
}


def wants_html(request: Request) -> bool:
    """A browser asks for text/html; the JSON API keeps JSON whatever it is sent."""
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    page = _PAGES.get(exc.status_code)
    if page is None or not wants_html(request):
        return await http_exception_handler(request, exc)
    title, text = page
    answer = error_page(request, exc.status_code, title, text.format(method=request.method))
    answer.headers.update(exc.headers or {})  # a 405 says which methods it takes
    return answer
