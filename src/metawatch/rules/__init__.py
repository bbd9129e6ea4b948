"""Rule packs as data: schema, phrase compiler and loader (validated once, compiled once).

A language pack (``de.toml`` …) defines cue groups: lists of phrases matched against the folded
text of a mail. ``rules.toml`` holds the ordered, language-independent decision rules that combine
cue groups; ``common.toml`` holds cue groups for every language; ``senders.toml`` the Meta domains.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from metawatch.errors import RulesError

NOT_LANGUAGES = frozenset({"rules", "common", "senders", "waves"})
GAP = r"(?:\W+\w+){0,8}?"  # ".." in a phrase: up to eight words in between
_FOLD_MAP = str.maketrans(
    {
        "ł": "l",
        "ß": "ss",
        "æ": "ae",
        "ø": "o",
        "đ": "d",
        "œ": "oe",
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
    }
)
# German gender forms: Inhaber*innen, Nutzer:innen, Nutzer_innen, Nutzer/innen -> Inhaberinnen.
_GENDER = re.compile(r"(?<=\w)[*:_/·](?=in(?:nen)?\b)")
_SPACE = re.compile(r"[^\S\n]+")  # keep line breaks: greetings and forwards are line-based


def fold(text: str) -> str:
    """Lower-case, accent-free, typography-free form of a text, for matching only."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(_FOLD_MAP)
    return _SPACE.sub(" ", _GENDER.sub("", text))


def phrase_to_regex(phrase: str) -> str:
    """Compile the phrase mini-language: words, ``*`` word rest, ``a|b`` choice, ``..`` gap.

    A phrase starting with ``re:`` is a raw regular expression over folded text.
    """
    if phrase.startswith("re:"):
        return phrase[3:]
    out: list[str] = []
    for token in fold(phrase).split():
        if token == "..":
            out.append(GAP)
            continue
        out.append((r"\W+" if out else "") + _token(token))
    return r"(?<!\w)" + "".join(out) + r"(?!\w)"


def _token(token: str) -> str:
    return "(?:" + "|".join(_word(alt) for alt in token.split("|")) + ")"


def _word(word: str) -> str:
    parts = []
    for ch in word:
        if ch == "*":
            parts.append(r"\w*")
        elif ch == "?":
            parts.append("?")
        elif ch.isalnum():
            parts.append(re.escape(ch))
        else:
            parts.append(r"\W*")  # "e-mail" also matches "email" and "e mail"
    return "".join(parts)


@dataclass(frozen=True)
class CueGroup:
    """A named list of phrases compiled into one regular expression."""

    name: str
    field: str  # "text" (subject and body) or "subject"
    regex: re.Pattern[str]

    def find(self, text: str) -> str | None:
        """The first matching fragment, or None."""
        m = self.regex.search(text)
        return m.group(0) if m else None


@dataclass(frozen=True)
class LanguagePack:
    """The cue groups and detection words of one language."""

    language: str
    detect: frozenset[str]
    groups: tuple[CueGroup, ...]


@dataclass(frozen=True)
class Rule:
    """One ordered decision: all of ``all``, at least ``min_any`` of ``any``, none of ``none``."""

    id: str
    kind: str
    all: tuple[str, ...]
    any: tuple[str, ...]
    none: tuple[str, ...]
    min_any: int
    description: str


@dataclass(frozen=True)
class Wave:
    """One wave of Meta's AI-training notices (waves.toml)."""

    id: str
    name: str
    notices_from: date
    deadline: date
    training_from: date


@dataclass(frozen=True)
class RuleSet:
    """Everything the classifier needs, loaded and compiled once."""

    version: str
    rules: tuple[Rule, ...]
    packs: tuple[LanguagePack, ...]
    common: tuple[CueGroup, ...]
    senders: dict[str, Any]
    waves: tuple[Wave, ...] = ()

    def pack(self, language: str) -> LanguagePack:
        """The pack for a language code."""
        return next(p for p in self.packs if p.language == language)


@functools.cache
def load_rules() -> RuleSet:
    """Load and validate the packaged rule packs (cached: compiled once per process)."""
    files = resources.files(__name__)
    data = {
        f.name[:-5]: _read(f.name, f.read_text("utf-8"))
        for f in files.iterdir()
        if f.name.endswith(".toml")
    }
    return build_ruleset(data)


def build_ruleset(data: dict[str, dict[str, Any]]) -> RuleSet:
    """Validate and compile parsed TOML documents keyed by file stem."""
    for required in ("rules", "common", "senders"):
        if required not in data:
            raise RulesError(f"rule pack '{required}.toml' is missing")
    rules = tuple(_rule(r) for r in data["rules"].get("rule", []))
    common = _groups("common.toml", data["common"])
    langs = sorted(k for k in data if k not in NOT_LANGUAGES)
    packs = tuple(_pack(lang, data[lang]) for lang in langs)
    _check_references(rules, common, packs)
    waves = tuple(_wave(w) for w in data.get("waves", {}).get("wave", []))
    return RuleSet(str(data["rules"]["version"]), rules, packs, common, data["senders"], waves)


def _wave(raw: dict[str, Any]) -> Wave:
    try:
        return Wave(str(raw["id"]), str(raw["name"]), raw["notices_from"], raw["deadline"],
                    raw["training_from"])  # fmt: skip
    except KeyError as e:
        raise RulesError(f"waves.toml: a [[wave]] lacks {e}") from e


def _read(name: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{name}: {exc}") from exc


def _rule(raw: dict[str, Any]) -> Rule:
    known = {"id", "kind", "all", "any", "none", "min_any", "description"}
    if unknown := set(raw) - known:
        raise RulesError(f"rules.toml: rule {raw.get('id')!r} has unknown keys {sorted(unknown)}")
    return Rule(
        id=raw["id"],
        kind=raw["kind"],
        all=tuple(raw.get("all", ())),
        any=tuple(raw.get("any", ())),
        none=tuple(raw.get("none", ())),
        min_any=int(raw.get("min_any", 1 if raw.get("any") else 0)),
        description=raw.get("description", ""),
    )


def _pack(language: str, raw: dict[str, Any]) -> LanguagePack:
    detect = frozenset(fold(w) for w in raw.get("detect", {}).get("words", []))
    if not detect:
        raise RulesError(f"{language}.toml: [detect] words are missing")
    return LanguagePack(language, detect, _groups(f"{language}.toml", raw))


def _groups(name: str, raw: dict[str, Any]) -> tuple[CueGroup, ...]:
    groups = []
    for field in ("text", "subject"):
        for group, phrases in raw.get(field, {}).items():
            groups.append(CueGroup(group, field, _compile(name, group, phrases)))
    return tuple(groups)


def _compile(name: str, group: str, phrases: list[str]) -> re.Pattern[str]:
    if not phrases:
        return re.compile(r"(?!x)x")  # a group a language does not have never matches
    try:
        return re.compile("|".join(f"(?:{phrase_to_regex(p)})" for p in phrases), re.M)
    except re.error as exc:
        raise RulesError(f"{name}: group {group!r}: {exc}") from exc


def _check_references(
    rules: tuple[Rule, ...], common: tuple[CueGroup, ...], packs: tuple[LanguagePack, ...]
) -> None:
    used = {g for r in rules for g in (*r.all, *r.any, *r.none)}
    shared = {g.name for g in common}
    for pack in packs:
        defined = {g.name for g in pack.groups} | shared
        if missing := used - defined:
            raise RulesError(f"{pack.language}.toml: groups {sorted(missing)} are not defined")
        if unused := {g.name for g in pack.groups} - used - _HELPER_GROUPS:
            raise RulesError(f"{pack.language}.toml: groups {sorted(unused)} are used by no rule")


# Groups the classifier itself reads (not the rules): greeting, forward markers, link texts.
_HELPER_GROUPS = frozenset({"greeting", "forward_marker", "object_link_text", "platform_mention"})
