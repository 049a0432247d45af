"""HTTP to the portal's ``/api/v1``: problem details to :class:`PortalError`, retries that honour ``Retry-After``."""
from __future__ import annotations

import email.utils
import http.client
import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import IO, Any, Callable, Iterable, Optional, Tuple, Union

from . import __version__
from .errors import CONNECTION_FAILED, PortalError

#: A request body: bytes, or a function called once per attempt that opens the body (a file) and gives its length.
Body = Union[bytes, Callable[[], Tuple[IO[bytes], Optional[int]]], None]

#: The longest wait a ``Retry-After`` may ask for before the client gives up instead.
MAX_RETRY_AFTER = 120.0


def quote(segment: str) -> str:
    """Escapes one path segment (as ``Uri.EscapeDataString``)."""
    return urllib.parse.quote(segment, safe="")


def query(**params: Any) -> str:
    """``?a=1&b=x`` from the parameters that are not None; list values repeat the name."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if value is None:
            continue
        for v in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((name, str(v).lower() if isinstance(v, bool) else str(v)))
    return "?" + urllib.parse.urlencode(pairs) if pairs else ""


def retry_after_seconds(value: Optional[str], now: Optional[datetime] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class HttpClient:
    """One portal, one token. Idempotent calls are retried on connection failures, time-outs, 5xx, 408 and 429 with
    exponential back-off (or the server's ``Retry-After``); calls that change state are sent once, except after a 429,
    which the portal sends before doing anything."""

    def __init__(self, base_url: str, token: str, max_retries: int = 3, retry_delay: float = 0.25, timeout: float = 300.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.timeout = timeout
        # No proxies from the environment for a loopback portal, as browsers and the .NET client behave.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({})) if _is_loopback(self.base_url) else urllib.request.build_opener()

    # -- public helpers -------------------------------------------------------------------------------------------

    def get(self, path: str) -> Any:
        return self.json("GET", path, idempotent=True)

    def post(self, path: str, payload: Any = None, idempotent: bool = False) -> Any:
        return self.json("POST", path, payload, idempotent=idempotent)

    def json(self, method: str, path: str, payload: Any = None, idempotent: bool = False, headers: Optional[dict[str, str]] = None) -> Any:
        """Sends JSON (when ``payload`` is not None) and reads the JSON answer (None for an empty body)."""
        body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        with self.open(method, path, body, h, idempotent) as response:
            data = response.read()
        return json.loads(data) if data else None

    def open(self, method: str, path: str, body: Body = None, headers: Optional[dict[str, str]] = None, idempotent: bool = False) -> http.client.HTTPResponse:
        """Sends a request and returns the successful response for the caller to read and close; raises
        :class:`PortalError` for an error answer or when the portal cannot be reached."""
        url = self.base_url + "/api/v1/" + path.lstrip("/")
        attempt = 0
        while True:
            retries_left = attempt < self.max_retries
            stream: Optional[IO[bytes]] = None
            data: Any = body
            length: Optional[int] = len(body) if isinstance(body, bytes) else None
            if callable(body):
                stream, length = body()
                data = stream
            request = urllib.request.Request(url, data=data, method=method)
            request.add_header("Authorization", f"Bearer {self.token}")
            request.add_header("User-Agent", f"portal-py/{__version__}")
            request.add_header("Accept", "application/json")
            if length is not None:
                request.add_header("Content-Length", str(length))
            for name, value in (headers or {}).items():
                request.add_header(name, value)
            try:
                response = self._opener.open(request, timeout=self.timeout)
                return response  # type: ignore[no-any-return]
            except urllib.error.HTTPError as error:
                with error:
                    status = error.code
                    transient = status >= 500 or status in (408, 429)
                    wait = retry_after_seconds(error.headers.get("Retry-After"))
                    if retries_left and transient and (idempotent or status == 429) and (wait is None or wait <= MAX_RETRY_AFTER):
                        self._sleep(attempt, wait)
                        attempt += 1
                        continue
                    raise _to_error(error) from None
            except (urllib.error.URLError, ConnectionError, socket.timeout, http.client.HTTPException) as error:
                if retries_left and idempotent:
                    self._sleep(attempt, None)
                    attempt += 1
                    continue
                reason = getattr(error, "reason", error)
                raise PortalError(CONNECTION_FAILED, f"Cannot reach the portal at {self.base_url}: {reason}") from None
            finally:
                if stream is not None:
                    stream.close()

    def _sleep(self, attempt: int, retry_after: Optional[float]) -> None:
        if retry_after is not None:
            time.sleep(retry_after)
            return
        # Jitter keeps many parallel uploads that failed together from retrying in lock-step.
        time.sleep(self.retry_delay * (2 ** attempt) * (0.8 + random.random() * 0.4))


def _to_error(error: urllib.error.HTTPError) -> PortalError:
    code: Optional[str] = None
    detail: Optional[str] = None
    details: dict[str, Any] = {}
    try:
        raw = error.read()
        if raw[:1] == b"{":
            problem = json.loads(raw)
            if isinstance(problem, dict):
                details = problem
                code = problem.get("code") if isinstance(problem.get("code"), str) else None
                detail = problem.get("detail") if isinstance(problem.get("detail"), str) else (
                    problem.get("title") if isinstance(problem.get("title"), str) else None)
    except (OSError, ValueError):
        pass  # not problem details (a proxy's HTML page, say): fall back to the status line
    return PortalError(code or f"http_{error.code}", detail or f"The portal answered {error.code} {error.reason}.", error.code, details)


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    return host in ("localhost", "127.0.0.1", "::1")


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
