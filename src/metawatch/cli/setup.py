"""Setting up: `metawatch config …`, `metawatch doctor` and `metawatch schedule`."""

from __future__ import annotations

import click

from metawatch.cli.base import Context, cli, prompt_password
from metawatch.errors import UsageError


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


@cli.command()
@click.argument("sources", nargs=-1, metavar="[IMAP-URL]...")
@click.pass_obj
def doctor(obj: Context, sources: tuple[str, ...]) -> int:
    """Check each mailbox: login, TLS, folders, Meta mail, authentication headers."""
    from metawatch import doctor as doc

    mailboxes = doc.mailboxes(sources, obj.settings())
    if not mailboxes:
        raise UsageError("no mailbox configured: add a [[mailbox]] or give an IMAP URL")
    worst, classifier = 0, obj.classifier()
    for mailbox in mailboxes:
        lines, code = doc.check_mailbox(mailbox, prompt_password, classifier)
        click.echo("\n".join(lines))
        worst = max(worst, code)
    click.echo("\n".join([*doc.check_database(obj.store()), *doc.check_accounts(obj.store())]))
    return worst


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
