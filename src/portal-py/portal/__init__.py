"""Portal's Python client: log runs and versioned artifacts from pipelines, read versions, diffs and lineage.

::

    import portal
    with portal.init(project="rag-support", job_type="chunking", config={"chunk_size": 512}) as run:
        docs = run.use_artifact("documents:production")
        docs.download("data/docs")
        art = portal.Artifact("chunks", type="chunks")
        art.add_dir("out/chunks")
        run.log_artifact(art, aliases=["staging"])

Standard library only; configured like the ``portal`` CLI (``PORTAL_URL``, ``PORTAL_TOKEN``, ``PORTAL_PROJECT``,
``PORTAL_RUN_ID`` and the saved ``portal login``).
"""
__version__ = "0.1.0"

from .api import Api  # noqa: E402
from .artifact import Artifact, ArtifactVersion  # noqa: E402
from .config import Settings  # noqa: E402
from .errors import PortalError  # noqa: E402
from .evidence import verify_evidence  # noqa: E402
from .manifest import ManifestEntry, manifest_digest  # noqa: E402
from .run import Run, RunSummary, init  # noqa: E402


def log_evaluation(subject, eval_set, rows, scorers=None, name=None, project=None):  # type: ignore[no-untyped-def]
    """Logs a finished evaluation with the default settings (``PORTAL_URL``, ``PORTAL_TOKEN``, ``PORTAL_PROJECT``):
    ``portal.log_evaluation("index:v3", "golden:production", rows)``. See :meth:`Api.log_evaluation`."""
    return Api(project=project).log_evaluation(subject, eval_set, rows, scorers, name)

__all__ = [
    "Api", "Artifact", "ArtifactVersion", "ManifestEntry", "PortalError", "Run", "RunSummary", "Settings",
    "init", "log_evaluation", "manifest_digest", "verify_evidence", "__version__",
]
