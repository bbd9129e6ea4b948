"""Loopback TCP proxies: one cuts connections mid-stream, one holds an IMAP stream mid-FETCH,
one trickles."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

from .dovecot import free_port

# What a proxy does with each chunk: data in -> (data to pass on, whether to go on).
Filter = Callable[[bytes], tuple[bytes, bool]]


def _whole(data: bytes) -> tuple[bytes, bool]:
    return data, True


class _Proxy:
    """Forwards each connection to a backend port; each direction goes through a filter."""

    def __init__(self, backend_port: int) -> None:
        self.port = free_port()
        self.backend_port = backend_port
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)  # accept() wakes up to notice close()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _filters(self) -> tuple[Filter, Filter]:
        """(server to client, client to server) for the connection just accepted."""
        return _whole, _whole

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                continue
            self.connections += 1
            down, up = self._filters()
            try:
                backend = socket.create_connection(("127.0.0.1", self.backend_port))
            except OSError:  # the server is down: the client sees the connection close
                client.close()
                continue
            threading.Thread(target=self._down, args=(backend, client, down), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, backend, up), daemon=True).start()

    def _down(self, src: socket.socket, dst: socket.socket, passing: Filter) -> None:
        """From the server to the client."""
        self._pipe(src, dst, passing)

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, passing: Filter) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                out, more = passing(data)
                if out:
                    dst.sendall(out)
                if not more:
                    break
        _shut(src, dst)

    def close(self) -> None:
        self._stop.set()
        self._server.close()


class CuttingProxy(_Proxy):
    """The first ``cuts`` connections are cut after ``after`` bytes from the server."""

    def __init__(self, backend_port: int, after: int, cuts: int = 1) -> None:
        self.after = after
        self.cuts = cuts
        super().__init__(backend_port)

    def _filters(self) -> tuple[Filter, Filter]:
        if self.connections > self.cuts:
            return _whole, _whole
        left = self.after

        def down(data: bytes) -> tuple[bytes, bool]:
            nonlocal left
            if len(data) > left:
                return data[:left], False  # cut in the middle of whatever is in flight (a literal)
            left -= len(data)
            return data, True

        return down, _whole


class HoldingProxy(_Proxy):
    """Forwards plain IMAP; after ``hold(after, then)`` the server's answers stop mid-FETCH.

    Of the body fetches (``BODY.PEEK[]``) the client sends after ``hold``, the first ``after`` are
    answered whole; of the answer to the next one only ``then`` bytes pass, and nothing after
    them: the client waits as on a stalled server, until it is killed. The proxy goes on reading
    the server, so a server that dies still closes the client's connection.
    """

    def __init__(self, backend_port: int) -> None:
        self.fetches = 0  # body fetches the client sent since the last hold()
        self._after: int | None = None
        self._then = 0
        self._left: int | None = None  # bytes still passed on, once the hold has begun
        self._lock = threading.Lock()
        super().__init__(backend_port)

    def hold(self, after: int | None, then: int = 0) -> None:
        """Hold after ``after`` more body fetches and ``then`` bytes (None: never hold)."""
        with self._lock:
            self.fetches, self._after, self._then, self._left = 0, after, then, None

    @property
    def holding(self) -> bool:
        """True once nothing more reaches the client."""
        return self._left == 0

    def _filters(self) -> tuple[Filter, Filter]:
        partial = b""

        def up(data: bytes) -> tuple[bytes, bool]:
            nonlocal partial
            *lines, partial = (partial + data).split(b"\r\n")
            with self._lock:  # before the command is passed on, so before any of its answer
                for line in lines:
                    if b"BODY.PEEK[]" in line.upper():
                        self.fetches += 1
                        if self._after is not None and self.fetches > self._after:
                            self._left = self._then if self._left is None else self._left
            return data, True

        def down(data: bytes) -> tuple[bytes, bool]:
            with self._lock:
                if self._left is not None:
                    data = data[: self._left]
                    self._left -= len(data)
            return data, True

        return down, up


class TricklingProxy(_Proxy):
    """Forwards to a backend; past the first ``after`` bytes, the backend's answer reaches the
    client one byte per ``interval`` seconds: every read is answered in time, nothing finishes."""

    def __init__(self, backend_port: int, after: int, interval: float = 0.5) -> None:
        self.after = after
        self.interval = interval
        super().__init__(backend_port)

    def _down(self, src: socket.socket, dst: socket.socket, passing: Filter) -> None:
        sent = 0
        with contextlib.suppress(OSError):
            while not self._stop.is_set() and (data := src.recv(16384)):
                for i in range(len(data)):
                    dst.sendall(data[i : i + 1])
                    sent += 1
                    if sent > self.after:
                        self._stop.wait(self.interval)
        _shut(src, dst)


def _shut(*sockets: socket.socket) -> None:
    for s in sockets:
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()
