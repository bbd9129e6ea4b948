"""Find and load the TOML configuration into frozen, validated settings; secrets by reference."""

from __future__ import annotations

import os
import time
import tomllib
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from metawatch.errors import ConfigError
from metawatch.models import Deadline

_T = typing.TypeVar("_T")
TLS_MODES = ("implicit", "starttls", "plain")
MAX_BATCH = 1_000  # mails per FETCH batch and transaction: batch_size × max_message_size in memory
PLATFORMS = ("facebook", "instagram", "threads", "whatsapp")


@dataclass(frozen=True)
class MailboxConfig:
    """One IMAP mailbox to scan."""

    name: str
    host: str
    username: str
    port: int = 0  # 0: 993 for implicit TLS, 143 otherwise
    tls: str = "implicit"
    ca_file: str | None = None
    allow_plaintext: bool = False
    folders: tuple[str, ...] = ()
    password_command: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    oauth2_token_command: str | None = None
    connect_timeout: float = 15.0
    read_timeout: float = 60.0
    max_message_size: int = 10_000_000
    batch_size: int = 500
    retries: int = 3
    provider: str | None = None  # see providers.toml; else known from the host
    trusted_authserv_ids: tuple[str, ...] = ()  # a self-hosted server's authserv-id(s)
    deadline: str = "30m"  # total time for this mailbox per scan, retries included

    @property
    def deadline_seconds(self) -> float:
        """``deadline`` in seconds."""
        return duration(self.deadline).total_seconds()

    @property
    def effective_port(self) -> int:
        """The port to connect to."""
        return self.port or (993 if self.tls == "implicit" else 143)


@dataclass(frozen=True)
class AccountConfig:
    """A Meta account declared in the config file."""

    platform: str
    emails: tuple[str, ...]
    handle: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class AlertsConfig:
    """[alerts]: where alerts go and how often they repeat."""

    urls: tuple[str, ...] = ()
    remind_every: str = "7d"
    pending_grace: str = "48h"

    @property
    def remind_interval(self) -> timedelta:
        """``remind_every`` as a duration."""
        return duration(self.remind_every)

    @property
    def pending_interval(self) -> timedelta:
        """``pending_grace`` as a duration."""
        return duration(self.pending_grace)


@dataclass(frozen=True)
class HealthConfig:
    """[health]: a healthchecks-style ping URL for the scan itself."""

    ping_url: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything the configuration file says, validated."""

    path: Path | None = None
    database: str | None = None
    trusted_authserv_ids: tuple[str, ...] = ()
    accept_unverified: bool = False
    require_fresh_confirmation: bool = False
    verify_dkim: bool = False
    jobs: int = 4  # mailboxes scanned at once
    scan_deadline: str = "1h"  # total time for one scan of every mailbox
    keep_originals: bool = False  # keep AI-related Meta mails whole, for export-evidence
    report_html: str | None = None  # an HTML report rewritten after every scan
    alerts: AlertsConfig = AlertsConfig()
    health: HealthConfig = HealthConfig()
    mailboxes: tuple[MailboxConfig, ...] = ()
    accounts: tuple[AccountConfig, ...] = field(default=())


def default_path() -> Path:
    """The config file in the platform's user config folder."""
    from platformdirs import user_config_path

    return user_config_path("metawatch") / "config.toml"


def find(explicit: str | None) -> tuple[Path, bool]:
    """The config path to use and whether the user asked for it explicitly."""
    given = explicit or os.environ.get("METAWATCH_CONFIG")
    return (Path(given).expanduser(), True) if given else (default_path(), False)


def load(explicit: str | None = None) -> Settings:
    """Load the configuration; a missing default file means an empty configuration."""
    path, asked = find(explicit)
    if not path.exists():
        if asked:
            raise ConfigError(f"{path}: no such configuration file")
        return Settings()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from e
    settings = parse(data, path)
    _check_private(path, settings)
    return settings


def _check_private(path: Path, settings: Settings) -> None:
    """Alert and ping URLs carry tokens, a database URL may carry a password: a file holding
    them must be readable by its owner only."""
    db_password = safe_url(settings.database or "") != (settings.database or "")
    if not (settings.alerts.urls or settings.health.ping_url or db_password):
        return
    mode = path.stat().st_mode
    if mode & 0o077:
        raise ConfigError(f"{path}: holds secrets (alert, ping or database URLs) but is readable by "
                          f"others (mode {mode & 0o777:04o}); run: chmod 600 {path}")  # fmt: skip


def parse(data: dict[str, Any], path: Path | None) -> Settings:
    """Validate a parsed TOML document; every message names the file and the key."""
    where = str(path or "config")
    top = {k: v for k, v in data.items() if k not in ("mailbox", "account", "alerts", "health")}
    mailboxes = tuple(_build(MailboxConfig, m, f"{where}: [[mailbox]] #{i + 1}")
                      for i, m in enumerate(_tables(data, "mailbox", where)))  # fmt: skip
    accounts = tuple(_build(AccountConfig, a, f"{where}: [[account]] #{i + 1}")
                     for i, a in enumerate(_tables(data, "account", where)))  # fmt: skip
    settings = _build(
        Settings, top, where, skip={"path", "mailboxes", "accounts", "alerts", "health"}
    )
    alerts = _build(AlertsConfig, _table(data, "alerts", where), f"{where}: [alerts]")
    for key in ("remind_every", "pending_grace"):
        try:
            duration(getattr(alerts, key))
        except ValueError as e:
            raise ConfigError(f"{where}: [alerts] '{key}': {e}") from None
    health = _build(HealthConfig, _table(data, "health", where), f"{where}: [health]")
    for m in mailboxes:
        _check_mailbox(m, where)
        _check_provider(m, settings.trusted_authserv_ids, where)
    for a in accounts:
        if a.platform not in PLATFORMS:
            raise ConfigError(
                f"{where}: [[account]] platform {a.platform!r} is not one of {PLATFORMS}"
            )
    if settings.jobs < 1:
        raise ConfigError(f"{where}: 'jobs' must be 1 or more")
    _check_duration(settings.scan_deadline, f"{where}: 'scan_deadline'")
    names = [m.name for m in mailboxes]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: two [[mailbox]] tables have the same name")
    return replace(settings, path=path, alerts=alerts, health=health, mailboxes=mailboxes, accounts=accounts)  # fmt: skip


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: '{key}' must be a [{key}] table")
    return value


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(text: str) -> timedelta:
    """'7d', '48h', '30m', '90s' or '2w' as a timedelta."""
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in _UNITS or not text[:-1].isdigit():
        raise ValueError(f"{text!r} is not a duration like 7d, 48h or 30m")
    return timedelta(seconds=int(text[:-1]) * _UNITS[text[-1]])


def _tables(data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise ConfigError(f"{where}: '{key}' must be written as [[{key}]] tables")
    return value


_HINTS: dict[str, str] = {
    "password": "passwords are never written in the config: use password_command, "
    "password_env or password_file",
}


def _build(
    cls: type[_T], table: dict[str, Any], where: str, skip: frozenset[str] | set[str] = frozenset()
) -> _T:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)} - skip  # type: ignore[arg-type]
    for key in table:
        if key not in known:
            hint = _HINTS.get(key, f"known keys: {', '.join(sorted(known))}")
            raise ConfigError(f"{where}: unknown key '{key}' ({hint})")
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name in skip:
            continue
        if f.name in table:
            values[f.name] = _coerce(table[f.name], hints[f.name], f"{where}: '{f.name}'")
        elif f.default is MISSING and f.default_factory is MISSING:
            raise ConfigError(f"{where}: '{f.name}' is required")
    return cls(**values)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if option is type(None):
            continue
        if typing.get_origin(option) is tuple:
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return tuple(value)
            if isinstance(value, str):
                return (value,)
        elif option is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        elif isinstance(value, option) and not (option is int and isinstance(value, bool)):
            return value
    raise ConfigError(f"{where} has the wrong type ({type(value).__name__})")


def _check_mailbox(m: MailboxConfig, where: str) -> None:
    w = f"{where}: mailbox '{m.name}'"
    if m.tls not in TLS_MODES:
        raise ConfigError(f"{w}: tls must be one of {', '.join(TLS_MODES)}, not {m.tls!r}")
    if m.tls == "plain" and not m.allow_plaintext:
        raise ConfigError(f"{w}: tls = \"plain\" sends the password unencrypted; "
                          "set allow_plaintext = true to really do that")  # fmt: skip
    sources = [m.password_command, m.password_env, m.password_file, m.oauth2_token_command]
    if sum(1 for s in sources if s) > 1:
        raise ConfigError(f"{w}: give only one of password_command, password_env, "
                          "password_file, oauth2_token_command")  # fmt: skip
    if m.batch_size < 1 or m.max_message_size < 1:
        raise ConfigError(f"{w}: batch_size and max_message_size must be positive")
    if m.batch_size > MAX_BATCH:  # a batch is held in memory and fetched in a few commands
        raise ConfigError(f"{w}: batch_size must be at most {MAX_BATCH}, not {m.batch_size}")
    _check_duration(m.deadline, f"{w}: 'deadline'")


def _check_duration(text: str, where: str) -> None:
    try:
        if duration(text).total_seconds() <= 0:
            raise ValueError(f"{text!r} must be longer than 0s")
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from None


def _check_provider(m: MailboxConfig, trusted: tuple[str, ...], where: str) -> None:
    """A named provider must be in the registry (self-hosted needs its authserv-ids)."""
    from metawatch.providers import lookup

    if m.provider:
        lookup(m.provider, (*m.trusted_authserv_ids, *trusted),
               f"{where}: mailbox '{m.name}': provider")  # fmt: skip


STARTER = """\
# metawatch configuration (TOML). Every setting is documented in the README.
# This file is created with mode 0600; it never holds a password itself.

# database = "~/.local/share/metawatch/metawatch.db"   # or a URL; --db and $METAWATCH_DB override

# Sender verification reads the verdict of the provider that received a mail, known from the
# mailbox's host (or `provider = "…"` in a [[mailbox]]). For your own mail server, name the
# authserv-id it writes in Authentication-Results (matched exactly):
# trusted_authserv_ids = ["mail.example.org"]

# Count confirmations that carry no authentication results as protection (not recommended):
# accept_unverified = false

# An HTML report (one self-contained file) rewritten after every scan:
# report_html = "~/metawatch-report.html"

# Give up a mailbox (exit 75) after this long, and the whole scan after scan_deadline: a server
# that stalls or trickles must not hold the scan (and its lock) for ever. The next scan resumes.
# scan_deadline = "1h"

# [alerts]
# urls = ["mailto://user:app-password@gmx.net?to=anna@example.org", "ntfy://my-topic"]
# remind_every = "7d"                    # repeat an alert while its condition lasts
# pending_grace = "48h"                  # a code with no decision after this is alerted
# require_fresh_confirmation = false     # (top level) demand a new confirmation per notice wave

# [health]
# ping_url = "https://hc-ping.com/your-uuid"   # /start, success, /fail around every scan

# [[mailbox]]
# name = "gmx"
# host = "imap.gmx.net"
# username = "anna.schmidt@gmx.de"
# tls = "implicit"                       # implicit (port 993), starttls (143) or plain
# password_command = "pass show mail/gmx"  # or password_env / password_file / oauth2_token_command
# folders = []                           # empty: every folder but Trash, Drafts and Sent
# provider = "gmx"                       # only when the host does not say it (Proton Bridge: "proton")
# deadline = "30m"                       # give this mailbox up after this long (exit 75)

# [[account]]
# platform = "instagram"                 # facebook, instagram, threads or whatsapp
# emails = ["anna.s.fotos@gmail.com"]
# handle = "anna_s_fotos"
# label = "Anna (Instagram)"
"""


def write_starter(path: Path) -> None:
    """Create a commented starter file with mode 0600; never overwrite."""
    if path.exists():
        raise ConfigError(f"{path}: already exists (not overwritten)")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(STARTER)


def mailbox_from_url(url: str, trusted: tuple[str, ...] = ()) -> MailboxConfig:
    """An ad-hoc mailbox from ``imaps://user@host:port/?ca_file=…&folders=INBOX,Spam``.

    ``trusted`` are the config's trusted_authserv_ids (for ``provider=self-hosted``).
    """
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    url = safe_url(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise ConfigError(f"{url}: expected imaps://USER@HOST[:PORT]/ or imap://USER@HOST[:PORT]/")
    if parts.password:
        raise ConfigError(f"{url}: no password in the URL (it would show in `ps` and the shell "
                          "history): use $METAWATCH_PASSWORD or the prompt")  # fmt: skip
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    known = {"ca_file", "folders", "tls", "allow_plaintext", "provider"}
    if unknown := set(query) - known:
        raise ConfigError(f"{url}: unknown parameter(s) {', '.join(sorted(unknown))}")
    tls = query.get("tls", "implicit" if parts.scheme == "imaps" else "starttls")
    mailbox = MailboxConfig(
        name=f"{unquote(parts.username)}@{parts.hostname}",
        host=parts.hostname,
        username=unquote(parts.username),
        port=parts.port or 0,
        tls=tls,
        ca_file=query.get("ca_file"),
        allow_plaintext=query.get("allow_plaintext", "") in ("1", "true", "yes"),
        folders=tuple(f for f in query.get("folders", "").split(",") if f),
        provider=query.get("provider") or None,
    )
    _check_mailbox(mailbox, url.split("?")[0])
    _check_provider(mailbox, trusted, url.split("?")[0])
    return mailbox


def database_url(value: str) -> str:
    """A SQLAlchemy URL from a ``--db`` value: a URL as is, a path as a SQLite file."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def scan_deadline(settings: Settings) -> Deadline:
    """The moment the scan that starts now gives up what is left."""
    seconds = duration(settings.scan_deadline).total_seconds()
    return Deadline(time.monotonic() + seconds, f"scan_deadline = {settings.scan_deadline}")


def safe_url(url: str) -> str:
    """A URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    cred, at, host = rest.rpartition("@")
    if not (sep and at and ":" in cred):
        return url
    return f"{scheme}://{cred.split(':', 1)[0]}:***@{host}"
