"""An example pipeline step: chunk a document set into a chunk set, with lineage.

It takes the ``documents`` artifact at alias ``production`` (or, on a fresh project, logs a small one first), splits
every document into chunks of ``chunk_size`` characters, and logs the chunks as a new ``chunks`` version at alias
``staging``. Run it twice: the second run finds the same content and creates no version.

    export PORTAL_URL=http://localhost:5080 PORTAL_TOKEN=ptl_… PORTAL_PROJECT=rag-support
    python3 src/portal-py/examples/chunk_documents.py
    # or, recording git commit, exit status and duration around it:  portal run exec -- python3 …/chunk_documents.py
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import portal  # noqa: E402

CHUNK_SIZE = 512


def seed_documents(work: Path) -> None:
    """A first documents version, so the example runs on an empty project."""
    docs = work / "seed"
    docs.mkdir(parents=True)
    for i in range(5):
        (docs / f"doc-{i}.md").write_text(f"# Document {i}\n\n" + ("Portal versions the data behind ML systems. " * 40))
    with portal.init(job_type="data_upload", name="seed-documents") as run:
        art = portal.Artifact("documents", type="documents", description="Example documents")
        art.add_dir(docs)
        run.log_artifact(art, aliases=["production"])


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="portal-example-"))
    try:
        chunk(portal.Api(), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def chunk(api: portal.Api, work: Path) -> None:
    try:
        api.artifact("documents:production")
    except portal.PortalError as error:
        if error.code not in ("artifact_not_found", "alias_not_found", "version_not_found"):
            raise
        seed_documents(work)

    with portal.init(job_type="chunking", config={"chunk_size": CHUNK_SIZE}) as run:
        docs = run.use_artifact("documents:production")  # records the input
        folder = docs.download(work / "docs")  # verified, only what differs
        out = work / "out"
        (out / "chunks").mkdir(parents=True)
        count = 0
        for path in sorted(folder.rglob("*.md")):
            text = path.read_text()
            for start in range(0, len(text), CHUNK_SIZE):
                (out / "chunks" / f"{path.stem}-{start // CHUNK_SIZE:04d}.txt").write_text(text[start:start + CHUNK_SIZE])
                count += 1
        (out / "stats.json").write_text(json.dumps({"chunks": count}))
        run.log({"chunks": count}, step=1)
        run.summary["documents"] = docs.file_count

        art = portal.Artifact("chunks", type="chunks", metadata={"chunk_size": CHUNK_SIZE})
        art.add_dir(out / "chunks", name="chunks")
        art.add_file(out / "stats.json")
        version = run.log_artifact(art, aliases=["staging"])  # waits for the commit; "unchanged" is not an error
        print(f"{version.qualified_name}: {version.file_count} files ({run.last_put.status}) from {docs.qualified_name}")


if __name__ == "__main__":
    main()
