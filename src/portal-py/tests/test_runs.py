"""Runs, lineage and error paths against a real portal, including Ctrl+C in the middle of an upload."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import unittest
from pathlib import Path

import portal
from portal import PortalError

from .support import PortalTestCase, free_port, tree


class RunTests(PortalTestCase):
    def test_a_run_records_config_metrics_summary_and_its_end(self) -> None:
        with self.init(job_type="chunking", name="chunk-docs", config={"chunk_size": 512}) as run:
            run.log({"chunks": 1834, "dropped": 12}, step=1)
            run.log({"chunks": 1900})
            run.summary["f1"] = 0.91
            run.summary.update(notes="ok")
        data = self.api().run(run.id)
        self.assertEqual(("chunk-docs", "chunking", "finished"), (data["name"], data["jobType"], data["status"]))
        self.assertEqual({"chunk_size": 512}, data["config"])
        self.assertEqual(0.91, data["summary"]["f1"])
        self.assertEqual("ok", data["summary"]["notes"])
        self.assertEqual(1900, data["summary"]["chunks"])
        self.assertTrue(data["host"])

    def test_a_block_that_raises_marks_the_run_failed(self) -> None:
        with self.assertRaises(ValueError):
            with self.init() as run:
                raise ValueError("bad input")
        self.assertEqual("failed", self.api().run(run.id)["status"])

    def test_finish_with_an_exit_code(self) -> None:
        run = self.init()
        run.finish(3)
        self.assertEqual("failed", self.api().run(run.id)["status"])

    def test_metrics_must_be_numbers(self) -> None:
        with self.init() as run:
            with self.assertRaises(PortalError) as caught:
                run.log({"name": "text"})
        self.assertEqual("invalid_argument", caught.exception.code)


class LineageTests(PortalTestCase):
    def test_use_artifact_and_log_artifact_draw_the_lineage(self) -> None:
        self.write("docs/a.md", b"# A\n")
        self.write("docs/b.md", b"# B\n")
        with self.init(job_type="upload") as upload:
            art = portal.Artifact("documents", type="documents")
            art.add_dir(self.scratch / "docs")
            documents = upload.log_artifact(art, aliases=["production"])

        with self.init(job_type="chunking", config={"chunk_size": 512}) as run:
            docs = run.use_artifact("documents:production")
            folder = docs.download(self.scratch / "in")
            self.assertEqual(tree(self.scratch / "docs"), tree(folder))
            self.write("out/chunks/0.txt", b"A")
            self.write("out/stats.json", b'{"chunks":1}')
            chunks = portal.Artifact("chunks", type="chunks", metadata={"chunk_size": 512})
            chunks.add_dir(self.scratch / "out" / "chunks")
            chunks.add_file(self.scratch / "out" / "stats.json")
            produced = run.log_artifact(chunks, aliases=["staging"])

        lineage = run.lineage()
        self.assertEqual([documents.id], [v["versionId"] for v in lineage["inputs"]])
        self.assertEqual([produced.id], [v["versionId"] for v in lineage["outputs"]])
        self.assertEqual(upload.id, documents.created_by_run_id)
        self.assertEqual(run.id, produced.producer()["id"])
        graph = self.api().lineage(f"{self.project}/chunks:staging")
        edges = {(e["source"], e["target"], e["kind"]) for e in graph["edges"]}
        self.assertIn((f"version:{documents.id}", f"run:{run.id}", "used"), edges)
        self.assertIn((f"run:{run.id}", f"version:{produced.id}", "produced"), edges)

    def test_inside_portal_run_exec_the_run_is_joined_and_downloads_are_inputs(self) -> None:
        self.write("docs/a.md", b"a")
        with self.init() as upload:
            art = portal.Artifact("corpus", type="documents")
            art.add_dir(self.scratch / "docs")
            corpus = upload.log_artifact(art)
        outer = self.init(job_type="exec")  # what `portal run exec` starts
        env = self.env(PORTAL_RUN_ID=outer.id)
        with portal.init(env=env, config={"inner": True}) as joined:
            self.assertTrue(joined.joined)
            self.assertEqual(outer.id, joined.id)
            # A download through the plain Api (no use_artifact) is an input of the ambient run, as with the .NET SDK.
            portal.Api(env=env).artifact("corpus:latest").download(self.scratch / "in")
        self.assertEqual("running", self.api().run(outer.id)["status"])  # ended by its owner, not here
        self.assertEqual([corpus.id], [v["versionId"] for v in outer.lineage()["inputs"]])
        self.assertTrue(self.api().run(outer.id)["config"]["inner"])
        outer.finish(0)


    def test_a_run_of_another_project_is_started_not_joined(self) -> None:
        other = self.project + "-other"
        self.admin_api().create_project(other)
        outer = self.init(job_type="exec")
        env = self.env(PORTAL_RUN_ID=outer.id)
        with portal.init(project=other, env=env) as own:
            self.assertFalse(own.joined)
            self.assertEqual(other, own.project)
        outer.finish(0)


class ErrorTests(PortalTestCase):
    def test_a_bad_token_is_unauthorized(self) -> None:
        api = portal.Api(self.server.url, "ptl_" + "0123456789abcdef" * 3, env={})
        with self.assertRaises(PortalError) as caught:
            api.projects()
        self.assertEqual(("unauthorized", 401), (caught.exception.code, caught.exception.status))
        self.assertIn("token", caught.exception.message)

    def test_an_unknown_project_is_project_not_found(self) -> None:
        with self.assertRaises(PortalError) as caught:
            self.init(project="no-such-project")
        self.assertEqual("project_not_found", caught.exception.code)
        with self.assertRaises(PortalError) as caught:
            self.api().artifact("no-such-project/x:latest")
        self.assertEqual(("project_not_found", 404), (caught.exception.code, caught.exception.status))

    def test_an_unknown_artifact_or_alias_names_what_is_missing(self) -> None:
        with self.assertRaises(PortalError) as caught:
            self.api().artifact("nothing:latest")
        self.assertEqual("artifact_not_found", caught.exception.code)

    def test_a_portal_that_is_down_is_connection_failed(self) -> None:
        env = self.env(PORTAL_URL=f"http://127.0.0.1:{free_port()}", PORTAL_RETRIES="1")
        with self.assertRaises(PortalError) as caught:
            portal.init(env=env)
        self.assertEqual(("connection_failed", 0), (caught.exception.code, caught.exception.status))

    def test_an_invalid_path_is_refused_before_anything_is_sent(self) -> None:
        self.write("data/ok.txt", b"x")
        with self.init() as run:
            art = portal.Artifact("bad-paths", type="dataset")
            art.add_dir(self.scratch / "data")
            art.add_reference("s3://b/k#sha256=" + "a" * 64 + "&size=1", name="back\\slash")
            with self.assertRaises(PortalError) as caught:
                run.log_artifact(art)
        self.assertEqual("invalid_argument", caught.exception.code)
        self.assertIn("back\\\\slash", caught.exception.message)
        self.assertEqual([], self.version_states("bad-paths"))


class InterruptTests(PortalTestCase):
    """Ctrl+C while blobs are going up: the pending version is aborted, no version appears, the run is marked killed,
    and the next put completes as if nothing had happened."""

    CHILD = textwrap.dedent("""
        import sys, time
        sys.path.insert(0, {package!r})
        import portal, portal.transfer as transfer
        real = transfer._put_batch
        def slow(http, project, unit):
            real(http, project, unit)
            print("uploading", flush=True)
            time.sleep(30)
        transfer._put_batch = slow
        transfer.BATCH_MAX_FILES = 10
        with portal.init(job_type="interrupted") as run:
            print("run", run.id, flush=True)
            art = portal.Artifact("interrupted", type="dataset")
            art.add_dir({data!r})
            run.log_artifact(art, workers=2)
        print("finished", flush=True)
    """)

    def test_ctrl_c_during_an_upload_leaves_nothing_broken(self) -> None:
        for i in range(60):
            self.write(f"data/{i:02d}.txt", f"row {i}\n".encode())
        script = self.CHILD.format(package=str(Path(portal.__file__).parents[1]), data=str(self.scratch / "data"))
        child = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, **self.env()}, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: child.poll() is None and child.kill())
        run_id = None
        deadline = time.monotonic() + 60
        assert child.stdout is not None
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if line.startswith("run "):
                run_id = line.split()[1]
            if line.strip() == "uploading" or not line:
                break
        self.assertIsNotNone(run_id, child.stderr.read() if child.poll() is not None else "no run started")
        self.assertEqual(["Pending"], self.version_states("interrupted"))
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
        self.assertNotEqual(0, child.returncode)
        self.assertIn("KeyboardInterrupt", err)
        self.assertNotIn("finished", out)

        self.assertEqual(["Failed"], self.version_states("interrupted"))  # aborted, not left pending
        self.assertEqual("killed", self.api().run(run_id)["status"])
        with self.assertRaises(PortalError):
            self.api().artifact("interrupted:latest")

        # The next put succeeds, uploading only what did not get through, and the data round-trips.
        with self.init() as run:
            art = portal.Artifact("interrupted", type="dataset")
            art.add_dir(self.scratch / "data")
            version = run.log_artifact(art)
            self.assertLess(run.last_put.uploaded_blobs, 60)
        self.assertEqual("v0", version.version)
        version.download(self.scratch / "copy")
        self.assertEqual(tree(self.scratch / "data"), tree(self.scratch / "copy"))


    DOWNLOAD_CHILD = textwrap.dedent("""
        import sys, time
        sys.path.insert(0, {package!r})
        import portal, portal.transfer as transfer
        real = transfer._VerifyingWriter.copy_from
        def slow(self, stream):
            self.file.write(stream.read(10))
            self.file.flush()
            print("downloading", flush=True)
            time.sleep(30)
        transfer._VerifyingWriter.copy_from = slow
        portal.Api().artifact({spec!r}).download({out!r})
        print("finished", flush=True)
    """)

    def test_ctrl_c_during_a_download_leaves_no_partial_file(self) -> None:
        self.write("data/a.bin", os.urandom(6 * 1024 * 1024))  # single download
        self.write("data/b.txt", b"small, batched")
        with self.init() as run:
            art = portal.Artifact("interrupted-get", type="dataset")
            art.add_dir(self.scratch / "data")
            run.log_artifact(art)
        out = self.scratch / "out"
        script = self.DOWNLOAD_CHILD.format(package=str(Path(portal.__file__).parents[1]), spec="interrupted-get:latest", out=str(out))
        child = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, **self.env()}, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: child.poll() is None and child.kill())
        assert child.stdout is not None
        line = child.stdout.readline()
        self.assertEqual("downloading", line.strip(), child.stderr.read() if child.poll() is not None else "")
        self.assertTrue(list(out.glob(".portal-*.tmp")))  # a temporary file is being written
        child.send_signal(signal.SIGINT)
        out_text, err = child.communicate(timeout=60)
        self.assertIn("KeyboardInterrupt", err)
        self.assertNotIn("finished", out_text)
        self.assertEqual([], [p.name for p in out.rglob("*") if p.is_file()])  # no partial, no temporary file


if __name__ == "__main__":
    unittest.main()
