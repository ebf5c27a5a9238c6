"""A local stand-in for GitHub's OAuth web flow and the two API calls sign-in makes.

It behaves as GitHub documents: the authorize page sends the browser back to the
redirect_uri with a one-time code and the state; the token endpoint answers 200 with an
`error` field for a wrong client secret, code or redirect_uri; /user needs the token.
`signing_in` is the GitHub account of the person at the browser (None: they click
"Cancel", and GitHub sends back error=access_denied).
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class OAuthStandIn:
    client_id: str
    client_secret: str
    signing_in: str | None = None
    teams: dict[str, set[str]] = field(default_factory=dict)  # "org/slug" -> logins
    requests: list[str] = field(default_factory=list)  # "METHOD path", in order
    _codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> login, uri
    _tokens: dict[str, str] = field(default_factory=dict)  # token -> login
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def __enter__(self) -> OAuthStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if query.get("client_id") != self.client_id:
            return 404, {}, {"message": "no OAuth app with this client_id"}
        target = query.get("redirect_uri", "")
        back: dict[str, str] = {"state": query.get("state", "")}
        if self.signing_in is None:
            back |= {"error": "access_denied", "error_description": "The user has denied access"}
        else:
            code = secrets.token_hex(10)
            with self._lock:
                self._codes[code] = (self.signing_in, target)
            back["code"] = code
        return 302, {"Location": f"{target}?{urlencode(back)}"}, None

    def access_token(self, form: dict[str, str]) -> dict[str, Any]:
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return {"error": "incorrect_client_credentials"}
        with self._lock:
            found = self._codes.pop(form.get("code", ""), None)  # a code works once
        if found is None:
            return {
                "error": "bad_verification_code",
                "error_description": "The code passed is incorrect or expired.",
            }
        login, uri = found
        if form.get("redirect_uri") != uri:
            return {"error": "redirect_uri_mismatch"}
        token = "gho_" + secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = login
        scope = "read:org" if self.teams else ""
        return {"access_token": token, "token_type": "bearer", "scope": scope}

    def api(self, path: str, authorization: str) -> tuple[int, Any]:
        scheme, _, token = authorization.partition(" ")
        login = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if login is None:
            return 401, {"message": "Requires authentication"}
        if path == "/user":
            return 200, {"login": login, "id": abs(hash(login)) % 10**6, "type": "User"}
        parts = path.strip("/").split("/")
        if len(parts) == 6 and parts[0] == "orgs" and parts[2] == "teams":
            org, team, member = parts[1], parts[3], parts[5]
            if member in self.teams.get(f"{org}/{team}", set()):
                return 200, {"url": f"{self.api_url}{path}", "role": "member", "state": "active"}
            return 404, {"message": "Not Found"}
        return 404, {"message": "Not Found"}


def _handler_for(standin: OAuthStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, headers: dict[str, str], body: Any) -> None:
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            standin.requests.append(f"GET {url.path}")
            if url.path == "/login/oauth/authorize":
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                self._send(*standin.authorize(query))
            elif url.path.startswith("/api/"):
                auth = self.headers.get("Authorization", "")
                status, body = standin.api(url.path.removeprefix("/api"), auth)
                self._send(status, {}, body)
            else:
                self._send(404, {}, {"message": "Not Found"})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            standin.requests.append(f"POST {url.path}")
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if url.path != "/login/oauth/access_token":
                self._send(404, {}, {"message": "Not Found"})
            elif "application/json" not in self.headers.get("Accept", ""):
                self._send(406, {}, {"message": "this stand-in answers JSON only"})
            else:
                self._send(200, {}, standin.access_token(form))

    return Handler
