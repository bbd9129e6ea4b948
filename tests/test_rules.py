"""Rule packs: the phrase language, folding, and validation of the data files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from metawatch.errors import RulesError
from metawatch.rules import (
    ClausePhrase,
    Phrase,
    Required,
    build_ruleset,
    fold,
    load_rules,
    phrase_to_regex,
)

ASSETS = Path(__file__).parent / "assets" / "rules"


def _matches(phrase: str, text: str) -> bool:
    return Phrase(Required(), phrase_to_regex(phrase)).search(fold(text)) is not None


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("honou?r your objection", "We will honor your objection"),
        ("honou?r your objection", "We will honour your objection"),
        ("ki bei meta features|funktionen", "Interaktionen mit KI bei Meta‑Funktionen"),
        ("ki bei meta features|funktionen", "KI bei Meta-Features"),
        ("inhaberinnen", "von Konten, deren Inhaber*innen 18 Jahre"),
        ("nutzerinnen", "alle Nutzer:innen"),
        ("l'ia de meta", "améliorons l’IA de Meta"),
        ("widerspruch .. nachkommen", "werden deinem Widerspruch gerne nachkommen"),
        ("e-mail", "wir senden dir eine E‑Mail"),
        ("e-mail", "wir senden dir eine Email"),
        ("objection*", "objections"),
        ("uzasadnion* interes*", "prawnie uzasadnionego interesu"),
    ],
)
def test_phrase_matches_small_variants(phrase: str, text: str) -> None:
    assert _matches(phrase, text)


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("ai at meta", "this is not about a maintenance"),
        ("code", "barcode reader"),
        ("widerspruch .. nachkommen", "Widerspruch " + "wort " * 12 + "nachkommen"),
    ],
)
def test_phrase_does_not_match_across_words(phrase: str, text: str) -> None:
    assert not _matches(phrase, text)


def test_fold_removes_accents_quotes_and_gender_marks() -> None:
    assert fold("Łódź „Grüße“ Inhaber*innen") == 'lodz "grusse" inhaberinnen'


def test_packaged_rules_load_with_eight_languages() -> None:
    rules = load_rules()
    assert {p.language for p in rules.packs} >= {"de", "en", "fr", "nl", "it", "es", "pl", "pt"}
    assert rules.version


def _packaged() -> dict[str, dict[str, object]]:
    from importlib import resources

    files = resources.files("metawatch.rules")
    return {
        f.name[:-5]: tomllib.loads(f.read_text("utf-8"))
        for f in files.iterdir()
        if f.name.endswith(".toml")
    }


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        ("unknown_group.toml", "groups ['no_such_group'] are not defined"),
        ("unknown_key.toml", "has unknown keys ['kinds']"),
        ("bad_regex.toml", "group 'topic'"),
    ],
)
def test_invalid_rule_packs_are_refused_with_a_clear_message(asset: str, message: str) -> None:
    data = _packaged()
    patch = tomllib.loads((ASSETS / asset).read_text("utf-8"))
    for name, content in patch.items():
        data[name] = {**data.get(name, {}), **content}
    with pytest.raises(RulesError, match=re.escape(message)):
        build_ruleset(data)


def test_every_packaged_phrase_compiles() -> None:
    """Phrases are compiled when first tried: here every one of them is."""
    rules = load_rules()
    groups = [g for p in rules.packs for g in p.groups] + list(rules.common)
    phrases = [p for g in groups for p in g.phrases]
    terms = [t for p in phrases if isinstance(p, ClausePhrase) for t in (*p.terms, *p.excluded)]
    singles = [p for p in phrases if isinstance(p, Phrase)] + terms
    assert len(singles) > 3000
    assert all(isinstance(p.regex, re.Pattern) for p in singles)


def test_a_misplaced_question_mark_is_refused_when_the_pack_loads() -> None:
    data = _packaged()
    data["en"] = {**data["en"], "text": {**data["en"]["text"], "topic": ["?colour"]}}
    with pytest.raises(RulesError, match="en.toml: group 'topic': '\\?' must follow"):
        build_ruleset(data)


def test_a_pack_without_detection_words_is_refused() -> None:
    data = _packaged()
    data["xx"] = {"text": {}}
    with pytest.raises(RulesError, match=r"xx.toml: \[detect\] words are missing"):
        build_ruleset(data)
