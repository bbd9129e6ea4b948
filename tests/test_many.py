"""Many mailboxes: parallel workers, two scanner processes, one PostgreSQL, one Dovecot."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from metawatch.store import Store, database_url

from .conftest import Result
from .dovecot import Dovecot, free_port
from .postgres import Postgres
from .receivers import WebhookReceiver
from .test_imap import META, PW, sample

Run = Callable[..., Result]
# Seconds after which a wait fails as hung. Only a guard against hanging for ever: every wait
# here ends on an event (a mail stored, a command seen), which takes seconds on any machine.
HANG = 600


def mailbox(name: str, user: str, port: int, ca_file: str, **keys: int | str | bool) -> str:
    """A [[mailbox]] table for a Dovecot user (password from $TEST_IMAP_PW), plus ``keys``."""
    extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items())  # JSON's are TOML's too
    return (f'[[mailbox]]\nname = "{name}"\nhost = "127.0.0.1"\nport = {port}\n'
            f'username = "{user}"\nca_file = "{ca_file}"\npassword_env = "TEST_IMAP_PW"\n{extra}')  # fmt: skip


def config(path: Path, *mailboxes: str, hook: WebhookReceiver | None = None) -> Path:
    alerts = f'[alerts]\nurls = ["{hook.url}"]\n' if hook else ""
    path.write_text("\n".join([alerts, *mailboxes]))
    path.chmod(0o600)
    return path


def metawatch(*args: str) -> subprocess.Popen[str]:
    """``metawatch ARGS`` in a process of its own, as cron starts it."""
    env = {**os.environ, "TEST_IMAP_PW": PW}
    return subprocess.Popen([sys.executable, "-m", "metawatch", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def finish(p: subprocess.Popen[str]) -> Result:
    out, err = p.communicate(timeout=HANG)
    return Result(p.returncode, out, err)


def wait_for(done: Callable[[], bool], scan: subprocess.Popen[str], what: str) -> None:
    """Wait until ``done()`` while ``scan`` runs; fail if the scan ends first (or hangs)."""
    deadline = time.monotonic() + HANG
    while not done():
        if scan.poll() is not None and not done():
            pytest.fail(f"the scan ended before {what}: {finish(scan)}")
        if time.monotonic() > deadline:
            pytest.fail(f"hung: no {what} after {HANG} s")
        time.sleep(0.02)


def test_two_scanner_processes_share_one_postgresql(
    dovecot: Dovecot, postgres: Postgres, hook: WebhookReceiver, tmp_path: Path
) -> None:
    one, two = dovecot.new_user(), dovecot.new_user()
    third = len(META) // 3
    dovecot.append(one, "INBOX", [sample(n) for n in META[: 2 * third]])
    dovecot.append(two, "INBOX", [sample(n) for n in META[third:]])  # a third in both
    url = postgres.new_database()
    a = config(
        tmp_path / "a.toml", mailbox("one", one, dovecot.tls_port, dovecot.ca_file), hook=hook
    )
    b = config(
        tmp_path / "b.toml", mailbox("two", two, dovecot.tls_port, dovecot.ca_file), hook=hook
    )

    results = [finish(p) for p in [metawatch("--db", url, "--config", str(a), "scan", "-q"),
                                   metawatch("--db", url, "--config", str(b), "scan", "-q")]]  # fmt: skip
    assert [r.code for r in results] == [0, 0], [r.err for r in results]

    # The same mails, scanned alone from one mailbox into SQLite, are the reference.
    reference, everything = WebhookReceiver(), dovecot.new_user()
    dovecot.append(everything, "INBOX", [sample(n) for n in META])
    ref_db = database_url(str(tmp_path / "ref.db"))
    ref_cfg = config(tmp_path / "ref.toml", mailbox("all", everything, dovecot.tls_port,
                                                    dovecot.ca_file), hook=reference)  # fmt: skip
    assert finish(metawatch("--db", ref_db, "--config", str(ref_cfg), "scan", "-q")).code == 0
    reference.stop()

    shared, alone = Store.open(url), Store.open(ref_db)
    try:
        stored = shared.messages()
        assert len(stored) == len(META)  # every mail once, none twice
        ours = Counter((m.message_id, m.kind) for m in stored)  # IMAP has CRLF: hashes differ
        assert ours == Counter((m.message_id, m.kind) for m in alone.messages())
        accounts = sorted((a.platform, a.emails) for a in shared.accounts())
        assert accounts == sorted((a.platform, a.emails) for a in alone.accounts())
        # Each scanner alerts on what it has seen so far, so a state seen only between the two
        # scans may alert too; but every alert of the final state went out, and none twice.
        assert set(reference.titles()) <= set(hook.titles())
        assert hook.titles() and len(set(hook.titles())) == len(hook.titles())
        assert sorted(a.title for a in shared.open_alerts()) == sorted(
            a.title for a in alone.open_alerts())  # fmt: skip
    finally:
        shared.close()
        alone.close()

    sent = len(hook.titles())
    again = [finish(metawatch("--db", url, "--config", str(c), "scan")) for c in (a, b)]
    assert [(r.code, r.out) for r in again] == [(0, ""), (0, "")]
    assert len(hook.titles()) == sent  # and the next scans send nothing


def test_a_mailbox_locked_by_another_host_is_skipped_with_75(
    dovecot: Dovecot, postgres: Postgres, tmp_path: Path
) -> None:
    one, two = dovecot.new_user(), dovecot.new_user()
    dovecot.append(one, "INBOX", [sample(META[0])])
    dovecot.append(two, "INBOX", [sample(META[1])])
    url = postgres.new_database()
    cfg = config(tmp_path / "c.toml", mailbox("one", one, dovecot.tls_port, dovecot.ca_file),
                 mailbox("two", two, dovecot.tls_port, dovecot.ca_file))  # fmt: skip
    other_host = Store.open(url)
    try:
        with other_host.source_lock("one"):
            result = finish(metawatch("--db", url, "--config", str(cfg), "scan", "-q"))
        assert result.code == 75
        assert "source:one is being scanned by another metawatch" in result.err
        assert len(other_host.messages()) == 1  # mailbox two was scanned
        assert finish(metawatch("--db", url, "--config", str(cfg), "scan", "-q")).code == 0
        assert len(other_host.messages()) == 2
    finally:
        other_host.close()


class StallingServer:
    """Accepts connections and says nothing until released: a mailbox that hangs.

    Its [[mailbox]] needs ``connect_timeout`` (the TLS handshake waits under it) and
    ``read_timeout`` of HANG, so that it hangs until released, however slow the rest of the test.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self._sock = socket.create_server(("127.0.0.1", self.port))
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._conns.append(conn)

    def mailbox(self, ca_file: str) -> str:
        """The [[mailbox]] "hangs" on this server: it waits until release()."""
        return mailbox("hangs", "x", self.port, ca_file, connect_timeout=HANG, read_timeout=HANG)

    def release(self) -> None:
        self._sock.close()
        for c in self._conns:
            c.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_hanging_mailbox_does_not_hold_the_others(
    dovecot: Dovecot, request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    good = dovecot.new_user()
    dovecot.append(good, "INBOX", [sample(n) for n in META[:5]])
    stall = StallingServer()
    url = (request.getfixturevalue("postgres").new_database() if backend == "postgresql"
           else database_url(str(tmp_path / "m.db")))  # fmt: skip
    cfg = config(tmp_path / "j.toml",
                 stall.mailbox(dovecot.ca_file),
                 mailbox("good", good, dovecot.tls_port, dovecot.ca_file))  # fmt: skip
    scan = metawatch("--db", url, "--config", str(cfg), "scan", "-q", "--jobs", "2")
    store = Store.open(url)
    try:  # stored while the first mailbox still hangs (the scan cannot end before release())
        wait_for(lambda: len(store.messages()) == 5, scan, "the good mailbox's 5 mails")
        assert scan.poll() is None
    finally:
        stall.release()
        store.close()
    result = finish(scan)
    assert result.code == 75 and "hangs" in result.err
