"""Ready-to-paste crontab lines and systemd units for the scheduled scan."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

from metawatch.config import duration
from metawatch.errors import UsageError


def command_line(db: str | None, config: str | None) -> str:
    """The absolute command a scheduler runs, with the same database and config."""
    exe = shutil.which("metawatch") or str(Path(sys.argv[0]).resolve())
    parts = [str(Path(exe).resolve())]
    if config:
        parts += ["--config", str(Path(config).expanduser().resolve())]
    if db:
        parts += ["--db", db if "://" in db else str(Path(db).expanduser().resolve())]
    return shlex.join([*parts, "scan", "-q"])


def _minutes(every: str) -> int:
    try:
        minutes = int(duration(every).total_seconds() // 60)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if minutes < 1:
        raise UsageError("--every must be at least one minute")
    return minutes


def cron(command: str, every: str) -> str:
    """A crontab line; cron mails the output (the alerts) to the user."""
    m = _minutes(every)
    when = f"*/{m} * * * *" if m < 60 else f"0 */{m // 60} * * *"
    return f"# metawatch: scan every {every}; cron mails any alert to you\n{when} {command}"


def systemd(command: str, every: str) -> str:
    """A user service and timer (save both under ~/.config/systemd/user/)."""
    m = _minutes(every)
    return f"""\
# ~/.config/systemd/user/metawatch.service
[Unit]
Description=metawatch: scan for Meta's AI-training mails

[Service]
Type=oneshot
ExecStart={command}

# ~/.config/systemd/user/metawatch.timer
[Unit]
Description=Run metawatch every {every}

[Timer]
OnBootSec=5min
OnUnitActiveSec={m}min
Persistent=true

[Install]
WantedBy=timers.target

# then: systemctl --user daemon-reload && systemctl --user enable --now metawatch.timer"""
