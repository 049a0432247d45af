"""HTTP behaviour against a scripted local server (retries, ``Retry-After``, problem details, a portal that is down)
and configuration as the CLI reads it. These need no portal."""
from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
import unittest
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal import PortalError, Settings  # noqa: E402
from portal._http import HttpClient, retry_after_seconds  # noqa: E402
from portal.config import load_login  # noqa: E402

from .support import free_port  # noqa: E402


class ScriptedPortal:
    """Answers each request with the next scripted (status, headers, body), recording what it was sent."""

    def __init__(self, script: list[tuple[int, dict[str, str], bytes]]) -> None:
        self.script = list(script)
        self.requests: list[tuple[str, str, float]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                owner.requests.append((self.command, self.path, time.monotonic()))
                status, headers, body = owner.script.pop(0) if owner.script else (500, {}, b"")
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def problem(status: int, code: str, detail: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/problem+json"}, json.dumps({"status": status, "code": code, "detail": detail}).encode()


OK = (200, {"Content-Type": "application/json"}, b'{"ok":true}')


class RetryTests(unittest.TestCase):
    def portal(self, *script: tuple[int, dict[str, str], bytes]) -> ScriptedPortal:
        server = ScriptedPortal(list(script))
        self.addCleanup(server.close)
        return server

    def test_a_read_waits_as_long_as_retry_after_says_then_succeeds(self) -> None:
        server = self.portal((503, {"Retry-After": "1"}, b""), OK)
        client = HttpClient(server.url, "ptl_x", max_retries=3, retry_delay=0.01)
        self.assertEqual({"ok": True}, client.get("projects"))
        self.assertEqual(2, len(server.requests))
        self.assertGreaterEqual(server.requests[1][2] - server.requests[0][2], 0.9)

    def test_a_write_refused_with_429_is_sent_again(self) -> None:
        server = self.portal((429, {"Retry-After": "0"}, b""), OK)
        client = HttpClient(server.url, "ptl_x", max_retries=3, retry_delay=0.01)
        self.assertEqual({"ok": True}, client.post("projects", {"slug": "a"}))
        self.assertEqual(2, len(server.requests))

    def test_a_write_that_failed_with_500_is_not_repeated(self) -> None:
        server = self.portal(problem(500, "internal_error", "boom"), OK)
        client = HttpClient(server.url, "ptl_x", max_retries=3, retry_delay=0.01)
        with self.assertRaises(PortalError) as caught:
            client.post("projects/p/runs", {"jobType": "x"})
        self.assertEqual(("internal_error", 500), (caught.exception.code, caught.exception.status))
        self.assertEqual(1, len(server.requests))

    def test_reads_give_up_after_the_retries_with_the_portals_code(self) -> None:
        server = self.portal(*[problem(503, "unavailable", "try later")] * 3)
        client = HttpClient(server.url, "ptl_x", max_retries=2, retry_delay=0.01)
        with self.assertRaises(PortalError) as caught:
            client.get("projects")
        self.assertEqual("unavailable", caught.exception.code)
        self.assertEqual("try later", caught.exception.message)
        self.assertEqual(3, len(server.requests))

    def test_an_answer_without_problem_details_gets_a_status_code(self) -> None:
        server = self.portal((404, {"Content-Type": "text/html"}, b"<html>nope</html>"))
        with self.assertRaises(PortalError) as caught:
            HttpClient(server.url, "ptl_x", max_retries=0).get("x")
        self.assertEqual(("http_404", 404), (caught.exception.code, caught.exception.status))

    def test_a_portal_that_is_down_is_connection_failed(self) -> None:
        url = f"http://127.0.0.1:{free_port()}"
        started = time.monotonic()
        with self.assertRaises(PortalError) as caught:
            HttpClient(url, "ptl_x", max_retries=2, retry_delay=0.01).get("projects")
        self.assertEqual(("connection_failed", 0), (caught.exception.code, caught.exception.status))
        self.assertIn(url, caught.exception.message)
        self.assertLess(time.monotonic() - started, 10)

    def test_retry_after_reads_seconds_and_http_dates(self) -> None:
        now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        self.assertEqual(5.0, retry_after_seconds("5"))
        self.assertEqual(30.0, retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now))
        self.assertEqual(0.0, retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now))
        self.assertIsNone(retry_after_seconds("soon"))
        self.assertIsNone(retry_after_seconds(None))


class ConfigurationTests(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="portal-py-config-"))
        (self.folder / "config.json").write_text(json.dumps({"url": "http://saved:5080", "token": "ptl_saved", "project": "saved-project"}))
        os.chmod(self.folder / "config.json", 0o600)

    def tearDown(self) -> None:
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)

    def test_the_cli_login_file_is_read(self) -> None:
        settings = Settings.resolve(env={"PORTAL_CONFIG_DIR": str(self.folder)})
        self.assertEqual(("http://saved:5080", "ptl_saved", "saved-project"), (settings.url, settings.token, settings.project))

    def test_variables_override_the_login_and_arguments_override_both(self) -> None:
        env = {"PORTAL_CONFIG_DIR": str(self.folder), "PORTAL_URL": "http://env:1/", "PORTAL_TOKEN": "ptl_env", "PORTAL_PROJECT": "env-p",
               "PORTAL_RUN_ID": "6C4A9E2D-0000-4000-8000-000000000001"}
        settings = Settings.resolve(env=env)
        self.assertEqual(("http://env:1", "ptl_env", "env-p"), (settings.url, settings.token, settings.project))
        self.assertEqual("6c4a9e2d-0000-4000-8000-000000000001", settings.run_id)
        self.assertEqual("arg-p", Settings.resolve(project="arg-p", env=env).project)

    def test_xdg_config_home_is_where_the_cli_keeps_its_login(self) -> None:
        xdg = self.folder / "xdg"
        (xdg / "portal").mkdir(parents=True)
        (xdg / "portal" / "config.json").write_text('{"url":"http://x:1","token":"ptl_x"}')
        self.assertEqual("ptl_x", Settings.resolve(env={"XDG_CONFIG_HOME": str(xdg)}).token)

    def test_without_a_login_the_error_says_what_to_do(self) -> None:
        with self.assertRaises(PortalError) as caught:
            Settings.resolve(env={"PORTAL_CONFIG_DIR": str(self.folder / "none")})
        self.assertEqual("not_configured", caught.exception.code)
        self.assertIn("portal login", caught.exception.message)

    def test_a_broken_login_file_is_reported(self) -> None:
        (self.folder / "config.json").write_text("{nope")
        with self.assertRaises(PortalError):
            load_login(self.folder)


if __name__ == "__main__":
    unittest.main()
