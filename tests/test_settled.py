"""A rescan with nothing new ends after LIST and STATUS (metawatch.settled), on a real Dovecot:
and every change that a full scan would act on still gets one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from metawatch import settled
from metawatch.config import database_url

from .conftest import SAMPLES, Result
from .dovecot import Dovecot, free_port
from .receivers import WebhookReceiver

Run = Callable[..., Result]
SETTLED = "nothing new from Meta since the last scan"  # the --debug line of a scan that ended early
NOTICE = (SAMPLES / "en-ig-notice-2025.eml").read_bytes()  # Tom's Instagram: unprotected
CODE = (SAMPLES / "en-ig-code-2024.eml").read_bytes()  # dated 2024-06-05 18:30 UTC
ACCEPTED = (SAMPLES / "de-fb-accepted.eml").read_bytes()


@pytest.fixture
def user(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MW_PW", "secret-pw")
    return dovecot.new_user()


@pytest.fixture
def config(tmp_path: Path, dovecot: Dovecot, user: str) -> Callable[..., Path]:
    """Write the config file: one mailbox, top-level keys, [alerts], and the mailbox's secret."""

    def write(top: str = "", alerts: str = "", secret: str = 'password_env = "MW_PW"') -> Path:
        path = tmp_path / "config.toml"
        path.write_text(f'{top}\n[[mailbox]]\nname = "home"\nhost = "127.0.0.1"\n'
                        f'port = {dovecot.tls_port}\nusername = "{user}"\n'
                        f'ca_file = "{dovecot.ca_file}"\n{secret}\n{alerts}\n')  # fmt: skip
        path.chmod(0o600)
        return path

    return write


@pytest.fixture
def cfg(dovecot: Dovecot, user: str, config: Callable[..., Path], run: Run) -> Path:
    """The config, after a full scan of a mailbox that holds Tom's notice (the record is written)."""
    dovecot.append(user, "INBOX", [NOTICE])
    path = config()
    scan(run, path, "-q")
    return path


def scan(run: Run, cfg: Path, *args: str) -> Result:
    return run("--debug", "--config", str(cfg), "scan", *args)


def at(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    monkeypatch.setenv("METAWATCH_NOW", when.isoformat())


def test_a_rescan_with_nothing_new_ends_without_loading_the_store(
    dovecot: Dovecot, user: str, config: Callable[..., Path], run: Run, db: Path
) -> None:
    dovecot.append(user, "INBOX", [NOTICE])
    cfg = config()
    first = scan(run, cfg, "-q")
    assert "is not protected" in first.out and SETTLED not in first.err
    again = scan(run, cfg, "-q")
    assert (again.code, again.out) == (0, "") and SETTLED in again.err
    command = [sys.executable, "-X", "importtime", "-m", "metawatch", "--db", str(db),
               "--config", str(cfg), "scan", "-q"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == ""
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "metawatch.settled" in imported
    assert not {"sqlalchemy", "sqlmodel", "mailparser", "bs4", "metawatch.rules"} & imported


def test_new_mail_is_scanned_in_full(dovecot: Dovecot, user: str, cfg: Path, run: Run) -> None:
    dovecot.append(user, "INBOX", [ACCEPTED])
    later = scan(run, cfg)
    assert "scanned 1 mails: 1 new" in later.out and SETTLED not in later.err
    assert SETTLED in scan(run, cfg).err


def test_mail_from_others_needs_no_full_scan(
    dovecot: Dovecot, user: str, cfg: Path, run: Run
) -> None:
    dovecot.append(user, "INBOX", [(SAMPLES / "not-meta-bank.eml").read_bytes()])
    assert SETTLED in scan(run, cfg, "-q").err  # the cursor stays behind: nothing was written
    dovecot.append(user, "INBOX", [ACCEPTED])
    assert "scanned 1 mails: 1 new" in scan(run, cfg).out


def test_a_new_folder_is_scanned_in_full(dovecot: Dovecot, user: str, cfg: Path, run: Run) -> None:
    dovecot.append(user, "Archive", [ACCEPTED])
    assert "1 new" in scan(run, cfg).out


def test_any_write_to_the_store_ends_the_record(cfg: Path, run: Run, db: Path) -> None:
    assert settled.read(database_url(str(db))) is not None
    added = run("accounts", "add", "--platform", "facebook", "--email", "tom@example.org")
    assert added.code == 0
    assert settled.read(database_url(str(db))) is None
    assert SETTLED not in scan(run, cfg, "-q").err
    assert SETTLED in scan(run, cfg, "-q").err  # settled again


@pytest.mark.usefixtures("cfg")
def test_a_changed_config_is_scanned_in_full(config: Callable[..., Path], run: Run) -> None:
    changed = config(top="require_fresh_confirmation = true")  # the same file, rewritten
    assert SETTLED not in scan(run, changed, "-q").err


def test_a_reminder_falls_due_on_time(dovecot: Dovecot, user: str, config: Callable[..., Path],
                                      run: Run, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    dovecot.append(user, "INBOX", [NOTICE])
    cfg, now = config(), datetime.now(UTC)
    at(monkeypatch, now)
    assert "is not protected" in scan(run, cfg, "-q").out
    at(monkeypatch, now + timedelta(days=6))
    quiet = scan(run, cfg, "-q")
    assert quiet.out == "" and SETTLED in quiet.err
    at(monkeypatch, now + timedelta(days=7, minutes=1))
    assert "Reminder: Instagram account tom_evans_ie" in scan(run, cfg, "-q").out


def test_a_pending_objection_goes_stale_on_time(dovecot: Dovecot, user: str,
                                                config: Callable[..., Path], run: Run,
                                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    dovecot.append(user, "INBOX", [CODE])
    cfg, code = config(), datetime(2024, 6, 5, 18, 30, tzinfo=UTC)
    at(monkeypatch, code + timedelta(hours=1))
    assert scan(run, cfg, "-q").out == ""
    at(monkeypatch, code + timedelta(hours=47))  # the default pending_grace is 48h
    assert SETTLED in scan(run, cfg, "-q").err
    at(monkeypatch, code + timedelta(hours=48, minutes=1))
    stale = scan(run, cfg, "-q")
    assert "objection not completed" in stale.out and SETTLED not in stale.err


def test_an_undelivered_alert_is_retried_by_a_full_scan(
    dovecot: Dovecot, user: str, config: Callable[..., Path], run: Run
) -> None:
    dovecot.append(user, "INBOX", [NOTICE])
    port = free_port()
    cfg = config(alerts=f'[alerts]\nurls = ["json://127.0.0.1:{port}/hook"]')
    assert "will retry at the next scan" in scan(run, cfg, "-q").err
    late = WebhookReceiver(port=port)
    try:
        assert SETTLED not in scan(run, cfg, "-q").err
        assert len(late.posts) == 1
    finally:
        late.stop()
    assert SETTLED in scan(run, cfg, "-q").err


def test_a_configured_report_is_rewritten_by_every_scan(
    dovecot: Dovecot, user: str, config: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    dovecot.append(user, "INBOX", [NOTICE])
    report = tmp_path / "report.html"
    cfg = config(top=f'report_html = "{report}"')
    scan(run, cfg, "-q")
    report.unlink()
    assert SETTLED not in scan(run, cfg, "-q").err
    assert report.exists()


def test_a_failing_login_is_reported_as_by_a_full_scan(
    cfg: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MW_PW", "wrong")
    failed = scan(run, cfg, "-q")
    assert failed.code == 77 and "login failed" in failed.err
    assert "cannot log in to mailbox home" in failed.out  # the alert: the store was opened
    monkeypatch.setenv("MW_PW", "secret-pw")
    back = scan(run, cfg, "-q")
    assert "Resolved: mailbox home works again" in back.out and SETTLED not in back.err


def test_the_check_and_the_full_scan_run_the_password_command_once(
    dovecot: Dovecot, user: str, config: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    runs, command = tmp_path / "runs", tmp_path / "password.sh"
    command.write_text(f"#!/bin/sh\necho run >> {runs}\necho secret-pw\n")
    command.chmod(0o700)
    cfg = config(secret=f'password_command = "{command}"')
    dovecot.append(user, "INBOX", [NOTICE])
    scan(run, cfg, "-q")  # no record yet: the full scan alone
    assert SETTLED in scan(run, cfg, "-q").err  # the check alone
    dovecot.append(user, "INBOX", [ACCEPTED])
    assert "1 new" in scan(run, cfg).out  # the check, then the full scan, with one secret
    assert runs.read_text().split() == ["run"] * 3
