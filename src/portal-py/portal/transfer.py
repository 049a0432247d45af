"""The transfer engine, as the .NET SDK and CLI do it: manifest → only missing blobs, batched → commit; downloads that
fetch only what differs, many small blobs to a request, every byte verified before a file is put in place."""
from __future__ import annotations

import gzip
import http.client as http_client
import io
import json
import os
import shutil
import tarfile
import tempfile
import threading
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Optional, Sequence

from ._http import HttpClient, chunks, query, quote
from ._progress import Progress
from ._workers import run_all
from .errors import CONNECTION_FAILED, DIGEST_MISMATCH, INVALID_ARGUMENT, PortalError
from . import hashing
from .hashing import DigestCache, sha256_file, sha256_stream
from .manifest import ManifestEntry, changes, manifest_digest, path_violation

#: Files under this size travel in batch uploads and downloads (one tar for many); larger ones alone.
BATCH_FILE_LIMIT = 4 * 1024 * 1024
BATCH_MAX_FILES = 1000
BATCH_MAX_BYTES = 16 * 1024 * 1024
DOWNLOAD_BATCH_MAX_BLOBS = 2000
DOWNLOAD_BATCH_MAX_BYTES = 64 * 1024 * 1024
#: Above this many changed entries a put sends the whole manifest rather than a patch.
MAX_PATCH_CHANGES = 50_000
MISSING_QUERY_MAX = 10_000
#: Files at least this large go up in parts (upload sessions): parallel, resumable.
PART_UPLOAD_THRESHOLD = 128 * 1024 * 1024
PART_PARALLELISM = 4


@dataclass
class LocalFile:
    """A manifest entry and, for a file the portal should hold, where its bytes are on this machine."""

    entry: ManifestEntry
    local_path: Optional[str] = None


@dataclass
class PutResult:
    """What a put did: ``status`` is ``committed`` or ``unchanged``; ``version`` the version (new or existing)."""

    status: str
    version: dict[str, Any]
    sent: str = "manifest"
    uploaded_blobs: int = 0
    uploaded_bytes: int = 0


@dataclass
class DownloadResult:
    """What a download did: files written, files already up to date, references (not downloaded)."""

    folder: Path
    downloaded: int = 0
    downloaded_bytes: int = 0
    up_to_date: int = 0
    references: int = 0
    files: list[str] = field(default_factory=list, repr=False)


def artifact_path(project: str, name: str) -> str:
    """The API path of an artifact (a collection of versions)."""
    return f"projects/{quote(project)}/artifacts/{quote(name)}"


def resolve(http: HttpClient, project: str, spec: str) -> dict[str, Any]:
    """A committed version from ``name``, ``name:alias``, ``name:vN`` or ``name:<digest>`` (bare name = latest)."""
    if ":" not in spec:
        spec += ":latest"
    return http.get(f"projects/{quote(project)}/resolve/{quote(spec)}")  # type: ignore[no-any-return]


class ManifestCache:
    """The manifests this machine last put, by digest, in ``<cache>/manifests/<digest>.tsv`` — the CLI's format and
    folder, so a put from Python after one from the CLI (or the other way round) sends only a patch."""

    KEPT = 32

    def __init__(self, cache_dir: Optional[Path]) -> None:
        self.folder = cache_dir / "manifests" if cache_dir is not None else None

    def load(self, digest: str) -> Optional[list[ManifestEntry]]:
        """The entries of manifest ``digest`` when cached and they really hash to it, else None."""
        if self.folder is None:
            return None
        try:
            entries = []
            with open(self.folder / f"{digest}.tsv", encoding="utf-8", newline="\n") as f:
                for line in f:
                    fields = line.rstrip("\n").split("\t")
                    if len(fields) != 4 or not fields[2].isdigit():
                        return None
                    entries.append(ManifestEntry(fields[0], fields[1], int(fields[2]), fields[3] or None))
        except (OSError, UnicodeDecodeError):
            return None
        try:
            return entries if manifest_digest(entries) == digest else None
        except ValueError:
            return None

    def save(self, digest: str, entries: Iterable[ManifestEntry]) -> None:
        """Remembers ``entries`` under their digest, keeping the most recent few."""
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{digest}.tsv"
            temp = self.folder / f"{digest}.tsv.tmp-{os.getpid()}-{threading.get_ident()}"
            with open(temp, "w", encoding="utf-8", newline="\n") as f:
                for e in entries:
                    f.write(f"{e.path}\t{e.digest}\t{e.size}\t{e.ref or ''}\n")
            os.replace(temp, target)
            kept = sorted(self.folder.glob("*.tsv"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in kept[self.KEPT:]:
                old.unlink()
        except OSError:
            pass  # the cache only saves work


# --------------------------------------------------------------------------------------------------------- upload


def put_version(
    http: HttpClient,
    project: str,
    name: str,
    type: str,
    files: Sequence[LocalFile],
    *,
    description: Optional[str] = None,
    metadata: Optional[dict[str, Any]] = None,
    aliases: Sequence[str] = (),
    run_id: Optional[str] = None,
    cache_dir: Optional[Path] = None,
    workers: int = 8,
) -> PutResult:
    """Creates a version from ``files`` unless it equals the artifact's latest; uploads only the blobs the portal
    lacks and commits. A failure or Ctrl+C after the pending version was created aborts it, so nothing half-made stays."""
    entries = [f.entry for f in files]
    bad = [(e.path, why) for e in entries if (why := path_violation(e.path)) is not None]
    if bad:
        listing = "; ".join(f"{p!r}: {why}" for p, why in bad[:20])
        raise PortalError(INVALID_ARGUMENT, f"{len(bad)} path(s) break the portal's path rules, nothing was sent: {listing}")
    try:
        local_digest = manifest_digest(entries)
    except ValueError as ex:
        raise PortalError(INVALID_ARGUMENT, str(ex)) from None

    latest = _try_latest(http, project, name)
    same_type = latest is not None and latest.get("artifactType") == type
    if same_type and latest["manifestDigest"] == local_digest:  # type: ignore[index]
        return PutResult("unchanged", _with_aliases(http, project, name, latest, aliases), sent="nothing")  # type: ignore[arg-type]

    manifests = ManifestCache(cache_dir)
    created: Optional[dict[str, Any]] = None
    sent = "manifest"
    if same_type and (previous := manifests.load(latest["manifestDigest"])) is not None:  # type: ignore[index]
        upserts, deletes = changes(previous, entries)
        if len(upserts) + len(deletes) <= max(MAX_PATCH_CHANGES // 100, min(MAX_PATCH_CHANGES, len(entries) // 2)):
            body = _version_fields(type, description, metadata, aliases, run_id)
            body.update(base=latest["id"], upserts=[e.to_json() for e in upserts], deletes=deletes)  # type: ignore[index]
            created = http.post(artifact_path(project, name) + "/versions", body)
            sent = "patch"
            if created["manifestDigest"] != local_digest:  # type: ignore[index]
                # The cached manifest did not describe latest after all: start over with the whole manifest.
                if created.get("status") == "pending" and created.get("versionId"):  # type: ignore[union-attr]
                    _abort_quietly(http, project, name, created["versionId"])  # type: ignore[index]
                created, sent = None, "manifest"
    if created is None:
        created = _create_from_manifest(http, project, name, type, entries, description, metadata, aliases, run_id)

    if created["status"] != "pending":
        manifests.save(created["manifestDigest"], entries)
        return PutResult(created["status"], _with_aliases(http, project, name, created.get("version") or {}, aliases), sent)

    version_id = created["versionId"]
    try:
        count, size = _upload_missing(http, project, created, files, workers)
        committed = http.post(artifact_path(project, name) + f"/versions/{version_id}/commit", idempotent=True)
    except BaseException:
        _abort_quietly(http, project, name, version_id)
        raise
    manifests.save(created["manifestDigest"], entries)
    return PutResult(committed["status"], committed["version"], sent, count, size)


def _with_aliases(http: HttpClient, project: str, name: str, version: dict[str, Any], aliases: Sequence[str]) -> dict[str, Any]:
    """An unchanged put still moves the aliases it asked for to the version with that content (as a new version would
    get them); a protected alias is refused with ``alias_protected`` as at upload. Returns the version as it is now."""
    missing = [a for a in aliases if a not in (version.get("aliases") or [])]
    if not missing or not version.get("id"):
        return version
    for alias in missing:
        http.json("PUT", artifact_path(project, name) + f"/aliases/{quote(alias)}", {"version": version["id"]}, idempotent=True)
    return resolve(http, project, f"{name}:{version['id']}")


def put_artifact(api: Any, project: str, artifact: Any, aliases: Sequence[str], run_id: Optional[str], workers: int) -> PutResult:
    """Hashes an :class:`~portal.Artifact`'s files (in parallel; unchanged ones from the digest cache, which then
    forgets files gone from its folders) and puts the version (:func:`put_version`)."""
    cache = api._digest_cache()
    local = list(artifact._files.values())
    progress = Progress("hashing", len(local), 0)
    try:
        hashes = hashing.hash_files(local, cache, workers=workers, on_file=lambda size: progress.advance(1, size))
    finally:
        progress.close()
    if cache is not None:
        present = set(local)
        for folder in artifact._folders:
            cache.prune(folder, present)
        cache.save()
    return put_version(api._http, project, artifact.name, artifact.type, artifact._local_files(hashes),
                       description=artifact.description, metadata=artifact.metadata, aliases=aliases, run_id=run_id,
                       cache_dir=api.settings.cache_dir, workers=workers)


def _version_fields(type: str, description: Optional[str], metadata: Optional[dict[str, Any]], aliases: Sequence[str], run_id: Optional[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type}
    if description is not None:
        body["description"] = description
    if metadata is not None:
        body["metadata"] = metadata
    if aliases:
        body["aliases"] = list(aliases)
    if run_id is not None:
        body["runId"] = run_id
    return body


def _create_from_manifest(http: HttpClient, project: str, name: str, type: str, entries: Sequence[ManifestEntry],
                          description: Optional[str], metadata: Optional[dict[str, Any]], aliases: Sequence[str], run_id: Optional[str]) -> dict[str, Any]:
    """The whole manifest as gzip-compressed NDJSON (any size), the other fields in the query and a header."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1, mtime=0) as z:
        for entry in entries:
            z.write(json.dumps(entry.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
    headers = {"Content-Type": "application/x-ndjson"}
    if metadata is not None:
        # In a header rather than the query: query strings are logged and length-limited; headers carry ASCII only.
        headers["Portal-Metadata"] = json.dumps(metadata, ensure_ascii=True, separators=(",", ":"))
    path = artifact_path(project, name) + "/versions" + query(type=type, description=description, runId=run_id, alias=list(aliases) or None)
    with http.open("POST", path, buffer.getvalue(), headers) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _try_latest(http: HttpClient, project: str, name: str) -> Optional[dict[str, Any]]:
    try:
        return resolve(http, project, name + ":latest")
    except PortalError as ex:
        if ex.status == 404 and ex.code != "project_not_found":
            return None
        raise


def _abort_quietly(http: HttpClient, project: str, name: str, version_id: str) -> None:
    """A failed or interrupted put leaves no pending version behind; the original error is the one worth reporting."""
    quick = HttpClient(http.base_url, http.token, max_retries=0, timeout=10)
    try:
        with quick.open("POST", artifact_path(project, name) + f"/versions/{version_id}/abort"):
            pass
    except (PortalError, OSError):
        pass  # already committed, expired, or the portal is gone: nothing to clean


def upload_units(uploads: Sequence[LocalFile]) -> list[list[LocalFile]]:
    """Large files alone (largest first, so long transfers start early); small ones in batches of at most
    ``BATCH_MAX_FILES`` files or ``BATCH_MAX_BYTES`` bytes."""
    units: list[list[LocalFile]] = [[f] for f in sorted((u for u in uploads if u.entry.size >= BATCH_FILE_LIMIT), key=lambda u: -u.entry.size)]
    batch: list[LocalFile] = []
    size = 0
    for small in (u for u in uploads if u.entry.size < BATCH_FILE_LIMIT):
        if len(batch) == BATCH_MAX_FILES or (batch and size + small.entry.size > BATCH_MAX_BYTES):
            units.append(batch)
            batch, size = [], 0
        batch.append(small)
        size += small.entry.size
    if batch:
        units.append(batch)
    return units


def _upload_missing(http: HttpClient, project: str, created: dict[str, Any], files: Sequence[LocalFile], workers: int) -> tuple[int, int]:
    by_digest: dict[str, LocalFile] = {}
    for f in files:
        if f.local_path is not None and f.entry.ref is None:
            by_digest.setdefault(f.entry.digest, f)
    if created.get("missingDigestsTruncated"):
        missing: list[str] = []
        for batch in chunks(sorted(by_digest), MISSING_QUERY_MAX):
            missing.extend(http.post("blobs/missing", {"digests": batch, "project": project}, idempotent=True)["missing"])
    else:
        missing = list(created.get("missingDigests") or [])
    uploads = []
    for digest in missing:
        if digest not in by_digest:
            raise PortalError(INVALID_ARGUMENT, f"the portal asked for blob {digest}, which is not in this manifest.")
        uploads.append(by_digest[digest])
    units = upload_units(uploads)
    stop = threading.Event()
    progress = Progress("uploading", len(uploads), sum(u.entry.size for u in uploads))

    def send(unit: list[LocalFile]) -> None:
        if stop.is_set():
            return
        if len(unit) == 1:
            _put_blob(http, project, unit[0])
        else:
            _put_batch(http, project, unit)
        progress.advance(len(unit), sum(u.entry.size for u in unit))

    try:
        run_all(units, send, workers, stop)
    finally:
        progress.close()
    return len(uploads), sum(u.entry.size for u in uploads)


def _open_hashed(local: LocalFile) -> IO[bytes]:
    try:
        return open(local.local_path, "rb")  # type: ignore[arg-type]
    except FileNotFoundError:
        raise PortalError("file_changed", f"{local.local_path} was removed after it was hashed. Nothing of it was stored; log the artifact again.") from None


def _check_size(local: LocalFile, actual: int) -> None:
    if actual != local.entry.size:
        raise PortalError("file_changed", f"{local.local_path} changed after it was hashed: it had {local.entry.size:,} bytes then and {actual:,} now. "
                          "Nothing of it was stored; log the artifact again.")


class _FileRange(io.RawIOBase):
    """``length`` bytes of a file from ``offset``: one part of a large upload."""

    def __init__(self, path: str, offset: int, length: int) -> None:
        super().__init__()
        self._file = open(path, "rb")
        self._file.seek(offset)
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)[: self._left]
        n = self._file.readinto(view) if len(view) else 0
        if len(view) and not n:
            raise PortalError("file_changed", f"{self._file.name} got shorter after it was hashed; log the artifact again.")
        self._left -= n
        return n

    def read(self, size: int = -1) -> bytes:
        # http.client sends a body by reading it in blocks; a larger block than its 8 KiB costs fewer calls.
        return super().read(max(size, 1 << 20) if size != -1 else -1) or b""

    def close(self) -> None:
        self._file.close()
        super().close()


def _put_blob_in_parts(http: HttpClient, project: str, local: LocalFile, parallel: int = PART_PARALLELISM) -> None:
    """A large file in parts, ``parallel`` at a time, each with its own SHA-256, as the .NET SDK sends it: a repeated
    call resumes, sending only the parts the portal lacks; a part refused for its digest is hashed and sent once more."""
    path, size = str(local.local_path), local.entry.size
    session = http.post("blobs/uploads", {"digest": local.entry.digest, "size": size, "project": project}, idempotent=True)
    if session.get("alreadyStored") or not session.get("id"):
        return
    session_id = session["id"]
    direct = {p["number"]: p["url"] for p in session.get("partUrls") or []}

    def send(number: int) -> None:
        offset = (number - 1) * session["partSize"]
        length = min(session["partSize"], size - offset)
        if number in direct:
            _put_direct(http, direct[number], path, offset, length)
            return
        for attempt in range(2):
            with _FileRange(path, offset, length) as part:
                digest, _ = sha256_stream(part)  # type: ignore[arg-type]
            try:
                with http.open("PUT", f"blobs/uploads/{session_id}/parts/{number}", lambda: (_FileRange(path, offset, length), length),  # type: ignore[arg-type, return-value]
                               {"Content-Type": "application/octet-stream", "X-Part-Sha256": digest}, idempotent=True) as response:
                    response.read()
                return
            except PortalError as error:
                if error.code != "part_digest_mismatch" or attempt == 1:
                    raise

    def send_missing(state: dict[str, Any]) -> None:
        held = {p["number"] for p in state.get("parts") or []}
        run_all([n for n in range(1, state["partCount"] + 1) if n not in held], send, parallel)

    send_missing(session)
    try:
        http.post(f"blobs/uploads/{session_id}/complete")
    except PortalError as error:
        if error.code != "parts_missing":
            raise
        # A part the portal had to forget (cut short by a dropped connection): send what it lacks, once.
        send_missing(http.get(f"blobs/uploads/{session_id}"))
        http.post(f"blobs/uploads/{session_id}/complete")


def _put_direct(http: HttpClient, url: str, path: str, offset: int, length: int) -> None:
    """A part straight to the object store's signed address: never with the portal's token."""
    import urllib.request

    for attempt in range(http.max_retries + 1):
        with _FileRange(path, offset, length) as body:
            request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Length": str(length), "x-ms-version": "2023-11-03"})
            try:
                with urllib.request.urlopen(request, timeout=http.timeout) as response:
                    response.read()
                return
            except urllib.error.HTTPError as error:
                if attempt < http.max_retries and (error.code >= 500 or error.code in (408, 429)):
                    http._sleep(attempt, None)
                    continue
                raise PortalError(f"http_{error.code}", f"The object store refused a part ({error.code} {error.reason}).", error.code) from None
            except (urllib.error.URLError, OSError) as error:
                if attempt < http.max_retries:
                    http._sleep(attempt, None)
                    continue
                raise PortalError("connection_failed", f"Cannot reach the object store: {error}") from None


def _put_blob(http: HttpClient, project: str, local: LocalFile) -> None:
    if local.entry.size >= PART_UPLOAD_THRESHOLD:
        try:
            _put_blob_in_parts(http, project, local)
            return
        except PortalError as error:
            if error.status not in (404, 405) or error.code in ("upload_session_not_found", "project_not_found"):
                raise
            # A portal without upload sessions: one request, as before.

    def body() -> tuple[IO[bytes], int]:
        with _open_hashed(local) as stream:
            _check_size(local, os.fstat(stream.fileno()).st_size)
        # Read in 1 MiB blocks (http.client's own are 8 KiB); exactly the hashed length is sent.
        return _FileRange(str(local.local_path), 0, local.entry.size), local.entry.size  # type: ignore[return-value]

    path = f"blobs/sha256/{quote(local.entry.digest)}" + query(project=project)
    with http.open("PUT", path, body, {"Content-Type": "application/octet-stream"}, idempotent=True) as response:
        response.read()


def _put_batch(http: HttpClient, project: str, unit: Sequence[LocalFile]) -> None:
    """One ustar stream of the files, each entry named by its digest; the portal verifies every entry."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for local in unit:
            with _open_hashed(local) as data:
                _check_size(local, os.fstat(data.fileno()).st_size)
                info = tarfile.TarInfo(local.entry.digest)
                info.size = local.entry.size
                info.mode = 0o644
                tar.addfile(info, data)
    payload = buffer.getvalue()
    with http.open("POST", "blobs/batch" + query(project=project), payload, {"Content-Type": "application/x-tar"}, idempotent=True) as response:
        response.read()


# ------------------------------------------------------------------------------------------------------- download


def list_files(http: HttpClient, project: str, version_id: str, workers: int = 8) -> list[dict[str, Any]]:
    """Every file of a version (``kind``, ``path``, ``digest``, ``size``, ``ref``), in path order; folders of one depth
    are listed in parallel, each a page at a time."""
    files: list[dict[str, Any]] = []
    lock = threading.Lock()
    folders = [""]
    base = f"projects/{quote(project)}/versions/{version_id}/files"
    while folders:
        subfolders: list[str] = []

        def list_folder(folder: str) -> None:
            continuation = None
            while True:
                page = http.get(base + query(path=folder or None, continuation=continuation, limit=1000))
                with lock:
                    for item in page["items"]:
                        (subfolders if item["kind"] == "folder" else files).append(item["path"] if item["kind"] == "folder" else item)
                continuation = page.get("continuationToken")
                if not continuation:
                    return

        run_all(folders, list_folder, workers, threading.Event())
        folders = subfolders
    files.sort(key=lambda f: f["path"])
    return files


class _SafeTargets:
    """Where each path of a version goes under ``root``, refusing any that would land outside it — through ``..``, an
    absolute path or a symbolic link inside the folder. Each folder's real location is looked up once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self._checked: dict[Path, bool] = {}

    def __call__(self, path: str) -> Path:
        why = path_violation(path)
        if why is not None:
            raise PortalError(INVALID_ARGUMENT, f"refusing to write {path!r}: {why}")
        target = self.root.joinpath(*path.split("/"))
        inside = self._checked.get(target.parent)
        if inside is None:
            parent = os.path.realpath(target.parent)
            inside = parent == self.real_root or parent.startswith(self.real_root + os.sep)
            self._checked[target.parent] = inside
        if not inside:
            raise PortalError(INVALID_ARGUMENT, f"refusing to write {path!r}: a symbolic link in {self.root} leads outside it")
        if target.is_symlink():
            raise PortalError(INVALID_ARGUMENT, f"refusing to write {path!r}: {target} is a symbolic link")
        return target


def _is_up_to_date(target: Path, item: dict[str, Any], cache: Optional[DigestCache]) -> bool:
    try:
        st = target.stat()
    except OSError:
        return False
    if not target.is_file() or st.st_size != item.get("size"):
        return False
    digest = cache.lookup(str(target), st) if cache is not None else None
    if digest is None:
        import time

        digest, _ = sha256_file(str(target))
        if cache is not None:
            cache.store(str(target), st, digest, time.time_ns())
    return digest == item.get("digest")


class _VerifyingWriter:
    """Writes to a temporary file beside the target while hashing; puts it in place only when the digest matches."""

    def __init__(self, target: Path, active: Optional[set["_VerifyingWriter"]] = None) -> None:
        import hashlib

        # A short name of its own, so a target name up to the file-system limit still round-trips.
        try:
            fd, self.temp = tempfile.mkstemp(prefix=".portal-", suffix=".tmp", dir=target.parent)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, self.temp = tempfile.mkstemp(prefix=".portal-", suffix=".tmp", dir=target.parent)
        self.file = os.fdopen(fd, "wb")
        self.hash = hashlib.sha256()
        self.size = 0
        # The download's writers in flight, so an interrupted download can remove their temporary files.
        self._active = active
        if active is not None:
            active.add(self)

    def copy_from(self, stream: IO[bytes]) -> None:
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                return
            self.hash.update(chunk)
            self.size += len(chunk)
            self.file.write(chunk)

    def finish(self, digest: str, size: Optional[int], targets: Sequence[Path], label: str) -> None:
        self.file.close()
        try:
            actual = self.hash.hexdigest()
            if actual != digest or (size is not None and self.size != size):
                raise PortalError(DIGEST_MISMATCH, f"{label}: the bytes received hash to sha256:{actual} ({self.size:,} bytes), "
                                  f"not sha256:{digest}; the file was not written.")
            for extra in targets[1:]:
                extra.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.temp, extra)
            os.replace(self.temp, targets[0])
        finally:
            self.discard()

    def discard(self) -> None:
        if self._active is not None:
            self._active.discard(self)
        try:
            if not self.file.closed:
                self.file.close()
        except OSError:
            pass
        try:
            os.unlink(self.temp)
        except FileNotFoundError:
            pass


def download_version(
    http: HttpClient,
    project: str,
    version: dict[str, Any],
    folder: str | os.PathLike[str],
    *,
    cache: Optional[DigestCache] = None,
    cache_dir: Optional[Path] = None,
    workers: int = 8,
) -> DownloadResult:
    """Writes the files of ``version`` that ``folder`` does not already hold byte for byte. Every file is hashed as it
    is written to a temporary file and renamed into place only when its SHA-256 matches; a file that does not match is
    never written, and the call then raises :class:`PortalError` (``digest_mismatch``) after the others are done."""
    root = Path(folder)
    version_id = version["id"]
    cached = ManifestCache(cache_dir).load(version["manifestDigest"]) if cache_dir is not None else None
    if cached is not None:
        listed = [{"kind": "file", "path": e.path, "digest": e.digest, "size": e.size, "ref": e.ref} for e in cached]
    else:
        listed = list_files(http, project, version_id, workers)
    result = DownloadResult(root, files=[f["path"] for f in listed])
    result.references = sum(1 for f in listed if f.get("ref"))
    files = [f for f in listed if not f.get("ref")]
    # Every path is checked before anything is written, so a broken manifest leaves the folder untouched.
    safe_target = _SafeTargets(root)
    targets = [(f, safe_target(f["path"])) for f in files]
    root.mkdir(parents=True, exist_ok=True)

    needed = [(f, t) for f, t in targets if not _is_up_to_date(t, f, cache)]
    result.up_to_date = len(targets) - len(needed)
    failures: list[PortalError] = []
    lock = threading.Lock()

    progress = Progress("downloading", len(needed), sum(f.get("size") or 0 for f, _ in needed))

    def written(count: int, size: int) -> None:
        with lock:
            result.downloaded += count
            result.downloaded_bytes += size
        progress.advance(count, size)

    small = [(f, t) for f, t in needed if f.get("digest") and (f.get("size") or 0) <= BATCH_FILE_LIMIT]
    large = [(f, t) for f, t in needed if not (f.get("digest") and (f.get("size") or 0) <= BATCH_FILE_LIMIT)]
    batches: list[list[tuple[dict[str, Any], Path]]] = []
    batch: list[tuple[dict[str, Any], Path]] = []
    digests: set[str] = set()
    size = 0
    for f, t in small:
        if f["digest"] not in digests:
            digests.add(f["digest"])
            size += f.get("size") or 0
        batch.append((f, t))
        if len(digests) >= DOWNLOAD_BATCH_MAX_BLOBS or size >= DOWNLOAD_BATCH_MAX_BYTES:
            batches.append(batch)
            batch, digests, size = [], set(), 0
    if batch:
        batches.append(batch)

    active: set[_VerifyingWriter] = set()

    def fetch_batch(group: list[tuple[dict[str, Any], Path]]) -> None:
        left_over = _download_batch(http, project, group, written, failures, lock, active)
        with lock:
            large.extend(left_over)

    stop = threading.Event()
    try:
        run_all(batches, fetch_batch, min(workers, 4), stop)
    except BaseException:
        stop.set()
        for writer in list(active):
            writer.discard()
        progress.close()
        raise

    def fetch_one(pair: tuple[dict[str, Any], Path]) -> None:
        f, target = pair
        path = f"projects/{quote(project)}/versions/{version_id}/file" + query(path=f["path"])
        for attempt in range(http.max_retries + 1):
            writer = _VerifyingWriter(target, active)
            try:
                with http.open("GET", path, idempotent=True) as response:
                    writer.copy_from(response)
                writer.finish(f["digest"], f.get("size"), [target], f["path"])
                written(1, writer.size)
                return
            except PortalError as error:
                with lock:
                    failures.append(error)
                return
            except (OSError, http_client.HTTPException) as error:
                # The answer broke off mid-way: ask again (a read), then give up on this file only.
                if attempt == http.max_retries:
                    with lock:
                        failures.append(PortalError(CONNECTION_FAILED, f"{f['path']}: the download broke off ({error}); the file was not written."))
                    return
                http._sleep(attempt, None)
            finally:
                writer.discard()

    try:
        run_all(large, fetch_one, workers, stop)
    except BaseException:
        # Ctrl+C or an unexpected error: leave no temporary file behind (a file already in place is a verified one).
        stop.set()
        for writer in list(active):
            writer.discard()
        raise
    finally:
        progress.close()
    if cache is not None:
        cache.save()
    if failures:
        first = failures[0]
        more = f" (and {len(failures) - 1} more failures)" if len(failures) > 1 else ""
        raise PortalError(first.code, first.message + more, first.status, {"failures": [str(f) for f in failures]})
    return result


def _download_batch(http: HttpClient, project: str, group: list[tuple[dict[str, Any], Path]],
                    written: Callable[[int, int], None], failures: list[PortalError], lock: threading.Lock,
                    active: Optional[set[_VerifyingWriter]] = None) -> list[tuple[dict[str, Any], Path]]:
    """Fetches a group's blobs in one tar answer; returns what must be fetched file by file instead (blobs the answer
    left out, or all of them when the batch endpoint is not there or the connection broke)."""
    by_digest: dict[str, list[tuple[dict[str, Any], Path]]] = {}
    for f, t in group:
        by_digest.setdefault(f["digest"], []).append((f, t))
    pending = set(by_digest)
    try:
        with http.open("POST", f"projects/{quote(project)}/blobs/download", json.dumps({"digests": sorted(by_digest)}).encode(),
                       {"Content-Type": "application/json"}) as response:
            with tarfile.open(fileobj=response, mode="r|") as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    data = tar.extractfile(member)
                    if data is None:
                        continue
                    name = member.name
                    if name.startswith("errors/"):
                        digest = name[len("errors/"):]
                        if digest in pending:
                            pending.discard(digest)
                            try:
                                # Field names are matched without regard to case, as the .NET SDK reads them.
                                error = {str(k).lower(): v for k, v in json.loads(data.read()).items()}
                            except (ValueError, AttributeError):
                                error = {}
                            with lock:
                                failures.append(PortalError(str(error.get("code") or "internal_error"),
                                                            f"{by_digest[digest][0][0]['path']}: {error.get('message') or 'the portal could not send it'} The file was not written."))
                        continue
                    if name not in pending:
                        continue
                    pending.discard(name)
                    pairs = by_digest[name]
                    writer = _VerifyingWriter(pairs[0][1], active)
                    try:
                        writer.copy_from(data)
                        writer.finish(name, pairs[0][0].get("size"), [t for _, t in pairs], pairs[0][0]["path"])
                        written(len(pairs), writer.size * len(pairs))
                    except PortalError as error:
                        with lock:
                            failures.append(error)
                    finally:
                        writer.discard()
    except PortalError as error:
        if error.status in (404, 405):
            pass  # a portal without batch downloads: file by file
        elif error.code == "connection_failed":
            pass  # what did not arrive is fetched file by file, with retries
        else:
            raise
    except (tarfile.TarError, OSError, urllib.error.URLError):
        pass  # a broken batch falls back to file by file
    return [pair for digest in pending for pair in by_digest[digest]]
