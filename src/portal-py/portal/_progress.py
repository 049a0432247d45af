"""One updating line of progress on stderr, for a person at a terminal; scripts and logs get nothing."""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Optional


class Progress:
    """Counts files and bytes of one step (``hashing``, ``uploading``, ``downloading``) and redraws at most five
    times a second. Silent unless stderr is a terminal (``PORTAL_PROGRESS=0`` silences it there too)."""

    def __init__(self, step: str, files: int, size: int, enabled: Optional[bool] = None) -> None:
        if enabled is None:
            enabled = sys.stderr.isatty() and os.environ.get("PORTAL_PROGRESS", "1") != "0"
        self.enabled = enabled and files > 0
        self.step, self.files, self.size = step, files, size
        self.done_files = 0
        self.done_bytes = 0
        self._drawn = 0.0
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def advance(self, files: int, size: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            self.done_files += files
            self.done_bytes += size
            now = time.monotonic()
            if now - self._drawn >= 0.2 or self.done_files >= self.files:
                self._drawn = now
                self._draw()

    def _draw(self) -> None:
        rate = self.done_bytes / max(time.monotonic() - self._started, 1e-3)
        sys.stderr.write(f"\r{self.step}: {self.done_files:,}/{self.files:,} files, "
                         f"{_human(self.done_bytes)}/{_human(self.size)} ({_human(rate)}/s)\x1b[K")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self._drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"
