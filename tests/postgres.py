"""A throwaway PostgreSQL 15 on loopback for the store tests (see the shared recipe)."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")
_names = itertools.count(1)


def available() -> bool:
    """The server binaries and the ``postgres`` system user both exist."""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return (BIN / "initdb").exists() and (BIN / "postgres").exists()


@dataclass
class Postgres:
    """A running server; each ``new_database()`` is an empty database of its own."""

    dir: Path
    port: int
    process: subprocess.Popen[bytes]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        name = f"t{next(_names)}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
             "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return out.stdout.strip()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # fast shutdown; SIGTERM waits for clients
        self.process.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend (a crashed server, or a machine gone)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def restart(self) -> None:
        """Start again on the same data and port; the server recovers from its write-ahead log."""
        self.process = _launch(self.dir, self.port)
        _wait_ready(self)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start() -> Postgres:
    """initdb and start a server as the ``postgres`` user; wait until it accepts connections."""
    d = Path(tempfile.mkdtemp(prefix="metawatch-pg-"))
    user = pwd.getpwnam("postgres")
    os.chown(d, user.pw_uid, user.pw_gid)
    as_postgres = {"user": "postgres", "group": "postgres", "extra_groups": [], "cwd": d}
    subprocess.run(
        [BIN / "initdb", "-D", d / "data", "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--locale=C", "--no-sync"],
        check=True, capture_output=True, **as_postgres,
    )  # fmt: skip
    server = Postgres(d, _free_port(), None)  # type: ignore[arg-type]
    server.process = _launch(d, server.port)
    _wait_ready(server)
    return server


def _launch(d: Path, port: int) -> subprocess.Popen[bytes]:
    # A session of its own, so that kill() reaches the backends too.
    as_postgres = {"user": "postgres", "group": "postgres", "extra_groups": [], "cwd": d}
    with open(d / "server.log", "ab") as log:
        return subprocess.Popen(
            [BIN / "postgres", "-D", d / "data", "-p", str(port), "-c", "listen_addresses=127.0.0.1",
             "-c", f"unix_socket_directories={d}", "-c", "fsync=off", "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True, **as_postgres,
        )  # fmt: skip


def _wait_ready(server: Postgres) -> None:
    deadline = time.monotonic() + 120  # a guard against a hang only
    while subprocess.run([BIN / "pg_isready", "-h", "127.0.0.1", "-p", str(server.port)],
                         capture_output=True).returncode != 0:  # fmt: skip
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"PostgreSQL did not start: {(server.dir / 'server.log').read_text()}"
            )
        time.sleep(0.1)
