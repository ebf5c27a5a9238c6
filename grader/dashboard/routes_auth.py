"""Signing in with GitHub: /dashboard/login sends the browser to GitHub, GitHub sends it back
to /dashboard/oauth/callback, and only a staff login gets a session. Everyone else is told
who they signed in as, and gets nothing (403)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from grader.dashboard import audit, oauth
from grader.dashboard.auth import (
    STATE_COOKIE,
    VIA_LIST,
    VIA_TEAM,
    Staff,
    check_csrf,
    current_staff,
    end_session,
    is_listed,
    safe_next,
    save_oauth_state,
    start_session,
    take_oauth_state,
)
from grader.dashboard.deps import settings_of, store
from grader.dashboard.form_limits import SHORT_CHARS, TEXT_CHARS, TOKEN_CHARS, URL_CHARS
from grader.dashboard.templating import PageError, PageRoute, render

router = APIRouter(route_class=PageRoute)
Token = Annotated[str, Query(max_length=TOKEN_CHARS)]


def _callback_url(request: Request) -> str:
    public = settings_of(request).dashboard.public_url.rstrip("/")
    if public:
        return f"{public}/dashboard/oauth/callback"
    return str(request.url_for("oauth_callback"))


@router.get("/dashboard/login")
def login(
    request: Request, next: Annotated[str, Query(max_length=URL_CHARS)] = "/dashboard"
) -> Response:
    config = settings_of(request).dashboard
    problem = oauth.sign_in_problem(config)
    if problem is not None:
        raise PageError(
            503, "Sign-in is not set up", f"The dashboard needs its settings: {problem}."
        )
    state = secrets.token_urlsafe(24)
    url = oauth.authorize_url(config, redirect_uri=_callback_url(request), state=state)
    response = RedirectResponse(url, status_code=303)
    save_oauth_state(response, request, state, safe_next(next))
    return response


@router.get("/dashboard/oauth/callback", name="oauth_callback")
async def oauth_callback(
    request: Request,
    code: Token = "",
    state: Token = "",
    error: Annotated[str, Query(max_length=SHORT_CHARS)] = "",
    error_description: Annotated[str, Query(max_length=TEXT_CHARS)] = "",
) -> Response:
    next_url = take_oauth_state(request, state)
    if next_url is None:
        raise PageError(
            400,
            "Sign-in expired",
            "This sign-in did not start here or took too long. Open the dashboard to start again.",
        )
    if error:
        raise PageError(403, "Sign-in cancelled", f"GitHub said: {error_description or error}.")
    login, via = await run_in_threadpool(_who, request, code)
    await run_in_threadpool(_record, request, login, via)
    response: Response
    if via is None:
        response = render(
            request,
            "message.html",
            None,
            403,
            title="Staff only",
            message=f"You signed in as {login}, who is not on this course's staff list. "
            "Students see their grade on their commits in GitHub, not here.",
        )
    else:
        response = RedirectResponse(next_url, status_code=303)
        await run_in_threadpool(start_session, response, request, login, via)
    response.delete_cookie(STATE_COOKIE, path="/")
    return response


def _who(request: Request, code: str) -> tuple[str, str | None]:
    """The GitHub login that signed in, and how it is staff (None: it is not)."""
    config = settings_of(request).dashboard
    token = oauth.exchange_code(config, code=code, redirect_uri=_callback_url(request))
    login = oauth.user_login(config, token)
    if is_listed(config, login):
        return login, VIA_LIST
    if config.staff_team and oauth.in_staff_team(config, token, login):
        return login, VIA_TEAM
    return login, None


def _record(request: Request, login: str, via: str | None) -> None:
    with store(request) as conn:
        action = "sign-in" if via else "sign-in-refused"
        audit.record(conn, login, action, detail={"via": via} if via else {})


@router.post("/dashboard/logout")
def logout(
    request: Request,
    staff: Annotated[Staff, Depends(current_staff)],
    csrf_token: Annotated[str, Form(max_length=TOKEN_CHARS)] = "",
) -> Response:
    """Ends the session in the store: the cookie, even copied elsewhere, opens nothing after."""
    check_csrf(staff, csrf_token)
    response = RedirectResponse("/dashboard/signed-out", status_code=303)
    end_session(response, request, staff)
    with store(request) as conn:
        audit.record(conn, staff.login, "sign-out")
    return response


@router.get("/dashboard/signed-out")
def signed_out(request: Request) -> Response:
    return render(
        request,
        "message.html",
        None,
        title="Signed out",
        message="You are signed out of the dashboard.",
        link=("/dashboard", "Sign in again"),
    )
