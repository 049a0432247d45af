"""Reading the portal: artifacts by ``project/name:vN|alias``, their versions, files, diffs and lineage."""
from __future__ import annotations

import http.client
import json
import socket
import threading
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Optional, Sequence

from ._http import HttpClient, query, quote
from .artifact import ArtifactVersion
from .config import Settings
from .errors import CONNECTION_FAILED, INVALID_ARGUMENT, PortalError
from .evaluation import log_evaluation
from .hashing import DigestCache
from .transfer import PutResult, put_artifact, resolve

if TYPE_CHECKING:
    from .artifact import Artifact


class Api:
    """A connection to the portal for reading (and for the few writes a script needs outside a run).

    Configured as the CLI: arguments, else ``PORTAL_URL``/``PORTAL_TOKEN``/``PORTAL_PROJECT``, else the saved
    ``portal login``. Inside ``portal run exec`` (``PORTAL_RUN_ID``) every version downloaded through it is recorded
    as an input of that run, as the .NET SDK does.
    """

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None, project: Optional[str] = None,
                 env: Optional[Mapping[str, str]] = None, max_retries: Optional[int] = None) -> None:
        self.settings = Settings.resolve(url, token, project, env)
        self._http = HttpClient(self.settings.url, self.settings.token,
                                max_retries=self.settings.max_retries if max_retries is None else max_retries)
        self._used: set[str] = set()
        self._lock = threading.Lock()
        self._cache: Optional[DigestCache] = None

    @property
    def default_project(self) -> Optional[str]:
        """The project used when a spec or call names none (argument, ``PORTAL_PROJECT`` or the login's)."""
        return self.settings.project

    def _project(self, project: Optional[str]) -> str:
        """The project given, else the default one; an error that says how to name one when there is neither."""
        slug = project or self.settings.project
        if not slug:
            raise PortalError(INVALID_ARGUMENT, "no project: pass project=, or set PORTAL_PROJECT.")
        return slug

    def _split(self, spec: str) -> tuple[str, str]:
        """``project/name:ref`` or ``name:ref`` (default project) → (project, ``name:ref``)."""
        if "/" in spec:
            project, rest = spec.split("/", 1)
        else:
            project, rest = self.settings.project or "", spec
        if not project:
            raise PortalError(INVALID_ARGUMENT, f"no project in {spec!r}: write project/{spec}, pass project=, or set PORTAL_PROJECT.")
        return project, rest

    # -- artifacts ---------------------------------------------------------------------------------------------------

    def artifact(self, spec: str) -> ArtifactVersion:
        """A committed version: ``project/name:v3``, ``project/name:production``, ``name:latest`` (default project),
        a bare name meaning ``:latest``, or ``name:<manifest digest>``."""
        project, rest = self._split(spec)
        return ArtifactVersion(self, project, resolve(self._http, project, rest))

    def artifact_versions(self, spec: str, limit: Optional[int] = None) -> list[ArtifactVersion]:
        """Committed versions of ``project/name``, newest first (all of them, or the first ``limit``)."""
        project, name = self._split(spec)
        name = name.split(":", 1)[0]
        versions: list[ArtifactVersion] = []
        continuation = None
        while True:
            page = self._http.get(f"projects/{quote(project)}/artifacts/{quote(name)}/versions" + query(limit=min(limit or 200, 200), continuationToken=continuation))
            versions.extend(ArtifactVersion(self, project, v) for v in page["items"])
            continuation = page.get("continuationToken")
            if not continuation or (limit is not None and len(versions) >= limit):
                return versions[:limit] if limit is not None else versions

    def artifacts(self, project: Optional[str] = None, type: Optional[str] = None) -> list[dict[str, Any]]:
        """The artifacts (collections) of a project: ``name``, ``type``, ``versionCount``, ``latestVersion`` …"""
        project = self._project(project)
        return self._http.get(f"projects/{quote(project)}/artifacts" + query(type=type))  # type: ignore[no-any-return]

    def diff(self, a: str, b: str) -> dict[str, Any]:
        """Changes from version ``a`` to version ``b`` (both ``project/name:ref``): ``summary`` and ``items``."""
        return self.artifact(a).diff(self.artifact(b))

    def changes(self, a: str, b: str, key: Optional[str] = None, rows: bool = True,
                continuation: Optional[str] = None) -> Iterator[dict[str, Any]]:
        """The change feed from version ``a`` to version ``b`` (``project/name:ref``; a bare ``v4`` or alias for ``b``
        means the same artifact as ``a``): one dict per record as the portal streams it — ``op`` (added, changed,
        removed, renamed, duplicate_key, malformed, end), ``path``, ``key``, ``rowDigest``, ``row`` … — ending with the
        ``end`` record whose ``summary`` holds the counts. A stream cut off before its end is resumed from the last
        record's ``cursor`` (as many times as the client retries), so each record is yielded once. ``rows=False``
        leaves the row bodies out. See docs/change-feed.md."""
        project, first = self._split(a)
        if "/" in b:
            other, second = self._split(b)
            if other != project:
                raise PortalError(INVALID_ARGUMENT, f"{a!r} and {b!r} are in different projects; the change feed compares versions of one project.")
        else:
            second = b if ":" in b else first.split(":", 1)[0] + ":" + b
        return self._changes(project, first, second, key, rows, continuation)

    def _changes(self, project: str, first: str, second: str, key: Optional[str], rows: bool,
                 cursor: Optional[str]) -> Iterator[dict[str, Any]]:
        resumes = 0
        while True:
            path = f"projects/{quote(project)}/changes" + query(**{"from": first, "to": second, "key": key,
                                                                   "rows": None if rows else False, "continuation": cursor})
            ended = False
            try:
                with self._http.open("GET", path, idempotent=True) as response:
                    for raw in response:
                        line = raw.strip()
                        if not line:
                            continue
                        try:
                            record = json.loads(line)
                        except ValueError:
                            break  # the last line of a cut stream: resume from the record before it
                        cursor = record.get("cursor", cursor)
                        yield record
                        if record.get("op") == "end":
                            ended = True
                            break
            except (http.client.HTTPException, ConnectionError, socket.timeout, OSError):
                pass
            if ended:
                return
            resumes += 1
            if resumes > max(self._http.max_retries, 0):
                raise PortalError(CONNECTION_FAILED, "the change feed was cut off repeatedly; call changes() again with continuation=<the last cursor>.")

    def set_alias(self, spec: str, alias: str, reason: Optional[str] = None) -> dict[str, Any]:
        """Points ``alias`` at the version ``project/name:ref`` (refused with ``alias_protected`` for a protected one)."""
        version = self.artifact(spec)
        body: dict[str, Any] = {"version": version.id}
        if reason:
            body["reason"] = reason
        return self._http.json("PUT", f"projects/{quote(version.project)}/artifacts/{quote(version.name)}/aliases/{quote(alias)}", body, idempotent=True)  # type: ignore[no-any-return]

    def export_evidence(self, spec: str, path: str, at: Optional[str] = None, project: Optional[str] = None) -> str:
        """Writes the signed evidence pack of ``spec`` (``index:v3``, or ``index:production`` with ``at`` =
        ``"2026-03-03T14:00Z"`` for what the alias pointed at then) to ``path``; check it with
        :func:`portal.verify_evidence`. Returns ``path``."""
        slug = self._project(project)
        params = {"alias": spec, "at": at} if at else {"version": spec}
        response = self._http.open("GET", f"projects/{quote(slug)}/evidence" + query(**params), idempotent=True)
        try:
            with open(path, "wb") as out:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
        finally:
            response.close()
        return path

    def log_artifact(self, artifact: "Artifact", project: Optional[str] = None, aliases: Sequence[str] = (), workers: int = 8) -> ArtifactVersion:
        """Logs an artifact outside a run (as ``portal artifact put``): inside ``portal run exec`` it is recorded as
        produced by that run. Inside your own run, use :meth:`portal.Run.log_artifact` instead."""
        slug = self._project(project)
        run_id = self.settings.run_id if self.settings.run_project in (None, slug) else None
        result = put_artifact(self, slug, artifact, aliases, run_id, workers)
        self.last_put = result
        return ArtifactVersion(self, slug, result.version)

    last_put: Optional[PutResult] = None

    def log_evaluation(self, subject: str, eval_set: str, rows: Iterable[Mapping[str, Any]], scorers: Optional[Sequence[str]] = None,
                       name: Optional[str] = None, project: Optional[str] = None) -> dict[str, Any]:
        """Logs a finished evaluation of ``subject`` (``index:v3``) on ``eval_set`` (``golden:production``, pinned to the
        version it names now): ``rows`` are ``{"id": ..., "scores": {name: number}, "latencyMs": ..., "tokens": ...,
        "output": ...}``, streamed as NDJSON. Inside ``portal run exec`` it is recorded as that run's. Returns the
        evaluation with the aggregates the portal computed."""
        slug = self._project(project)
        run_id = self.settings.run_id if self.settings.run_project in (None, slug) else None
        return log_evaluation(self, slug, subject, eval_set, rows, scorers, name, run_id)

    # -- runs and lineage --------------------------------------------------------------------------------------------

    def run(self, run_id: str, project: Optional[str] = None) -> dict[str, Any]:
        """A run: ``id``, ``name``, ``jobType``, ``status``, ``config``, ``summary`` …"""
        project = self._project(project)
        return self._http.get(f"projects/{quote(project)}/runs/{run_id}")  # type: ignore[no-any-return]

    def run_lineage(self, run_id: str, project: Optional[str] = None) -> dict[str, list[dict[str, Any]]]:
        """The versions a run used (``inputs``) and produced (``outputs``)."""
        project = self._project(project)
        return self._http.get(f"projects/{quote(project)}/runs/{run_id}/lineage")  # type: ignore[no-any-return]

    def lineage(self, spec: str, up: int = 2, down: int = 2) -> dict[str, Any]:
        """The lineage graph around a version (``project/name:ref``)."""
        return self.artifact(spec).lineage(up, down)

    def provenance(self, spec: str) -> dict[str, Any]:
        """Everything upstream of a version: the runs and versions it was made from."""
        version = self.artifact(spec)
        return self._http.get(f"projects/{quote(version.project)}/lineage/provenance" + query(node=f"version:{version.id}"))  # type: ignore[no-any-return]

    def versions_with_blob(self, digest: str) -> list[dict[str, Any]]:
        """Committed versions, in projects you can read, that hold a file with this SHA-256."""
        return self._http.get(f"blobs/sha256/{quote(digest)}/versions")  # type: ignore[no-any-return]

    # -- projects ----------------------------------------------------------------------------------------------------

    def projects(self) -> list[dict[str, Any]]:
        """The projects you are a member of (site admins: all): ``slug``, ``name``, ``role`` …"""
        return self._http.get("projects")  # type: ignore[no-any-return]

    def create_project(self, slug: str, name: Optional[str] = None, description: Optional[str] = None) -> dict[str, Any]:
        """Creates a project (``slug``: ``[a-z0-9-]{1,64}``); you become its admin."""
        body = {"slug": slug, "name": name or slug}
        if description:
            body["description"] = description
        return self._http.post("projects", body)  # type: ignore[no-any-return]

    # -- automations -------------------------------------------------------------------------------------------------

    def _automations_path(self, project: Optional[str], collection: Optional[str]) -> str:
        if collection:
            return f"registry/collections/{quote(collection)}/automations"
        return f"projects/{quote(self._project(project))}/automations"

    def automations(self, project: Optional[str] = None, collection: Optional[str] = None) -> list[dict[str, Any]]:
        """The automation rules of a project (or of a registry collection) with each one's ``lastRun``."""
        return self._http.get(self._automations_path(project, collection))  # type: ignore[no-any-return]

    def add_automation(self, name: str, trigger: str, action: str, artifact_type: Optional[str] = None, alias: Optional[str] = None,
                       url: Optional[str] = None, enabled: bool = True, project: Optional[str] = None,
                       collection: Optional[str] = None) -> dict[str, Any]:
        """Adds a rule (admins): ``trigger`` is ``version.committed`` (``artifact_type`` filters), ``version.linked``
        (collections) or ``alias.moved`` (``alias`` filters); ``action`` is ``compare``, ``validate``,
        ``evaluation_request`` (with ``url``) or ``email``. The answer is ``{rule, secret}``; the secret, for an
        evaluation request, is shown this once."""
        body: dict[str, Any] = {"name": name, "trigger": trigger, "action": action, "enabled": enabled}
        for key, value in (("artifactType", artifact_type), ("alias", alias), ("url", url)):
            if value is not None:
                body[key] = value
        return self._http.post(self._automations_path(project, collection), body)  # type: ignore[no-any-return]

    def automation_runs(self, rule_id: str, project: Optional[str] = None, collection: Optional[str] = None,
                        limit: Optional[int] = None) -> list[dict[str, Any]]:
        """A rule's runs, newest first: ``outcome`` (pending, running, succeeded, failed, skipped) and ``message``."""
        page = self._http.get(f"{self._automations_path(project, collection)}/{quote(rule_id)}/runs" + query(limit=limit))
        return page["items"]  # type: ignore[no-any-return]

    def remove_automation(self, rule_id: str, project: Optional[str] = None, collection: Optional[str] = None) -> None:
        """Deletes a rule and its runs (admins)."""
        self._http.json("DELETE", f"{self._automations_path(project, collection)}/{quote(rule_id)}", idempotent=True)

    # -- internals ---------------------------------------------------------------------------------------------------

    def _digest_cache(self) -> Optional[DigestCache]:
        if self._cache is None and self.settings.cache_dir is not None:
            self._cache = DigestCache(self.settings.cache_dir / "python-digests.json")
        return self._cache

    def _use(self, project: str, run_id: str, version_id: str) -> None:
        """Records the ``used`` edge once per run and version."""
        key = f"{run_id}/{version_id}"
        with self._lock:
            if key in self._used:
                return
        self._http.post(f"projects/{quote(project)}/runs/{run_id}/use", {"versionId": version_id}, idempotent=True)
        with self._lock:
            self._used.add(key)

    def _record_ambient_use(self, version: ArtifactVersion) -> None:
        run_id = self.settings.run_id
        # A run can only use versions of its own project (PORTAL_PROJECT, when set, names it).
        if run_id is None or (self.settings.run_project is not None and self.settings.run_project != version.project):
            return
        self._use(version.project, run_id, version.id)
