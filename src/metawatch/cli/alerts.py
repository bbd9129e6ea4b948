"""`metawatch alerts …`: try the channels, list what was alerted."""

from __future__ import annotations

import click

from metawatch.cli.base import Context, cli, emit_json
from metawatch.errors import ExitCode


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
