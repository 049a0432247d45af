"""Shared set-up of the suites that talk to a real portal: one throw-away portal per test process (or the one
``infra/scripts/test.sh`` started), a fresh project per test class, and an environment that never reads the
developer's own login or caches."""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import sys
import tempfile
import unittest
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import portal  # noqa: E402

from .portal_server import PortalServer  # noqa: E402

class PortalTestCase(unittest.TestCase):
    """Gives each test class a project on the shared test portal and each test a scratch folder and a clean
    environment (``PORTAL_*`` cleared, cache and config folders inside the scratch folder)."""

    server: PortalServer
    project: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = PortalServer.shared()
        cls.project = "py-" + uuid.uuid4().hex[:12]
        cls.admin_api().create_project(cls.project)

    @classmethod
    def admin_api(cls, **kwargs: object) -> portal.Api:
        return portal.Api(cls.server.url, cls.server.token, env={}, **kwargs)  # type: ignore[arg-type]

    def setUp(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="portal-py-test-"))
        self.addCleanup(shutil.rmtree, self.scratch, True)
        saved = {k: v for k, v in os.environ.items() if k.startswith("PORTAL_") and not k.startswith("PORTAL_TEST_")}
        for key in saved:
            del os.environ[key]
        os.environ["PORTAL_CACHE_DIR"] = str(self.scratch / "cache")
        os.environ["PORTAL_CONFIG_DIR"] = str(self.scratch / "config")

        def restore() -> None:
            for key in [k for k in os.environ if k.startswith("PORTAL_") and not k.startswith("PORTAL_TEST_")]:
                del os.environ[key]
            os.environ.update(saved)

        self.addCleanup(restore)

    def env(self, **extra: str) -> dict[str, str]:
        """An environment naming the test portal, this class's project and the scratch folders."""
        values = {
            "PORTAL_URL": self.server.url,
            "PORTAL_TOKEN": self.server.token,
            "PORTAL_PROJECT": self.project,
            "PORTAL_CACHE_DIR": str(self.scratch / "cache"),
            "PORTAL_CONFIG_DIR": str(self.scratch / "config"),
        }
        values.update(extra)
        return values

    def api(self) -> portal.Api:
        return portal.Api(env=self.env())

    def init(self, **kwargs: object) -> portal.Run:
        kwargs.setdefault("env", self.env())
        return portal.init(**kwargs)  # type: ignore[arg-type]

    def write(self, relative: str, data: bytes) -> Path:
        path = self.scratch / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    # -- the portal's own storage, for the tests that must break it ---------------------------------------------------

    def database(self) -> sqlite3.Connection:
        if self.server.data is None:
            self.skipTest("the portal's data folder is unknown (PORTAL_TEST_DATA not set)")
        return sqlite3.connect(str(self.server.data / "portal.db"))

    def version_states(self, artifact: str) -> list[str]:
        with self.database() as db:
            rows = db.execute(
                "select v.State from ArtifactVersions v join Artifacts a on a.Id = v.ArtifactId join Projects p on p.Id = a.ProjectId "
                "where p.Slug = ? and a.Name = ?", (self.project, artifact)).fetchall()
        return sorted(str(r[0]) for r in rows)

    def corrupt_blob(self, digest: str) -> None:
        """Overwrites a stored blob's bytes on disk (same length, so only the digest check can tell), wherever it
        lies: an object of its own or a slice of a pack."""
        with self.database() as db:
            size, pack, offset = db.execute("select Size, PackDigest, PackOffset from StoredBlobs where Digest = ?", (digest,)).fetchone()
        name = pack or digest
        found = [p for p in glob.glob(str(self.server.data / "blobs" / "**" / name), recursive=True) if os.path.isfile(p)]  # type: ignore[operator]
        self.assertTrue(found, f"blob file {name} not found under the portal's storage")
        os.chmod(found[0], 0o600)
        with open(found[0], "r+b") as f:
            f.seek(offset or 0)
            f.write(b"x" * size)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
