"""Re-index only what changed: an example incremental indexing step on top of the change feed.

A vector index built from ``chunks:v3`` does not need re-embedding from scratch when ``chunks:v4`` arrives. This step
reads the change feed from v3 to v4 (``Api.changes``), embeds only the added and changed rows, deletes the removed ones,
keeps every other vector as it is, and logs the new index as a version of ``chunks-index`` whose run *used* both chunk
versions, with metadata ``{"reused": N, "embedded": M}``. Each vector is stored with the row's ``rowDigest``, which is
the same for the same content in every version (docs/change-feed.md).

    export PORTAL_URL=http://localhost:5080 PORTAL_TOKEN=ptl_… PORTAL_PROJECT=rag-support
    python3 src/portal-py/examples/reindex.py chunks:v3 v4 --index index-v3.jsonl --out index-v4.jsonl

The embedder here is a stand-in (:class:`FakeEmbedder`: deterministic vectors from a hash of the text, counting its
calls) so the example and its test run anywhere; put your model behind the same ``embed(texts)`` method.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import struct
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import portal  # noqa: E402

DIMENSIONS = 8


class FakeEmbedder:
    """Deterministic vectors: the same text always gives the same vector. Counts the texts it embedded."""

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        vectors = []
        for text in texts:
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            vectors.append([round(v / 2**32, 6) for v in struct.unpack("<8I", digest)])
        return vectors


def text_of(row: Any) -> str:
    """What to embed of a row: its ``text`` (or ``content``/``chunk``) field, else the whole row as JSON."""
    if isinstance(row, dict):
        for name in ("text", "content", "chunk", "body"):
            if isinstance(row.get(name), str):
                return str(row[name])
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_id(record: dict[str, Any]) -> str:
    """The index's id of a row: its key (column=value) when it has one, else its content digest."""
    if record.get("key") is not None:
        return f"{record.get('keyColumn')}={record['key']}"
    return "sha256:" + str(record["rowDigest"])


class VectorIndex:
    """A toy vector store: id → (rowDigest, path, vector), saved as JSONL."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}

    def upsert(self, id: str, digest: str, path: str, vector: list[float]) -> None:
        self.entries[id] = {"id": id, "rowDigest": digest, "path": path, "vector": vector}

    def delete(self, id: str) -> None:
        self.entries.pop(id, None)

    def save(self, path: Path) -> None:
        with open(path, "w", encoding="utf-8") as out:
            for id in sorted(self.entries):
                out.write(json.dumps(self.entries[id], sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> "VectorIndex":
        index = cls()
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    entry = json.loads(line)
                    index.entries[entry["id"]] = entry
        return index


def build(records: Iterable[dict[str, Any]], embedder: FakeEmbedder, batch: int = 256) -> VectorIndex:
    """A full index from records with ``key``/``keyColumn``/``rowDigest``/``path``/``row`` (the first build)."""
    index = VectorIndex()
    _embed_into(index, records, embedder, batch)
    return index


def _embed_into(index: VectorIndex, records: Iterable[dict[str, Any]], embedder: FakeEmbedder, batch: int) -> int:
    pending: list[dict[str, Any]] = []
    count = 0

    def flush() -> None:
        vectors = embedder.embed([text_of(r.get("row")) for r in pending])
        for record, vector in zip(pending, vectors):
            index.upsert(row_id(record), record["rowDigest"], record["path"], vector)
        pending.clear()

    for record in records:
        pending.append(record)
        count += 1
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return count


def reindex(api: portal.Api, index: VectorIndex, old: str, new: str, embedder: FakeEmbedder,
            key: Optional[str] = None, batch: int = 256) -> dict[str, Any]:
    """Brings ``index`` (built from ``old``) up to ``new``: embeds added and changed rows, deletes removed ones.
    Returns ``{"reused", "embedded", "removed", "summary", "problems"}``."""
    removed = 0
    problems: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}

    def to_embed() -> Iterator[dict[str, Any]]:
        nonlocal removed, summary
        for record in api.changes(old, new, key=key):
            op = record["op"]
            if op == "end":
                summary = record["summary"]
            elif op in ("duplicate_key", "malformed") or record.get("level") == "file":
                problems.append(record)  # reported, not indexed: a person decides
            elif op == "removed":
                index.delete(row_id(record))
                removed += 1
            else:  # added or changed: the key stays, the vector is replaced
                yield record

    before = len(index.entries)
    embedded = _embed_into(index, to_embed(), embedder, batch)
    reused = before - removed - int(summary.get("changed", 0))
    return {"reused": reused, "embedded": embedded, "removed": removed, "summary": summary, "problems": problems}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the chunks version the index was built from, e.g. chunks:v3")
    parser.add_argument("new", help="the new chunks version, e.g. v4 or chunks:latest")
    parser.add_argument("--index", type=Path, required=True, help="the index built from OLD (JSONL, as this script saves it)")
    parser.add_argument("--out", type=Path, required=True, help="where to save the new index")
    parser.add_argument("--name", default="chunks-index", help="the index artifact's name")
    parser.add_argument("--key", help="the key column (default: detected)")
    args = parser.parse_args(argv)

    embedder = FakeEmbedder()
    index = VectorIndex.load(args.index)
    with portal.init(job_type="indexing", name="reindex", config={"old": args.old, "new": args.new}) as run:
        old = run.use_artifact(args.old)
        new_spec = args.new if ":" in args.new else args.old.split(":", 1)[0] + ":" + args.new
        new = run.use_artifact(new_spec)
        stats = reindex(run.api, index, old.qualified_name, new.qualified_name, embedder, key=args.key)
        index.save(args.out)
        art = portal.Artifact(args.name, type="index", metadata={"reused": stats["reused"], "embedded": stats["embedded"],
                                                                 "removed": stats["removed"], "from": old.id, "to": new.id})
        art.add_file(args.out, name=args.out.name)
        version = run.log_artifact(art)
        run.summary.update(reused=stats["reused"], embedded=stats["embedded"], removed=stats["removed"])
    print(f"{version.qualified_name}: {stats['embedded']} rows embedded, {stats['reused']} reused, {stats['removed']} removed"
          + (f"; {len(stats['problems'])} problems reported" if stats["problems"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
