"""POST /webhooks/github: verify, store once, enqueue after commit, answer 202 fast.

Nothing is parsed before the signature is checked over the raw bytes, and nothing
is stored for a delivery that fails it (it could otherwise occupy a delivery id).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from grader.core.errors import InvalidInput, PayloadTooLarge, Unauthorized
from grader.github.events import ZERO_SHA, PushEvent, parse_event
from grader.github.signature import signature_valid
from grader.service.job import Job
from grader.service.state import ServiceState
from grader.store import deliveries, pushes
from grader.store.db import Connection
from grader.webhook import metrics
from grader.webhook.intake import BranchPush, Intake, take_delivery
from grader.webhook.writer import LATER, PushWriter, log_intake

log = logging.getLogger(__name__)
# GitHub authenticates a delivery by an HMAC of its body in X-Hub-Signature-256, not by an
# Authorization header, so no registered scheme fits: this one names the algorithm and the
# header to send it in.
SIGNATURE_CHALLENGE = 'HMAC-SHA256 realm="github-webhook", header="X-Hub-Signature-256"'
# What the grader does nothing with keeps no payload: only its row (for de-duplication)
# and its outcome.
_PAYLOAD_DROPPED = ("ignored", "pong")


@asynccontextmanager
async def _push_writer(app: FastAPI) -> AsyncIterator[None]:
    """Runs inside the app's lifespan, once its store pool is open: a writer per app."""
    writer = PushWriter(app.state.service)
    app.state.push_writer = writer
    try:
        yield
    finally:
        await run_in_threadpool(writer.close)


router = APIRouter(lifespan=_push_writer)
router.include_router(metrics.router)


PATH = "/webhooks/github"  # answered by grader.webhook.direct, documented here


@router.post(PATH)
async def github_webhook(request: Request) -> JSONResponse:
    received_at = datetime.now(UTC)  # caps the push time the payload states: taken first
    state: ServiceState = request.app.state.service
    body = await read_capped(request, state.settings.max_webhook_bytes)
    secret = state.settings.github.webhook_secret.get_secret_value()
    if not signature_valid(secret, body, request.headers.get("X-Hub-Signature-256")):
        raise Unauthorized("missing or wrong X-Hub-Signature-256", SIGNATURE_CHALLENGE)
    event = request.headers.get("X-GitHub-Event")
    delivery_id = request.headers.get("X-GitHub-Delivery")
    if not event or not delivery_id:
        raise InvalidInput("X-GitHub-Event and X-GitHub-Delivery are required")
    payload = _json_object(body)
    started = time.monotonic()
    push = _branch_push(event, delivery_id, received_at, body, payload)
    if push is not None:
        writer: PushWriter = request.app.state.push_writer
        intake = await writer.take(push)
    else:
        intake = await run_in_threadpool(
            _stored_once_more_if_lost, state, event, delivery_id, received_at, payload
        )
    metrics.DELIVERY_SECONDS.observe(time.monotonic() - started)
    metrics.DELIVERIES.labels(event, intake.status).inc()
    status = 200 if intake.status == "pong" else 202
    return JSONResponse({"status": intake.status, "reason": intake.reason}, status_code=status)


async def read_capped(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"body over {limit} bytes")
    return bytes(body)


def _json_object(body: bytes) -> dict[str, Any]:
    """orjson reads GitHub's UTF-8 and refuses NaN and Infinity as JSON does; what it
    refuses is read again by the standard library, which also takes a byte order mark or
    UTF-16, and says what is wrong."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            payload = json.loads(body, parse_constant=_not_json)
        except ValueError as exc:
            raise InvalidInput(f"the body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise InvalidInput("the body is not a JSON object")
    return payload


def _branch_push(
    event: str, delivery_id: str, received_at: datetime, body: bytes, payload: dict[str, Any]
) -> BranchPush | None:
    """The delivery as the push writer takes it, when it is a push to a branch; None for
    every other delivery, stored one at a time (deletions, tags and other events are rare)."""
    if event != "push":
        return None
    ev = parse_event(PushEvent, payload)
    if ev.branch is None or ev.deleted or ev.after == ZERO_SHA:
        return None
    action = payload.get("action")
    return BranchPush(
        delivery_id=delivery_id,
        received_at=received_at,
        action=action if isinstance(action, str) else None,
        payload_json=_as_stored(body, payload),
        event=ev,
    )


def _as_stored(body: bytes, payload: dict[str, Any]) -> str:
    """The body itself, which is the JSON just read, rather than the payload written again;
    written again only when it is not plain UTF-8 text (JSON may also come in UTF-16, or
    after a byte order mark, which the store does not read)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return json.dumps(payload)
    return json.dumps(payload) if text.startswith("\ufeff") else text


def _not_json(word: str) -> Any:
    """Python reads NaN and Infinity by default; JSON has neither, and GitHub sends neither."""
    raise ValueError(f"{word} is not a JSON value")


def _stored_once_more_if_lost(
    state: ServiceState,
    event: str,
    delivery_id: str,
    received_at: datetime,
    payload: dict[str, Any],
) -> Intake:
    """A connection lost mid-transaction stored nothing (the transaction is whole or
    absent), so the delivery is taken again once, on a fresh connection."""
    try:
        return _store_and_enqueue(state, event, delivery_id, received_at, payload)
    except psycopg.OperationalError:
        log.warning("delivery %s: the store connection was lost; trying once more", delivery_id)
        return _store_and_enqueue(state, event, delivery_id, received_at, payload)


def _store_and_enqueue(
    state: ServiceState,
    event: str,
    delivery_id: str,
    received_at: datetime,
    payload: dict[str, Any],
) -> Intake:
    action = payload.get("action")
    with state.pool.connection() as conn:
        with conn.transaction():
            fresh = deliveries.record_delivery(
                conn,
                delivery_id,
                event,
                action if isinstance(action, str) else None,
                received_at,
                payload,
            )
            if fresh:
                intake = take_delivery(
                    conn,
                    event=event,
                    delivery_id=delivery_id,
                    received_at=received_at,
                    payload=payload,
                )
                deliveries.set_outcome(
                    conn,
                    delivery_id,
                    f"{intake.status}: {intake.reason}",
                    keep_payload=intake.status not in _PAYLOAD_DROPPED,
                )
            else:
                # A redelivery changes nothing, except that it retries a hand-off to the
                # queue that failed the first time.
                stuck = pushes.unenqueued_push(conn, delivery_id)
                job = Job("push", *stuck) if stuck is not None else None
                intake = Intake("duplicate", f"delivery {delivery_id} was received before", job)
        if intake.job is not None and not _enqueue(state, conn, intake.job):
            intake = replace(intake, reason=f"{intake.reason}; {LATER}")
    repository = payload.get("repository")
    full_name = repository.get("full_name") if isinstance(repository, dict) else None
    log_intake(delivery_id, event, full_name if isinstance(full_name, str) else None, intake)
    return intake


def _enqueue(state: ServiceState, conn: Connection, job: Job) -> bool:
    """Hand the job to the queue; False when the queue is away.

    The push is stored either way, so the delivery is answered 202: GitHub does not
    redeliver failed deliveries by itself, and the workers' sweeper sends every stored
    push still waiting for its hand-off (workers/sweeper.py)."""
    try:
        state.dispatcher.send(job)
    except Exception:
        log.exception("could not queue %s %s: the sweeper will send it", job.kind, job.id)
        return False
    if job.kind == "push":
        with conn.transaction():
            pushes.mark_enqueued(conn, job.id)
    return True
