"""Artifacts against a real portal: round trips, unchanged and patched puts, references, verified downloads."""
from __future__ import annotations

import hashlib
import os
import unittest

import portal
from portal import PortalError

from .support import PortalTestCase, tree


class RoundTripTests(PortalTestCase):
    def make_tree(self) -> None:
        self.write("src/readme.md", b"# corpus\n")
        self.write("src/empty.txt", b"")
        self.write("src/caf\u00e9/\u00dfig \u65e5\u672c.txt", "unicode names\n".encode())
        self.write("src/deep/a/b/c/d.jsonl", b'{"q":1}\n' * 1000)
        self.write("src/same-1.bin", b"same bytes")
        self.write("src/same-2.bin", b"same bytes")
        self.write("src/large.bin", os.urandom(5 * 1024 * 1024 + 17))  # above the batch limit: a single upload
        self.write("src/" + "n" * 251 + ".txt", b"a name at the file-system limit of 255 bytes")
        for i in range(120):
            self.write(f"src/many/{i:03d}.txt", f"line {i}\n".encode() * (i + 1))

    def test_a_folder_comes_back_byte_identical(self) -> None:
        self.make_tree()
        with self.init(job_type="upload") as run:
            art = portal.Artifact("corpus", type="dataset", description="test corpus", metadata={"split": "train", "n": 3})
            self.assertEqual(128, art.add_dir(self.scratch / "src"))
            version = run.log_artifact(art, aliases=["staging"])
        self.assertEqual("v0", version.version)
        self.assertEqual(128, version.file_count)
        self.assertIn("staging", version.aliases)
        self.assertEqual("committed", run.last_put.status)
        # Two files with the same bytes are one blob.
        self.assertEqual(127, run.last_put.uploaded_blobs)

        got = self.api().artifact(f"{self.project}/corpus:staging")
        self.assertEqual({"split": "train", "n": 3}, got.metadata)
        self.assertEqual(version.manifest_digest, got.manifest_digest)
        got.download(self.scratch / "copy")
        self.assertEqual(tree(self.scratch / "src"), tree(self.scratch / "copy"))
        self.assertEqual(128, got.last_download.downloaded)
        # The manifest digest the client computed is the portal's.
        self.assertEqual(version.manifest_digest, portal.manifest_digest(got.files()))

    def test_a_second_download_fetches_only_what_differs(self) -> None:
        self.write("v/a.txt", b"a")
        self.write("v/b.txt", b"b")
        self.write("v/c.txt", b"c")
        with self.init() as run:
            art = portal.Artifact("small", type="dataset")
            art.add_dir(self.scratch / "v")
            version = run.log_artifact(art)
        target = self.scratch / "out"
        version.download(target)
        (target / "b.txt").write_bytes(b"edited")
        (target / "c.txt").unlink()
        version.download(target)
        self.assertEqual((2, 1), (version.last_download.downloaded, version.last_download.up_to_date))
        self.assertEqual(tree(self.scratch / "v"), tree(target))

    def test_a_link_back_into_the_folder_is_not_followed_round(self) -> None:
        self.write("tree/a/file.txt", b"x")
        os.symlink(self.scratch / "tree", self.scratch / "tree" / "a" / "loop")
        os.symlink(self.scratch / "tree" / "a" / "file.txt", self.scratch / "tree" / "link.txt")
        os.symlink(self.scratch / "nowhere", self.scratch / "tree" / "dangling")
        art = portal.Artifact("links", type="dataset")
        self.assertEqual(2, art.add_dir(self.scratch / "tree", name="root"))
        self.assertEqual(["root/a/file.txt", "root/link.txt"], art.paths)

    def test_single_files_take_their_file_name_or_the_name_given(self) -> None:
        a = self.write("x/stats.json", b"{}")
        b = self.write("y/stats.json", b"[]")
        art = portal.Artifact("stats", type="report")
        art.add_file(a)
        art.add_file(b, name="more/stats.json")
        self.assertEqual(["more/stats.json", "stats.json"], art.paths)
        with self.assertRaises(PortalError) as caught:
            art.add_file(a)
        self.assertEqual("invalid_argument", caught.exception.code)


class PutTests(PortalTestCase):
    def put(self, name: str, aliases: tuple[str, ...] = ()) -> portal.ArtifactVersion:
        with self.init() as run:
            art = portal.Artifact(name, type="dataset")
            art.add_dir(self.scratch / "data")
            version = run.log_artifact(art, aliases=list(aliases))
            self.last = run.last_put
        return version

    def test_an_unchanged_tree_is_no_new_version_and_no_error(self) -> None:
        for i in range(20):
            self.write(f"data/{i}.txt", str(i).encode())
        first = self.put("same")
        second = self.put("same")
        self.assertEqual(("unchanged", "nothing"), (self.last.status, self.last.sent))
        self.assertEqual(first.id, second.id)
        self.assertEqual(["v0"], [v.version for v in self.api().artifact_versions(f"{self.project}/same")])
        # Aliases asked for still move to the version with that content.
        third = self.put("same", aliases=("golden",))
        self.assertEqual(("unchanged", first.id), (self.last.status, third.id))
        self.assertIn("golden", third.aliases)
        self.assertEqual(first.id, self.api().artifact(f"{self.project}/same:golden").id)

    def test_a_change_sends_a_patch_and_only_the_changed_blobs(self) -> None:
        for i in range(300):
            self.write(f"data/{i:03d}.txt", f"row {i}\n".encode())
        v0 = self.put("patched")
        self.write("data/007.txt", b"changed\n")
        self.write("data/new.txt", b"new\n")
        (self.scratch / "data" / "100.txt").unlink()
        v1 = self.put("patched")
        self.assertEqual(("committed", "patch", 2), (self.last.status, self.last.sent, self.last.uploaded_blobs))
        self.assertEqual("v1", v1.version)
        diff = v0.diff(v1)
        self.assertEqual((1, 1, 1), (diff["summary"]["added"], diff["summary"]["removed"], diff["summary"]["modified"]))
        self.assertEqual({"007.txt", "new.txt", "100.txt"}, {i["path"] for i in diff["items"]})
        # Without the local manifest cache the whole manifest goes, with the same result.
        self.write("data/another.txt", b"x")
        for cached in (self.scratch / "cache" / "manifests").glob("*.tsv"):
            cached.unlink()
        v2 = self.put("patched")
        self.assertEqual(("committed", "manifest", 1), (self.last.status, self.last.sent, self.last.uploaded_blobs))
        self.assertEqual(301, v2.file_count)

    def test_the_digest_cache_skips_hashing_unchanged_files(self) -> None:
        path = self.write("data/old.txt", b"old")
        os.utime(path, (1_600_000_000, 1_600_000_000))
        self.put("cached")
        cache_file = self.scratch / "cache" / "python-digests.json"
        self.assertIn(str(path), cache_file.read_text())
        self.write("data/new.txt", b"new")
        self.put("cached")
        self.assertEqual("committed", self.last.status)
        path.unlink()
        self.put("cached")
        self.assertNotIn(str(path), cache_file.read_text())  # files gone from the folder leave the cache

    def test_a_file_changed_after_hashing_is_refused_and_no_version_is_left(self) -> None:
        self.write("data/a.txt", b"a" * 100)
        with self.init() as run:
            art = portal.Artifact("racy", type="dataset")
            art.add_dir(self.scratch / "data")
            import portal.hashing as run_module

            real = run_module.hash_files

            def hash_then_change(paths, cache=None, workers=None, on_file=None):  # type: ignore[no-untyped-def]
                result = real(paths, cache, workers, on_file)
                self.write("data/a.txt", b"b" * 50)
                return result

            run_module.hash_files = hash_then_change
            try:
                with self.assertRaises(PortalError) as caught:
                    run.log_artifact(art)
            finally:
                run_module.hash_files = real
        self.assertEqual("file_changed", caught.exception.code)
        self.assertNotIn("Committed", self.version_states("racy"))
        self.assertNotIn("Pending", self.version_states("racy"))


class ReferenceTests(PortalTestCase):
    def test_references_are_recorded_with_their_checksum_and_not_downloaded(self) -> None:
        local = self.write("emb.parquet", b"PAR1 embeddings")
        self.write("data/a.txt", b"a")
        s3_digest = hashlib.sha256(b"remote").hexdigest()
        with self.init() as run:
            art = portal.Artifact("with-refs", type="index")
            art.add_dir(self.scratch / "data")
            art.add_reference(local.as_uri(), name="local/emb.parquet")
            art.add_reference(f"s3://bucket/emb.parquet#sha256={s3_digest}&size=6")
            art.add_reference("gs://bucket/other.bin", digest=s3_digest, size=6)
            version = run.log_artifact(art)
        files = {e.path: e for e in version.files()}
        self.assertEqual(hashlib.sha256(b"PAR1 embeddings").hexdigest(), files["local/emb.parquet"].digest)
        self.assertEqual(local.as_uri(), files["local/emb.parquet"].ref)
        self.assertEqual(("s3://bucket/emb.parquet", s3_digest, 6), (files["emb.parquet"].ref, files["emb.parquet"].digest, files["emb.parquet"].size))
        self.assertEqual("gs://bucket/other.bin", files["other.bin"].ref)
        version.download(self.scratch / "out")
        self.assertEqual({"a.txt": b"a"}, tree(self.scratch / "out"))
        self.assertEqual(3, version.last_download.references)

    def test_a_reference_without_a_checksum_is_refused_with_advice(self) -> None:
        with self.assertRaises(PortalError) as caught:
            portal.Artifact("r", type="index").add_reference("s3://bucket/key.bin")
        self.assertEqual("invalid_argument", caught.exception.code)
        self.assertIn("sha256", caught.exception.message)


class DigestMismatchTests(PortalTestCase):
    def test_a_blob_that_does_not_match_its_digest_is_never_written(self) -> None:
        self.write("data/good.txt", b"good bytes")
        bad = self.write("data/bad.txt", b"bytes that will rot")
        self.write("data/big-bad.bin", os.urandom(5 * 1024 * 1024))
        with self.init() as run:
            art = portal.Artifact("rot", type="dataset")
            art.add_dir(self.scratch / "data")
            version = run.log_artifact(art)
        self.corrupt_blob(hashlib.sha256(bad.read_bytes()).hexdigest())
        self.corrupt_blob(hashlib.sha256((self.scratch / "data" / "big-bad.bin").read_bytes()).hexdigest())
        out = self.scratch / "out"
        with self.assertRaises(PortalError) as caught:
            version.download(out)
        self.assertEqual("digest_mismatch", caught.exception.code)
        self.assertEqual({"good.txt": b"good bytes"}, tree(out))  # nothing else, not even a partial file




class PartUploadTests(PortalTestCase):
    def test_a_large_file_goes_up_in_parts_and_comes_back_identical(self) -> None:
        import portal.transfer as transfer

        data = os.urandom(12 * 1024 * 1024 + 3)
        self.write("data/large.bin", data)
        sessions: list[str] = []
        real = transfer._put_blob_in_parts

        parts: list[str] = []

        def counting(http, project, local, parallel=transfer.PART_PARALLELISM):  # type: ignore[no-untyped-def]
            sessions.append(local.entry.path)
            real_open = http.open

            def open_(method, path, *args, **kwargs):  # type: ignore[no-untyped-def]
                if "/parts/" in path:
                    parts.append(path.rsplit("/", 1)[-1])
                return real_open(method, path, *args, **kwargs)

            http.open = open_
            try:
                real(http, project, local, parallel)
            finally:
                del http.open

        threshold = transfer.PART_UPLOAD_THRESHOLD
        transfer.PART_UPLOAD_THRESHOLD = 8 * 1024 * 1024
        transfer._put_blob_in_parts = counting
        try:
            with self.init() as run:
                art = portal.Artifact("large", type="model")
                art.add_dir(self.scratch / "data")
                version = run.log_artifact(art)
        finally:
            transfer.PART_UPLOAD_THRESHOLD = threshold
            transfer._put_blob_in_parts = real
        self.assertEqual(["large.bin"], sessions)
        self.assertEqual(["1", "2", "3"], sorted(parts))  # 5 MiB parts on the test portal
        version.download(self.scratch / "out")
        self.assertEqual(data, (self.scratch / "out" / "large.bin").read_bytes())


class VerifyingWriterTests(unittest.TestCase):
    """The client's own check, whatever the portal sends: bytes that do not hash to the digest never become the file."""

    def test_bytes_that_do_not_match_are_discarded_and_the_old_file_kept(self) -> None:
        import io
        import tempfile
        from pathlib import Path

        from portal.transfer import _VerifyingWriter

        folder = Path(tempfile.mkdtemp(prefix="portal-py-verify-"))
        self.addCleanup(__import__("shutil").rmtree, folder, True)
        target = folder / "data.txt"
        target.write_bytes(b"old")
        writer = _VerifyingWriter(target)
        writer.copy_from(io.BytesIO(b"tampered"))
        with self.assertRaises(PortalError) as caught:
            writer.finish(hashlib.sha256(b"expected").hexdigest(), 8, [target], "data.txt")
        self.assertEqual("digest_mismatch", caught.exception.code)
        self.assertEqual(b"old", target.read_bytes())
        self.assertEqual(["data.txt"], [p.name for p in folder.iterdir()])  # no temporary file left

        writer = _VerifyingWriter(target)
        writer.copy_from(io.BytesIO(b"expected"))
        writer.finish(hashlib.sha256(b"expected").hexdigest(), 8, [target, folder / "copy" / "same.txt"], "data.txt")
        self.assertEqual((b"expected", b"expected"), (target.read_bytes(), (folder / "copy" / "same.txt").read_bytes()))


if __name__ == "__main__":
    unittest.main()
