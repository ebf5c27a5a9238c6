"""Webhook deliveries signed beforehand and sent on raw sockets, so that the api is measured.

Each request is one whole HTTP/1.1 request, its signature computed before the clock starts;
all of them are sent at once on connections opened (and taken by the api) beforehand, each
timed from the moment it is written to the end of its answer, by a client in a process of
its own that costs next to nothing beside the api.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from service_support import adapt, delivery_headers, example

ORG = "classroom-org"
Request = bytes  # one whole HTTP/1.1 request


def push_payload(name: str, sha: str) -> dict[str, object]:
    template = example("push/with-new-branch.payload.json")
    payload: dict[str, object] = adapt(
        template, name, ref="refs/heads/main", after=sha, before="0" * 40, created=True
    )
    return payload


def request(event: str, payload: dict[str, object]) -> Request:
    body = json.dumps(payload).encode()
    headers = delivery_headers(event, body, str(uuid.uuid4()))
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (
        f"POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{head}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def signed_pushes(tag: str, count: int, organisation: str = ORG) -> list[Request]:
    """Push deliveries to repositories nobody pushed to before, signed as GitHub signs: of
    the class's organisation (they are graded), or of another (stored, nothing to grade)."""
    return [
        request(
            "push",
            push_payload(
                f"{organisation}/tp-distributed-hook-{tag}-{i:03d}", uuid.uuid4().hex + "0" * 8
            ),
        )
        for i in range(count)
    ]


async def fire(port: int, requests: list[Request]) -> list[float]:
    """Seconds from writing each request to reading the end of its answer."""
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in requests]
    await asyncio.sleep(0.2)  # the api accepts them all before the burst

    async def one(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: Request
    ) -> float:
        started = time.perf_counter()
        writer.write(data)
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        body = await reader.readexactly(length)
        elapsed = time.perf_counter() - started
        writer.close()
        if status not in (b"200", b"202"):
            raise SystemExit(f"the api answered {status.decode()}: {body[:200]!r}")
        return elapsed

    return list(
        await asyncio.gather(
            *(one(r, w, d) for (r, w), d in zip(connections, requests, strict=True))
        )
    )


def fire_apart(port: int, requests: list[Request]) -> list[float]:
    """fire() from a process of its own: this one serves the GitHub stand-in to the worker
    from threads, which would hold the interpreter lock while the client waits to read."""
    with multiprocessing.get_context("fork").Pool(1) as client:
        return list(client.apply(_fire, (port, requests)))


def _fire(port: int, requests: list[Request]) -> list[float]:
    return asyncio.run(fire(port, requests))
