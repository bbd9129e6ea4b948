"""`metawatch report`: the report as text, or as one self-contained HTML file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from metawatch.cli.base import Context, cli, forms, log, now
from metawatch.errors import MetawatchError


@cli.command("report")
@click.option("--html", "html_file", metavar="FILE",
              help="Write one self-contained HTML file instead ('-': standard output).")  # fmt: skip
@click.pass_obj
def report_command(obj: Context, html_file: str | None) -> None:
    """The report: a summary, then per account its state, why, the next step and its mails.

    With --html FILE, one self-contained HTML file with a timeline per account (inline CSS and
    SVG; it loads nothing from the network), readable on a phone and printable.
    `report_html = "FILE"` in the config rewrites it after every scan.
    """
    from metawatch.report import html, terminal

    overview = _overview(obj)
    if html_file == "-":
        click.echo(html.render(overview), nl=False)
    elif html_file:
        html.save(Path(html_file), html.render(overview))
    else:
        click.echo(terminal.report_text(overview, sys.stdout))


def refresh_report(obj: Context, path: str) -> list[tuple[str, MetawatchError]]:
    """Rewrite the configured HTML report after a scan; a failure is logged and returned."""
    from metawatch.report import html

    try:
        html.save(Path(path), html.render(_overview(obj)))
    except MetawatchError as e:
        log.error("%s", e)
        return [("report_html", e)]
    return []


def _overview(obj: Context) -> Any:
    from metawatch import pipeline

    return pipeline.overview(obj.store(), obj.policy(), now(), forms())
