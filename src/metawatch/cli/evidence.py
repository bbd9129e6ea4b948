"""`metawatch export-evidence`: one account's Meta mails as a bundle for a complaint."""

from __future__ import annotations

import click

from metawatch.cli.base import Context, cli, now


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

    store, when = obj.store(), now()
    wanted = acc.find(store.accounts(), account)
    status = next(s for s in pipeline.report(store, obj.policy()) if s.account.id == wanted.id)
    records = store.messages(account_id=wanted.id)
    manual = [e for e in store.manual_evidence() if e.account_id == wanted.id]
    path = Path(out or f"metawatch-evidence-{wanted.id}-{when:%Y%m%d}")
    bundle = evidence.export(status, records, store.originals([r.id for r in records]), manual,
                             path, when)  # fmt: skip
    click.echo(
        f"wrote {bundle.mails} mails ({bundle.originals} with their original) to {bundle.path}"
    )
    if bundle.originals < bundle.mails:
        click.echo("originals are kept only with `keep_originals = true` in the config; "
                   "`metawatch reclassify` then keeps those of mails already scanned")  # fmt: skip
