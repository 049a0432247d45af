"""Evaluations: one version's scores on a pinned eval-set version, example by example, streamed to the portal."""
from __future__ import annotations

import json
import math
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

from ._http import quote
from .errors import INVALID_ARGUMENT, PortalError

Row = Mapping[str, Any]


def _lines(header: Mapping[str, Any], rows: Iterable[Row]) -> Iterator[bytes]:
    yield json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
    for row in rows:
        yield json.dumps(row, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8") + b"\n"


class _LineStream:
    """A read()-able view of a generator of lines, so urllib sends the body chunked without holding it in memory."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = lines
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._lines)
            except StopIteration:
                break
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def close(self) -> None:
        self._buffer = b""


def scorers_of(rows: Sequence[Row]) -> list[str]:
    """The scorer names the rows use, in order of first appearance."""
    names: list[str] = []
    for row in rows:
        for name in (row.get("scores") or {}):
            if name not in names:
                names.append(name)
    return names


def log_evaluation(api: Any, project: str, subject: str, eval_set: str, rows: Iterable[Row], scorers: Optional[Sequence[str]] = None,
                   name: Optional[str] = None, run_id: Optional[str] = None) -> dict[str, Any]:
    """Streams the header and the rows as NDJSON; returns the evaluation with the server's aggregates. Without
    ``scorers`` the rows are read into memory once to find them."""
    if scorers is None:
        rows = list(rows)
        scorers = scorers_of(rows)
    if not scorers:
        raise PortalError(INVALID_ARGUMENT, "no scorers: give each row \"scores\": {name: number} or pass scorers=[...].")
    for row in rows if isinstance(rows, list) else ():
        for value in (row.get("scores") or {}).values():
            if isinstance(value, float) and not math.isfinite(value):
                raise PortalError(INVALID_ARGUMENT, f"example {row.get('id')!r}: scores must be finite numbers.")
    header: dict[str, Any] = {"subject": subject, "evalSet": eval_set, "scorers": list(scorers)}
    if name is not None:
        header["name"] = name
    if run_id is not None:
        header["runId"] = run_id
    path = f"projects/{quote(project)}/evaluations"
    with api._http.open("POST", path, body=lambda: (_LineStream(_lines(header, rows)), None),
                        headers={"Content-Type": "application/x-ndjson"}) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]
