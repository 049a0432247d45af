"""Where the client finds the portal: the same variables and login file as the ``portal`` CLI."""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from .errors import NOT_CONFIGURED, PortalError


def _non_empty(value: Optional[str]) -> Optional[str]:
    return value.strip() if value is not None and value.strip() else None


def config_folder(env: Mapping[str, str]) -> Path:
    """``PORTAL_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/portal``, else ``~/.config/portal`` (as the CLI)."""
    explicit = _non_empty(env.get("PORTAL_CONFIG_DIR"))
    if explicit:
        return Path(explicit)
    base = _non_empty(env.get("XDG_CONFIG_HOME")) or os.path.join(_non_empty(env.get("HOME")) or str(Path.home()), ".config")
    return Path(base) / "portal"


def cache_folder(env: Mapping[str, str]) -> Path:
    """``PORTAL_CACHE_DIR``, else ``$XDG_CACHE_HOME/portal``, else ``~/.cache/portal`` (shared with the CLI)."""
    explicit = _non_empty(env.get("PORTAL_CACHE_DIR"))
    if explicit:
        return Path(explicit)
    base = _non_empty(env.get("XDG_CACHE_HOME")) or os.path.join(_non_empty(env.get("HOME")) or str(Path.home()), ".cache")
    return Path(base) / "portal"


def load_login(folder: Path) -> dict[str, Optional[str]]:
    """What ``portal login`` stored in ``config.json`` (``url``, ``token``, ``project``); empty when absent."""
    path = folder / "config.json"
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as ex:
        raise PortalError(NOT_CONFIGURED, f"{path} is not valid JSON ({ex}); run 'portal login' again.") from ex
    if not isinstance(data, dict):
        return {}
    return {k: data.get(k) if isinstance(data.get(k), str) else None for k in ("url", "token", "project")}


@dataclass(frozen=True)
class Settings:
    """The portal's address, the token, and the defaults a pipeline inherits from ``portal run exec``."""

    url: str
    token: str
    project: Optional[str] = None
    run_id: Optional[str] = None
    cache_dir: Optional[Path] = None
    max_retries: int = 3
    #: The project of ``run_id`` (``PORTAL_PROJECT``, which ``portal run exec`` sets with it); None when not given.
    run_project: Optional[str] = None

    @staticmethod
    def resolve(
        url: Optional[str] = None,
        token: Optional[str] = None,
        project: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
    ) -> "Settings":
        """Arguments win, then ``PORTAL_URL``/``PORTAL_TOKEN``/``PORTAL_PROJECT``, then the CLI's saved login."""
        env = os.environ if env is None else env
        login = load_login(config_folder(env))
        url = _non_empty(url) or _non_empty(env.get("PORTAL_URL")) or _non_empty(login.get("url"))
        token = _non_empty(token) or _non_empty(env.get("PORTAL_TOKEN")) or _non_empty(login.get("token"))
        if url is None or token is None:
            raise PortalError(
                NOT_CONFIGURED,
                "not logged in: run 'portal login --url <server> --token <token>', or set PORTAL_URL and PORTAL_TOKEN.",
            )
        if not (url.startswith("http://") or url.startswith("https://")):
            raise PortalError(NOT_CONFIGURED, f'the portal address "{url}" is not an http(s) URL.')
        project = _non_empty(project) or _non_empty(env.get("PORTAL_PROJECT")) or _non_empty(login.get("project"))
        run_id = _non_empty(env.get("PORTAL_RUN_ID"))
        if run_id is not None:
            try:
                run_id = str(uuid.UUID(run_id))
            except ValueError:
                run_id = None  # as the .NET SDK: a value that is not a run id records nothing
        try:
            retries = max(0, int(env.get("PORTAL_RETRIES", "3")))
        except ValueError:
            retries = 3
        return Settings(url.rstrip("/"), token, project, run_id, cache_folder(env), retries, _non_empty(env.get("PORTAL_PROJECT")))
