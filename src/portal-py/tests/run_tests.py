"""Runs every Python suite against one throw-away portal and ends with the line ``infra/scripts/test.sh`` sums:
``python tests: N passed, N failed, N skipped``. Exit status 0 only when nothing failed.

    python3 src/portal-py/tests/run_tests.py          # starts a portal from the built Portal.Web, stops it after
    PORTAL_TEST_URL=… PORTAL_TEST_TOKEN=… python3 …   # or uses one already running
"""
from __future__ import annotations

import os
import signal
import sys
import unittest
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def main() -> int:
    # A SIGTERM (test.sh's timeout, CI cancelling) stops the portal this started before exiting; unittest would
    # take a SystemExit raised inside a test for that test's error and carry on.
    def terminate(*_: object) -> None:
        from tests.portal_server import PortalServer

        for server in list(PortalServer.started):
            server.stop()
        os._exit(143)

    signal.signal(signal.SIGTERM, terminate)
    os.chdir(PACKAGE)
    sys.path.insert(0, str(PACKAGE))
    suite = unittest.defaultTestLoader.discover("tests", top_level_dir=str(PACKAGE))
    try:
        from tests.portal_server import PortalServer

        server = PortalServer.shared()
        print(f"portal for the Python tests: {server.url}", flush=True)
    except RuntimeError as error:
        print(f"the portal for the Python tests did not start: {error}", file=sys.stderr)
        print("python tests: 0 passed, 1 failed, 0 skipped")
        return 1
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    for test, _ in result.failures + result.errors:
        print(f"FAILED {test.id()}")
    print(f"python tests: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
