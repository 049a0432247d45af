"""SHA-256 of local files, several at a time, remembering digests of files that did not change."""
from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import IO, Callable, Optional, Sequence

_BUFFER = 1 << 20


def sha256_stream(stream: IO[bytes], on_bytes: Optional[Callable[[int], None]] = None) -> tuple[str, int]:
    """SHA-256 (hex) and length of what ``stream`` holds from its position to its end."""
    h = hashlib.sha256()
    buffer = bytearray(_BUFFER)
    view = memoryview(buffer)
    size = 0
    while True:
        n = stream.readinto(view)  # type: ignore[attr-defined]
        if not n:
            break
        h.update(view[:n])
        size += n
        if on_bytes is not None:
            on_bytes(n)
    return h.hexdigest(), size


def sha256_file(path: str, on_bytes: Optional[Callable[[int], None]] = None) -> tuple[str, int]:
    """SHA-256 (hex) and length of a file. ``hashlib`` releases the GIL on large updates, so threads hash in parallel."""
    with open(path, "rb", buffering=0) as f:
        return sha256_stream(f, on_bytes)


class DigestCache:
    """Digests of local files keyed by absolute path, trusted while size, modification time (ns), inode and change
    time are those seen when the file was hashed. A file changed within the same timestamp tick as its hashing is
    not cached, so an edit right after a put is never missed. Stored as JSON in the cache folder; a cache that cannot
    be read or written only costs time."""

    def __init__(self, file: Optional[Path]) -> None:
        self._file = file
        self._entries: dict[str, list] = {}
        self._lock = threading.Lock()
        self._dirty = False
        if file is not None:
            try:
                with open(file, encoding="utf-8") as f:
                    data = json.load(f)
                if isinstance(data, dict) and data.get("version") == 1 and isinstance(data.get("files"), dict):
                    self._entries = data["files"]
            except (OSError, ValueError):
                self._entries = {}

    @staticmethod
    def _identity(st: os.stat_result) -> list:
        return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]

    def lookup(self, path: str, st: os.stat_result) -> Optional[str]:
        """The cached digest of ``path`` when the file is unchanged since it was hashed."""
        entry = self._entries.get(path)
        if entry and entry[:4] == self._identity(st):
            return str(entry[4])
        return None

    def store(self, path: str, st: os.stat_result, digest: str, hashed_at_ns: int) -> None:
        # A file modified in the same clock tick it was hashed in could change again unseen: do not trust it yet.
        if hashed_at_ns - st.st_mtime_ns < 2_000_000_000:
            return
        with self._lock:
            self._entries[path] = self._identity(st) + [digest]
            self._dirty = True

    def prune(self, folder: str, present: set[str]) -> None:
        """Forgets files under ``folder`` that are no longer there, so the cache follows the tree, not its history."""
        prefix = folder.rstrip(os.sep) + os.sep
        with self._lock:
            gone = [path for path in self._entries if path.startswith(prefix) and path not in present]
            for path in gone:
                del self._entries[path]
            self._dirty = self._dirty or bool(gone)

    def save(self) -> None:
        if self._file is None or not self._dirty:
            return
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            temp = self._file.with_name(f"{self._file.name}.{os.getpid()}.tmp")
            with open(temp, "w", encoding="utf-8") as f:
                json.dump({"version": 1, "files": self._entries}, f)
            os.replace(temp, self._file)
            self._dirty = False
        except OSError:
            pass


def hash_files(
    paths: Sequence[str],
    cache: Optional[DigestCache] = None,
    workers: Optional[int] = None,
    on_file: Optional[Callable[[int], None]] = None,
) -> list[tuple[str, int]]:
    """(digest, size) of each file, in the order given, hashed by a thread pool; unchanged files come from ``cache``."""
    import time

    def one(path: str) -> tuple[str, int]:
        st = os.stat(path)
        cached = cache.lookup(path, st) if cache is not None else None
        if cached is not None:
            result = (cached, st.st_size)
        else:
            digest, size = sha256_file(path)
            now = time.time_ns()
            after = os.stat(path)
            if cache is not None and DigestCache._identity(after) == DigestCache._identity(st) and size == st.st_size:
                cache.store(path, st, digest, now)
            result = (digest, size)
        if on_file is not None:
            on_file(result[1])
        return result

    if not paths:
        return []
    results: list[tuple[str, int]] = [("", 0)] * len(paths)
    # Files the cache vouches for cost a stat; only the others go to the hashing threads.
    todo: list[int] = []
    for i, path in enumerate(paths):
        if cache is not None:
            st = os.stat(path)
            cached = cache.lookup(path, st)
            if cached is not None:
                results[i] = (cached, st.st_size)
                if on_file is not None:
                    on_file(st.st_size)
                continue
        todo.append(i)

    def hash_at(i: int) -> None:
        results[i] = one(paths[i])

    from ._workers import run_all

    run_all(todo, hash_at, workers or min(32, (os.cpu_count() or 2) * 2))
    return results
