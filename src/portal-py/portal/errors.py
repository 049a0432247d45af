"""The one exception type of the client, carrying the portal's stable error code."""
from __future__ import annotations

from typing import Any, Optional

#: The portal could not be reached at all (no HTTP answer; ``status`` is 0).
CONNECTION_FAILED = "connection_failed"
#: A downloaded blob's bytes did not hash to its digest; nothing was written for it.
DIGEST_MISMATCH = "digest_mismatch"
#: The client is not configured: no portal URL or token.
NOT_CONFIGURED = "not_configured"
#: An argument given to the client is unusable (a bad path, a missing checksum …).
INVALID_ARGUMENT = "invalid_argument"


class PortalError(Exception):
    """An error answer of the portal (RFC 7807 problem details) or a failure to talk to it.

    ``code`` is the stable machine-readable code (``project_not_found``, ``unauthorized``, ``digest_mismatch``,
    ``connection_failed`` …), the same the .NET SDK and the CLI report; ``message`` is meant for a person;
    ``status`` is the HTTP status (0 when there was no answer).
    """

    def __init__(self, code: str, message: str, status: int = 0, details: Optional[dict[str, Any]] = None) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message
        self.status = status
        self.details: dict[str, Any] = details or {}

    def __repr__(self) -> str:
        return f"PortalError(code={self.code!r}, status={self.status}, message={self.message!r})"
