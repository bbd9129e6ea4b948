"""`metawatch classify` and `metawatch explain`: what the rules make of a mail, and why."""

from __future__ import annotations

import click

from metawatch.cli.base import Context, cli, emit_json, provider_option


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option(
    "--verify-dkim", is_flag=True, help="Also verify DKIM signatures locally (needs DNS)."
)
@provider_option
@click.pass_obj
def classify(
    obj: Context, files: tuple[str, ...], as_json: bool, verify_dkim: bool, provider: str | None
) -> None:
    """Classify mail files without a database."""
    from metawatch import parsing, report
    from metawatch.sources.files import FileSource

    obj.verify_dkim = verify_dkim
    classifier = obj.classifier(provider)
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
                    rows.append([name, result.kind.value, result.platform or "-",
                                 result.language or "-", result.authenticity.value, result.rule])  # fmt: skip
    if not as_json:
        click.echo(report.table(("file", "kind", "platform", "lang", "auth", "rule"), rows))


@cli.command()
@click.argument("target", metavar="FILE|ID")
@provider_option
@click.pass_obj
def explain(obj: Context, target: str, provider: str | None) -> None:
    """Why a mail (a file, or a stored message id) got its kind and sender verdict."""
    from metawatch import explain as ex

    if target.isdigit():
        lines = ex.explain_record(obj.store().message(int(target)))
    else:
        lines = ex.explain_file(target, obj.classifier(provider))
    click.echo("\n".join(lines))
