"""Helpers of the web-surface tests: the real app on a fresh store, with GitHub sign-in played
by the OAuth stand-in and the queue replaced by a list (these tests grade nothing)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from dashboard_support import API_TOKEN, CLIENT_ID, CLIENT_SECRET, PROFESSOR
from oauth_standin import OAuthStandIn
from pydantic import SecretStr
from service_support import SECRET

from grader.service.job import Job
from grader.settings import Dashboard, GitHubApp, Service, Settings

__all__ = ["API_TOKEN", "PROFESSOR"]

ORG, PREFIX = "classroom-org", "tp-distributed-"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class ListQueue:
    """The queue, as a list: the web side only ever calls send()."""

    sent: list[Job] = field(default_factory=list)

    def send(self, job: Job, *, staff: bool = False) -> None:
        self.sent.append(job)


def web_settings(store_url: str, oauth: OAuthStandIn, tmp_path: Path, **top: Any) -> Settings:
    assignments = tmp_path / "assignments.toml"
    assignments.write_text(
        f'[[assignment]]\norganisation = "{ORG}"\nrepository_prefix = "{PREFIX}"\nlab = "mediai"\n',
        encoding="utf-8",
    )
    github = top.pop("github", GitHubApp(webhook_secret=SecretStr(SECRET)))
    return Settings(
        database_url=store_url,
        github=github,
        dashboard=Dashboard(
            oauth_client_id=CLIENT_ID,
            oauth_client_secret=SecretStr(CLIENT_SECRET),
            session_secret=SecretStr("a session secret for the web surface tests"),
            staff_logins=[PROFESSOR],
            api_token=SecretStr(API_TOKEN),
            github_url=oauth.url,
            github_api_url=oauth.api_url,
        ),
        service=Service(assignments_file=assignments),
        **top,
    )


def new_oauth() -> OAuthStandIn:
    return OAuthStandIn(CLIENT_ID, CLIENT_SECRET)


def csrf_of(page: httpx.Response) -> str:
    """The session's CSRF token, as the page's sign-out form carries it."""
    found = _CSRF.search(page.text)
    assert found is not None, "the page has no form with a CSRF token"
    return found[1]
