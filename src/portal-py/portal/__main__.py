"""``python3 -m portal put|get``: the two transfer commands of the CLI, for machines with Python and no .NET.

    python3 -m portal put ./corpus -n corpus -t dataset [-p PROJECT] [-a ALIAS]   # prints corpus:v0 (or no new version)
    python3 -m portal get corpus:latest -o ./corpus-copy [-p PROJECT]              # verified, fetches only what differs

Configured like the CLI (``PORTAL_URL``, ``PORTAL_TOKEN``, ``PORTAL_PROJECT``, the saved login); errors print
``error: <message> (<code>)`` and exit 1.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from .api import Api
from .artifact import Artifact
from .errors import PortalError


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m portal", description="Upload and download artifact versions.")
    commands = parser.add_subparsers(dest="command", required=True)
    put = commands.add_parser("put", help="Upload folders and files as a new version (nothing when unchanged).")
    put.add_argument("paths", nargs="+", help="Folders (their contents) and files (by file name).")
    put.add_argument("-n", "--name", required=True)
    put.add_argument("-t", "--type", required=True)
    put.add_argument("-p", "--project")
    put.add_argument("-a", "--alias", action="append", default=[])
    put.add_argument("-m", "--message", help="Description of the version.")
    put.add_argument("--jobs", type=int, default=8)
    get = commands.add_parser("get", help="Download a version into a folder, fetching only what differs.")
    get.add_argument("version", help="name, name:alias, name:vN")
    get.add_argument("-o", "--output", required=True)
    get.add_argument("-p", "--project")
    get.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args(argv)
    try:
        api = Api(project=args.project)
        if args.command == "put":
            artifact = Artifact(args.name, type=args.type, description=args.message)
            for path in args.paths:
                if os.path.isdir(path):
                    artifact.add_dir(path)
                else:
                    artifact.add_file(path)
            version = api.log_artifact(artifact, aliases=args.alias, workers=max(1, args.jobs))
            status = api.last_put.status if api.last_put else "committed"
            print(f"{version.name}:{version.version}" if status == "committed" else f"no new version: {version.name}:{version.version} has the same content")
        else:
            version = api.artifact(args.version)
            version.download(args.output, workers=max(1, args.jobs))
            result = version.last_download
            if result is not None:
                print(f"{version.name}:{version.version}: {result.downloaded} files downloaded, {result.up_to_date} up to date", file=sys.stderr)
        return 0
    except PortalError as error:
        print(f"error: {error.message} ({error.code})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: cancelled (cancelled)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
