"""`metawatch accounts …`: the Meta accounts to watch, their links and manual confirmations."""

from __future__ import annotations

from typing import Any

import click

from metawatch.cli.base import Context, cli, emit_json
from metawatch.errors import UsageError
from metawatch.models import Platform


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
        emit_json([{"id": a.id, "platform": a.platform.value, "emails": list(a.emails),
                    "handle": a.handle, "label": a.label, "discovered": a.discovered}
                   for a in rows])  # fmt: skip
        return
    table = [[a.id, a.platform.value, ", ".join(a.emails), a.handle or "-", a.label or "-",
              "discovered" if a.discovered else "added"] for a in rows]  # fmt: skip
    click.echo(report.table(("id", "platform", "emails", "handle", "label", "origin"), table))


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
