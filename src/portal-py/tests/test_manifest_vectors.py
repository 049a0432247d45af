"""The manifest algorithm against the shared vector file (``tests/manifest-vectors.json``), which the .NET tests
read too: the Python client must compute the digests the portal computes, byte for byte."""
from __future__ import annotations

import hashlib
import json
import random
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal.manifest import (  # noqa: E402
    ManifestEntry, canonical_line, changes, is_range_boundary, manifest_digest, path_violation, range_digests, sort_entries,
)

VECTORS = Path(__file__).resolve().parents[3] / "tests" / "manifest-vectors.json"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def generate(generator: dict) -> list[ManifestEntry]:
    """The generators the vector file describes in words, under ``generators``."""
    if generator["kind"] == "docs":
        return [ManifestEntry(p, sha(p), i) for i, p in ((i, f"docs/file-{i:05d}.txt") for i in range(generator["count"]))]
    if generator["kind"] == "no-boundary":
        entries: list[ManifestEntry] = []
        i = 0
        while len(entries) < generator["count"]:
            path = f"nb/{i:06d}"
            i += 1
            if not is_range_boundary(path):
                entries.append(ManifestEntry(path, sha(path), 1))
        return entries
    raise AssertionError(f"unknown generator {generator['kind']}")


def entries_of(vector: dict) -> list[ManifestEntry]:
    if "generator" in vector:
        return generate(vector["generator"])
    return [ManifestEntry(e["path"], e["digest"], e["size"], e.get("ref")) for e in vector["entries"]]


class SharedVectorTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        with open(VECTORS, encoding="utf-8") as f:
            cls.document = json.load(f)

    def test_the_file_names_the_format_and_holds_vectors(self) -> None:
        self.assertEqual("portal-manifest-v1", self.document["format"])
        names = [v["name"] for v in self.document["vectors"]]
        self.assertIn("docs-10000", names)
        self.assertIn("unicode", names)
        self.assertIn("cap-4096", names)

    def test_every_vector_gives_its_range_and_manifest_digests(self) -> None:
        for vector in self.document["vectors"]:
            with self.subTest(vector["name"]):
                entries = entries_of(vector)
                ranges = range_digests(entries)
                self.assertEqual(vector["rangeDigests"], [d for d, _ in ranges])
                self.assertEqual(vector["rangeEntryCounts"], [c for _, c in ranges])
                self.assertEqual(vector["manifestDigest"], manifest_digest(entries))

    def test_input_order_does_not_matter(self) -> None:
        for vector in self.document["vectors"]:
            with self.subTest(vector["name"]):
                entries = entries_of(vector)
                random.Random(7).shuffle(entries)
                self.assertEqual(vector["manifestDigest"], manifest_digest(entries))


class AlgorithmTests(unittest.TestCase):
    def test_empty_manifest_is_the_hash_of_the_header(self) -> None:
        self.assertEqual(hashlib.sha256(b"portal-manifest-v1\n").hexdigest(), manifest_digest([]))

    def test_canonical_line_is_tab_separated_utf8_with_an_empty_ref_field(self) -> None:
        d = sha("a/b.txt")
        self.assertEqual(f"caf\u00e9.txt\t{d}\t0\t\n".encode("utf-8"), canonical_line(ManifestEntry("caf\u00e9.txt", d, 0)))
        self.assertEqual(f"a/b.txt\t{d}\t12\ts3://k\n".encode(), canonical_line(ManifestEntry("a/b.txt", d, 12, "s3://k")))

    def test_paths_sort_by_utf8_bytes_not_utf16_units(self) -> None:
        d = sha("x")
        ordered = sort_entries([ManifestEntry("a/\U0001F600", d, 1), ManifestEntry("a/\ue000", d, 1), ManifestEntry("Z", d, 1)])
        self.assertEqual(["Z", "a/\ue000", "a/\U0001F600"], [e.path for e in ordered])

    def test_a_path_given_twice_is_refused(self) -> None:
        d = sha("x")
        with self.assertRaises(ValueError):
            manifest_digest([ManifestEntry("a", d, 1), ManifestEntry("a", d, 1)])

    def test_path_rules(self) -> None:
        for bad in ["", "/abs", "a//b", "a/./b", "../x", "a\\b", "tab\there", "cafe\u0301.txt"]:
            with self.subTest(bad):
                self.assertIsNotNone(path_violation(bad))
        for good in ["a", "a/b.txt", "caf\u00e9/\u00df.txt", ".hidden/x"]:
            with self.subTest(good):
                self.assertIsNone(path_violation(good))

    def test_changes_lists_upserts_and_deletes(self) -> None:
        d1, d2 = sha("1"), sha("2")
        before = [ManifestEntry("a", d1, 1), ManifestEntry("b", d1, 1), ManifestEntry("c", d1, 1)]
        after = [ManifestEntry("a", d1, 1), ManifestEntry("b", d2, 1), ManifestEntry("d", d1, 1)]
        upserts, deletes = changes(before, after)
        self.assertEqual(["b", "d"], [e.path for e in upserts])
        self.assertEqual(["c"], deletes)


if __name__ == "__main__":
    unittest.main()
