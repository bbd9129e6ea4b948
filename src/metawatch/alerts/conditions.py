"""Account states -> alertable conditions, with their messages. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from metawatch.deadlines import deadline_note
from metawatch.models import AccountStatus, Condition, Kind, State
from metawatch.report import safe
from metawatch.rules import Wave


def account_name(s: AccountStatus) -> str:
    """How an account is named in an alert: platform, handle or label, addresses."""
    a = s.account
    who = a.handle or a.label
    label = (
        f"{a.platform.value.capitalize()} account {who}"
        if who
        else f"{a.platform.value.capitalize()} account"
    )
    return safe(f"{label} ({', '.join(a.emails)})")


def for_accounts(
    statuses: Iterable[AccountStatus],
    now: datetime,
    pending_grace: timedelta,
    waves: Sequence[Wave],
    forms: dict[str, str],
) -> list[Condition]:
    """The conditions that hold now for every account."""
    found: list[Condition] = []
    for s in statuses:
        found += _account(s, now, pending_grace, waves, forms)
    return found


def _account(s: AccountStatus, now: datetime, grace: timedelta, waves: Sequence[Wave],
             forms: dict[str, str]) -> list[Condition]:  # fmt: skip
    """At most one condition per account: its state's, with a suspected fake mentioned in it."""
    subject, name = f"account:{s.account.id}", account_name(s)
    primary = _primary(s, name, now, grace, waves, forms)
    if not s.suspected_fake:
        return [Condition(subject, *primary)] if primary else []
    fake = s.suspected_fake[-1]
    warning = (f"A mail of {fake.date:%Y-%m-%d} claims to come from Meta about your objection, but its "
               f"sender failed authentication (metawatch explain {fake.ref}). Do not trust it.")  # fmt: skip
    if primary:
        condition, ref, title, body = primary
        return [Condition(subject, condition, ref, title, f"{body}\n\n{warning}")]
    return [
        Condition(subject, "suspected_fake", fake.ref, f"{name}: suspected fake Meta mail", warning)
    ]


def _primary(s: AccountStatus, name: str, now: datetime, grace: timedelta, waves: Sequence[Wave],
             forms: dict[str, str]) -> tuple[str, str, str, str] | None:  # fmt: skip
    ev = s.evidence
    day = f"{ev.date:%Y-%m-%d}" if ev else "?"
    ref = ev.ref if ev else ""
    if s.state is State.UNPROTECTED:
        link = s.objection_link or forms.get(s.account.platform.value, "Meta's Privacy Center")
        body = (f"Meta's notice of {day} says it will use this account's data to train its AI, and no "
                f"accepted objection has been seen. Object here: {link}")  # fmt: skip
        if note := " ".join(x for x in (s.note, deadline_note(now.date(), waves)) if x):
            body += f"\n{note}"
        return "unprotected", ref, f"{name} is not protected", body
    if s.state is State.REJECTED:
        body = (f"Meta's answer of {day} refuses the objection or asks for more information. Read it "
                f"(metawatch explain {ref}) and object again, or complain to your data-protection authority.")  # fmt: skip
        return "rejected", ref, f"{name}: objection rejected", body
    if s.state is State.NEEDS_REVIEW and ev and ev.kind is Kind.OBJECTION_ANSWER_UNCLEAR:
        body = (f"Meta answered your objection on {day}, and metawatch could not read the decision: "
                f"read it (metawatch explain {ref}).")  # fmt: skip
        return "answer_unclear", ref, f"{name}: Meta's answer needs reading", body
    if s.state is State.NEEDS_REVIEW:
        body = (f"A confirmation arrived on {day}, but its sender could not be verified. Check it "
                f"(metawatch explain {ref}) before you rely on it.")  # fmt: skip
        return "needs_review", ref, f"{name}: confirmation needs review", body
    if (due := stale_from(s, grace)) and now > due:
        body = (f"A verification code of the objection arrived on {day}, and no decision since: the "
                "objection was probably not completed. Object again.")  # fmt: skip
        return "pending_stale", ref, f"{name}: objection not completed", body
    return None


def stale_from(s: AccountStatus, grace: timedelta) -> datetime | None:
    """When a pending objection counts as not completed: ``grace`` after its verification code."""
    return s.evidence.date + grace if s.state is State.PENDING and s.evidence else None


def for_mailbox_failures(failures: Iterable[tuple[str, str]]) -> list[Condition]:
    """A login that fails is a condition of its own (an expired token hides everything)."""
    return [
        Condition(
            f"mailbox:{name}",
            "auth_failure",
            "",
            f"metawatch cannot log in to mailbox {safe(name)}",
            f"{safe(reason)}\nUntil this is fixed, no new Meta mail is seen for this mailbox.",
        )  # fmt: skip
        for name, reason in failures
    ]
