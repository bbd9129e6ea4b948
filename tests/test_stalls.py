"""A server that trickles holds no scan past its deadline; a database server killed mid-scan
loses and doubles nothing (issue 15)."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import postgres as pg
from .dovecot import Dovecot
from .postgres import Postgres
from .proxy import TricklingProxy
from .test_imap import META, sample
from .test_many import config, finish, mailbox, metawatch


def copies(n: int) -> list[bytes]:
    """``n`` distinct Meta mails: the samples again and again, each copy with its own Message-ID."""
    return [re.sub(rb"(?im)^(message-id:\s*<)", rb"\g<1>copy%d." % i, sample(META[i % len(META)]), count=1)
            for i in range(n)]  # fmt: skip


@pytest.fixture
def trickle(dovecot: Dovecot, request: pytest.FixtureRequest) -> Iterator[TricklingProxy]:
    """Dovecot behind a proxy that trickles its answers past the first ``after`` bytes."""
    proxy = TricklingProxy(dovecot.tls_port, after=request.param)
    yield proxy
    proxy.close()


@pytest.mark.parametrize(
    "trickle", [0, 40_000], indirect=True, ids=["from-the-tls-handshake", "mid-fetch"]
)
def test_a_trickling_server_is_given_up_at_the_mailbox_deadline(
    dovecot: Dovecot, trickle: TricklingProxy, tmp_path: Path
) -> None:
    user = dovecot.new_user()
    dovecot.append(user, "INBOX", copies(40))
    db = tmp_path / "m.db"
    slow = config(tmp_path / "slow.toml", mailbox("slow", user, trickle.port, dovecot.ca_file,
                                                  batch_size=5, deadline="3s"))  # fmt: skip
    result = finish(metawatch("--db", str(db), "--config", str(slow), "scan", "-q"))
    assert result.code == 75
    assert result.err.splitlines() == [
        f"metawatch: error: mailbox 'slow' (127.0.0.1:{trickle.port}): gave up at its deadline "
        "(deadline = 3s): the server is too slow or stalled; what was stored is kept and the next "
        "scan goes on from there"
    ]
    kept = finish(metawatch("--db", str(db), "messages", "--json")).out.splitlines()
    assert bool(kept) == (trickle.after > 0)  # mid-fetch: the batches before the stall are kept
    direct = config(
        tmp_path / "direct.toml", mailbox("slow", user, dovecot.tls_port, dovecot.ca_file)
    )
    assert finish(metawatch("--db", str(db), "--config", str(direct), "scan", "-q")).code == 0
    stored = finish(metawatch("--db", str(db), "messages", "--json")).out.splitlines()
    assert len(stored) == 40  # the rerun got the rest, each mail once


@pytest.mark.parametrize("trickle", [0], indirect=True)
def test_the_scan_deadline_gives_up_what_is_left(
    dovecot: Dovecot, trickle: TricklingProxy, tmp_path: Path
) -> None:
    user = dovecot.new_user()
    dovecot.append(user, "INBOX", copies(3))
    cfg = config(tmp_path / "c.toml", 'scan_deadline = "3s"\n',
                 mailbox("slow", user, trickle.port, dovecot.ca_file),
                 mailbox("later", user, dovecot.tls_port, dovecot.ca_file))  # fmt: skip
    result = finish(
        metawatch("--db", str(tmp_path / "m.db"), "--config", str(cfg), "scan", "-q", "-j", "1")
    )
    assert result.code == 75
    assert len(result.err.splitlines()) == 2
    assert "mailbox 'slow'" in result.err and "(scan_deadline = 3s)" in result.err
    assert "later: not scanned, the scan's deadline (scan_deadline = 3s) passed first" in result.err


@pytest.fixture
def own_postgres(postgres: Postgres) -> Iterator[Postgres]:
    """A PostgreSQL of this test's own, to kill."""
    server = pg.start()
    yield server
    if server.process.poll() is None:
        server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


def test_a_database_server_killed_mid_scan(
    dovecot: Dovecot, own_postgres: Postgres, tmp_path: Path
) -> None:
    user, url = dovecot.new_user(), own_postgres.new_database()
    dovecot.deliver(user, copies(400))
    cfg = config(
        tmp_path / "c.toml", mailbox("box", user, dovecot.tls_port, dovecot.ca_file, batch_size=5)
    )
    scan = metawatch("--db", url, "--config", str(cfg), "scan", "-q")
    database = url.rsplit("/", 1)[1]

    def stored() -> int:
        found = own_postgres.psql("SELECT to_regclass('message') IS NOT NULL", database)
        return (
            int(own_postgres.psql("SELECT count(*) FROM message", database)) if found == "t" else 0
        )

    deadline = time.monotonic() + 120
    while stored() < 20 and scan.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    own_postgres.kill()
    result = finish(scan)
    assert result.code == 75, result.err
    assert len(result.err.splitlines()) == 1 and result.err.startswith("metawatch: error: ")
    own_postgres.restart()
    # Nothing half-written: the cursor and the stored mails moved together, batch by batch.
    rows = own_postgres.psql("SELECT source_key FROM message", database).split()
    last = int(own_postgres.psql("SELECT coalesce(max(last_uid), 0) FROM imap_cursor", database))
    assert 20 <= len(rows) < 400 and len(set(rows)) == len(rows)
    assert sorted(int(k.rsplit("/", 1)[1]) for k in rows) == list(range(1, last + 1))
    rerun = finish(metawatch("--db", url, "--config", str(cfg), "scan", "-q"))
    assert rerun.code == 0, rerun.err
    counts = own_postgres.psql("SELECT count(*), count(DISTINCT message_id) FROM message", database)
    assert counts == "400|400"
