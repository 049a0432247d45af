"""The manifest algorithm of the design, byte for byte as the portal and the .NET SDK compute it.

Entries are sorted by the UTF-8 bytes of their paths; each has the canonical line ``path \\t digest \\t size \\t ref \\n``;
the sorted list is cut into ranges after an entry whose SHA-256(path) starts with four bytes that, read as a
little-endian uint32, have their low 10 bits zero, or after 4,096 entries; a range's digest is the SHA-256 of its lines;
the manifest digest is the SHA-256 of ``portal-manifest-v1\\n`` followed by each range digest and ``\\n``. The shared
vector file ``tests/manifest-vectors.json`` pins it for both clients.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

MANIFEST_HEADER = b"portal-manifest-v1\n"
MAX_RANGE_ENTRIES = 4096
BOUNDARY_MASK = 0x3FF
MAX_PATH_BYTES = 1024


@dataclass
class ManifestEntry:
    """One file of a version: its path, SHA-256 (lower-case hex) and size; ``ref`` is an external URI whose bytes
    the portal does not hold."""

    path: str
    digest: str
    size: int
    ref: Optional[str] = None
    extra: Optional[Any] = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The API's fields; ``ref`` and ``extra`` are left out when absent."""
        value: dict[str, Any] = {"path": self.path, "digest": self.digest, "size": self.size}
        if self.ref is not None:
            value["ref"] = self.ref
        if self.extra is not None:
            value["extra"] = self.extra
        return value


def path_sort_key(path: str) -> bytes:
    """Ordinal UTF-8 byte order (Unicode code-point order), the portal's entry order."""
    return path.encode("utf-8", "surrogatepass")


def is_range_boundary(path: str) -> bool:
    """True when an entry with this path ends its range."""
    head = hashlib.sha256(path.encode("utf-8")).digest()[:4]
    return (int.from_bytes(head, "little") & BOUNDARY_MASK) == 0


def canonical_line(entry: ManifestEntry) -> bytes:
    """``path \\t digest \\t size \\t ref \\n`` in UTF-8; a missing ref is an empty field."""
    return f"{entry.path}\t{entry.digest}\t{entry.size}\t{entry.ref or ''}\n".encode("utf-8")


def sort_entries(entries: Iterable[ManifestEntry]) -> list[ManifestEntry]:
    """The entries in the portal's order; a path given twice raises ``ValueError``."""
    ordered = sorted(entries, key=lambda e: path_sort_key(e.path))
    for previous, current in zip(ordered, ordered[1:]):
        if previous.path == current.path:
            raise ValueError(f"The path '{current.path}' appears twice.")
    return ordered


def range_digests(entries: Iterable[ManifestEntry]) -> list[tuple[str, int]]:
    """The ranges of the manifest as (digest, entry count), in order."""
    result: list[tuple[str, int]] = []
    current = hashlib.sha256()
    count = 0
    for entry in sort_entries(entries):
        current.update(canonical_line(entry))
        count += 1
        if count == MAX_RANGE_ENTRIES or is_range_boundary(entry.path):
            result.append((current.hexdigest(), count))
            current, count = hashlib.sha256(), 0
    if count:
        result.append((current.hexdigest(), count))
    return result


def manifest_digest(entries: Iterable[ManifestEntry]) -> str:
    """The manifest digest of ``entries`` in any order, as the portal computes it."""
    manifest = hashlib.sha256(MANIFEST_HEADER)
    for digest, _ in range_digests(entries):
        manifest.update(digest.encode("ascii") + b"\n")
    return manifest.hexdigest()


_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def path_violation(path: str) -> Optional[str]:
    """Why ``path`` breaks the portal's path rules, or None. Checks the common rules before anything is sent; the
    portal checks them all again (and some more) and names the path when it refuses."""
    if not path:
        return "a path must not be empty"
    bad = _FORBIDDEN.search(path)
    if bad is not None:
        if bad.group() == "\\":
            return f"it contains '\\' at position {bad.start()}; separate segments with '/'"
        return f"it contains the control character U+{ord(bad.group()):04X} at position {bad.start()}"
    if path[0] == "/":
        return "it starts with '/'; paths are relative"
    if path[-1] == "/" or "//" in path or ("." in path and any(s in (".", "..") for s in path.split("/"))):
        return "it has an empty, '.' or '..' segment"
    if not path.isascii():
        if not unicodedata.is_normalized("NFC", path):
            return "it is not in Unicode normal form C (NFC)"
        if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
            return f"it is longer than {MAX_PATH_BYTES} bytes in UTF-8"
    elif len(path) > MAX_PATH_BYTES:
        return f"it is longer than {MAX_PATH_BYTES} bytes in UTF-8"
    return None


def changes(previous: Iterable[ManifestEntry], current: Iterable[ManifestEntry]) -> tuple[list[ManifestEntry], list[str]]:
    """What turns ``previous`` into ``current``: upserts (new or changed entries) and deletes (paths gone)."""
    before = {e.path: e for e in previous}
    upserts: list[ManifestEntry] = []
    seen: set[str] = set()
    for entry in current:
        seen.add(entry.path)
        old = before.get(entry.path)
        if old is None or (old.digest, old.size, old.ref) != (entry.digest, entry.size, entry.ref):
            upserts.append(entry)
    deletes = [path for path in before if path not in seen]
    return upserts, deletes
