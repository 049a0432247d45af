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
from .manifest import ManifestEntry, manifest_digest  # noqa: E402
from .run import Run, RunSummary, init  # noqa: E402

__all__ = [
    "Api", "Artifact", "ArtifactVersion", "ManifestEntry", "PortalError", "Run", "RunSummary", "Settings",
    "init", "manifest_digest", "__version__",
]
