"""status: evidence -> state, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

from metawatch.models import Account, Authenticity, Evidence, Kind, Platform, State
from metawatch.status import Policy, evaluate, next_step, overall

FB = Account(1, Platform.FACEBOOK, ("a@example.org",))
WA = Account(2, Platform.WHATSAPP, ("a@example.org",))


def ev(
    kind: Kind, day: int, auth: Authenticity = Authenticity.PASS, link: str | None = None
) -> Evidence:
    return Evidence(
        kind, datetime(2025, 4, day, tzinfo=UTC), auth, "mail", str(day), objection_link=link
    )


def state(*evidence: Evidence, policy: Policy | None = None) -> State:
    return evaluate(FB, evidence, policy or Policy()).state


def test_no_mail_is_unknown() -> None:
    assert state() is State.UNKNOWN


def test_notice_without_confirmation_is_unprotected_with_its_link() -> None:
    status = evaluate(FB, [ev(Kind.POLICY_NOTICE, 14, link="https://fb.example/object")])
    assert status.state is State.UNPROTECTED
    assert status.objection_link == "https://fb.example/object"
    assert "https://fb.example/object" in next_step(status)


def test_verified_acceptance_protects() -> None:
    status = evaluate(FB, [ev(Kind.POLICY_NOTICE, 14), ev(Kind.OBJECTION_ACCEPTED, 20)])
    assert (status.state, status.since) == (State.PROTECTED, datetime(2025, 4, 20, tzinfo=UTC))


def test_a_later_notice_stays_covered_by_the_acceptance() -> None:
    assert state(ev(Kind.OBJECTION_ACCEPTED, 2), ev(Kind.POLICY_NOTICE, 14)) is State.PROTECTED


def test_unverified_acceptance_needs_review() -> None:
    assert (
        state(ev(Kind.POLICY_NOTICE, 14), ev(Kind.OBJECTION_ACCEPTED, 20, Authenticity.NONE))
        is State.NEEDS_REVIEW
    )


def test_unverified_acceptance_counts_when_the_policy_says_so() -> None:
    accepted = ev(Kind.OBJECTION_ACCEPTED, 20, Authenticity.NONE)
    assert state(accepted, policy=Policy(accept_unverified=True)) is State.PROTECTED


def test_failed_acceptance_never_protects_and_is_flagged() -> None:
    status = evaluate(
        FB, [ev(Kind.POLICY_NOTICE, 14), ev(Kind.OBJECTION_ACCEPTED, 20, Authenticity.FAIL)]
    )
    assert status.state is State.UNPROTECTED
    assert [e.ref for e in status.suspected_fake] == ["20"]


def test_latest_decision_wins() -> None:
    assert state(ev(Kind.OBJECTION_ACCEPTED, 10), ev(Kind.OBJECTION_REJECTED, 12)) is State.REJECTED
    assert (
        state(ev(Kind.OBJECTION_REJECTED, 10), ev(Kind.OBJECTION_ACCEPTED, 12)) is State.PROTECTED
    )


def test_code_without_decision_is_pending() -> None:
    assert state(ev(Kind.POLICY_NOTICE, 14), ev(Kind.VERIFICATION_CODE, 15)) is State.PENDING


def test_whatsapp_is_not_applicable() -> None:
    assert evaluate(WA, [ev(Kind.OBJECTION_REJECTED, 3)]).state is State.NOT_APPLICABLE


def test_overall_takes_the_worst() -> None:
    fine = evaluate(FB, [ev(Kind.OBJECTION_ACCEPTED, 2)])
    pending = evaluate(FB, [ev(Kind.VERIFICATION_CODE, 2)])
    bad = evaluate(FB, [ev(Kind.POLICY_NOTICE, 2)])
    assert overall([fine]) is State.PROTECTED
    assert overall([fine, pending]) is State.PENDING
    assert overall([fine, pending, bad]) is State.UNPROTECTED
    assert overall([]) is State.PROTECTED


def test_an_unreadable_answer_needs_review_and_says_read_it() -> None:
    status = evaluate(FB, [ev(Kind.POLICY_NOTICE, 14), ev(Kind.OBJECTION_ANSWER_UNCLEAR, 20)])
    assert (status.state, status.evidence and status.evidence.ref) == (State.NEEDS_REVIEW, "20")
    assert next_step(status) == (
        "Meta answered your objection and metawatch could not read the decision: "
        "read it (`metawatch explain 20`)"
    )


def test_an_unreadable_answer_after_an_acceptance_needs_review_not_protection() -> None:
    assert state(ev(Kind.OBJECTION_ACCEPTED, 14), ev(Kind.OBJECTION_ANSWER_UNCLEAR, 20)) is (
        State.NEEDS_REVIEW
    )
    assert state(ev(Kind.OBJECTION_ANSWER_UNCLEAR, 14), ev(Kind.OBJECTION_ACCEPTED, 20)) is (
        State.PROTECTED
    )
