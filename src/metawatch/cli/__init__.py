"""The command line: one module per command group; here the entry point and the one error mapping."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import click

from metawatch.cli import (  # noqa: F401
    accounts,
    alerts,
    db,
    evidence,
    inspect,
    mailbox,
    report,
    scan,
    setup,
    status,
)
from metawatch.cli.base import _EchoHandler, cli
from metawatch.errors import ExitCode, MetawatchError

__all__ = ["cli", "main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the CLI and turn every outcome into a documented exit code."""
    try:
        code = cli.main(args=argv, prog_name="metawatch", standalone_mode=False)
    except click.exceptions.Exit as e:
        code = e.exit_code
    except click.ClickException as e:  # usage errors included
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
    if _EchoHandler.debug:
        traceback.print_exception(error)
    from metawatch.report import safe

    click.echo(f"metawatch: error: {prefix}{safe(error)}", err=True)
    return code
