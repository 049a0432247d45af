"""The Python client together with the ``portal`` CLI: ``portal run exec -- python step.py`` records one run whose
inputs and outputs the script logged, with the login ``portal login`` saved. Skipped when the CLI is not built."""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import textwrap
import unittest
from pathlib import Path

import portal

from .support import PortalTestCase, tree

REPO = Path(__file__).resolve().parents[3]


def cli_dll() -> str | None:
    found = sorted(glob.glob(str(REPO / "src/Portal.Cli/bin/*/net*/portal.dll")), key=os.path.getmtime, reverse=True)
    return found[0] if found else None


@unittest.skipIf(cli_dll() is None, "the portal CLI is not built (dotnet build src/Portal.Cli)")
class RunExecTests(PortalTestCase):
    def cli(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["dotnet", str(cli_dll()), *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=180)

    def test_a_script_under_run_exec_logs_into_that_run_with_the_saved_login(self) -> None:
        self.write("docs/a.md", b"# A")
        with self.init() as upload:
            art = portal.Artifact("documents", type="documents")
            art.add_dir(self.scratch / "docs")
            documents = upload.log_artifact(art, aliases=["production"])

        # Only the CLI's saved login: no PORTAL_URL or PORTAL_TOKEN reaches the script.
        env = {"PORTAL_CONFIG_DIR": str(self.scratch / "config"), "PORTAL_CACHE_DIR": str(self.scratch / "cache"), "HOME": str(self.scratch)}
        login = self.cli("login", "--url", self.server.url, "--token", self.server.token, env=env)
        self.assertEqual(0, login.returncode, login.stderr)
        script = self.scratch / "step.py"
        script.write_text(textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(Path(portal.__file__).parents[1])!r})
            import portal
            with portal.init(config={{"chunk_size": 512}}) as run:
                docs = run.use_artifact("documents:production")
                folder = docs.download("in")
                art = portal.Artifact("chunks", type="chunks")
                art.add_dir(folder)
                print(run.id, run.log_artifact(art).version)
        """))
        result = self.cli("run", "exec", "-p", self.project, "--", sys.executable, str(script), env=env | {"PORTAL_WORKDIR": str(self.scratch)})
        self.assertEqual(0, result.returncode, result.stderr)
        run_id, version = result.stdout.split()[-2:]
        self.assertEqual("v0", version)
        run = self.api().run(run_id)
        self.assertEqual("finished", run["status"])  # finished by the CLI, with the script's exit status
        self.assertEqual(512, run["config"]["chunk_size"])
        lineage = self.api().run_lineage(run_id)
        self.assertEqual([documents.id], [v["versionId"] for v in lineage["inputs"]])
        self.assertEqual(["chunks"], [v["artifactName"] for v in lineage["outputs"]])
        self.assertEqual(tree(self.scratch / "docs"), tree(self.scratch / "in"))

        # And the CLI reads what Python logged.
        listed = self.cli("artifact", "get", "chunks:latest", "-p", self.project, "-o", str(self.scratch / "cli-copy"), "--json", env=env)
        self.assertEqual(0, listed.returncode, listed.stderr)
        self.assertEqual(tree(self.scratch / "docs"), tree(self.scratch / "cli-copy"))
        self.assertTrue(json.loads(listed.stdout))


if __name__ == "__main__":
    unittest.main()


class ModuleCommandTests(PortalTestCase):
    """``python3 -m portal put|get``, the CLI's two transfer commands for machines without .NET."""

    def run_module(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **self.env(), "PYTHONPATH": str(Path(portal.__file__).parents[1])}
        return subprocess.run([sys.executable, "-m", "portal", *args], env=env, capture_output=True, text=True, timeout=120)

    def test_put_get_and_an_error(self) -> None:
        self.write("tree/a.txt", b"a")
        self.write("tree/sub/b.txt", b"b")
        first = self.run_module("put", str(self.scratch / "tree"), "-n", "tree", "-t", "dataset", "-a", "staging")
        self.assertEqual((0, "tree:v0"), (first.returncode, first.stdout.strip()), first.stderr)
        again = self.run_module("put", str(self.scratch / "tree"), "-n", "tree", "-t", "dataset")
        self.assertIn("no new version", again.stdout)
        got = self.run_module("get", "tree:staging", "-o", str(self.scratch / "copy"))
        self.assertEqual(0, got.returncode, got.stderr)
        self.assertEqual(tree(self.scratch / "tree"), tree(self.scratch / "copy"))
        missing = self.run_module("get", "nothing:latest", "-o", str(self.scratch / "x"))
        self.assertEqual(1, missing.returncode)
        self.assertIn("(artifact_not_found)", missing.stderr)
