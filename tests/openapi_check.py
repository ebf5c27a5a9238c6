"""GitHub's published OpenAPI description as a request checker for the stand-in: path
template, method, path parameters, and bodies against the operation's JSON schema with
$refs inlined and OpenAPI 3.0's `nullable` turned into JSON Schema's null type."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

OPENAPI = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "fixtures"
    / "github"
    / "rest-api-checks-apps-repos.openapi.json"
)


@dataclass
class _Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    operation_id: str
    spec: dict[str, Any]


def _resolve(node: Any, document: dict[str, Any]) -> Any:
    """Inline every $ref and turn `nullable: true` into JSON Schema's null type."""
    if isinstance(node, list):
        return [_resolve(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return _resolve(target, document)
    out = {k: _resolve(v, document) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


class OpenAPIChecker:
    def __init__(self, path: Path = OPENAPI) -> None:
        self.document = json.loads(path.read_text(encoding="utf-8"))
        self.operations: list[_Operation] = []
        for template, item in self.document["paths"].items():
            regex = re.sub(r"\\{([a-z_]+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
            for method, spec in item.items():
                if isinstance(spec, dict) and "operationId" in spec:
                    self.operations.append(
                        _Operation(
                            method.upper(),
                            template,
                            re.compile(f"^{regex}$"),
                            spec["operationId"],
                            spec,
                        )
                    )

    def match(self, method: str, path: str) -> tuple[_Operation, dict[str, str]] | None:
        for op in self.operations:
            found = op.pattern.match(path)
            if found and op.method == method:
                return op, found.groupdict()
        return None

    def request_errors(self, op: _Operation, params: dict[str, str], body: Any) -> list[str]:
        errors = []
        for param in op.spec.get("parameters", []):
            param = _resolve(param, self.document)
            if (
                param.get("in") == "path"
                and param.get("required")
                and not params.get(param["name"])
            ):
                errors.append(f"missing path parameter {param['name']}")
            if param.get("in") == "path" and param["name"] in params:
                kind = param.get("schema", {}).get("type")
                if kind == "integer" and not params[param["name"]].isdigit():
                    errors.append(f"path parameter {param['name']} is not an integer")
        request_body = op.spec.get("requestBody")
        if request_body is None:
            if body is not None:
                errors.append("a body was sent to an operation that takes none")
            return errors
        if body is None:
            if request_body.get("required"):
                errors.append("the request body is required")
            return errors
        schema = _resolve(request_body["content"]["application/json"]["schema"], self.document)
        return errors + self._schema_errors(schema, body)

    def response_errors(self, op: _Operation, status: int, body: Any) -> list[str]:
        response = _resolve(op.spec["responses"][str(status)], self.document)
        schema = response["content"]["application/json"]["schema"]
        return self._schema_errors(schema, body)

    @staticmethod
    def _schema_errors(schema: dict[str, Any], instance: Any) -> list[str]:
        validator = jsonschema.Draft4Validator(schema)
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in validator.iter_errors(instance)
        ]
