"""`metawatch mailbox …`: set up a mailbox by answering a few questions; list and remove them."""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Sequence
from typing import Any

import click

from metawatch.cli.base import Context, cli, emit_json
from metawatch.errors import UsageError


class Terminal:
    """Questions on stdin; once it is closed (or with --yes) nobody is asked again."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive

    def say(self, text: str) -> None:
        """Tell the person something."""
        click.echo(text)

    def ask(
        self, question: str, default: str | None, missing: str, choices: Sequence[str] = ()
    ) -> str:
        """An answer; Enter takes ``default``; nobody to ask: the default, else ``missing``."""
        while self.interactive:
            click.echo(f"{question}{f' [{default}]' if default else ''}: ", nl=False)
            line = _readline()
            if line is None:  # end of input: every later question takes its default
                self.interactive = False
                click.echo()
                break
            answer = line.strip().lower() if choices else line.strip()
            answer = answer or (default or "")
            if (answer or default == "") and (not choices or answer in choices):
                return answer
            if choices:
                click.echo(f"  one of: {', '.join(c for c in choices if c)}")
        if default is None:
            raise UsageError(f"{missing} (nothing to ask: standard input is closed or --yes)")
        return default

    def confirm(self, question: str, default: bool, unattended: bool) -> bool:
        """Yes or no; ``unattended`` when nobody can answer."""
        if not self.interactive:
            return unattended
        answer = self.ask(
            f"{question} [{'Y/n' if default else 'y/N'}]", "", "", ("", "y", "yes", "n", "no")
        )
        if not self.interactive and not answer:
            return unattended
        return answer.startswith("y") if answer else default


def _readline() -> str | None:
    """A line from stdin; None at its end, or when it is closed."""
    try:
        line = sys.stdin.readline() if sys.stdin is not None else ""
    except (OSError, ValueError):
        return None
    return line or None


def stdin_open() -> bool:
    """Whether a question can be answered: stdin exists and is not closed or /dev/null."""
    stream = sys.stdin
    if stream is None or stream.closed:
        return False
    try:
        fd = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return True  # a stream without a descriptor (a test's input) can still be read
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return not (stat.S_ISCHR(mode) and not os.isatty(fd))  # /dev/null and the like


@cli.group()
def mailbox() -> None:
    """The IMAP mailboxes in the config file: add one by answering a few questions."""


def _options(f: Any) -> Any:
    options = [
        click.option("--provider", metavar="NAME", help="The mail provider (gmail, gmx, outlook, "
                     "…; see the README) [default: from the address, or its domain's MX]."),
        click.option("--host", metavar="HOST", help="IMAP server [default: the provider's]."),
        click.option("--port", type=click.IntRange(1, 65535), help="IMAP port [default: the provider's, else 993 / 143 by --tls]."),
        click.option("--tls", type=click.Choice(["implicit", "starttls"]), help="TLS mode [default: the provider's, else implicit]."),
        click.option("--ca-file", metavar="FILE", help="PEM file for a self-signed server (Proton Bridge's cert.pem)."),
        click.option("--username", metavar="LOGIN", help="IMAP login [default: the address]."),
        click.option("--name", metavar="NAME", help="The mailbox's name in the config [default: the provider's name, else the address]."),
        click.option("--password-command", metavar="COMMAND", help="A command that prints the password (`pass show mail/gmx`)."),
        click.option("--password-env", metavar="VAR", help="An environment variable that holds the password."),
        click.option("--password-file", metavar="FILE", help="A file that holds the password (mode 0600)."),
        click.option("--oauth2-token-command", metavar="COMMAND", help="A command that prints an OAuth2 access token (`oama access ADDRESS`)."),
        click.option("--account", "accounts", multiple=True, metavar="PLATFORM[:ADDRESS][:HANDLE]",
                     help="A Meta account under this address (repeatable): instagram, facebook:anna@gmx.de, instagram:anna_s_fotos."),
        click.option("-y", "--yes", is_flag=True, help="Ask nothing: take the defaults and write without asking."),
        click.option("--check/--no-check", default=True, help="Check the mailbox the way `metawatch doctor` does [default: check]."),
        click.option("--scan/--no-scan", default=None, help="Scan it once written and checked [default: ask; without a terminal: no]."),
    ]  # fmt: skip
    for option in reversed(options):
        f = option(f)
    return f


@mailbox.command("add")
@click.argument("address", required=False)
@_options
@click.pass_context
def mailbox_add(ctx: click.Context, /, address: str | None, **opts: Any) -> int:
    """Add a mailbox: provider, server and TLS from the ADDRESS, then check it and scan it.

    Asks only what the options leave open; without a terminal (or with --yes) it asks nothing
    and exits 64 when something it needs is missing.
    """
    from metawatch import configfile, mailbox_setup, mx

    obj: Context = ctx.obj
    path = _path(obj)
    settings = configfile.read(path)[1]
    term = Terminal(interactive=not opts["yes"] and stdin_open())
    given = _given(address, opts)
    plan = mailbox_setup.plan(given, settings, term, mx.system_resolver())
    comment = plan.provider.label if plan.provider else ""
    click.echo(f"\n{configfile.mailbox_toml(plan.mailbox, comment)}")
    for a in plan.accounts:
        click.echo(f"\n{configfile.account_toml(a)}")
    if not term.confirm(f"\nWrite this to {path}?", True, unattended=True):
        click.echo("nothing written")
        return 0
    configfile.add(path, plan.mailbox, plan.accounts, comment)
    click.echo(f"wrote mailbox {plan.mailbox.name} to {path} (mode 0600)")
    if not plan.accounts:
        click.echo("no Meta accounts named: metawatch discovers them from Meta's mails")
    obj.reload()
    code = _check(obj, plan, term, path) if opts["check"] else 0
    if code:
        return code
    scan = opts["scan"]
    if scan is None:
        scan = opts["check"] and term.confirm("Scan it now?", True, unattended=False)
    if scan:
        from metawatch.cli.scan import scan as scan_command

        code = int(ctx.invoke(scan_command, mailbox_names=(plan.mailbox.name,)) or 0)
    click.echo("next: `metawatch status` shows your accounts; `metawatch schedule` prints a cron "
               "line that scans every 20 minutes")  # fmt: skip
    return code


def _given(address: str | None, opts: dict[str, Any]) -> Any:
    from metawatch.mailbox_setup import SOURCES, Given, SecretSource

    secrets = [SecretSource(k, opts[k]) for k in SOURCES.values() if opts[k] is not None]
    if len(secrets) > 1:
        raise UsageError("give only one of --password-command, --password-env, --password-file, "
                         "--oauth2-token-command")  # fmt: skip
    accounts = tuple(opts["accounts"]) or None  # None: ask
    keys = ("provider", "host", "port", "tls", "ca_file", "username", "name")
    return Given(address, **{k: opts[k] for k in keys}, secret=secrets[0] if secrets else None,
                 accounts=accounts)  # fmt: skip


def _check(obj: Context, plan: Any, term: Terminal, path: Any) -> int:
    """Check the new mailbox like `metawatch doctor`; after a failure, offer to check again."""
    from metawatch import doctor

    name = plan.mailbox.name
    while True:
        click.echo(f"checking mailbox {name} the way `metawatch doctor` does:")
        lines, code = doctor.check_mailbox(plan.mailbox, None, obj.classifier())
        click.echo("\n".join(lines))
        if code == 0:
            return 0
        if plan.provider is not None and plan.provider.setup:
            click.echo(f"{plan.provider.label} needs first: {plan.provider.setup[0]}")
        if not term.confirm("Check again (after fixing it)?", True, unattended=False):
            click.echo(f"the entry stays in {path}: once fixed, run `metawatch doctor`; or take "
                       f"it out with `metawatch mailbox remove {name}`")  # fmt: skip
            return code


def _path(obj: Context) -> Any:
    from metawatch import config as cfg

    return cfg.find(obj.config_path)[0]


@mailbox.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def mailbox_list(obj: Context, as_json: bool) -> None:
    """List the configured mailboxes: server, login, provider and password source."""
    from metawatch import configfile, report
    from metawatch.providers import Trust

    settings = configfile.read(_path(obj))[1]
    trust = Trust(settings.trusted_authserv_ids)
    rows = []
    for m in settings.mailboxes:
        found = trust.for_mailbox(m)
        provider = found.provider.name if found and found.provider else None
        rows.append({"name": m.name, "host": m.host, "port": m.effective_port, "tls": m.tls,
                     "username": m.username, "provider": provider,
                     "secret": _source(m)})  # fmt: skip
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no mailbox configured: add one with `metawatch mailbox add`")
        return
    table = [[r["name"], f"{r['host']}:{r['port']}", r["tls"], r["username"], r["provider"] or "-",
              r["secret"] or "-"] for r in rows]  # fmt: skip
    click.echo(report.table(("name", "server", "tls", "login", "provider", "secret"), table))


def _source(m: Any) -> str | None:
    """Where the secret comes from, without the command itself (it may carry a token)."""
    if m.password_env:
        return f"env {m.password_env}"
    if m.password_file:
        return f"file {m.password_file}"
    return next((k for k in ("password_command", "oauth2_token_command") if getattr(m, k)), None)


@mailbox.command("remove")
@click.argument("name")
@click.pass_obj
def mailbox_remove(obj: Context, name: str) -> None:
    """Take a mailbox out of the config file (its stored mails stay)."""
    from metawatch import configfile

    path = _path(obj)
    configfile.remove(path, name)
    click.echo(f"removed mailbox {name} from {path} (its stored mails and the accounts stay)")
