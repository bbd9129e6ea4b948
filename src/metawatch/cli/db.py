"""`metawatch db …`: schema upgrades, and copying a database (SQLite to PostgreSQL)."""

from __future__ import annotations

import click

from metawatch.cli.base import Context, cli


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
