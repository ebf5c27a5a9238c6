"""The headers every response of the service carries, and the app class that adds them
outside all other middleware, so even an unhandled error's 500 has them.

The Content-Security-Policy lets a page load its scripts, styles, images and data from this
origin only, and runs no inline script: the dashboard's JavaScript is in static files.
`style-src-attr 'unsafe-inline'` keeps the class table's heat-map colours, written in style
attributes on the server; a browser without that directive falls back to `style-src 'self'`
and shows the table without colours. Forms post here only, or reach GitHub's sign-in page by
redirect (a form sent after the session expired). Pages are never framed.

Staff pages and their JSON API hold grades: no response is stored by a browser or a proxy,
except the dashboard's static files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHEABLE_PREFIX = "/dashboard/static/"


def content_security_policy(form_targets: Sequence[str] = ()) -> str:
    """The policy; `form_targets` are origins a form may end up at beside this one."""
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'", *form_targets],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def origin(url: str) -> str:
    """scheme://host[:port] of a URL: what a CSP source names."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class SecurityHeaders:
    """Pure ASGI, so streamed and file responses pass through untouched but for headers."""

    def __init__(self, app: ASGIApp, *, form_targets: Sequence[str] = ()) -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": content_security_policy(form_targets),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SecuredApp(FastAPI):
    """A FastAPI app whose outermost layer is SecurityHeaders; `first_layers` wrap the
    framework's own stack, inside it (a route answered before the framework's routing)."""

    def __init__(self, *, form_targets: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.form_targets = list(form_targets)
        self.first_layers: list[Callable[[ASGIApp], ASGIApp]] = []

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        for layer in reversed(self.first_layers):
            stack = layer(stack)
        return SecurityHeaders(stack, form_targets=self.form_targets)
