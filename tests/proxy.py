"""A loopback TCP proxy that cuts connections mid-stream, to test dropped IMAP connections."""

from __future__ import annotations

import contextlib
import socket
import threading

from .dovecot import free_port


class CuttingProxy:
    """Forwards to a backend; the first ``cuts`` connections are cut after ``after`` bytes."""

    def __init__(self, backend_port: int, after: int, cuts: int = 1) -> None:
        self.port = free_port()
        self.backend_port = backend_port
        self.after = after
        self.cuts = cuts
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                continue
            self.connections += 1
            limit = self.after if self.connections <= self.cuts else None
            backend = socket.create_connection(("127.0.0.1", self.backend_port))
            threading.Thread(target=self._pipe, args=(backend, client, limit), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, backend, None), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        with contextlib.suppress(OSError):
            while data := src.recv(16384):
                if limit is not None and sent + len(data) > limit:
                    dst.sendall(data[: limit - sent])
                    break  # cut in the middle of whatever is in flight (a literal, say)
                dst.sendall(data)
                sent += len(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self._stop.set()
        self._server.close()
