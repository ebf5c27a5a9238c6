"""POST /webhooks/github answered before the framework's middleware and routing.

At a deadline the api takes a hundred deliveries at once, and one process answers them one
interpreter lock at a time: the last answer waits for the CPU spent on all the others. Of a
delivery's CPU in the api, the framework took a fifth (450 us a delivery with it, 360 us
without, the store's part included): FastAPI walks every dashboard route to match one (its
route table's version is summed over all of them, twice a request), then nine middleware
layers. The webhook needs none of them: it reads its body itself, checks
its signature, and answers JSON. This layer sits inside SecurityHeaders, so its answers
carry the same headers; the route stays registered with FastAPI for the OpenAPI document.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from grader.core.errors import GraderError

log = logging.getLogger(__name__)
Endpoint = Callable[[Request], Awaitable[Response]]
ErrorResponse = Callable[[Request, GraderError], Awaitable[Response]]


class DirectRoute:
    def __init__(
        self, app: ASGIApp, *, method: str, path: str, endpoint: Endpoint, on_error: ErrorResponse
    ) -> None:
        self.app = app
        self.method = method
        self.path = path
        self.endpoint = endpoint
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != self.method:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.endpoint(request)
        except GraderError as exc:  # as the app's exception handler answers it
            response = await self.on_error(request, exc)
        except Exception:  # as Starlette's ServerErrorMiddleware answers it
            log.exception("POST %s failed", self.path)
            response = PlainTextResponse("Internal Server Error", status_code=500)
        await response(scope, receive, send)
