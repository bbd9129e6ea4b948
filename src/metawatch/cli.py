"""The command line: parses options, builds collaborators, calls the core, renders, maps errors."""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Any

import click

from metawatch import __version__
from metawatch.errors import ExitCode, MetawatchError, UsageError
from metawatch.models import Kind, Platform, State

log = logging.getLogger("metawatch")
_debug = False
_prompt_lock = threading.Lock()  # mailboxes scanned in parallel may all need a password

STATE_EXIT = {
    State.UNPROTECTED: ExitCode.CRITICAL,
    State.REJECTED: ExitCode.CRITICAL,
    State.PENDING: ExitCode.WARNING,
    State.PROTECTED: ExitCode.OK,
}


class _EchoHandler(logging.Handler):
    """Log records as one line each on the current stderr (so tests and pipes see them)."""

    def emit(self, record: logging.LogRecord) -> None:
        from metawatch.report import safe

        click.echo(f"metawatch: {record.levelname.lower()}: {safe(record.getMessage())}", err=True)
        if record.exc_info and _debug:
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

    def url(self) -> str:
        """The database URL: --db, $METAWATCH_DB, the config's ``database``, or the default file."""
        from metawatch.store import database_url

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

    def classifier(self) -> Any:
        """A classifier that also trusts the receivers named in, or derived from, the config."""
        from metawatch import pipeline
        from metawatch.classify import Classifier

        settings = self.settings()
        return Classifier(trusted=pipeline.trusted_receivers(settings),
                          verify_dkim=self.verify_dkim or settings.verify_dkim)  # fmt: skip

    def policy(self) -> Any:
        """How evidence counts, from the config."""
        from metawatch.rules import waves
        from metawatch.status import Policy

        settings = self.settings()
        return Policy(settings.accept_unverified, settings.require_fresh_confirmation, waves())


def _prompt(text: str) -> str:
    """Ask for a password, only when a person is at the terminal (one question at a time)."""
    if not sys.stdin.isatty():
        raise UsageError("no password available and no terminal to ask on")
    with _prompt_lock:
        return str(click.prompt(text, hide_input=True, err=True))


def default_db() -> str:
    """The database file in the platform's user data folder."""
    from platformdirs import user_data_path

    return str(user_data_path("metawatch") / "metawatch.db")


def _forms() -> dict[str, str]:
    from metawatch.rules import senders

    return dict(senders()["forms"])


def emit_json(obj: Any) -> None:
    """One JSON document or line on stdout."""
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


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
    global _debug
    _debug = debug
    if not log.handlers:
        log.addHandler(_EchoHandler())
        log.propagate = False
    log.setLevel(logging.DEBUG if debug else logging.WARNING)
    ctx.obj = Context(db, config_path)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option("--dry-run", is_flag=True, help="Classify and report, but write and alert nothing.")
@click.option("-q", "--quiet", is_flag=True, help="No summary; alerts and errors only (for cron).")
@click.option(
    "--verify-dkim", is_flag=True, help="Also verify DKIM signatures locally (needs DNS)."
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), metavar="N",
    help="Scan up to N mailboxes at once [default: the config's jobs, else 4].",
)  # fmt: skip
@click.pass_obj
def scan(
    obj: Context,
    sources: tuple[str, ...],
    dry_run: bool,
    quiet: bool,
    verify_dkim: bool,
    jobs: int | None,
) -> int:
    """Scan mail: the configured mailboxes, or each SOURCE given; then alert.

    A SOURCE is an .eml file, a folder of them, an mbox file, a Maildir, or an IMAP URL
    (imaps://USER@HOST[:PORT]/; the password comes from $METAWATCH_PASSWORD or a prompt).
    Prints a summary when there is something new, and an alert when an account enters an
    alertable state (to the [alerts] channels when configured); otherwise nothing.
    """
    from metawatch import health, pipeline

    obj.verify_dkim = verify_dkim
    settings = obj.settings()
    jobs = jobs or settings.jobs
    if not sources and not settings.mailboxes:
        raise UsageError("nothing to scan: give a SOURCE, or configure a [[mailbox]] "
                         "(see `metawatch config init`)")  # fmt: skip
    if dry_run:
        opened = pipeline.open_sources(sources, settings, None, _prompt)
        summary = pipeline.scan_all(None, obj.classifier(), opened, jobs)
        _print_summary(summary, dry_run=True)
        return _scan_code(summary)
    store = obj.store()
    with store.scan_lock():
        health.ping(settings.health.ping_url, "/start")
        opened = pipeline.open_sources(sources, settings, store, _prompt)
        summary = pipeline.scan_all(store, obj.classifier(), opened, jobs, settings.keep_originals)
        for _name, error in summary.failed:
            log.error("%s", error)
        if not quiet and (summary.new or summary.discovered):
            _print_summary(summary, dry_run=False)
        with store.alerts_lock():
            _alert(obj, store, summary)
        failure = "; ".join(str(e) for _, e in summary.failed)
        health.ping(settings.health.ping_url, "/fail" if failure else "", failure)
    return _scan_code(summary)


def _scan_code(summary: Any) -> int:
    return max((int(e.exit_code) for _, e in summary.failed), default=0)


def _alert(obj: Context, store: Any, summary: Any) -> None:
    """Evaluate every account after the scan and send what deserves an alert."""
    from metawatch import pipeline
    from metawatch.alerts import conditions, dispatch
    from metawatch.alerts.channels import from_urls
    from metawatch.errors import AuthError

    settings, now = obj.settings(), _now()
    statuses = pipeline.report(store, obj.policy())
    auth_failures = [(name, str(e)) for name, e in summary.failed if isinstance(e, AuthError)]
    current = conditions.for_accounts(statuses, now, settings.alerts.pending_interval,
                                      obj.policy().waves, _forms())  # fmt: skip
    current += conditions.for_mailbox_failures(auth_failures)
    resolved = {f"account:{s.account.id}": f"{conditions.account_name(s)} is now protected"
                for s in statuses if s.state is State.PROTECTED}  # fmt: skip
    resolved.update({f"mailbox:{m.name}": f"mailbox {m.name} works again" for m in settings.mailboxes
                     if m.name not in dict(auth_failures)})  # fmt: skip
    channels = from_urls(settings.alerts.urls, click.echo)
    dispatch.run(store, current, channels, now, settings.alerts.remind_interval, resolved)


def _now() -> Any:
    """The current time; $METAWATCH_NOW (ISO 8601) sets it, for tests of reminders."""
    import os
    from datetime import UTC, datetime

    value = os.environ.get("METAWATCH_NOW")
    return datetime.fromisoformat(value).astimezone(UTC) if value else datetime.now(UTC)


def _print_summary(summary: Any, dry_run: bool) -> None:
    prefix = "dry run: " if dry_run else ""
    click.echo(
        f"{prefix}scanned {summary.seen} mails: {summary.new} new, {summary.known} already known"
    )
    for kind in Kind:
        if summary.by_kind[kind.value]:
            click.echo(f"  {kind.value:<20} {summary.by_kind[kind.value]}")
    for a in summary.discovered:
        handle = f" ({a.handle})" if a.handle else ""
        click.echo(f"discovered account: {a.platform.value} {', '.join(a.emails)}{handle}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--check", is_flag=True, help="Print one Nagios-style line (for monitoring).")
@click.pass_obj
def status(obj: Context, as_json: bool, check: bool) -> int:
    """Per account: protected or not. Exit 0 fine, 1 warning, 2 critical."""
    from metawatch import pipeline, report
    from metawatch import status as st

    statuses = pipeline.report(obj.store(), obj.policy())
    worst = st.overall(statuses)
    forms = _forms()
    if as_json:
        emit_json([report.status_json(s, forms) for s in statuses])
    elif check:
        counts = {state: sum(1 for s in statuses if s.state is state) for state in State}
        parts = ", ".join(f"{n} {state.value}" for state, n in counts.items() if n)
        label = {ExitCode.OK: "OK", ExitCode.WARNING: "WARNING", ExitCode.CRITICAL: "CRITICAL"}
        click.echo(f"METAWATCH {label[STATE_EXIT[worst]]} - {parts or 'no accounts'}")
    elif statuses:
        click.echo(
            report.table(
                report.STATUS_HEADERS, report.status_rows(statuses, forms), widths={2: 40, 7: 70}
            )
        )
    else:
        click.echo("no accounts yet: run `metawatch scan SOURCE` or `metawatch accounts add`")
    return int(STATE_EXIT[worst])


@cli.group()
def accounts() -> None:
    """The Meta accounts you want watched."""


@accounts.command("add")
@click.option("--platform", required=True, type=click.Choice([p.value for p in Platform]))
@click.option("--email", "emails", required=True, multiple=True, help="Login address (repeatable).")
@click.option("--handle", help='User name, as Meta greets you ("Hi anna_s_fotos,").')
@click.option("--label", help="Your own name for the account.")
@click.pass_obj
def accounts_add(
    obj: Context, platform: str, emails: tuple[str, ...], handle: str | None, label: str | None
) -> None:
    """Add an account."""
    bad = [e for e in emails if "@" not in e or any(c.isspace() for c in e.strip())]
    if bad:
        raise UsageError(f"not an email address: {bad[0]!r}")
    a = obj.store().add_account(Platform(platform), emails, handle, label)
    click.echo(f"added account {a.id}: {a.platform.value} {', '.join(a.emails)}")


@accounts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def accounts_list(obj: Context, as_json: bool) -> None:
    """List accounts, known and discovered."""
    from metawatch import report

    rows = obj.store().accounts()
    if as_json:
        emit_json(
            [
                {
                    "id": a.id,
                    "platform": a.platform.value,
                    "emails": list(a.emails),
                    "handle": a.handle,
                    "label": a.label,
                    "discovered": a.discovered,
                }
                for a in rows
            ]
        )
        return
    click.echo(
        report.table(
            ("id", "platform", "emails", "handle", "label", "origin"),
            [
                [
                    a.id,
                    a.platform.value,
                    ", ".join(a.emails),
                    a.handle or "-",
                    a.label or "-",
                    "discovered" if a.discovered else "added",
                ]
                for a in rows
            ],
        )
    )


@accounts.command("remove")
@click.argument("account_id", type=int)
@click.pass_obj
def accounts_remove(obj: Context, account_id: int) -> None:
    """Remove an account (its mails stay stored)."""
    obj.store().remove_account(account_id)
    click.echo(f"removed account {account_id}")


@accounts.command("link")
@click.argument("first", type=int)
@click.argument("second", type=int)
@click.pass_obj
def accounts_link(obj: Context, first: int, second: int) -> None:
    """Two accounts share one Meta Accounts Center: one objection covers both."""
    obj.store().link_accounts(first, second)
    click.echo(f"linked accounts {first} and {second}")


@accounts.command("confirm")
@click.argument("account_id", type=int)
@click.option(
    "--date",
    "day",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="When Meta confirmed the objection (YYYY-MM-DD).",
)
@click.option("--note", default="", help='For example "objected in the app".')
@click.pass_obj
def accounts_confirm(obj: Context, account_id: int, day: Any, note: str) -> None:
    """Record an objection confirmed only on screen (in the app)."""
    from datetime import UTC

    obj.store().add_manual(account_id, day.replace(tzinfo=UTC), note)
    click.echo(f"recorded a manual confirmation for account {account_id} on {day:%Y-%m-%d}")


@cli.group()
def alerts() -> None:
    """Alert channels and history."""


@alerts.command("test")
@click.pass_obj
def alerts_test(obj: Context) -> int:
    """Send a test message to every configured channel."""
    from metawatch.alerts.channels import ChannelError, from_urls

    failed = 0
    for name, channel in from_urls(obj.settings().alerts.urls, click.echo).items():
        try:
            channel.send("metawatch test", "If you can read this, metawatch alerts reach you here.")
            click.echo(f"ok    {name}")
        except ChannelError as e:
            failed += 1
            click.echo(f"FAIL  {e}", err=True)
    return int(ExitCode.TEMP_FAIL) if failed else 0


@alerts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def alerts_list(obj: Context, as_json: bool) -> None:
    """What was alerted, and which messages were delivered or are pending."""
    from metawatch import report

    rows = obj.store().alerts()
    if as_json:
        emit_json([report.alert_json(a, ds) for a, ds in rows])
        return
    click.echo(report.table(report.ALERT_HEADERS, report.alert_rows(rows), widths={5: 60}))


@cli.command()
@click.option("--cron", "kind", flag_value="cron", default=True, help="A crontab line (default).")
@click.option("--systemd", "kind", flag_value="systemd", help="A systemd service and timer.")
@click.option("--every", default="20m", show_default=True, help="How often: 10m, 30m, 1h …")
@click.pass_obj
def schedule(obj: Context, kind: str, every: str) -> None:
    """Print a ready crontab line or systemd unit pair, with absolute paths."""
    from metawatch import schedule as sched

    command = sched.command_line(obj.db, obj.config_path)
    click.echo(sched.cron(command, every) if kind == "cron" else sched.systemd(command, every))


@cli.command()
@click.option("--kind", type=click.Choice([k.value for k in Kind]), help="Only this kind.")
@click.option("--account", "account_id", type=int, help="Only mails of this account id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, one object per line.")
@click.pass_obj
def messages(obj: Context, kind: str | None, account_id: int | None, as_json: bool) -> None:
    """The classified Meta mails."""
    from metawatch import report

    records = obj.store().messages(kind=kind, account_id=account_id)
    if as_json:
        for m in records:
            emit_json(report.message_json(m))
        return
    click.echo(report.table(report.MESSAGE_HEADERS, report.message_rows(records), widths={7: 70}))


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option(
    "--verify-dkim", is_flag=True, help="Also verify DKIM signatures locally (needs DNS)."
)
@click.pass_obj
def classify(obj: Context, files: tuple[str, ...], as_json: bool, verify_dkim: bool) -> None:
    """Classify mail files without a database."""
    from metawatch import parsing, report
    from metawatch.sources.files import FileSource

    obj.verify_dkim = verify_dkim
    classifier = obj.classifier()
    rows = []
    for source in [FileSource(f) for f in files]:
        for batch in source.batches():
            for raw in batch.mails:
                mail = parsing.parse(raw.data)
                result = classifier.classify(mail, raw.data)
                name = raw.key.split(":", 1)[1]
                if as_json:
                    emit_json(report.classification_json(name, mail, result))
                else:
                    rows.append(
                        [
                            name,
                            result.kind.value,
                            result.platform or "-",
                            result.language or "-",
                            result.authenticity.value,
                            result.rule,
                        ]
                    )
    if not as_json:
        click.echo(report.table(("file", "kind", "platform", "lang", "auth", "rule"), rows))


@cli.command()
@click.argument("target", metavar="FILE|ID")
@click.pass_obj
def explain(obj: Context, target: str) -> None:
    """Why a mail (a file, or a stored message id) got its kind."""
    from metawatch import explain as ex

    if target.isdigit():
        lines = ex.explain_record(obj.store().message(int(target)))
    else:
        lines = ex.explain_file(target)
    click.echo("\n".join(lines))


@cli.command()
@click.option("--dry-run", is_flag=True, help="Show what would change; store nothing.")
@click.pass_obj
def reclassify(obj: Context, dry_run: bool) -> None:
    """Re-run the current rules over stored mails (read again from files or IMAP)."""
    from metawatch import reclassify as rc
    from metawatch import report

    classifier = obj.classifier()
    out = rc.reclassify(obj.store(), classifier, obj.settings(), _prompt, dry_run=dry_run)
    verb = "would change" if dry_run else "changed"
    click.echo(f"checked {out.checked} mails with rule packs {classifier.rules.version}: "
               f"{len(out.changes)} {verb}, {out.unreachable} no longer reachable")  # fmt: skip
    if out.changes:
        rows = [[c.id, c.before, c.after, c.source] for c in out.changes]
        click.echo(report.table(("id", "before", "after", "source"), rows, widths={3: 60}))


@cli.group()
def config() -> None:
    """The configuration file."""


@config.command("init")
@click.option(
    "--path", type=click.Path(dir_okay=False), help="Where to write it [default: --config]."
)
@click.pass_obj
def config_init(obj: Context, path: str | None) -> None:
    """Write a commented starter configuration (mode 0600)."""
    from pathlib import Path

    from metawatch import config as cfg

    target = Path(path) if path else cfg.find(obj.config_path)[0]
    cfg.write_starter(target)
    click.echo(f"wrote {target}")


@config.command("check")
@click.pass_obj
def config_check(obj: Context) -> None:
    """Validate the configuration file."""
    from metawatch import config as cfg

    settings = obj.settings()
    path = settings.path or cfg.find(obj.config_path)[0]
    if settings.path is None:
        click.echo(f"{path}: no configuration file (defaults apply)")
        return
    click.echo(
        f"{path}: OK ({len(settings.mailboxes)} mailboxes, {len(settings.accounts)} accounts)"
    )


@cli.command("export-evidence")
@click.argument("account")
@click.option("--out", "out", type=click.Path(file_okay=False), metavar="DIR",
              help="A new folder [default: ./metawatch-evidence-ID-DATE].")  # fmt: skip
@click.pass_obj
def export_evidence(obj: Context, account: str, out: str | None) -> None:
    """Write the evidence of one ACCOUNT (id, address or handle) for a complaint.

    The bundle holds the account's AI-related Meta mails: the originals as .eml (kept only with
    `keep_originals = true`), their SHA-256, the Authentication-Results relied on, and a JSON
    manifest. Nothing is exported unless you run this.
    """
    from pathlib import Path

    from metawatch import accounts as acc
    from metawatch import evidence, pipeline

    store, now = obj.store(), _now()
    wanted = acc.find(store.accounts(), account)
    status = next(s for s in pipeline.report(store, obj.policy()) if s.account.id == wanted.id)
    records = store.messages(account_id=wanted.id)
    manual = [e for e in store.manual_evidence() if e.account_id == wanted.id]
    path = Path(out or f"metawatch-evidence-{wanted.id}-{now:%Y%m%d}")
    bundle = evidence.export(status, records, store.originals([r.id for r in records]), manual,
                             path, now)  # fmt: skip
    click.echo(
        f"wrote {bundle.mails} mails ({bundle.originals} with their original) to {bundle.path}"
    )
    if bundle.originals < bundle.mails:
        click.echo("originals are kept only with `keep_originals = true` in the config; "
                   "`metawatch reclassify` then keeps those of mails already scanned")  # fmt: skip


@cli.group()
def db() -> None:
    """Upgrade the database schema, or copy the database to another (SQLite to PostgreSQL)."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Apply pending schema migrations (needed on PostgreSQL after installing a new metawatch)."""
    from metawatch.store import Store
    from metawatch.store.migrations import SCHEMA_VERSION

    store = Store.connect(obj.url())
    try:
        before, steps = store.schema_version(), store.upgrade()
    finally:
        store.close()
    for name in steps:
        click.echo(f"applied: {name}")
    if steps:
        click.echo(f"upgraded the database from schema v{before} to v{SCHEMA_VERSION}")
    else:
        click.echo(f"the database is at schema v{before}, the newest: nothing to do")


@db.command("copy")
@click.option(
    "--to", "target", required=True, metavar="URL|PATH", help="The empty database to fill."
)
@click.pass_obj
def db_copy(obj: Context, target: str) -> None:
    """Copy every account, mail record, cursor, alert and delivery to another database.

    For moving from SQLite to PostgreSQL: the target must be empty; ids, evidence and alert
    history are kept, and nothing is written to the source. Then point --db or `database` at it.
    """
    from metawatch.config import safe_url
    from metawatch.store import Store, database_url

    source, dest = obj.store(), Store.open(database_url(target), upgrade=True)
    try:
        with source.scan_lock():
            copied = source.copy_to(dest)
    finally:
        dest.close()
    for table, n in copied.items():
        click.echo(f"{table:<16} {n}")
    click.echo(
        f"copied {sum(copied.values())} rows; now use: metawatch --db '{safe_url(target)}' …"
    )


@cli.command()
@click.argument("sources", nargs=-1, metavar="[IMAP-URL]...")
@click.pass_obj
def doctor(obj: Context, sources: tuple[str, ...]) -> int:
    """Check each mailbox: login, TLS, folders, Meta mail, authentication headers."""
    from metawatch import doctor as doc

    mailboxes = doc.mailboxes(sources, obj.settings())
    if not mailboxes:
        raise UsageError("no mailbox configured: add a [[mailbox]] or give an IMAP URL")
    worst = 0
    for mailbox in mailboxes:
        lines, code = doc.check_mailbox(mailbox, _prompt)
        click.echo("\n".join(lines))
        worst = max(worst, code)
    click.echo("\n".join([*doc.check_database(obj.store()), *doc.check_accounts(obj.store())]))
    return worst


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the CLI and turn every outcome into a documented exit code."""
    try:
        code = cli.main(args=argv, prog_name="metawatch", standalone_mode=False)
    except click.exceptions.Exit as e:
        code = e.exit_code
    except click.UsageError as e:
        e.show()
        code = ExitCode.USAGE
    except click.ClickException as e:
        e.show()
        code = ExitCode.USAGE
    except click.Abort:
        click.echo("metawatch: aborted", err=True)
        code = 130
    except MetawatchError as e:
        code = _fail(e, e.exit_code)
    except KeyboardInterrupt:
        code = 130
    except Exception as e:  # deliberate: a bug must still end in one line and code 70
        code = _fail(e, ExitCode.SOFTWARE, prefix="internal error: ")
    sys.exit(int(code or 0))


def _fail(error: BaseException, code: int, prefix: str = "") -> int:
    if _debug:
        traceback.print_exception(error)
    from metawatch.report import safe

    click.echo(f"metawatch: error: {prefix}{safe(error)}", err=True)
    return code
