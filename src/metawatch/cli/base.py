"""The click group and what every command shares: the lazily built context, prompts, JSON output."""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from typing import Any

import click

from metawatch import __version__
from metawatch.errors import UsageError

log = logging.getLogger("metawatch")
_prompt_lock = threading.Lock()  # mailboxes scanned in parallel may all need a password


class _EchoHandler(logging.Handler):
    """Log records as one line each on the current stderr (so tests and pipes see them)."""

    debug = False

    def emit(self, record: logging.LogRecord) -> None:
        from metawatch.report import safe

        click.echo(f"metawatch: {record.levelname.lower()}: {safe(record.getMessage())}", err=True)
        if record.exc_info and self.debug:
            click.echo("".join(traceback.format_exception(*record.exc_info)).rstrip(), err=True)


class Context:
    """What every command may need, built lazily so --help and --version stay fast."""

    def __init__(self, db: str | None, config: str | None) -> None:
        self.db = db
        self.config_path = config
        self._settings: Any = None
        self._store: Any = None
        self.verify_dkim = False

    def settings(self) -> Any:
        """The validated configuration (empty when there is no config file)."""
        if self._settings is None:
            from metawatch import config

            self._settings = config.load(self.config_path)
        return self._settings

    def reload(self) -> None:
        """Read the configuration again (a command has just changed the file)."""
        self._settings = None

    def url(self) -> str:
        """The database URL: --db, $METAWATCH_DB, the config's ``database``, or the default file."""
        from metawatch.config import database_url

        return database_url(self.db or self.settings().database or default_db())

    def store(self) -> Any:
        """The opened store (created on first use), with the config file's accounts in it."""
        if self._store is None:
            from metawatch import pipeline
            from metawatch.store import Store

            self._store = Store.open(self.url())
            pipeline.sync_accounts(self._store, self.settings().accounts)
        return self._store

    def close(self) -> None:
        """Release the database connections."""
        if self._store is not None:
            self._store.close()

    def classifier(self, provider: str | None = None) -> Any:
        """A classifier that reads each mail's provider (``provider``: --provider for files)."""
        from metawatch.classify import Classifier
        from metawatch.providers import Trust

        settings = self.settings()
        trust = Trust(settings.trusted_authserv_ids, provider)
        return Classifier(trust=trust, verify_dkim=self.verify_dkim or settings.verify_dkim)

    def policy(self) -> Any:
        """How evidence counts, from the config."""
        from metawatch.rules import waves
        from metawatch.status import Policy

        settings = self.settings()
        return Policy(settings.accept_unverified, settings.require_fresh_confirmation, waves())


def prompt_password(text: str) -> str:
    """Ask for a password, only when a person is at the terminal (one question at a time)."""
    if not sys.stdin.isatty():
        raise UsageError("no password available and no terminal to ask on")
    with _prompt_lock:
        return str(click.prompt(text, hide_input=True, err=True))


def default_db() -> str:
    """The database file in the platform's user data folder."""
    from platformdirs import user_data_path

    return str(user_data_path("metawatch") / "metawatch.db")


def forms() -> dict[str, str]:
    """The objection form of each platform, for notices that carry no link."""
    from metawatch.rules import senders

    return dict(senders()["forms"])


def provider_option(f: Any) -> Any:
    """--provider NAME: which provider received mail read from files (see providers.toml)."""
    return click.option(
        "--provider", metavar="NAME",
        help="The mail provider that received the mail in files (gmail, gmx, outlook, …; "
        "self-hosted): its verdict is read [default: from each mail's Received line].",
    )(f)  # fmt: skip


def emit_json(obj: Any) -> None:
    """One JSON document or line on stdout."""
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


def now() -> Any:
    """The current time; $METAWATCH_NOW (ISO 8601) sets it, for tests of reminders."""
    import os
    from datetime import UTC, datetime

    value = os.environ.get("METAWATCH_NOW")
    return datetime.fromisoformat(value).astimezone(UTC) if value else datetime.now(UTC)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="metawatch")
@click.option(
    "--db",
    envvar="METAWATCH_DB",
    metavar="PATH|URL",
    help="Database file or URL [env: METAWATCH_DB; default: the user data folder].",
)
@click.option(
    "--config",
    "config_path",
    envvar="METAWATCH_CONFIG",
    metavar="FILE",
    help="Configuration file [env: METAWATCH_CONFIG; default: the user config folder].",
)
@click.option(
    "--debug", is_flag=True, envvar="METAWATCH_DEBUG", help="Log details and show tracebacks."
)
@click.pass_context
def cli(ctx: click.Context, db: str | None, config_path: str | None, debug: bool) -> None:
    """Tells you, per account, whether Meta may train its AI on your data.

    Scan mail for Meta's AI-training notices and objection replies, then ask `metawatch status`.
    """
    _EchoHandler.debug = debug
    if not log.handlers:
        log.addHandler(_EchoHandler())
        log.propagate = False
    log.setLevel(logging.DEBUG if debug else logging.WARNING)
    ctx.obj = Context(db, config_path)
    ctx.call_on_close(ctx.obj.close)
