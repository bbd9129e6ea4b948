"""Shared fixtures: the CLI run as a user runs it, a store in tmp_path, mail builders."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from metawatch import cli

from .dovecot import Dovecot
from .postgres import Postgres
from .receivers import SmtpReceiver, WebhookReceiver

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_mails"


@dataclass
class Result:
    """Exit code and output of one CLI run."""

    code: int
    out: str
    err: str


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database path in tmp_path (not created yet)."""
    return tmp_path / "metawatch.db"


@pytest.fixture
def run(db: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``metawatch --db DB ARGS…`` through the real entry point (exit-code mapping included)."""

    def _run(*args: str, use_db: bool = True) -> Result:
        argv = (["--db", str(db)] if use_db else []) + list(args)
        capsys.readouterr()
        try:
            cli.main(argv)
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return _run


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's real data and config folders out of every test."""
    for var in ("METAWATCH_DB", "METAWATCH_CONFIG", "METAWATCH_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    os.umask(0o022)


def make_mail(
    body: str,
    subject: str = "Hello",
    sender: str = "Facebook <notification@facebookmail.com>",
    to: str = "anna@example.org",
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A small, well-formed mail for unit tests."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Tue, 15 Apr 2025 09:00:00 +0000"
    msg["Message-ID"] = f"<{abs(hash((body, subject, sender, to)))}@test>"
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A real Dovecot on loopback; skipped on a developer machine without it, never in CI."""
    from .dovecot import SBIN

    if shutil.which("dovecot", path=SBIN) is None or shutil.which("openssl", path=SBIN) is None:
        if os.environ.get("CI"):
            pytest.fail(
                "Dovecot is not installed, and CI must run the IMAP tests (.ci/run installs it)"
            )
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    from .dovecot import start

    server = start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A real PostgreSQL 15 on loopback; skipped on a developer machine without it, never in CI."""
    from . import postgres as pg

    if not pg.available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed, and CI must run the PostgreSQL store tests")
        pytest.skip("PostgreSQL 15 is not installed (apt-get install postgresql)")
    server = pg.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, db: Path) -> str:
    """A database URL for each backend: a SQLite file in tmp_path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{db}"
    server: Postgres = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""
    server = SmtpReceiver()
    yield server
    server.stop()


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    """A JSON webhook on loopback that keeps what it receives."""
    server = WebhookReceiver()
    yield server
    server.stop()
