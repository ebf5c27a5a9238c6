"""A local stand-in for GitHub: the REST API the grader calls, and git hosting over HTTP.

Every API request is checked against GitHub's published OpenAPI description (see
openapi_check.py); a request that does not conform is recorded in `violations` and
answered 422, so a test that ends with an empty `violations` list proves the grader
spoke GitHub's API as published. Our own responses are checked the same way.

Authentication is checked too: the token endpoint wants a JWT signed with the App's
key, the check-run endpoints and git want a token this stand-in issued.

Git is served by `git http-backend` (the smart HTTP protocol) from bare repositories
under `repos_root/<owner>/<name>.git`.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from openapi_check import OpenAPIChecker


@dataclass
class Recorded:
    method: str
    path: str
    operation: str  # OpenAPI operationId, or "git"
    params: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class CheckRunState:
    id: int
    repo: str
    fields: dict[str, Any]
    annotations: list[dict[str, Any]] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  # the status after each request


class GitHubStandIn:
    def __init__(
        self, repos_root: Path, app_id: int, public_key_pem: str, *, niceness: int = 0
    ) -> None:
        """`niceness`: the CPU priority its serving threads (and the git processes they
        start) run at; a benchmark on one machine lowers it, as GitHub's work is done on
        GitHub's machines, not on the api's cores."""
        self.repos_root = repos_root
        self.niceness = niceness
        self.app_id = app_id
        self.public_key_pem = public_key_pem
        self.checker = OpenAPIChecker()
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.tokens: set[str] = set()
        self.check_runs: dict[int, CheckRunState] = {}
        self.fail_next: dict[str, int] = {}  # operationId -> how many requests answer 502
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        if self.niceness:  # Linux: per thread; each request's thread is started from here
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.niceness)
        self._server.serve_forever()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def git_url(self) -> str:
        return f"{self.url}/git"

    def bare_repo(self, full_name: str) -> Path:
        return self.repos_root / f"{full_name}.git"

    def __enter__(self) -> GitHubStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def operations(self, operation: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.operation == operation]

    # --- the API -------------------------------------------------------------------------

    def handle_api(self, method: str, path: str, headers: Any, body: Any) -> tuple[int, Any]:
        matched = self.checker.match(method, path)
        if matched is None:
            self._violation(f"{method} {path}: no such operation in GitHub's OpenAPI description")
            return 404, {"message": "Not Found"}
        op, params = matched
        record = Recorded(method, path, op.operation_id, params, body)
        with self._lock:
            self.requests.append(record)
        errors = self.checker.request_errors(op, params, body)
        if errors:
            self._violation(f"{op.operation_id}: " + "; ".join(errors))
            record.status = 422
            return 422, {"message": "Validation Failed", "errors": errors}
        with self._lock:
            if self.fail_next.get(op.operation_id, 0) > 0:
                self.fail_next[op.operation_id] -= 1
                record.status = 502
                return 502, {"message": "Server Error"}
        status, answer = self._answer(op.operation_id, params, headers, body)
        record.status = status
        if status < 300:
            errors = self.checker.response_errors(op, status, answer)
            if errors:
                self._violation(f"stand-in answer to {op.operation_id}: " + "; ".join(errors))
        return status, answer

    def _violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    def _answer(
        self, operation: str, params: dict[str, str], headers: Any, body: Any
    ) -> tuple[int, Any]:
        auth = headers.get("Authorization", "")
        if operation == "apps/create-installation-access-token":
            return self._token(auth)
        if operation == "apps/get-repo-installation":
            # The stand-in's App is installed only where a push told us so: as on GitHub, a
            # repository without the App's installation is a 404.
            status, _ = self._token(auth)
            return (404, {"message": "Not Found"}) if status < 300 else (401, _)
        if not self._token_ok(auth):
            return 401, {"message": "Bad credentials"}
        repo = f"{params['owner']}/{params['repo']}"
        if operation == "checks/create":
            with self._lock:
                check_id = len(self.check_runs) + 1
                state = CheckRunState(check_id, repo, {})
                self.check_runs[check_id] = state
            return 201, self._update(state, body)
        if operation in ("checks/update", "checks/get"):
            state_or_none = self.check_runs.get(int(params["check_run_id"]))
            if state_or_none is None or state_or_none.repo != repo:
                return 404, {"message": "Not Found"}
            return 200, self._update(state_or_none, body or {})
        return 501, {"message": f"the stand-in does not implement {operation}"}

    def _token(self, auth: str) -> tuple[int, Any]:
        try:
            claims = jwt.decode(
                auth.removeprefix("Bearer "), self.public_key_pem, algorithms=["RS256"]
            )
        except jwt.PyJWTError as exc:
            return 401, {"message": f"A JSON web token could not be decoded: {exc}"}
        if str(claims.get("iss")) != str(self.app_id):
            return 401, {"message": "the JWT was not issued by this App"}
        token = f"ghs_standin{len(self.tokens):04d}"
        with self._lock:
            self.tokens.add(token)
        expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 201, {"token": token, "expires_at": expires}

    def _token_ok(self, auth: str) -> bool:
        scheme, _, token = auth.partition(" ")
        return scheme.lower() in ("token", "bearer") and token in self.tokens

    def _update(self, state: CheckRunState, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            output = dict(body.get("output") or {})
            state.annotations.extend(output.pop("annotations", []))
            merged_output = {**state.fields.get("output", {}), **output}
            state.fields.update({k: v for k, v in body.items() if k != "output"})
            state.fields["output"] = merged_output
            if "conclusion" in body:
                state.fields["status"] = "completed"
            state.history.append(str(state.fields.get("status", "queued")))
            return self._check_run_json(state)

    def _check_run_json(self, state: CheckRunState) -> dict[str, Any]:
        f = state.fields
        out = f.get("output", {})
        api = f"{self.api_url}/repos/{state.repo}/check-runs/{state.id}"
        return {
            "id": state.id,
            "node_id": f"CR_{state.id}",
            "head_sha": f.get("head_sha", ""),
            "name": f.get("name", ""),
            "url": api,
            "html_url": f"{self.url}/{state.repo}/runs/{state.id}",
            "details_url": f.get("details_url"),
            "status": f.get("status", "queued"),
            "conclusion": f.get("conclusion"),
            "started_at": f.get("started_at"),
            "completed_at": f.get("completed_at"),
            "external_id": f.get("external_id"),
            "check_suite": {"id": 1},
            "output": {
                "title": out.get("title"),
                "summary": out.get("summary"),
                "text": out.get("text"),
                "annotations_count": len(state.annotations),
                "annotations_url": f"{api}/annotations",
            },
            "app": None,
            "pull_requests": [],
        }

    # --- git -----------------------------------------------------------------------------

    def git_token_ok(self, auth: str) -> bool:
        scheme, _, encoded = auth.partition(" ")
        if scheme != "Basic":
            return False
        user, _, token = base64.b64decode(encoded).decode().partition(":")
        return user == "x-access-token" and token in self.tokens

    def handle_git(
        self, method: str, path_info: str, query: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(Recorded(method, path_info, "git", {}, None))
        env = {
            "PATH": "/usr/bin:/bin",
            "GIT_PROJECT_ROOT": str(self.repos_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "REQUEST_METHOD": method,
            "CONTENT_TYPE": headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": headers.get("Git-Protocol", ""),
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": "127.0.0.1",
        }
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status = 200
        out_headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                out_headers[name] = value.strip()
        return status, out_headers, payload


def _handler_for(standin: GitHubStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = bytearray()
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return bytes(data)
                    data += self.rfile.read(size)
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _dispatch(self) -> None:
            raw = self._body()
            path, _, query = self.path.partition("?")
            if path.startswith("/git/"):
                if not standin.git_token_ok(self.headers.get("Authorization", "")):
                    realm = {"WWW-Authenticate": 'Basic realm="stand-in"'}
                    self._send(401, realm, b"token required\n")
                    return
                status, headers, payload = standin.handle_git(
                    self.command, path.removeprefix("/git"), query, self.headers, raw
                )
                self._send(status, headers, payload)
                return
            if not path.startswith("/api/"):
                self._send(404, {}, b"")
                return
            body = json.loads(raw) if raw else None
            status, answer = standin.handle_api(
                self.command, path.removeprefix("/api"), self.headers, copy.deepcopy(body)
            )
            self._send(status, {"Content-Type": "application/json"}, json.dumps(answer).encode())

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    return Handler
