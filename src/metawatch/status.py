"""Evidence per account -> protection state. Pure functions: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from metawatch.deadlines import objection_note, wave_of
from metawatch.models import (
    AI_KINDS,
    Account,
    AccountStatus,
    Authenticity,
    Evidence,
    Kind,
    MessageRecord,
    Platform,
    State,
)
from metawatch.rules import Wave

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CRITICAL = frozenset({State.UNPROTECTED, State.REJECTED})
WARNING = frozenset({State.PENDING, State.NEEDS_REVIEW})

NEXT_STEP: dict[State | Kind, str] = {
    State.PROTECTED: "nothing to do",
    State.UNPROTECTED: "object now: {link}",
    State.REJECTED: "read Meta's reply; object again or complain to your data-protection authority",
    State.PENDING: "finish the objection (enter the code) and wait for Meta's confirmation",
    State.NEEDS_REVIEW: "confirmation could not be verified: check it with `metawatch explain {ref}`",
    Kind.OBJECTION_ANSWER_UNCLEAR: "Meta answered your objection and metawatch could not read the "
    "decision: read it (`metawatch explain {ref}`)",
    State.UNKNOWN: "no Meta AI mail seen: check the address, or object anyway",
    State.NOT_APPLICABLE: "Meta offers no AI objection for WhatsApp",
}


@dataclass(frozen=True)
class Policy:
    """Settings that change how evidence counts."""

    accept_unverified: bool = False  # count confirmations with authenticity "none" as protection
    require_fresh_confirmation: bool = False  # a new notice wave needs a new confirmation
    waves: tuple[Wave, ...] = ()


def evidence_from(records: Iterable[MessageRecord]) -> list[Evidence]:
    """The AI-related mails among stored records, as evidence."""
    return [
        Evidence(
            kind=r.kind,
            date=r.date or _EPOCH,
            authenticity=r.authenticity,
            source="mail",
            ref=str(r.id),
            subject=r.subject,
            objection_link=r.objection_link,
            account_id=r.account_id,
        )
        for r in records
        if r.kind in AI_KINDS
    ]


def evaluate(
    account: Account, evidence: Sequence[Evidence], policy: Policy = Policy()
) -> AccountStatus:
    """The state of one account from its evidence (any order)."""
    if account.platform is Platform.WHATSAPP:
        return AccountStatus(account, State.NOT_APPLICABLE)
    ev = sorted(evidence, key=lambda e: e.date)
    fakes = tuple(e for e in ev if e.authenticity is Authenticity.FAIL)
    real = [e for e in ev if e.authenticity is not Authenticity.FAIL]
    state, basis = _decide(real, policy)
    notice = _latest(real, Kind.POLICY_NOTICE)
    note = ""
    if state is State.PROTECTED and basis and notice and notice.date > basis.date:
        if _new_wave(notice, basis, policy):
            state, note = (
                State.UNPROTECTED,
                f"a new notice wave arrived after your objection of {basis.date:%Y-%m-%d}",
            )
            basis = notice
        else:
            note = f"the notice of {notice.date:%Y-%m-%d} is covered by the objection of {basis.date:%Y-%m-%d}"
    if state is State.PROTECTED and basis and not note:
        note = objection_note(basis.date.date(), policy.waves)
    return AccountStatus(
        account=account,
        state=state,
        since=basis.date if basis else None,
        evidence=basis,
        objection_link=notice.objection_link if notice else None,
        suspected_fake=fakes,
        note=note,
    )


def _new_wave(notice: Evidence, accepted: Evidence, policy: Policy) -> bool:
    if not policy.require_fresh_confirmation:
        return False
    return wave_of(notice.date.date(), policy.waves) != wave_of(accepted.date.date(), policy.waves)


def _decide(ev: list[Evidence], policy: Policy) -> tuple[State, Evidence | None]:
    trusted = {Authenticity.PASS} | ({Authenticity.NONE} if policy.accept_unverified else set())
    accepted = _latest([e for e in ev if e.authenticity in trusted], Kind.OBJECTION_ACCEPTED)
    rejected = _latest(ev, Kind.OBJECTION_REJECTED)
    unclear = _latest(ev, Kind.OBJECTION_ANSWER_UNCLEAR)
    if accepted and not _newer(rejected, accepted) and not _newer(unclear, accepted):
        return State.PROTECTED, accepted
    if unclear and not _newer(rejected, unclear):  # never a silent "unprotected": read it
        return State.NEEDS_REVIEW, unclear
    if rejected:
        return State.REJECTED, rejected
    if unverified := _latest(ev, Kind.OBJECTION_ACCEPTED):
        return State.NEEDS_REVIEW, unverified
    code, notice = _latest(ev, Kind.VERIFICATION_CODE), _latest(ev, Kind.POLICY_NOTICE)
    if code and (notice is None or code.date >= notice.date):
        return State.PENDING, code
    if notice:
        return State.UNPROTECTED, notice
    return State.UNKNOWN, None


def _newer(a: Evidence | None, b: Evidence) -> bool:
    return a is not None and a.date > b.date


def _latest(ev: Sequence[Evidence], kind: Kind) -> Evidence | None:
    return next((e for e in reversed(ev) if e.kind is kind), None)


def next_step(status: AccountStatus, fallback_link: str | None = None) -> str:
    """What the user should do about an account, in words."""
    link = status.objection_link or fallback_link or "the objection form in Meta's Privacy Center"
    ref = status.evidence.ref if status.evidence else ""
    unclear = status.evidence and status.evidence.kind is Kind.OBJECTION_ANSWER_UNCLEAR
    return NEXT_STEP[Kind.OBJECTION_ANSWER_UNCLEAR if unclear else status.state].format(
        link=link, ref=ref
    )


def overall(statuses: Sequence[AccountStatus]) -> State:
    """The worst state, for the exit code: critical beats warning beats fine."""
    states = {s.state for s in statuses}
    if states & CRITICAL:
        return State.UNPROTECTED if State.UNPROTECTED in states else State.REJECTED
    if states & WARNING or any(s.suspected_fake for s in statuses):
        return State.PENDING
    return State.PROTECTED
