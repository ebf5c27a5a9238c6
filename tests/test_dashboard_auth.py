"""Who gets in: staff through GitHub's OAuth flow (a local stand-in plays GitHub), nobody
else; sessions in a signed HttpOnly SameSite=Lax cookie; CSRF tokens on forms; a bearer
token for the API. Real app, real store of graded runs."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape
from http.cookies import SimpleCookie

import httpx
import pytest
from dashboard_class import World
from dashboard_support import API_TOKEN, PROFESSOR, Site, dashboard_settings, sign_in
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from oauth_standin import OAuthStandIn

from grader.app import create_app
from grader.dashboard.auth import SESSION_COOKIE

pytestmark = [pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ["service_fixtures", "dashboard_fixtures"]


def _cookie(response: httpx.Response, name: str) -> SimpleCookie:
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            return jar
    raise AssertionError(f"no {name} cookie set")


def _audit(site: Site) -> list[tuple[str, str]]:
    rows = site.conn.execute("SELECT actor, action FROM audit_log ORDER BY id").fetchall()
    return [(r["actor"], r["action"]) for r in rows]


def test_staff_sign_in_with_github_and_get_a_guarded_session(site: Site) -> None:
    answer = sign_in(site.client, site.oauth, PROFESSOR.upper())  # GitHub ignores case
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
    morsel = _cookie(answer, SESSION_COOKIE)[SESSION_COOKIE]
    assert morsel["httponly"] and morsel["samesite"].lower() == "lax" and morsel["path"] == "/"
    assert not morsel["secure"]  # plain http here; https deployments get Secure
    assert int(morsel["max-age"]) == 12 * 3600
    assert site.oauth.requests[-2:] == ["POST /login/oauth/access_token", "GET /api/user"]

    home = site.client.get("/dashboard")
    assert home.status_code == 200 and "tp-distributed-" in home.text
    assert _audit(site) == [(PROFESSOR.upper(), "sign-in")]

    site.settings.dashboard.staff_logins.remove(PROFESSOR)  # taken off the list: out at once
    gone = site.client.get("/dashboard", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/dashboard/login")


def test_a_student_is_refused_and_sees_nothing(site: Site) -> None:
    answer = sign_in(site.client, site.oauth, "alice")
    assert answer.status_code == 403
    assert "You signed in as alice, who is not on this course's staff list" in unescape(answer.text)
    assert SESSION_COOKIE not in site.client.cookies
    aid = site.filled.assignment_id
    for path in (f"/dashboard/assignments/{aid}", f"/dashboard/assignments/{aid}/grades.csv"):
        page = site.client.get(path, follow_redirects=False)
        assert page.status_code == 303 and "/dashboard/login" in page.headers["location"]
    assert site.client.get(f"/api/assignments/{aid}/class").status_code == 401
    assert _audit(site) == [("alice", "sign-in-refused")]


def test_a_forged_or_stale_sign_in_is_refused(site: Site) -> None:
    site.oauth.signing_in = PROFESSOR
    start = site.client.get("/dashboard/login", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    forged = back.replace("state=", "state=x")
    assert site.client.get(forged).status_code == 400  # not the state this browser sent
    site.client.cookies.clear()
    assert site.client.get(back).status_code == 400  # the state cookie is gone
    site.oauth.signing_in = None  # "Cancel" on GitHub's page
    cancelled = sign_in(site.client, site.oauth, None)
    assert cancelled.status_code == 403 and "Sign-in cancelled" in cancelled.text
    assert SESSION_COOKIE not in site.client.cookies


def test_next_never_leaves_the_dashboard(site: Site) -> None:
    site.oauth.signing_in = PROFESSOR
    start = site.client.get(
        "/dashboard/login", params={"next": "https://evil.example/x"}, follow_redirects=False
    )
    back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    assert site.client.get(back, follow_redirects=False).headers["location"] == "/dashboard"


def test_forms_without_the_session_token_are_refused(site: Site) -> None:
    sign_in(site.client, site.oauth, PROFESSOR)
    aid, run = site.filled.assignment_id, site.filled.run_ids["alice"]
    form = {"exercise_id": "1.1a", "score": "1", "reason": "no token"}
    url = f"/dashboard/assignments/{aid}/runs/{run}/overrides"
    assert site.client.post(url, data=form).status_code == 403
    assert site.client.post(url, data=form | {"csrf_token": "guess"}).status_code == 403
    assert site.conn.execute("SELECT count(*) AS n FROM overrides").fetchone() == {"n": 0}
    logout = site.client.post("/dashboard/logout", data={}, follow_redirects=False)
    assert logout.status_code == 403  # signing out needs the token too


def test_the_api_wants_the_bearer_token(site: Site) -> None:
    aid = site.filled.assignment_id
    url = f"/api/assignments/{aid}/class"
    assert site.client.get(url).status_code == 401
    wrong = site.client.get(url, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "auth.unauthorized"
    sign_in(site.client, site.oauth, PROFESSOR)
    assert site.client.get(url).status_code == 401  # a browser session is not an API token
    ok = site.client.get(url, headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert ok.status_code == 200 and len(ok.json()["students"]) == 5


@pytest.fixture
def team_site(
    world: World, store_url: str, redis_db: str, oauth: OAuthStandIn
) -> Iterator[TestClient]:
    settings = dashboard_settings(
        world, store_url, redis_db, oauth, staff_logins=[], staff_team="classroom-org/teachers"
    )
    oauth.teams = {"classroom-org/teachers": {"ta-lin"}}
    with TestClient(create_app(settings)) as client:
        yield client


def test_members_of_the_staff_team_are_staff(team_site: TestClient, oauth: OAuthStandIn) -> None:
    start = team_site.get("/dashboard/login", follow_redirects=False)
    assert "scope=read%3Aorg" in start.headers["location"]
    assert sign_in(team_site, oauth, "ta-lin").status_code == 303
    assert "GET /api/orgs/classroom-org/teams/teachers/memberships/ta-lin" in oauth.requests
    assert team_site.get("/dashboard").status_code == 200
    team_site.cookies.clear()
    assert sign_in(team_site, oauth, "bob").status_code == 403


def test_without_a_real_secret_nobody_signs_in(
    world: World, store_url: str, redis_db: str, oauth: OAuthStandIn
) -> None:
    settings = dashboard_settings(world, store_url, redis_db, oauth, session_secret="change-me")
    with TestClient(create_app(settings)) as client:
        page = client.get("/dashboard/login")
        assert page.status_code == 503 and "GRADER_DASHBOARD__SESSION_SECRET" in page.text
        # a cookie signed with the well-known default is worth nothing
        forged = URLSafeTimedSerializer("change-me", salt="session").dumps(
            {"login": PROFESSOR, "csrf": "x", "via": "list"}
        )
        client.cookies.set(SESSION_COOKIE, forged)
        assert client.get("/dashboard", follow_redirects=False).status_code == 303
