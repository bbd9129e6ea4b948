"""`metawatch scan` and `metawatch reclassify`: read mail, store what it says, alert."""

from __future__ import annotations

from typing import Any

import click

from metawatch.cli.base import Context, cli, forms, log, now, prompt_password, provider_option
from metawatch.errors import UsageError
from metawatch.models import Kind, State


@cli.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option("--dry-run", is_flag=True, help="Classify and report, but write and alert nothing.")
@click.option("-q", "--quiet", is_flag=True, help="No summary; alerts and errors only (for cron).")
@click.option(
    "--verify-dkim", is_flag=True, help="Also verify DKIM signatures locally (needs DNS)."
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), metavar="N",
    help="Scan up to N mailboxes at once [default: the config's jobs, else 4].",
)  # fmt: skip
@provider_option
@click.option(
    "--mailbox", "mailbox_names", multiple=True, metavar="NAME",
    help="Scan only this configured mailbox (repeatable) [default: every one].",
)  # fmt: skip
@click.pass_obj
def scan(
    obj: Context,
    sources: tuple[str, ...],
    dry_run: bool,
    quiet: bool,
    verify_dkim: bool,
    jobs: int | None,
    provider: str | None,
    mailbox_names: tuple[str, ...] = (),
) -> int:
    """Scan mail: the configured mailboxes, or each SOURCE given; then alert.

    A SOURCE is an .eml file, a folder of them, an mbox file, a Maildir, or an IMAP URL
    (imaps://USER@HOST[:PORT]/; the password comes from $METAWATCH_PASSWORD or a prompt).
    Prints a summary when there is something new, and an alert when an account enters an
    alertable state (to the [alerts] channels when configured); otherwise nothing.
    """
    from metawatch import health, settled
    from metawatch.config import scan_deadline

    obj.verify_dkim = verify_dkim
    settings = _only(obj.settings(), mailbox_names, sources)
    jobs = jobs or settings.jobs
    if not sources and not settings.mailboxes:
        raise UsageError("nothing to scan: give a SOURCE, or configure a [[mailbox]] "
                         "(see `metawatch config init`)")  # fmt: skip
    deadline = scan_deadline(settings)
    known: dict[str, Any] = {}  # each mailbox's secret: resolved once, for the check and the scan
    if not (sources or dry_run) and settled.nothing_new(
        obj.url(), obj.settings(), settings.mailboxes, now(), deadline, jobs, known
    ):
        health.ping(settings.health.ping_url)
        return 0
    from metawatch import pipeline
    from metawatch.cli.report import refresh_report
    from metawatch.report.terminal import scan_progress

    classifier = obj.classifier(provider)
    if dry_run:
        with scan_progress(quiet) as progress:
            opened = pipeline.open_sources(
                sources, settings, None, progress.asking(prompt_password), deadline
            )
            summary = pipeline.scan_all(None, classifier, opened, jobs, progress=progress,
                                        deadline=deadline)  # fmt: skip
        for _name, error in summary.failed:
            log.error("%s", error)
        _print_summary(summary, dry_run=True)
        return _scan_code(summary)
    store = obj.store()
    with store.scan_lock():
        health.ping(settings.health.ping_url, "/start")
        with scan_progress(quiet) as progress:
            opened = pipeline.open_sources(
                sources, settings, store, progress.asking(prompt_password), deadline, known
            )
            summary = pipeline.scan_all(store, classifier, opened, jobs,
                                        settings.keep_originals, progress, deadline)  # fmt: skip
        for _name, error in summary.failed:
            log.error("%s", error)
        if not quiet and (summary.new or summary.discovered):
            _print_summary(summary, dry_run=False)
        with store.alerts_lock():
            _alert(obj, store, summary, settings.mailboxes, settle=not sources)
        if settings.report_html:  # a failed report is a failed scan, for cron and the ping
            summary.failed += refresh_report(obj, settings.report_html)
        failure = "; ".join(str(e) for _, e in summary.failed)
        health.ping(settings.health.ping_url, "/fail" if failure else "", failure)
    return _scan_code(summary)


def _only(settings: Any, names: tuple[str, ...], sources: tuple[str, ...]) -> Any:
    """The settings with only the --mailbox mailboxes."""
    from dataclasses import replace

    if not names:
        return settings
    if sources:
        raise UsageError("give SOURCEs or --mailbox, not both")
    if unknown := set(names) - {m.name for m in settings.mailboxes}:
        raise UsageError(f"--mailbox: no mailbox named {', '.join(sorted(unknown))} in the config")
    return replace(settings, mailboxes=tuple(m for m in settings.mailboxes if m.name in names))


def _scan_code(summary: Any) -> int:
    return max((int(e.exit_code) for _, e in summary.failed), default=0)


def _alert(obj: Context, store: Any, summary: Any, scanned: Any, settle: bool) -> None:
    """Evaluate every account after the scan and send what deserves an alert (a login failure
    is resolved only by a scan of its mailbox); then, when asked, ``settle``: record how long
    a scan that finds nothing new has nothing to do (see ``metawatch.settled``)."""
    from metawatch import pipeline, settled
    from metawatch.alerts import conditions, dispatch
    from metawatch.alerts.channels import from_urls
    from metawatch.errors import AuthError

    settings, when = obj.settings(), now()
    statuses = pipeline.report(store, obj.policy())
    auth_failures = [(name, str(e)) for name, e in summary.failed if isinstance(e, AuthError)]
    current = conditions.for_accounts(statuses, when, settings.alerts.pending_interval,
                                      obj.policy().waves, forms())  # fmt: skip
    current += conditions.for_mailbox_failures(auth_failures)
    resolved = {f"account:{s.account.id}": f"{conditions.account_name(s)} is now protected"
                for s in statuses if s.state is State.PROTECTED}  # fmt: skip
    resolved.update({f"mailbox:{m.name}": f"mailbox {m.name} works again" for m in scanned
                     if m.name not in dict(auth_failures)})  # fmt: skip
    channels = from_urls(settings.alerts.urls, click.echo)
    sent = dispatch.run(store, current, channels, when, settings.alerts.remind_interval, resolved)
    if settle and not (summary.failed or sent.failed):
        settled.record(store, settings, statuses, when)


def _print_summary(summary: Any, dry_run: bool) -> None:
    prefix = "dry run: " if dry_run else ""
    copies = f", {summary.duplicates} copies of stored mails" if summary.duplicates else ""
    click.echo(f"{prefix}scanned {summary.seen} mails: {summary.new} new, "
               f"{summary.known} already known{copies}")  # fmt: skip
    for kind in Kind:
        if summary.by_kind[kind.value]:
            click.echo(f"  {kind.value:<20} {summary.by_kind[kind.value]}")
    for a in summary.discovered:
        handle = f" ({a.handle})" if a.handle else ""
        click.echo(f"discovered account: {a.platform.value} {', '.join(a.emails)}{handle}")


@cli.command()
@click.option("--dry-run", is_flag=True, help="Show what would change; store nothing.")
@provider_option
@click.pass_obj
def reclassify(obj: Context, dry_run: bool, provider: str | None) -> int:
    """Re-run the current rules over stored mails (read again from files or IMAP)."""
    from metawatch import reclassify as rc
    from metawatch import report

    classifier = obj.classifier(provider)
    out = rc.reclassify(obj.store(), classifier, obj.settings(), prompt_password, dry_run=dry_run)
    for _name, error in out.failed:
        log.error("%s", error)
    verb = "would change" if dry_run else "changed"
    click.echo(f"checked {out.checked} mails with rule packs {classifier.rules.version}: "
               f"{len(out.changes)} {verb}, {out.unreachable} no longer reachable"
               + "".join(f", {n} {what}" for n, what in _reclassify_notes(out) if n))  # fmt: skip
    if out.changes:
        rows = [[c.id, c.before, c.after, c.source] for c in out.changes]
        click.echo(report.table(("id", "before", "after", "source"), rows, widths={3: 60}))
    return max((int(e.exit_code) for _, e in out.failed), default=0)


def _reclassify_notes(out: Any) -> list[tuple[int, str]]:
    return [(out.too_large, "over the mailbox's size limit (not downloaded)"),
            (out.stale, "in folders whose UIDVALIDITY changed: run `metawatch scan` first"),
            (out.not_checked, "not checked: their mailbox failed")]  # fmt: skip
