"""The change feed from Python, and the re-index recipe (examples/reindex.py) against a real portal."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import portal
from portal import PortalError

from .support import PortalTestCase

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import reindex  # noqa: E402


def rows(start: int, stop: int, suffix: str = "") -> bytes:
    return "".join(json.dumps({"id": i, "text": f"chunk {i}{suffix}"}) + "\n" for i in range(start, stop)).encode()


class ChangeFeedTests(PortalTestCase):
    def publish(self, folder: str, files: dict[str, bytes], name: str = "chunks") -> portal.ArtifactVersion:
        for path, data in files.items():
            self.write(f"{folder}/{path}", data)
        art = portal.Artifact(name, type="chunks")
        art.add_dir(self.scratch / folder)
        return self.api().log_artifact(art)

    def test_changes_iterates_the_feed_and_resumes_from_a_cursor(self) -> None:
        old = self.publish("v0", {"a.jsonl": rows(0, 3), "b.jsonl": rows(10, 12)})
        new = self.publish("v1", {"a.jsonl": rows(0, 2) + rows(2, 3, " (edited)"), "b.jsonl": rows(10, 12)})
        records = list(self.api().changes(f"{self.project}/chunks:{old.version}", new.version))
        self.assertEqual(["changed", "end"], [r["op"] for r in records])
        self.assertEqual(("a.jsonl", "2", "id", 3), (records[0]["path"], records[0]["key"], records[0]["keyColumn"], records[0]["line"]))
        self.assertEqual("chunk 2 (edited)", records[0]["row"]["text"])
        summary = records[-1]["summary"]
        self.assertEqual((0, 1, 0, 2), (summary["added"], summary["changed"], summary["removed"], summary["unchanged"]))
        self.assertEqual(2, summary["filesRead"])  # b.jsonl is the same in both versions: skipped unread

        rest = list(self.api().changes(f"chunks:{old.version}", f"chunks:{new.version}", rows=False, continuation=records[0]["cursor"]))
        self.assertEqual(["end"], [r["op"] for r in rest])
        with self.assertRaises(PortalError) as caught:
            list(self.api().changes("chunks:v0", "chunks:v99"))
        self.assertEqual("version_not_found", caught.exception.code)

    def test_the_reindex_recipe_embeds_exactly_the_added_and_changed_rows(self) -> None:
        old_files = {"a.jsonl": rows(0, 50), "b.jsonl": rows(50, 100), "c.jsonl": rows(100, 150)}
        # v1: rows 0-4 edited, 45-49 removed, 150-159 added to a.jsonl; rows 50-59 moved from b.jsonl to c.jsonl unchanged.
        new_files = {
            "a.jsonl": rows(0, 5, " v2") + rows(5, 45) + rows(150, 160),
            "b.jsonl": rows(60, 100),
            "c.jsonl": rows(100, 150) + rows(50, 60),
        }
        old = self.publish("v0", old_files, "recipe-chunks")
        new = self.publish("v1", new_files, "recipe-chunks")
        embedder = reindex.FakeEmbedder()
        index = reindex.build(self.local_records(old_files), embedder)
        self.assertEqual(150, embedder.texts)

        embedder = reindex.FakeEmbedder()
        stats = reindex.reindex(self.api(), index, old.qualified_name, new.version, embedder, batch=4)
        self.assertEqual(15, embedder.texts)  # 5 changed + 10 added, nothing else
        self.assertEqual((15, 5, 140), (stats["embedded"], stats["removed"], stats["reused"]))
        # The same vectors as a full rebuild of v1 (paths aside: a moved row keeps its vector).
        fresh = reindex.build(self.local_records(new_files), reindex.FakeEmbedder())
        self.assertEqual({k: v["vector"] for k, v in fresh.entries.items()}, {k: v["vector"] for k, v in index.entries.items()})

    def test_the_reindex_script_logs_the_index_with_lineage_and_counts(self) -> None:
        old = self.publish("v0", {"a.jsonl": rows(0, 20)}, "script-chunks")
        new = self.publish("v1", {"a.jsonl": rows(0, 18) + rows(18, 20, " new") + rows(20, 23)}, "script-chunks")
        first = reindex.build(self.local_records({"a.jsonl": rows(0, 20)}), reindex.FakeEmbedder())
        first.save(self.scratch / "index-v0.jsonl")
        os.environ.update(self.env())  # the script configures itself as the CLI does; setUp's cleanup restores it
        code = reindex.main([f"script-chunks:{old.version}", new.version, "--index", str(self.scratch / "index-v0.jsonl"), "--out", str(self.scratch / "index-v1.jsonl")])
        self.assertEqual(0, code)
        version = self.api().artifact("chunks-index:latest")
        self.assertEqual("index", version.type)
        self.assertEqual(5, version.metadata["embedded"])
        self.assertEqual(18, version.metadata["reused"])
        producer = version.producer()
        assert producer is not None
        lineage = self.api().run_lineage(producer["id"])
        self.assertEqual({old.id, new.id}, {v["versionId"] for v in lineage["inputs"]})
        self.assertEqual(["chunks-index"], [v["artifactName"] for v in lineage["outputs"]])

    @staticmethod
    def local_records(files: dict[str, bytes]) -> list[dict[str, Any]]:
        """Records as the feed would give them for every row (for the first, full build)."""
        out = []
        for path, data in sorted(files.items()):
            for line in data.decode().splitlines():
                row = json.loads(line)
                out.append({"key": str(row["id"]), "keyColumn": "id", "rowDigest": "local", "path": path, "row": row})
        return out
