"""Who may see the dashboard: staff signed in with GitHub, held in a session the store keeps,
and scripts holding the API token.

The session cookie holds only a random token, signed with the session secret; it is HttpOnly,
SameSite=Lax, Secure when the dashboard is served over HTTPS, and expires after
`session_hours`. The store keeps the session itself (grader.store.sessions): who, how they are
staff, until when, and the CSRF token every form echoes in a hidden field. Signing out deletes
it, so a copy of the cookie is worth nothing afterwards. A login taken off the staff list loses
access at its next request, without waiting for the session to expire.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from grader.core.errors import Unauthorized
from grader.dashboard.deps import settings_of, store
from grader.dashboard.oauth import sign_in_problem
from grader.settings import Dashboard
from grader.store import sessions

SESSION_COOKIE = "grader_session"
STATE_COOKIE = "grader_oauth_state"
STATE_SECONDS = 600  # time to come back from GitHub's sign-in page
VIA_LIST = "list"
VIA_TEAM = "team"
API_REALM = 'Bearer realm="grader-api"'


@dataclass(frozen=True)
class Staff:
    login: str
    csrf: str
    via: str  # VIA_LIST or VIA_TEAM: how the login was found to be staff
    token: str = field(repr=False)  # the session's token, as the cookie holds it


class SignInRequired(Exception):
    """No valid session: the page sends the browser to sign in, then back to `next_url`."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRejected(Exception):
    """A form came without the session's token: maybe another site submitted it."""


def is_listed(config: Dashboard, login: str) -> bool:
    return login.casefold() in {s.casefold() for s in config.staff_logins}


def _signer(config: Dashboard, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config.session_secret.get_secret_value(), salt=purpose)


def secure_cookies(request: Request, config: Dashboard) -> bool:
    return request.url.scheme == "https" or config.public_url.startswith("https://")


def _set_cookie(response: Response, request: Request, name: str, value: str, age: int) -> None:
    config = settings_of(request).dashboard
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, config),
    )


def start_session(response: Response, request: Request, login: str, via: str) -> Staff:
    config = settings_of(request).dashboard
    staff = Staff(login, secrets.token_urlsafe(32), via, secrets.token_urlsafe(32))
    with store(request) as conn:
        sessions.open_session(
            conn,
            staff.token,
            login=login,
            via=via,
            csrf=staff.csrf,
            lasts=timedelta(hours=config.session_hours),
        )
    value = _signer(config, "session").dumps({"token": staff.token})
    _set_cookie(response, request, SESSION_COOKIE, value, int(config.session_hours * 3600))
    return staff


def end_session(response: Response, request: Request, staff: Staff) -> None:
    """Delete the session from the store, then the cookie from the browser."""
    with store(request) as conn:
        sessions.close_session(conn, staff.token)
    response.delete_cookie(SESSION_COOKIE, path="/")


def read_session(request: Request) -> Staff | None:
    config = settings_of(request).dashboard
    if sign_in_problem(config) is not None:  # e.g. the default secret: cookies are forgeable
        return None
    data = _load(config, "session", request.cookies.get(SESSION_COOKIE), config.session_hours)
    token = data.get("token") if data is not None else None
    if not isinstance(token, str) or not token:
        return None
    with store(request) as conn:
        kept = sessions.find_session(conn, token)
    if kept is None:  # signed out, expired, or a cookie of before sessions were stored
        return None
    staff = Staff(kept.login, kept.csrf, kept.via, token)
    if staff.via == VIA_LIST and not is_listed(config, staff.login):
        return None
    if staff.via == VIA_TEAM and not config.staff_team:
        return None
    return staff


def save_oauth_state(response: Response, request: Request, state: str, next_url: str) -> None:
    config = settings_of(request).dashboard
    value = _signer(config, "oauth-state").dumps({"state": state, "next": next_url})
    _set_cookie(response, request, STATE_COOKIE, value, STATE_SECONDS)


def take_oauth_state(request: Request, state: str) -> str | None:
    """The page to return to, when `state` is the one this browser was sent off with."""
    config = settings_of(request).dashboard
    data = _load(config, "oauth-state", request.cookies.get(STATE_COOKIE), STATE_SECONDS / 3600)
    if data is None or not state:
        return None
    if not hmac.compare_digest(str(data.get("state", "")).encode(), state.encode()):
        return None
    return safe_next(str(data.get("next", "")))


def safe_next(next_url: str) -> str:
    """Only a page of the dashboard: never an address elsewhere (an open redirect)."""
    if next_url.startswith("/dashboard") and not next_url.startswith("//"):
        return next_url
    return "/dashboard"


def current_staff(request: Request) -> Staff:
    """The FastAPI dependency of every page."""
    staff = read_session(request)
    if staff is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(safe_next(path))
    return staff


def check_csrf(staff: Staff, token: str) -> None:
    if not token or not hmac.compare_digest(staff.csrf.encode(), token.encode()):
        raise CsrfRejected()


def require_api_token(request: Request) -> None:
    """The FastAPI dependency of the JSON API: `Authorization: Bearer <api_token>`. A 401
    carries the Bearer challenge of RFC 6750, with `invalid_token` when a token was sent."""
    expected = settings_of(request).dashboard.api_token.get_secret_value()
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    challenge = API_REALM + (', error="invalid_token"' if header else "")
    if not expected:
        raise Unauthorized("the API is off: set GRADER_DASHBOARD__API_TOKEN", challenge)
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise Unauthorized("a valid Authorization: Bearer token is required", challenge)


def _load(config: Dashboard, purpose: str, value: str | None, hours: float) -> Any:
    if not value:
        return None
    try:
        data = _signer(config, purpose).loads(value, max_age=int(hours * 3600))
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    return data if isinstance(data, dict) else None
