"""accounts: matching a mail to the right account."""

from __future__ import annotations

import pytest

from metawatch.accounts import match_account, normalize_address
from metawatch.models import Account, Platform

ANNA_FB = Account(1, Platform.FACEBOOK, ("Anna.Schmidt@gmx.de",))
ANNA_IG = Account(2, Platform.INSTAGRAM, ("anna.s.fotos@gmail.com",), handle="anna_s_fotos")
ANNA_IG2 = Account(3, Platform.INSTAGRAM, ("anna.s.fotos@gmail.com",), handle="anna_cooks")
ALL = [ANNA_FB, ANNA_IG, ANNA_IG2]


@pytest.mark.parametrize(
    ("address", "normalized"),
    [
        ("Anna.Schmidt@GMX.de", "anna.schmidt@gmx.de"),
        ("anna+insta@example.org", "anna@example.org"),
        ("a.n.n.a+meta@googlemail.com", "anna@gmail.com"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_normalize_address(address: str, normalized: str) -> None:
    assert normalize_address(address) == normalized


def test_match_by_address_case_insensitively() -> None:
    assert match_account(ALL, ["anna.schmidt@gmx.de"], Platform.FACEBOOK, None) == ANNA_FB


def test_plus_tag_and_gmail_dots_match() -> None:
    assert (
        match_account(ALL, ["annasfotos+meta@gmail.com"], Platform.INSTAGRAM, "anna_s_fotos")
        == ANNA_IG
    )


def test_platform_must_agree() -> None:
    assert match_account(ALL, ["anna.schmidt@gmx.de"], Platform.INSTAGRAM, None) is None


def test_handle_breaks_a_tie() -> None:
    assert (
        match_account(ALL, ["anna.s.fotos@gmail.com"], Platform.INSTAGRAM, "Anna_Cooks") == ANNA_IG2
    )


def test_without_a_handle_the_first_added_account_wins() -> None:
    assert match_account(ALL, ["anna.s.fotos@gmail.com"], Platform.INSTAGRAM, None) == ANNA_IG


def test_unknown_address_matches_nothing() -> None:
    assert match_account(ALL, ["someone@else.org"], Platform.FACEBOOK, None) is None
