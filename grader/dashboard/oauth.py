"""GitHub's OAuth web flow, as the dashboard uses it: send staff to GitHub, trade the code
GitHub sends back for a token, ask who that is and, when a staff team is configured,
whether they belong to it. The token is used for those questions only and never stored."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import httpx

from grader.core.errors import GraderError
from grader.settings import Dashboard

_API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class SignInFailed(GraderError):
    """GitHub refused or could not be reached while someone signed in."""

    status_code = 502
    code = "auth.github"


def sign_in_problem(config: Dashboard) -> str | None:
    """Why sign-in cannot work with these settings, in words for the person deploying it."""
    if not config.oauth_client_id or not config.oauth_client_secret.get_secret_value():
        return "set GRADER_DASHBOARD__OAUTH_CLIENT_ID and GRADER_DASHBOARD__OAUTH_CLIENT_SECRET"
    secret = config.session_secret.get_secret_value()
    if secret in ("", "change-me") or len(secret) < 16:
        return "set GRADER_DASHBOARD__SESSION_SECRET to a long random string (16+ characters)"
    if not config.staff_logins and not config.staff_team:
        return "name the staff: GRADER_DASHBOARD__STAFF_LOGINS or GRADER_DASHBOARD__STAFF_TEAM"
    return None


def authorize_url(config: Dashboard, *, redirect_uri: str, state: str) -> str:
    params = {
        "client_id": config.oauth_client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "allow_signup": "false",
    }
    if config.staff_team:
        params["scope"] = "read:org"  # team membership is private to the organisation
    return f"{config.github_url.rstrip('/')}/login/oauth/authorize?{urlencode(params)}"


def exchange_code(config: Dashboard, *, code: str, redirect_uri: str) -> str:
    """The access token for the code GitHub handed the browser."""
    answer = _call(
        "POST",
        f"{config.github_url.rstrip('/')}/login/oauth/access_token",
        config,
        data={
            "client_id": config.oauth_client_id,
            "client_secret": config.oauth_client_secret.get_secret_value(),
            "code": code,
            "redirect_uri": redirect_uri,
        },
        headers={"Accept": "application/json"},
    )
    body = _json(answer)
    # GitHub answers 200 with an "error" field when the code or the credentials are wrong.
    if "error" in body or not isinstance(body.get("access_token"), str):
        reason = body.get("error_description") or body.get("error") or "no access token"
        raise SignInFailed(f"GitHub did not accept the sign-in: {reason}")
    return str(body["access_token"])


def user_login(config: Dashboard, token: str) -> str:
    answer = _call("GET", f"{config.github_api_url.rstrip('/')}/user", config, token=token)
    if answer.status_code != 200:
        raise SignInFailed(f"GitHub did not say who signed in (HTTP {answer.status_code})")
    login = _json(answer).get("login")
    if not isinstance(login, str) or not login:
        raise SignInFailed("GitHub's answer about the user has no login")
    return login


def in_staff_team(config: Dashboard, token: str, login: str) -> bool:
    """An active member (or maintainer) of the configured team."""
    org, _, team = config.staff_team.partition("/")
    if not org or not team:
        return False
    url = (
        f"{config.github_api_url.rstrip('/')}/orgs/{quote(org, safe='')}/teams/"
        f"{quote(team, safe='')}/memberships/{quote(login, safe='')}"
    )
    answer = _call("GET", url, config, token=token)
    if answer.status_code == 404:
        return False
    if answer.status_code != 200:
        raise SignInFailed(
            f"GitHub did not say who is in {config.staff_team} (HTTP {answer.status_code})"
        )
    return _json(answer).get("state") == "active"


def _call(
    method: str,
    url: str,
    config: Dashboard,
    *,
    token: str | None = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = dict(headers or _API_HEADERS)
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    try:
        return httpx.request(method, url, data=data, headers=sent, timeout=config.oauth_seconds)
    except httpx.HTTPError as exc:
        raise SignInFailed(f"GitHub could not be reached: {exc}") from exc


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError as exc:
        raise SignInFailed(f"GitHub answered something that is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise SignInFailed("GitHub answered something that is not a JSON object")
    return body
