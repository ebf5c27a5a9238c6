"""The web surface of the service: sessions that end on the server, headers on every response,
no OpenAPI or docs unless asked for, length caps on what forms take, strict JSON from GitHub,
no payload kept for ignored deliveries, and 401s that say how to authenticate. Real app, real
store; GitHub's sign-in is the OAuth stand-in."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from dashboard_class import ASSIGNMENT
from dashboard_support import LiveServer, sign_in
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from oauth_standin import OAuthStandIn
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from pydantic import SecretStr
from service_support import adapt, delivery_headers, example
from web_support import (
    API_TOKEN,
    ORG,
    PREFIX,
    PROFESSOR,
    ListQueue,
    csrf_of,
    new_oauth,
    web_settings,
)

from grader.app import create_app
from grader.dashboard.auth import SESSION_COOKIE
from grader.dashboard.templating import HERE as DASHBOARD_DIR
from grader.settings import GitHubApp, Settings
from grader.store.assignments import save_assignment
from grader.store.db import Connection

pytestmark = [pytest.mark.service, pytest.mark.postgres]
pytest_plugins = ["service_fixtures"]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@dataclass
class Web:
    client: TestClient
    oauth: OAuthStandIn
    conn: Connection
    queue: ListQueue
    settings: Settings
    assignment_id: int


@pytest.fixture
def oauth() -> Iterator[OAuthStandIn]:
    with new_oauth() as standin:
        yield standin


def _web(conn: Connection, store_url: str, oauth: OAuthStandIn, tmp: Path, **top: Any) -> Web:
    settings = web_settings(store_url, oauth, tmp, **top)
    queue = ListQueue()
    client = TestClient(create_app(settings, queue), raise_server_exceptions=False)
    return Web(client, oauth, conn, queue, settings, save_assignment(conn, ASSIGNMENT))


@pytest.fixture
def web(conn: Connection, store_url: str, oauth: OAuthStandIn, tmp_path: Path) -> Iterator[Web]:
    found = _web(conn, store_url, oauth, tmp_path)
    with found.client:
        yield found


def _signed_in(web: Web) -> str:
    """Sign the professor in; the session's CSRF token."""
    assert sign_in(web.client, web.oauth, PROFESSOR).status_code == 303
    return csrf_of(web.client.get("/dashboard"))


# 1. Sign-out ends the session on the server


def test_a_copied_session_cookie_opens_nothing_after_sign_out(web: Web) -> None:
    csrf = _signed_in(web)
    copied = web.client.cookies[SESSION_COOKIE]
    other = TestClient(web.client.app)
    other.cookies.set(SESSION_COOKIE, copied)
    assert other.get("/dashboard").status_code == 200  # the copy works while signed in

    out = web.client.post("/dashboard/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/dashboard/signed-out"
    assert SESSION_COOKIE not in web.client.cookies

    again = other.get("/dashboard", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/dashboard/login")
    assert web.conn.execute("SELECT count(*) AS n FROM dashboard_sessions").fetchone() == {"n": 0}
    actions = [r["action"] for r in web.conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["sign-in", "sign-out"]


def test_the_store_keeps_no_usable_session_token(web: Web) -> None:
    _signed_in(web)
    row = web.conn.execute("SELECT token_hash, login FROM dashboard_sessions").fetchone()
    assert row is not None and row["login"] == PROFESSOR
    secret = web.settings.dashboard.session_secret.get_secret_value()
    # someone who read the table, and even knows the secret, holds no session
    forged = URLSafeTimedSerializer(secret, salt="session").dumps({"token": row["token_hash"]})
    other = TestClient(web.client.app)
    other.cookies.set(SESSION_COOKIE, forged)
    assert other.get("/dashboard", follow_redirects=False).status_code == 303
    assert web.client.get("/dashboard").status_code == 200
    web.conn.execute("UPDATE dashboard_sessions SET expires_at = now() - interval '1 second'")
    expired = web.client.get("/dashboard", follow_redirects=False)
    assert expired.status_code == 303  # the store's expiry counts, whatever the cookie says


# 2 and 3. Headers


def _assert_secured(answer: httpx.Response) -> None:
    what = f"{answer.request.method} {answer.request.url.path} ({answer.status_code})"
    csp = answer.headers.get("content-security-policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives.get("frame-ancestors") == "'none'", what
    assert directives.get("script-src") == "'self'", what
    assert directives.get("default-src") == "'none'", what
    assert "unsafe" not in directives.get("style-src", "unsafe"), what
    assert answer.headers.get("x-content-type-options") == "nosniff", what
    assert answer.headers.get("referrer-policy") == "same-origin", what


def test_every_response_carries_the_security_headers(web: Web) -> None:
    @web.client.app.get("/test-only/boom")  # type: ignore[attr-defined]
    def boom() -> None:
        raise RuntimeError("an error nobody handles")

    body = json.dumps({"zen": "x"}).encode()
    answers = [
        web.client.get("/healthz"),
        web.client.get("/dashboard", follow_redirects=False),  # to sign-in
        web.client.get("/dashboard/login", follow_redirects=False),  # to GitHub
        web.client.get("/dashboard/signed-out"),
        web.client.get("/dashboard/static/dashboard.js"),
        web.client.get("/api/assignments"),  # 401
        web.client.get("/no/such/page"),  # 404
        web.client.post("/webhooks/github", content=body),  # 401
        web.client.post("/webhooks/github", content=body, headers=delivery_headers("ping", body)),
        web.client.get("/metrics"),
        web.client.get("/test-only/boom"),  # 500 of the outermost error middleware
    ]
    assert answers[-1].status_code == 500
    for answer in answers:
        _assert_secured(answer)
    _signed_in(web)
    _assert_secured(web.client.get("/dashboard"))


def test_the_policy_lets_forms_reach_github_sign_in_only(web: Web) -> None:
    csp = web.client.get("/healthz").headers["content-security-policy"]
    assert f"form-action 'self' {web.oauth.url}" in csp  # a form sent after expiry: to sign-in


def test_staff_pages_and_the_api_are_never_stored(web: Web) -> None:
    api = web.client.get("/api/assignments", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert api.status_code == 200 and api.headers["cache-control"] == "no-store"
    _signed_in(web)
    for path in ("/dashboard", f"/dashboard/assignments/{web.assignment_id}"):
        page = web.client.get(path)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store", path
    css = web.client.get("/dashboard/static/dashboard.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")


_INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on* handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
]


@pytest.mark.parametrize("template", sorted((DASHBOARD_DIR / "templates").glob("*.html")))
def test_templates_run_no_inline_script(template: Path) -> None:
    """The policy runs script from files only: a template with inline script breaks silently."""
    text = template.read_text(encoding="utf-8")
    for pattern, what in _INLINE:
        found = pattern.search(text)
        assert found is None, f"{template.name} has {what}: {found and found[0]}"


@pytest.mark.browser
def test_pages_run_their_scripts_under_the_policy(
    conn: Connection, store_url: str, oauth: OAuthStandIn, tmp_path: Path
) -> None:
    """In Chromium: the dashboard's own script runs (the re-grade form asks first) with no
    violation reported, and an inline script is refused."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    # An App is configured, so the class re-run is offered (its form is what asks first); the
    # dialog is dismissed, so nothing is ever signed with the key.
    app = GitHubApp(
        app_id=1, private_key=SecretStr("never used"), webhook_secret=SecretStr("unused")
    )
    web = _web(conn, store_url, oauth, tmp_path, github=app)
    with LiveServer(web.client.app) as live, sync_playwright() as playwright:  # type: ignore[arg-type]
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        reported: list[str] = []
        page.on("console", lambda m: reported.append(m.text))
        asked: list[str] = []
        page.on("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        oauth.signing_in = PROFESSOR
        page.goto(f"{live.url}/dashboard/assignments/{web.assignment_id}")
        assert page.url.endswith(f"/dashboard/assignments/{web.assignment_id}")
        page.click("text=Re-grade the whole class")
        assert asked == ["Grade every student's current submission again?"]
        assert web.queue.sent == []  # dismissed: nothing was sent
        assert not [m for m in reported if "Content Security Policy" in m]

        with pytest.raises(PlaywrightError, match="violates the following Content Security"):
            page.add_script_tag(content="document.body.dataset.inline = 'ran'")
        assert page.locator("body").get_attribute("data-inline") is None
        browser.close()


# 4. OpenAPI and docs


def test_no_docs_and_no_openapi_unless_enabled(web: Web) -> None:
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
        assert web.client.get(path).status_code == 404, path


def test_enabled_openapi_is_the_only_description_served(
    conn: Connection, store_url: str, oauth: OAuthStandIn, tmp_path: Path
) -> None:
    found = _web(conn, store_url, oauth, tmp_path, openapi_json=True)
    with found.client as client:
        schema = client.get("/openapi.json")
        assert schema.status_code == 200
        paths = schema.json()["paths"]
        assert "/webhooks/github" in paths and "/dashboard/logout" in paths
        assert "/api/assignments" in paths
        for path in ("/docs", "/redoc"):
            assert client.get(path).status_code == 404, path  # their viewers load a CDN


# 5. Length caps


def test_a_too_long_form_text_gets_a_page_saying_which(web: Web) -> None:
    csrf = _signed_in(web)
    url = f"/dashboard/assignments/{web.assignment_id}/runs/999/overrides"
    form = {"csrf_token": csrf, "exercise_id": "1.1a", "score": "1"}
    too_long = web.client.post(url, data=form | {"reason": "x" * 5001})
    assert too_long.status_code == 422 and "text/html" in too_long.headers["content-type"]
    assert "reason is too long: at most 5000 characters" in unescape(too_long.text)
    fits = web.client.post(url, data=form | {"reason": "x" * 5000})
    assert fits.status_code == 404  # past the cap, to the route: there is no run 999
    assert web.conn.execute("SELECT count(*) AS n FROM overrides").fetchone() == {"n": 0}

    score = web.client.post(url, data=form | {"reason": "r", "score": "1" * 5001})
    assert score.status_code == 422 and "score is too long" in score.text
    out = web.client.post("/dashboard/logout", data={"csrf_token": "t" * 257})
    assert out.status_code == 422 and "csrf_token is too long" in out.text


def test_too_long_query_texts_are_refused_too(web: Web) -> None:
    _signed_in(web)
    review = f"/dashboard/assignments/{web.assignment_id}/exercises/1.1a/review"
    search = web.client.get(review, params={"low": "1" * 201})
    assert search.status_code == 422 and "low is too long" in search.text
    login = web.client.get("/dashboard/login", params={"next": "/dashboard/" + "a" * 2000})
    assert login.status_code == 422 and "next is too long" in login.text
    back = web.client.get("/dashboard/oauth/callback", params={"state": "s" * 257})
    assert back.status_code == 422 and "state is too long" in back.text


def test_the_rerun_form_caps_its_reason(web: Web) -> None:
    csrf = _signed_in(web)
    url = f"/dashboard/assignments/{web.assignment_id}/reruns"
    answer = web.client.post(url, data={"csrf_token": csrf, "scope": "class", "reason": "r" * 5001})
    assert answer.status_code == 422 and "reason is too long" in answer.text
    assert web.queue.sent == []


def test_the_release_forms_cap_their_texts(web: Web) -> None:
    csrf = _signed_in(web)
    base = f"/dashboard/assignments/{web.assignment_id}"
    mark = web.client.post(f"{base}/pass-mark", data={"csrf_token": csrf, "pass_mark": "5" * 201})
    assert mark.status_code == 422 and "pass_mark is too long: at most 200" in unescape(mark.text)
    act = web.client.post(f"{base}/release", data={"csrf_token": csrf, "action": "r" * 201})
    assert act.status_code == 422 and "action is too long" in act.text
    assert web.queue.sent == []


# 6. Strict JSON from GitHub


def _post(web: Web, event: str, body: bytes, delivery: str | None = None) -> httpx.Response:
    return web.client.post(
        "/webhooks/github", content=body, headers=delivery_headers(event, body, delivery)
    )


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_a_delivery_are_refused(web: Web, word: str) -> None:
    body = b'{"zen": "x", "hook_id": ' + word.encode() + b"}"
    answer = _post(web, "ping", body)
    assert answer.status_code == 400 and f"{word} is not a JSON value" in answer.text
    assert web.conn.execute("SELECT count(*) AS n FROM deliveries").fetchone() == {"n": 0}


# 7. Ignored deliveries keep no payload


def _payload_of(web: Web, delivery: str) -> Any:
    row = web.conn.execute(
        "SELECT payload, outcome FROM deliveries WHERE delivery_id = %s", (delivery,)
    ).fetchone()
    assert row is not None
    return row["payload"], row["outcome"]


def test_only_deliveries_the_grader_acts_on_keep_their_payload(web: Web) -> None:
    ping = json.dumps(example("ping/payload.json")).encode()
    assert _post(web, "ping", ping, "d-ping").status_code == 200
    suite = json.dumps(example("check_suite/completed.payload.json")).encode()
    assert _post(web, "check_suite", suite, "d-suite").status_code == 202
    push = adapt(example("push/with-new-branch.payload.json"), f"{ORG}/{PREFIX}alice")
    tag = json.dumps(push | {"ref": "refs/tags/v1"}).encode()
    assert _post(web, "push", tag, "d-tag").json()["status"] == "ignored"
    graded = json.dumps(push | {"after": "1" * 40}).encode()
    assert _post(web, "push", graded, "d-push").json()["status"] == "queued"

    assert _payload_of(web, "d-ping")[0] is None
    assert _payload_of(web, "d-suite") == (None, "ignored: the check_suite event is not used")
    assert _payload_of(web, "d-tag")[0] is None
    assert _payload_of(web, "d-push")[0]["after"] == "1" * 40
    # the row stays: a redelivery of an ignored delivery is still known
    assert _post(web, "ping", ping, "d-ping").json()["status"] == "duplicate"


# 8. 401s say how to authenticate


def test_a_bad_signature_is_answered_with_the_webhook_challenge(web: Web) -> None:
    body = json.dumps({"zen": "x"}).encode()
    headers = delivery_headers("ping", body) | {"X-Hub-Signature-256": "sha256=" + "0" * 64}
    answer = web.client.post("/webhooks/github", content=body, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == (
        'HMAC-SHA256 realm="github-webhook", header="X-Hub-Signature-256"'
    )


def test_the_api_answers_401_with_a_bearer_challenge(web: Web) -> None:
    none = web.client.get("/api/assignments")
    assert none.status_code == 401
    assert none.headers["www-authenticate"] == 'Bearer realm="grader-api"'
    wrong = web.client.get("/api/assignments", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == 'Bearer realm="grader-api", error="invalid_token"'
