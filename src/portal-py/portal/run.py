"""Runs: one execution of pipeline code, its config, metrics, summary, and the versions it used and produced."""
from __future__ import annotations

import math
import socket
import subprocess
from typing import Any, Iterable, Iterator, Mapping, MutableMapping, Optional, Sequence

from ._http import quote
from .api import Api
from .artifact import Artifact, ArtifactVersion
from .evaluation import log_evaluation
from .errors import INVALID_ARGUMENT, PortalError
from .transfer import PutResult, put_artifact, resolve


class RunSummary(MutableMapping[str, Any]):
    """The run's summary metrics. Setting a key sends it to the portal at once (``run.summary["f1"] = 0.91``);
    ``update()`` sends all given keys in one request."""

    def __init__(self, run: "Run", initial: Mapping[str, Any]) -> None:
        self._run = run
        self._values = dict(initial)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delitem__(self, key: str) -> None:
        self._run._patch(summary={key: None})
        del self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def update(self, other: Any = (), **kwargs: Any) -> None:  # type: ignore[override]
        """Sends every given key in one request; a value of None removes the key."""
        values = dict(other, **kwargs)
        if values:
            self._run._patch(summary=values)
            self._values.update(values)

    def __repr__(self) -> str:
        return f"RunSummary({self._values!r})"


class Run:
    """A run on the portal. Use :func:`portal.init` to start (or join) one; as a context manager it finishes with
    ``finished``, or ``failed`` when the block raises (``killed`` on Ctrl+C)."""

    def __init__(self, api: Api, project: str, data: dict[str, Any], joined: bool = False) -> None:
        self.api = api
        self.project = project
        self.data = data
        self.id: str = data["id"]
        self.name: str = data["name"]
        self.job_type: str = data["jobType"]
        self.config: dict[str, Any] = dict(data.get("config") or {})
        self.summary = RunSummary(self, data.get("summary") or {})
        #: True when the run was started outside this process (``portal run exec`` sets ``PORTAL_RUN_ID``); then
        #: :meth:`finish` leaves ending the run to its owner.
        self.joined = joined
        self.finished = False
        self._step = 0

    @property
    def url(self) -> str:
        """The run's page in the portal."""
        return f"{self.api.settings.url}/projects/{self.project}/runs/{self.id}"

    def _path(self, suffix: str = "") -> str:
        return f"projects/{quote(self.project)}/runs/{self.id}{suffix}"

    def _patch(self, config: Optional[Mapping[str, Any]] = None, summary: Optional[Mapping[str, Any]] = None) -> None:
        body: dict[str, Any] = {}
        if config is not None:
            body["config"] = dict(config)
        if summary is not None:
            body["summary"] = dict(summary)
        self.data = self.api._http.json("PATCH", self._path(), body)

    def log(self, metrics: Mapping[str, float], step: Optional[int] = None) -> None:
        """Logs numeric metrics at ``step`` (default: one more than the last step logged). The portal keeps each key's
        history and its last value in the summary."""
        if step is None:
            step = self._step
        points = []
        for key, value in metrics.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise PortalError(INVALID_ARGUMENT, f"metric {key!r} is {value!r}; metrics are numbers (put other values in run.summary).")
            if math.isnan(value) or math.isinf(value):
                raise PortalError(INVALID_ARGUMENT, f"metric {key!r} is {value!r}; the portal stores finite numbers only.")
            points.append({"key": key, "step": int(step), "value": float(value)})
        if points:
            answer = self.api._http.post(self._path("/metrics"), points)
            self.summary._values.update(answer.get("summary") or {})
        self._step = int(step) + 1

    def use_artifact(self, spec: str) -> ArtifactVersion:
        """Resolves ``name:alias`` / ``name:vN`` (or ``project/name:…`` of this run's project) and records it as an input
        of this run; downloads from the returned version are verified and fetch only what differs."""
        project, rest = self.api._split(spec if "/" in spec else f"{self.project}/{spec}")
        if project != self.project:
            raise PortalError(INVALID_ARGUMENT, f"a run can only use versions of its own project ({self.project}), not {project}.")
        version = ArtifactVersion(self.api, project, resolve(self.api._http, project, rest), run=self)
        self._record_use(version)
        return version

    def _record_use(self, version: ArtifactVersion) -> None:
        if version.project == self.project:
            self.api._use(self.project, self.id, version.id)

    def log_artifact(self, artifact: Artifact, aliases: Sequence[str] = (), workers: int = 8) -> ArtifactVersion:
        """Hashes the artifact's files (in parallel; unchanged files from the digest cache), sends the manifest — or a
        patch of the latest version when this machine put it — uploads only the blobs the portal lacks, batched, and
        waits for the commit. When the content equals the latest version, no version is created and that one is
        returned ("unchanged" is not an error; ``aliases`` are still moved to it); the run is then recorded as having
        produced nothing new. ``run.last_put`` tells what happened (status, manifest or patch sent, blobs uploaded)."""
        result = self._put(artifact, aliases, workers)
        self.last_put = result
        return ArtifactVersion(self.api, self.project, result.version, run=self)

    last_put: Optional[PutResult] = None

    def log_evaluation(self, subject: str, eval_set: str, rows: Iterable[Mapping[str, Any]], scorers: Optional[Sequence[str]] = None,
                       name: Optional[str] = None) -> dict[str, Any]:
        """Logs a finished evaluation made by this run (see :meth:`portal.Api.log_evaluation`)."""
        return log_evaluation(self.api, self.project, subject, eval_set, rows, scorers, name, self.id)

    def _put(self, artifact: Artifact, aliases: Sequence[str], workers: int) -> PutResult:
        return put_artifact(self.api, self.project, artifact, aliases, self.id, workers)

    def lineage(self) -> dict[str, list[dict[str, Any]]]:
        """The versions this run used (``inputs``) and produced (``outputs``)."""
        return self.api.run_lineage(self.id, self.project)

    def finish(self, exit_code: int = 0, status: Optional[str] = None) -> None:
        """Ends the run: ``finished`` for exit code 0, else ``failed`` (or the ``status`` given: ``crashed``,
        ``killed``). A joined run (``PORTAL_RUN_ID``) is ended by its owner; here only its summary is kept."""
        if self.finished:
            return
        self.finished = True
        if self.joined:
            return
        status = status or ("finished" if exit_code == 0 else "failed")
        self.data = self.api._http.post(self._path("/finish"), {"status": status})

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if kind is None:
            self.finish(0)
        else:
            try:
                self.finish(1, status="killed" if issubclass(kind, KeyboardInterrupt) else "failed")
            except PortalError:
                pass  # the block's own error is the one worth reporting

    def __repr__(self) -> str:
        return f"<Run {self.project}/{self.name} ({self.id}) {self.data.get('status')}>"


def _git(folder: Optional[str] = None) -> tuple[Optional[str], Optional[str]]:
    """The commit and origin of the git repository the run starts in; nothing when there is none."""
    def ask(*args: str) -> Optional[str]:
        try:
            out = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() or None if out.returncode == 0 else None

    commit = ask("rev-parse", "HEAD")
    return commit, ask("remote", "get-url", "origin") if commit else None


def init(
    project: Optional[str] = None,
    job_type: str = "python",
    name: Optional[str] = None,
    config: Optional[Mapping[str, Any]] = None,
    *,
    url: Optional[str] = None,
    token: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Run:
    """Starts a run in ``project`` (default ``PORTAL_PROJECT`` or the login's project) with its job type, name and
    config, recording the git commit and host. Inside ``portal run exec`` (``PORTAL_RUN_ID`` set) it joins that run
    instead, adding ``config`` to it, so inputs and outputs land on the one run (unless ``project`` names another
    project than the run's: a run of that project is started then). Use it as a context manager::

        with portal.init(project="rag-support", job_type="chunking", config={"chunk_size": 512}) as run:
            run.log({"chunks": 1834}, step=1)
    """
    api = Api(url, token, project, env)
    slug = api.settings.project
    if not slug:
        raise PortalError(INVALID_ARGUMENT, "no project: pass project=, set PORTAL_PROJECT, or log in with a default project.")
    run_project = api.settings.run_project
    if api.settings.run_id is not None and (run_project is None or run_project == slug):
        run = Run(api, slug, api._http.get(f"projects/{quote(slug)}/runs/{api.settings.run_id}"), joined=True)
        if config:
            run._patch(config=config)
            run.config.update(config)
        return run
    commit, remote = _git()
    body: dict[str, Any] = {"jobType": job_type, "host": socket.gethostname()}
    if name:
        body["name"] = name
    if config is not None:
        body["config"] = dict(config)
    if commit:
        body["gitCommit"] = commit
    if remote:
        body["gitRemote"] = remote
    return Run(api, slug, api._http.post(f"projects/{quote(slug)}/runs", body))
