"""`metawatch status` and `metawatch messages`: what is known, per account and per mail."""

from __future__ import annotations

import sys

import click

from metawatch.cli.base import Context, cli, emit_json, forms
from metawatch.errors import ExitCode
from metawatch.models import Kind, State

STATE_EXIT = {
    State.UNPROTECTED: ExitCode.CRITICAL,
    State.REJECTED: ExitCode.CRITICAL,
    State.PENDING: ExitCode.WARNING,
    State.PROTECTED: ExitCode.OK,
}


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--check", is_flag=True, help="Print one Nagios-style line (for monitoring).")
@click.option("--wide", is_flag=True, help="Every column, whole, however wide the terminal.")
@click.pass_obj
def status(obj: Context, as_json: bool, check: bool, wide: bool) -> int:
    """Per account: protected or not. Exit 0 fine, 1 warning, 2 critical.

    On a terminal the table fits the window (narrow columns wrap, evidence and dates go first;
    --wide shows everything) and states are coloured (not with NO_COLOR); into a pipe or a file,
    whole rows without colour.
    """
    from metawatch import pipeline, report
    from metawatch import status as st
    from metawatch.report import terminal

    statuses = pipeline.report(obj.store(), obj.policy())
    worst = st.overall(statuses)
    links = forms()
    if as_json:
        emit_json([report.status_json(s, links) for s in statuses])
    elif check:
        counts = {state: sum(1 for s in statuses if s.state is state) for state in State}
        parts = ", ".join(f"{n} {state.value}" for state, n in counts.items() if n)
        label = {ExitCode.OK: "OK", ExitCode.WARNING: "WARNING", ExitCode.CRITICAL: "CRITICAL"}
        click.echo(f"METAWATCH {label[STATE_EXIT[worst]]} - {parts or 'no accounts'}")
    elif statuses:
        click.echo(terminal.status_table(statuses, links, wide, sys.stdout))
    else:
        click.echo("no accounts yet: run `metawatch scan SOURCE` or `metawatch accounts add`")
    return int(STATE_EXIT[worst])


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
