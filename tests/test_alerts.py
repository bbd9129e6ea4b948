"""Alerts over real channels on loopback: once, reminders, resolved, retries, lock, health pings."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from metawatch.alerts import engine
from metawatch.lock import scan_lock
from metawatch.models import AlertRecord, Condition

from .conftest import SAMPLES, Result
from .dovecot import free_port
from .receivers import SmtpReceiver, WebhookReceiver

Run = Callable[..., Result]
NOTICE = "en-ig-notice-2025.eml"  # Tom's Instagram: a notice and nothing else
CONFIRMATION = "nl-ig-accepted.eml"
# ziggo.nl is not in the provider registry: its user names the authserv-id it writes
ZIGGO = 'trusted_authserv_ids = ["ziggo.nl"]'


def write_config(tmp_path: Path, *urls: str, extra: str = "") -> Path:
    cfg = tmp_path / "config.toml"
    listed = ", ".join(f'"{u}"' for u in urls)
    cfg.write_text(f"{extra}\n[alerts]\nurls = [{listed}]\n")
    cfg.chmod(0o600)
    return cfg


def inbox(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(SAMPLES / name, folder)
    return folder


def test_notice_without_confirmation_alerts_once_per_channel(run: Run, tmp_path: Path,
                                                            smtp: SmtpReceiver, hook: WebhookReceiver) -> None:  # fmt: skip
    cfg = write_config(tmp_path, smtp.url, hook.url)
    folder = inbox(tmp_path, NOTICE)
    assert run("--config", str(cfg), "scan", "-q", str(folder)).code == 0
    assert smtp.subjects() == [
        "Instagram account tom_evans_ie (tom.evans.ie@gmail.com) is not protected"
    ]
    assert hook.titles() == smtp.subjects()
    assert "https://help.instagram.com/contact/" in hook.posts[0]["message"]
    assert run("--config", str(cfg), "scan", "-q", str(folder)).out == ""
    assert len(smtp.messages) == len(hook.posts) == 1  # the rescan sent nothing


def test_reminder_after_the_interval(run: Run, tmp_path: Path, hook: WebhookReceiver,
                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    cfg = write_config(tmp_path, hook.url)
    folder = inbox(tmp_path, NOTICE)
    now = datetime.now(UTC)
    monkeypatch.setenv("METAWATCH_NOW", now.isoformat())
    run("--config", str(cfg), "scan", "-q", str(folder))
    monkeypatch.setenv("METAWATCH_NOW", (now + timedelta(days=6)).isoformat())
    run("--config", str(cfg), "scan", "-q", str(folder))
    assert len(hook.posts) == 1
    monkeypatch.setenv("METAWATCH_NOW", (now + timedelta(days=7, minutes=1)).isoformat())
    run("--config", str(cfg), "scan", "-q", str(folder))
    assert hook.titles()[1].startswith("Reminder: Instagram account tom_evans_ie")
    run("--config", str(cfg), "scan", "-q", str(folder))
    assert len(hook.posts) == 2


def test_confirmation_sends_one_resolved_message(
    run: Run, tmp_path: Path, hook: WebhookReceiver
) -> None:
    cfg = write_config(tmp_path, hook.url, extra=ZIGGO)
    run("--config", str(cfg), "scan", "-q", str(inbox(tmp_path, "nl-ig-notice-2025.eml")))
    run("--config", str(cfg), "scan", "-q", str(inbox(tmp_path, CONFIRMATION)))
    run("--config", str(cfg), "scan", "-q", str(inbox(tmp_path)))
    assert hook.titles() == [
        "Instagram account emmajansen_ (emma.jansen@ziggo.nl) is not protected",
        "Resolved: Instagram account emmajansen_ (emma.jansen@ziggo.nl) is now protected",
    ]


def test_failing_channel_does_not_stop_the_scan_and_is_retried(run: Run, tmp_path: Path,
                                                              smtp: SmtpReceiver) -> None:  # fmt: skip
    dead_port = free_port()
    cfg = write_config(tmp_path, f"json://127.0.0.1:{dead_port}/hook", smtp.url)
    folder = inbox(tmp_path, NOTICE)
    result = run("--config", str(cfg), "scan", "-q", str(folder))
    assert result.code == 0 and "will retry at the next scan" in result.err
    assert len(smtp.messages) == 1  # the other channel got it
    late = WebhookReceiver(port=dead_port)
    try:
        run("--config", str(cfg), "scan", "-q", str(folder))
        assert len(late.posts) == 1 and len(smtp.messages) == 1
    finally:
        late.stop()
    listed = __import__("json").loads(run("--config", str(cfg), "alerts", "list", "--json").out)
    assert all(d["delivered"] for d in listed[0]["deliveries"])


def test_no_channels_prints_the_alert_then_nothing(run: Run, tmp_path: Path) -> None:
    folder = inbox(tmp_path, NOTICE, "en-fb-notice-2025.eml", "en-fb-accepted.eml")
    first = run("scan", "-q", str(folder))
    assert first.out.count("is not protected") == 1  # Facebook is protected, Instagram is not
    assert run("scan", str(folder)).out == ""


def test_second_scan_refuses_while_the_first_holds_the_lock(
    run: Run, db: Path, tmp_path: Path
) -> None:
    run("status")  # creates the database
    with scan_lock(Path(f"{db}.lock")):
        result = run("scan", str(inbox(tmp_path, NOTICE)))
    assert result.code == 75 and "another scan is running" in result.err


def test_health_pings_start_and_success_or_fail(run: Run, tmp_path: Path, hook: WebhookReceiver,
                                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    cfg = write_config(
        tmp_path, extra=f'[health]\nping_url = "http://127.0.0.1:{hook.port}/ping/abc"'
    )
    run("--config", str(cfg), "scan", "-q", str(inbox(tmp_path, NOTICE)))
    assert hook.paths[:2] == ["/ping/abc/start", "/ping/abc"]
    monkeypatch.setenv("METAWATCH_PASSWORD", "x")
    run("--config", str(cfg), "scan", "-q", f"imaps://x@127.0.0.1:{free_port()}/")
    assert hook.paths[2:] == ["/ping/abc/start", "/ping/abc/fail"]
    assert "connection refused" in hook.posts[-1]["raw"]


def test_alerts_test_reaches_every_channel(run: Run, tmp_path: Path, smtp: SmtpReceiver,
                                           hook: WebhookReceiver) -> None:  # fmt: skip
    cfg = write_config(tmp_path, smtp.url, hook.url)
    result = run("--config", str(cfg), "alerts", "test")
    assert result.code == 0 and result.out.count("ok") == 2
    assert smtp.subjects() == ["metawatch test"] and hook.titles() == ["metawatch test"]


def test_alerts_test_reports_a_dead_channel(run: Run, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, f"json://127.0.0.1:{free_port()}/x")
    result = run("--config", str(cfg), "alerts", "test")
    assert result.code == 75 and "FAIL" in result.err


def test_config_with_alert_urls_must_be_private(run: Run, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "ntfy://secret-topic")
    cfg.chmod(0o644)
    result = run("--config", str(cfg), "status")
    assert result.code == 78 and "readable by others" in result.err


def test_linked_account_is_protected_by_the_others_confirmation(run: Run, tmp_path: Path) -> None:
    run("scan", "-q", str(inbox(tmp_path, "en-fb-notice-2025.eml", "en-fb-accepted.eml", NOTICE)))
    rows = __import__("json").loads(run("status", "--json").out)
    fb = next(r["account"] for r in rows if r["platform"] == "facebook")
    ig = next(r["account"] for r in rows if r["platform"] == "instagram")
    assert run("accounts", "link", str(fb), str(ig)).code == 0
    states = {r["platform"]: r for r in __import__("json").loads(run("status", "--json").out)}
    assert states["instagram"]["state"] == "protected"
    assert states["instagram"]["evidence"]["source"] == f"linked account #{fb}"


def test_manual_confirmation_protects(run: Run, tmp_path: Path) -> None:
    run("scan", "-q", str(inbox(tmp_path, NOTICE)))
    result = run(
        "accounts", "confirm", "1", "--date", "2025-05-02", "--note", "objected in the app"
    )
    assert result.code == 0
    row = __import__("json").loads(run("status", "--json").out)[0]
    assert (row["state"], row["evidence"]["source"]) == ("protected", "manual")
    assert row["since"].startswith("2025-05-02")


def test_require_fresh_confirmation(run: Run, tmp_path: Path) -> None:
    folder = inbox(tmp_path, "de-fb-accepted-2024.eml", "de-fb-notice-2025-lukas.eml")
    run("scan", "-q", str(folder))
    row = __import__("json").loads(run("status", "--json").out)[0]
    assert row["state"] == "protected" and "covered by the objection of 2024-06-03" in row["note"]
    cfg = write_config(tmp_path, extra="require_fresh_confirmation = true")
    row = __import__("json").loads(run("--config", str(cfg), "status", "--json").out)[0]
    assert row["state"] == "unprotected"


def test_schedule_prints_absolute_cron_and_systemd(run: Run, db: Path) -> None:
    cron = run("schedule", "--cron", "--every", "30m").out
    assert "*/30 * * * *" in cron and f"--db {db}" in cron and " scan -q" in cron
    unit = run("schedule", "--systemd").out
    assert "ExecStart=/" in unit and "OnUnitActiveSec=20min" in unit and "[Install]" in unit


def test_plan_opens_reminds_and_resolves() -> None:
    now = datetime(2025, 5, 1, tzinfo=UTC)
    c = Condition("account:1", "unprotected", "5", "t", "b")
    assert engine.plan([c], [], now, timedelta(days=7)).open == [c]
    record = AlertRecord(1, "account:1", "unprotected", "5", "t", "b", now, now)
    assert engine.plan([c], [record], now + timedelta(days=1), timedelta(days=7)) == engine.Plan()
    assert engine.plan([c], [record], now + timedelta(days=7), timedelta(days=7)).remind == [record]
    assert engine.plan([], [record], now, timedelta(days=7)).resolve == [record]
