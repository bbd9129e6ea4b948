"""Run health for a healthchecks-style ping URL: /start, success, /fail with a reason."""

from __future__ import annotations

import logging
import urllib.request

log = logging.getLogger(__name__)
TIMEOUT = 10


def ping(url: str | None, suffix: str = "", reason: str = "") -> bool:
    """POST to ``url + suffix``; a failing ping is logged, never fatal."""
    if not url:
        return True
    target = url.rstrip("/") + suffix
    request = urllib.request.Request(target, data=reason.encode()[:10_000], method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return bool(200 <= int(response.status) < 300)
    except (OSError, ValueError) as e:
        log.warning("health ping %s failed: %s", suffix or "success", type(e).__name__)
        return False
