"""Artifacts: what a pipeline builds (:class:`Artifact`) and what the portal holds (:class:`ArtifactVersion`)."""
from __future__ import annotations

import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional, Union

from ._http import quote, query
from .errors import INVALID_ARGUMENT, PortalError
from .hashing import sha256_stream
from .manifest import ManifestEntry
from .transfer import DownloadResult, LocalFile, download_version, list_files

if TYPE_CHECKING:
    from .api import Api

PathLike = Union[str, "os.PathLike[str]"]


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


class Artifact:
    """A new version in the making: files, folders and references under manifest paths, plus type, metadata and
    description. Nothing is read or sent until :meth:`portal.Run.log_artifact` (files are hashed then, in parallel).

    >>> art = Artifact("chunks", type="chunks", metadata={"chunk_size": 512})
    >>> art.add_dir("out/chunks"); art.add_file("out/stats.json")
    """

    def __init__(self, name: str, type: str, description: Optional[str] = None, metadata: Optional[dict[str, Any]] = None) -> None:
        self.name = name
        self.type = type
        self.description = description
        self.metadata = metadata
        self._files: dict[str, str] = {}
        self._references: dict[str, ManifestEntry] = {}
        self._folders: list[str] = []

    def _claim(self, path: str) -> None:
        if path in self._files or path in self._references:
            raise PortalError(INVALID_ARGUMENT, f"the artifact already has an entry at {path!r}; give this one another name.")

    def add_file(self, local_path: PathLike, name: Optional[str] = None) -> str:
        """Adds one file, at ``name`` (default: its file name); returns the manifest path."""
        local = os.path.abspath(local_path)
        if not os.path.isfile(local):
            raise PortalError(INVALID_ARGUMENT, f"{local_path} is not a file.")
        path = name if name is not None else os.path.basename(local)
        self._claim(path)
        self._files[path] = local
        return path

    def add_dir(self, local_path: PathLike, name: Optional[str] = None) -> int:
        """Adds every file under a folder (symbolic links to files are followed), at its relative path under ``name``
        (default: the artifact's root); returns how many files were added."""
        root = os.path.abspath(local_path)
        if not os.path.isdir(root):
            raise PortalError(INVALID_ARGUMENT, f"{local_path} is not a folder.")
        prefix = (name.strip("/") + "/") if name else ""
        self._folders.append(root)
        added = 0
        # scandir tells files from folders without a stat per file; links are followed (a stat for each link).
        pending = [(root, prefix)]
        seen = {_identity(os.stat(root))}
        while pending:
            folder, relative = pending.pop()
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
            for entry in entries:
                if entry.is_dir():
                    identity = _identity(entry.stat())
                    if identity in seen:
                        continue  # a link back into a folder already taken: a loop
                    seen.add(identity)
                    pending.append((entry.path, relative + entry.name + "/"))
                elif entry.is_file():  # not a link to nowhere, a socket …
                    path = relative + entry.name
                    self._claim(path)
                    self._files[path] = entry.path
                    added += 1
        return added

    def add_reference(self, uri: str, name: Optional[str] = None, *, digest: Optional[str] = None, size: Optional[int] = None) -> str:
        """Records an external object by URI with the SHA-256 and size of its bytes, which are not uploaded.
        ``file://`` and ``http(s)://`` objects are read and hashed here; for other schemes (``s3://``, ``gs://`` …) give
        ``digest`` and ``size``, or append ``#sha256=HEX&size=BYTES`` to the URI. Returns the manifest path (default:
        the URI's last segment)."""
        parsed = urllib.parse.urlsplit(uri)
        if not parsed.scheme or "://" not in uri:
            raise PortalError(INVALID_ARGUMENT, f"{uri}: give a URI such as https://host/file.bin, file:///data/x.parquet or s3://bucket/key#sha256=HEX&size=BYTES.")
        if parsed.fragment:
            for part in parsed.fragment.split("&"):
                key, _, value = part.partition("=")
                if key == "sha256":
                    digest = value.lower()
                elif key == "size" and value.isdigit():
                    size = int(value)
                else:
                    raise PortalError(INVALID_ARGUMENT, f"{uri}: the fragment takes sha256=HEX and size=BYTES, not {part!r}.")
            uri = urllib.parse.urlunsplit(parsed._replace(fragment=""))
        if digest is None or size is None:
            if parsed.scheme == "file":
                with open(urllib.request.url2pathname(parsed.path), "rb") as f:
                    digest, size = sha256_stream(f)
            elif parsed.scheme in ("http", "https"):
                with urllib.request.urlopen(uri, timeout=300) as response:
                    digest, size = sha256_stream(response)
            else:
                raise PortalError(INVALID_ARGUMENT, f"{uri}: the portal records a reference with the SHA-256 and size of its bytes; "
                                  "pass digest= and size= (or URI#sha256=HEX&size=BYTES) for this scheme.")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise PortalError(INVALID_ARGUMENT, f"{uri}: {digest!r} is not a SHA-256 in hex.")
        path = name if name is not None else (parsed.path.rstrip("/").rsplit("/", 1)[-1] or parsed.netloc)
        self._claim(path)
        self._references[path] = ManifestEntry(path, digest, int(size), uri)
        return path

    @property
    def paths(self) -> list[str]:
        """The manifest paths added so far."""
        return sorted([*self._files, *self._references])

    def _local_files(self, hashes: list[tuple[str, int]]) -> list[LocalFile]:
        files = [LocalFile(ManifestEntry(path, digest, size), local) for (path, local), (digest, size) in zip(self._files.items(), hashes)]
        return files + [LocalFile(entry) for entry in self._references.values()]

    def __repr__(self) -> str:
        return f"Artifact({self.name!r}, type={self.type!r}, entries={len(self._files) + len(self._references)})"


class ArtifactVersion:
    """A committed version: ``project``, ``name``, ``version`` (``v3``), ``id``, ``type``, ``aliases``, ``metadata``,
    ``manifest_digest``, ``file_count``, ``total_size`` and the rest of the API's answer in ``data``."""

    def __init__(self, api: "Api", project: str, data: dict[str, Any], run: Optional[Any] = None) -> None:
        self._api = api
        self._run = run
        self.project = project
        self.data = data
        self.id: str = data["id"]
        self.name: str = data["artifactName"]
        self.type: str = data["artifactType"]
        self.version: str = data["version"]
        self.index: int = data["index"]
        self.manifest_digest: str = data["manifestDigest"]
        self.file_count: int = data["fileCount"]
        self.total_size: int = data["totalSize"]
        self.metadata: Any = data.get("metadata")
        self.description: str = data.get("description") or ""
        self.aliases: list[str] = list(data.get("aliases") or [])
        self.created_by_run_id: Optional[str] = data.get("createdByRunId")

    @property
    def qualified_name(self) -> str:
        """``project/name:vN``."""
        return f"{self.project}/{self.name}:{self.version}"

    def files(self) -> list[ManifestEntry]:
        """Every entry of the version (path, digest, size, ref), in path order."""
        return [ManifestEntry(f["path"], f["digest"], f["size"], f.get("ref")) for f in list_files(self._api._http, self.project, self.id)]

    def download(self, folder: PathLike, workers: int = 8) -> Path:
        """Writes the version's files into ``folder`` (created if needed), fetching only what is not already there byte
        for byte; every file is verified by SHA-256 before it is put in place, and one that does not match is never
        written (:class:`PortalError` ``digest_mismatch``). References are not downloaded. Inside a run the version
        is recorded as an input. Returns the folder."""
        self._record_use()
        self.last_download = download_version(self._api._http, self.project, self.data, folder, cache=self._api._digest_cache(),
                                              cache_dir=self._api.settings.cache_dir, workers=workers)
        return Path(folder)

    last_download: Optional[DownloadResult] = None

    def diff(self, other: Union["ArtifactVersion", str]) -> dict[str, Any]:
        """Changes from this version to ``other`` (a version, or ``vN``/alias of the same artifact): ``summary`` and
        ``items`` (``change`` added/removed/modified/renamed, ``path``, old and new digest and size)."""
        if isinstance(other, str):
            other = self._api.artifact(f"{self.project}/{self.name}:{other}")
        items: list[dict[str, Any]] = []
        continuation = None
        while True:
            page = self._api._http.get(f"projects/{quote(self.project)}/diff" + query(
                **{"from": self.id, "to": other.id, "toProject": None if other.project == self.project else other.project,
                   "continuation": continuation, "limit": 1000}))
            items.extend(page["items"])
            continuation = page.get("continuationToken")
            if not continuation:
                return {"summary": page["summary"], "items": items}

    def lineage(self, up: int = 2, down: int = 2) -> dict[str, Any]:
        """The lineage graph around this version (``nodes`` and ``edges``, as the API's lineage graph)."""
        return self._api._http.get(f"projects/{quote(self.project)}/lineage/graph" + query(focus=f"version:{self.id}", up=up, down=down))  # type: ignore[no-any-return]

    def producer(self) -> Optional[dict[str, Any]]:
        """The run that produced this version, or None."""
        if not self.created_by_run_id:
            return None
        return self._api._http.get(f"projects/{quote(self.project)}/runs/{self.created_by_run_id}")  # type: ignore[no-any-return]

    def _record_use(self) -> None:
        run = self._run
        if run is not None:
            run._record_use(self)
        else:
            self._api._record_ambient_use(self)

    def __iter__(self) -> Iterator[ManifestEntry]:
        return iter(self.files())

    def __repr__(self) -> str:
        return f"<ArtifactVersion {self.qualified_name} {self.file_count} files, {self.total_size:,} bytes>"
