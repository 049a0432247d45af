"""A throw-away portal for the tests: the built Portal.Web on Kestrel at 127.0.0.1, SQLite and blobs in a temporary
folder, a known bootstrap API token. Used by the test suites (``PortalServer.shared()``) and by
``infra/scripts/test.sh`` (``python3 portal_server.py start|stop``), which starts one for all suites."""
from __future__ import annotations

import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _portal_dll() -> Path:
    found = sorted(glob.glob(str(REPO / "src/Portal.Web/bin/*/net*/Portal.Web.dll")), key=os.path.getmtime, reverse=True)
    if not found:
        raise RuntimeError("Portal.Web is not built: run `dotnet build src/Portal.Web` first.")
    return Path(found[0])


class PortalServer:
    """One portal process; ``url``, ``token`` and ``data`` (the folder holding its database and blobs)."""

    _shared: Optional["PortalServer"] = None
    #: Portals this process started and has not stopped yet (also while they are still starting).
    started: list["PortalServer"] = []

    def __init__(self, url: str, token: str, data: Optional[Path], process: Optional[subprocess.Popen] = None) -> None:
        self.url = url
        self.token = token
        self.data = data
        self.process = process

    @classmethod
    def shared(cls) -> "PortalServer":
        """The portal named by ``PORTAL_TEST_URL``/``PORTAL_TEST_TOKEN`` (and ``PORTAL_TEST_DATA``), else one started
        for this test process and stopped when it exits."""
        if cls._shared is None:
            url = os.environ.get("PORTAL_TEST_URL")
            if url:
                data = os.environ.get("PORTAL_TEST_DATA")
                cls._shared = PortalServer(url, os.environ["PORTAL_TEST_TOKEN"], Path(data) if data else None)
            else:
                cls._shared = cls.start()
                import atexit

                atexit.register(cls._shared.stop)
        return cls._shared

    @classmethod
    def start(cls, timeout: float = 120.0) -> "PortalServer":
        data = Path(tempfile.mkdtemp(prefix="portal-py-tests-"))
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        token = "ptl_" + secrets.token_hex(24)
        env = dict(os.environ)
        env.update({
            "ASPNETCORE_URLS": url,
            "ASPNETCORE_ENVIRONMENT": "Testing",
            "DOTNET_NOLOGO": "1",
            "Database__Provider": "Sqlite",
            "ConnectionStrings__Portal": f"Data Source={data / 'portal.db'}",
            "Database__MigrateOnStartup": "true",
            "Portal__SeedDemoData": "false",
            "Portal__Bootstrap__AdminEmail": "admin@portal.local",
            "Portal__Bootstrap__AdminPassword": secrets.token_urlsafe(18) + "aA1!",
            "Portal__Bootstrap__AdminApiToken": token,
            "Storage__Root": str(data / "blobs"),
            "DataProtection__KeysFolder": str(data / "keys"),
            "Jobs__Storage": "InMemory",
            # The smallest part size the portal allows (S3's 5 MiB), so a test file of a few MiB goes up in several parts.
            "Storage__UploadPartBytes": str(5 * 1024 * 1024),
            "Jobs__RunServer": "false",
            "RateLimits__TokenCreationsPerMinute": "100000",
            "Logging__LogLevel__Default": "Warning",
            "Logging__LogLevel__Microsoft.EntityFrameworkCore": "Error",
        })
        dll = _portal_dll()
        log = open(data / "portal.log", "wb")
        process = subprocess.Popen(["dotnet", str(dll)], cwd=str(dll.parent), env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        server = PortalServer(url, token, data, process)
        PortalServer.started.append(server)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                request = urllib.request.Request(url + "/api/v1/projects", headers={"Authorization": f"Bearer {token}"})
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=5) as r:
                    if r.status == 200:
                        return server
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                time.sleep(0.5)
        tail = (data / "portal.log").read_text(errors="replace")[-3000:]
        server.stop()
        raise RuntimeError(f"the portal did not start at {url}:\n{tail}")

    def stop(self) -> None:
        if self in PortalServer.started:
            PortalServer.started.remove(self)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.data is not None:
            shutil.rmtree(self.data, ignore_errors=True)
        self.process = None


def main(argv: list[str]) -> int:
    """``start``: prints shell assignments (PORTAL_TEST_URL, PORTAL_TEST_TOKEN, PORTAL_TEST_DATA, PORTAL_TEST_PID).
    ``stop PID DATA``: stops that portal and removes its folder."""
    if argv[:1] == ["start"]:
        server = PortalServer.start()
        print(f"PORTAL_TEST_URL={server.url}; PORTAL_TEST_TOKEN={server.token}; PORTAL_TEST_DATA={server.data}; "
              f"PORTAL_TEST_PID={server.process.pid}; export PORTAL_TEST_URL PORTAL_TEST_TOKEN PORTAL_TEST_DATA PORTAL_TEST_PID")
        return 0
    if argv[:1] == ["stop"] and len(argv) == 3:
        pid, data = int(argv[1]), Path(argv[2])
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.2)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if data.name.startswith("portal-py-tests-"):
            shutil.rmtree(data, ignore_errors=True)
        return 0
    print("usage: portal_server.py start | stop PID DATA", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
