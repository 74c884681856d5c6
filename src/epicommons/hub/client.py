"""A small client of a running hub's API for the CLI (`hub submit`, `hub share`, `hub revoke`).

It goes through the HTTP API on purpose: the same token, rules, limits and audit as any member's
system. Refusals become `InputError` with the hub's reason; an unreachable hub is one too.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from epicommons.errors import InputError

URL_ENV, TOKEN_ENV = "EPICOMMONS_HUB_URL", "EPICOMMONS_HUB_TOKEN"
DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Answer:
    """An API answer: its status and its JSON body (a problem's for refusals)."""

    status: int
    body: Any


@dataclass(frozen=True)
class HubClient:
    """The API of the hub at `url`, called with `token`."""

    url: str
    token: str

    @classmethod
    def from_options(cls, url: str | None, token: str | None) -> HubClient:
        """The hub and token from the options, else $EPICOMMONS_HUB_URL and $EPICOMMONS_HUB_TOKEN."""
        token = token or os.environ.get(TOKEN_ENV)
        if not token:
            raise InputError(f"give --token or set ${TOKEN_ENV}", field="--token")
        base = (url or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise InputError(f"expected an http(s):// URL, got {base!r}", field="--url")
        return cls(base, token)

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One request to /api/v1; 2xx and 4xx answers are returned, anything else is an error."""
        request = urllib.request.Request(
            f"{self.url}/api/v1{path}",
            data=body,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/json",
                **({"Content-Type": content_type} if body is not None else {}),
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - http(s) only
                return Answer(response.status, _json(response.read()))
        except urllib.error.HTTPError as exc:
            answer = Answer(exc.code, _json(exc.read()))
            if exc.code >= 500:
                raise InputError(
                    f"the hub answered {exc.code}: {_reason(answer)}", field="--url"
                ) from None
            return answer
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(
                f"cannot reach the hub at {self.url}: {reason}", field="--url"
            ) from None

    def require(self, answer: Answer) -> Any:
        """The body of a 2xx answer; a refusal is an InputError with the hub's reason."""
        if answer.status >= 400:
            raise InputError(f"the hub refused ({answer.status}): {_reason(answer)}")
        return answer.body


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return {"detail": raw[:200].decode("utf-8", "replace")}


def _reason(answer: Answer) -> str:
    body = answer.body
    return str(body.get("detail")) if isinstance(body, dict) else str(body)
