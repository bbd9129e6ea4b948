"""A throwaway Dovecot IMAP server on loopback for integration tests (see shared dovecot recipe)."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import imapclient

CONF = """\
base_dir = {d}/run
state_dir = {d}/state
instance_name = dovecot-test-{tls_port}
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
mail_location = {location}:{d}/mail/%u
namespace inbox {{
  inbox = yes
  mailbox Junk {{
    special_use = \\Junk
  }}
  mailbox Trash {{
    special_use = \\Trash
  }}
  mailbox Sent {{
    special_use = \\Sent
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/users
}}
userdb {{
  driver = passwd-file
  args = {d}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
"""


USERS = 200
# Seconds to wait for the server: a guard against a hang only (it answers in well under one).
READY = 120
SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def binary(name: str) -> str:
    """A system program, looked up in sbin too (Debian installs dovecot there)."""
    return shutil.which(name, path=SBIN) or name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    """A running server: ports, CA file and helpers to create users and put mail in."""

    dir: Path
    plain_port: int
    tls_port: int
    process: subprocess.Popen[bytes]
    _ids = itertools.count(1)

    @property
    def ca_file(self) -> str:
        return str(self.dir / "cert.pem")

    def new_user(self) -> str:
        """A fresh user with an empty mailbox (password ``secret-pw``)."""
        n = next(self._ids)
        if n > USERS:
            raise RuntimeError(f"more than {USERS} test users: raise USERS")
        return f"user{n}"

    def client(self, user: str, password: str = "secret-pw") -> imapclient.IMAPClient:
        ctx = ssl.create_default_context(cafile=self.ca_file)
        c = imapclient.IMAPClient(
            "127.0.0.1", port=self.tls_port, ssl=True, ssl_context=ctx, timeout=READY
        )
        c.login(user, password)
        return c

    def append(self, user: str, folder: str, messages: list[bytes]) -> None:
        """Put mail in with IMAP APPEND, creating the folder when needed."""
        with self.client(user) as c:
            if folder != "INBOX" and not c.folder_exists(folder):
                c.create_folder(folder)
            for raw in messages:
                c.append(folder, raw, flags=())

    def deliver(self, user: str, messages: list[bytes]) -> None:
        """Put many mails into INBOX fast: as files in its Maildir, as a delivery agent would."""
        root = self.dir / "mail" / user
        for sub in ("", "cur", "new", "tmp"):
            (root / sub).mkdir(exist_ok=True)
            os.chown(root / sub, 65534, 65534)
        for i, raw in enumerate(messages):
            path = root / "new" / f"{int(time.time())}.M{i}P{os.getpid()}.metawatch-test"
            path.write_bytes(raw)
            os.chown(path, 65534, 65534)

    def state(self, user: str) -> dict[str, tuple[int, int, list[tuple[int, tuple[bytes, ...]]]]]:
        """Per folder: message count, unseen count and every message's flags (read-only)."""
        out = {}
        with self.client(user) as c:
            for _flags, _d, name in c.list_folders():
                status = c.folder_status(name, [b"MESSAGES", b"UNSEEN"])
                c.select_folder(name, readonly=True)
                flags = c.get_flags(c.search("ALL")) if status[b"MESSAGES"] else {}
                out[name] = (status[b"MESSAGES"], status[b"UNSEEN"], sorted(flags.items()))
        return out

    def url(self, user: str, tls: str = "implicit", **params: str) -> str:
        scheme, port = ("imaps", self.tls_port) if tls == "implicit" else ("imap", self.plain_port)
        query = "&".join(f"{k}={v}" for k, v in {"ca_file": self.ca_file, **params}.items())
        return f"{scheme}://{user}@127.0.0.1:{port}/?{query}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(READY)

    def kill(self) -> None:
        """SIGKILL the master and every imap process it forked (a crashed server)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(READY)

    def restart(self) -> None:
        """Start again on the same ports, users and mail."""
        self.process = _launch(self.dir)
        _wait_ready(self)


def start(location: str = "maildir", extra: str = "") -> Dovecot:
    """A new server; ``extra`` is appended to its configuration (e.g. a command-size limit)."""
    d = Path(tempfile.mkdtemp(prefix="dovecot-", dir="/tmp"))
    os.chmod(d, 0o755)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    (d / "mail").mkdir()
    os.chown(d / "mail", 65534, 65534)
    # All users up front: Dovecot may not notice a passwd-file changed within the same second.
    (d / "users").write_text("".join(
        f"user{n}:{{PLAIN}}secret-pw:65534:65534::{d}/mail/user{n}::\n" for n in range(1, USERS + 1)
    ))  # fmt: skip
    plain, tls = free_port(), free_port()
    (d / "dovecot.conf").write_text(
        CONF.format(d=d, plain_port=plain, tls_port=tls, location=location) + extra
    )
    server = Dovecot(d, plain, tls, _launch(d))
    try:
        _wait_ready(server)
    except RuntimeError:
        server.stop()
        shutil.rmtree(d, ignore_errors=True)
        raise
    return server


def _launch(d: Path) -> subprocess.Popen[bytes]:
    # A session of its own, so that kill() reaches the imap processes too.
    return subprocess.Popen([binary("dovecot"), "-F", "-c", str(d / "dovecot.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip


def _wait_ready(server: Dovecot) -> None:
    deadline = time.monotonic() + READY
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", server.plain_port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    log = server.dir / "dovecot.log"
    raise RuntimeError(f"Dovecot did not start:\n{log.read_text() if log.exists() else '(no log)'}")
