"""Secrets by reference: a command, an environment variable, a private file, or a prompt."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from metawatch.config import MailboxConfig
from metawatch.errors import AuthError, ConfigError

Prompt = Callable[[str], str]
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Secret:
    """A password or an OAuth2 token; its repr never shows the value."""

    value: str
    oauth2: bool = False

    def __repr__(self) -> str:
        return f"Secret(oauth2={self.oauth2}, value=***)"

    __str__ = __repr__


def remembered(known: dict[str, Secret], mailbox: MailboxConfig, prompt: Prompt | None) -> Secret:
    """The mailbox's secret from ``known``, else resolved and kept there: a scan runs a
    command, or asks, once per mailbox (its quick check for new mail and its full run share it)."""
    if mailbox.name not in known:
        known[mailbox.name] = resolve(mailbox, prompt)
    return known[mailbox.name]


def resolve(mailbox: MailboxConfig, prompt: Prompt | None) -> Secret:
    """The secret for a mailbox, from wherever its config says."""
    where = f"mailbox '{mailbox.name}'"
    if mailbox.oauth2_token_command:
        return Secret(
            _run(mailbox.oauth2_token_command, where, "oauth2_token_command"), oauth2=True
        )
    if mailbox.password_command:
        return Secret(_run(mailbox.password_command, where, "password_command"))
    if mailbox.password_env:
        value = os.environ.get(mailbox.password_env)
        if not value:
            raise ConfigError(f"{where}: environment variable {mailbox.password_env} is not set")
        return Secret(value)
    if mailbox.password_file:
        return Secret(read_private_file(Path(mailbox.password_file).expanduser(), where))
    if value := os.environ.get("METAWATCH_PASSWORD"):
        return Secret(value)
    if prompt is not None:
        return Secret(prompt(f"Password for {mailbox.username} at {mailbox.host}"))
    raise ConfigError(f"{where}: no password source (password_command, password_env, "
                      "password_file, $METAWATCH_PASSWORD, or run on a terminal)")  # fmt: skip


def read_private_file(path: Path, where: str) -> str:
    """First line of a file that only its owner may read."""
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(f"{where}: {path} is readable by others (mode {stat.S_IMODE(mode):04o}); "
                              f"run: chmod 600 {path}")  # fmt: skip
        return path.read_text("utf-8").splitlines()[0].strip()
    except OSError as e:
        raise ConfigError(f"{where}: cannot read {path}: {e.strerror}") from e
    except IndexError as e:
        raise ConfigError(f"{where}: {path} is empty") from e


def _run(command: str, where: str, key: str) -> str:
    """Run a PassCmd-style command; its first output line is the secret (never logged)."""
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60)
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        raise ConfigError(f"{where}: {key} could not run: {type(e).__name__}") from None
    if done.returncode != 0:
        raise AuthError(f"{where}: {key} failed with exit code {done.returncode}")
    lines = done.stdout.splitlines()
    if not lines or not lines[0].strip():
        raise AuthError(f"{where}: {key} printed nothing")
    return lines[0].strip()


def source_problem(key: str, value: str) -> str | None:
    """Why a password source cannot work, or None; a command is never echoed (it may be a
    password typed into the wrong place)."""
    if not value.strip():
        return f"{key}: empty"
    if key in ("password_command", "oauth2_token_command"):
        try:
            program = shlex.split(value)[0]
        except (ValueError, IndexError):
            return f"{key}: not a command line (unbalanced quotes?)"
        if shutil.which(os.path.expanduser(program)) is None:
            return (f"{key}: its program is not on PATH (install it, or give its full path); "
                    "it is not written")  # fmt: skip
    if key == "password_env" and not _ENV_NAME.fullmatch(value):
        return f"password_env: not a variable name: {value!r}"
    if key == "password_file":
        path = Path(value).expanduser()
        if not path.is_file():
            return (f"password_file: no such file: {path} (create it with `(umask 077; cat > "
                    f"{shlex.quote(str(path))})`, paste the password, press Ctrl-D)")  # fmt: skip
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            return f"password_file: {path} is readable by others: run chmod 600 {shlex.quote(str(path))}"
    return None
