"""Request guards: body size limit, strict JSON (no duplicate keys, no NaN), per-token rate limit.

The body guard is plain ASGI so it sees the raw bytes before any framework parsing, buffers at most
`max_body_bytes`, and replays the body downstream.
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import error_response, problem_response

PARSED = "strict_json_body"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"duplicated key {dup!r}")
    return dict(pairs)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def strict_json(body: bytes) -> tuple[Any, str | None]:
    """The parsed body, or why it is not strict JSON (UTF-8 only, as RFC 8259 requires between
    systems; no duplicate keys, no NaN/Infinity; syntax)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, "JSON must be UTF-8 encoded"
    if text.startswith("\ufeff"):
        return None, "JSON must not start with a byte order mark"
    try:
        return json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants
        ), None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return None, str(exc)


class BodyGuard:
    """Refuse bodies over the limit (413) and non-strict JSON bodies (400) as problem+json."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        path = scope.get("path")
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max):
            await self._refuse(scope, send, 413, f"the body exceeds {self.max} bytes", path)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max:
                await self._refuse(scope, send, 413, f"the body exceeds {self.max} bytes", path)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if body and (ctype == b"application/json" or ctype.endswith(b"+json")):
            doc, why = strict_json(body)
            if why is not None:
                await self._refuse(scope, send, 400, f"body is not strict JSON: {why}", path)
                return
            scope.setdefault("state", {})[PARSED] = doc  # routes reuse it instead of reparsing
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int, detail: str, path: Any) -> None:
        """problem+json, or the shape the path's API registered (`problems.error_response`)."""
        if "app" in scope:
            response = error_response(Request(scope), status, detail)
        else:
            response = problem_response(status, detail, path)
        await response(scope, _drain, send)


async def _drain() -> Message:
    return {"type": "http.disconnect"}


class RateLimiter:
    """Token buckets, refilled continuously: `per_minute` requests per API token, and
    `ADDRESS_FACTOR` times as many per client address (several tokens may share an address),
    where a failed authentication costs `FAILED_AUTH_COST` requests."""

    ADDRESS_FACTOR = 4
    FAILED_AUTH_COST = 10.0
    MAX_KEYS = 100_000  # forget the fullest buckets beyond this many clients

    def __init__(self, per_minute: int) -> None:
        self.per_minute = float(per_minute)
        self.buckets: dict[object, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def _capacity(self, key: object) -> float:
        address = isinstance(key, tuple) and key[0] == "address"
        return self.per_minute * (self.ADDRESS_FACTOR if address else 1)

    def allow(self, key: object, cost: float = 1.0) -> float:
        """0 if a request of `cost` may go ahead (and take it), else the seconds to wait."""
        capacity = self._capacity(key)
        rate = capacity / 60.0
        now = time.monotonic()
        with self.lock:
            level, then = self.buckets.get(key, (capacity, now))
            level = min(capacity, level + (now - then) * rate)
            if level >= cost:
                self.buckets[key] = (level - cost, now)
                return 0.0
            self.buckets[key] = (level, now)
            if len(self.buckets) > self.MAX_KEYS:
                self.buckets = dict(
                    sorted(self.buckets.items(), key=lambda kv: kv[1][0])[: self.MAX_KEYS // 2]
                )
            return (cost - level) / rate

    def charge(self, key: object, cost: float) -> None:
        """Take `cost` from a bucket whatever its level (it may go below zero: a penalty)."""
        capacity = self._capacity(key)
        now = time.monotonic()
        with self.lock:
            level, then = self.buckets.get(key, (capacity, now))
            level = min(capacity, level + (now - then) * capacity / 60.0)
            self.buckets[key] = (max(level - cost, -capacity), now)


def retry_after(wait: float) -> str:
    """Whole seconds to wait, rounded up, at least 1 (a Retry-After of 0 invites a retry storm)."""
    return str(max(1, math.ceil(wait)))
