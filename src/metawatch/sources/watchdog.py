"""A total deadline for work on network connections, enforced by cutting them."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from metawatch.errors import DeadlineExceeded
from metawatch.models import Deadline


class Watchdog:
    """Cuts every connection of one operation when its deadline passes.

    A server that trickles a byte every few seconds answers each read within read_timeout, so
    no socket timeout ever fires: without this, it would hold the scan, and its lock, for ever.
    Shutting the socket down makes whatever read is blocked on it return at once.
    """

    def __init__(self, deadline: Deadline, where: str) -> None:
        self.deadline = deadline
        self.where = where
        self.expired = False
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._timer = threading.Timer(max(0.0, self.left()), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._socks:
                sock.close()
            self._socks.clear()

    def left(self) -> float:
        """Seconds until the deadline."""
        return self.deadline.at - time.monotonic()

    def watch(self, sock: socket.socket) -> None:
        """Keep a duplicate of a new connection's socket (before TLS: a stalled handshake can be
        cut too); shutting down the duplicate shuts down the connection."""
        with self._lock:
            self._socks.append(sock.dup())
            if self.expired:
                self._shutdown()

    def check(self) -> None:
        """Raise DeadlineExceeded once the deadline has passed."""
        if self.expired or self.left() <= 0:
            self.expired = True
            raise DeadlineExceeded(f"{self.where}: gave up at its deadline ({self.deadline.setting}): "
                                   "the server is too slow or stalled; what was stored is kept "
                                   "and the next scan goes on from there")  # fmt: skip

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        for sock in self._socks:
            with contextlib.suppress(OSError):  # deliberate: the connection may be gone already
                sock.shutdown(socket.SHUT_RDWR)
