"""Rule packs as data: schema, phrase compiler and loader (validated once, compiled once).

A language pack (``de.toml`` …) defines cue groups: lists of phrases matched against the folded
text of a mail. ``rules.toml`` holds the ordered, language-independent decision rules that combine
cue groups; ``common.toml`` holds cue groups for every language; ``senders.toml`` the Meta domains;
``providers.toml`` the mail providers and where each writes its sender verdict (see providers.py).

Besides word sequences, a phrase may be a clause co-occurrence (``s:`` prefix): terms joined by
``+`` that must all occur in one sentence, in any order, and terms marked ``!`` that must not
(negation scoped to the clause). ``@name`` in a phrase stands for the pack's ``[lexicon]`` entry
``name``: a list of stems, so that packs are stems and structure, not sentences; ``{a b|c d}`` is
a choice of word sequences in one place.
"""

from __future__ import annotations

import functools
import importlib
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from metawatch.errors import RulesError

UNDETERMINED = "und"  # ISO 639-2: the language could not be told
DETECT_WINDOW = 20_000  # characters of folded text used to detect the language
SURE_HITS = 5  # function-word hits below which the language counts as unsure
NOT_LANGUAGES = frozenset({"rules", "common", "senders", "waves", "providers"})
GAP = r"(?:\W+\w+){0,8}?"  # ".." in a phrase: up to eight words in between
NEAR = r"(?:\W+\w+){0,3}?"  # "~" in a phrase: up to three words in between
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
# The lookbehind makes the regex engine try every position: a search for the mark comes first.
_GENDER = re.compile(r"(?<=\w)[*:_/·](?=in(?:nen)?\b)")
_GENDER_MARK = re.compile(r"[*:_/·]in")


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_WORD = re.compile(r"\w+")
# Sentence ends: . ! ? ; followed by space, a blank line, a bullet, or a line that ends a heading.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*\n|\n(?=\W*[-•*·] )|(?<=[\w)])\n(?=\w)")
_LEXICON_REF = re.compile(r"@(\w+)")
_BRACES = re.compile(r"\{([^{}0-9,][^{}]*)\}")  # {a b|c d}: a choice of word sequences, one token


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@functools.lru_cache(maxsize=8)
def fold(text: str) -> str:
    """Lower-case, accent-free, typography-free form of a text, for matching only.

    The last few are kept: the screen and the classifier fold the same text of a mail."""
    text = text.casefold()
    if not text.isascii():  # only its few distinct non-ASCII characters need work
        text = text.replace("`", "'")
        for ch in set("".join(_NON_ASCII.findall(text))):
            if (folded := _fold_char(ch)) != ch:
                text = text.replace(ch, folded)
    # Runs of spaces need no collapsing: phrases match any run of non-word characters.
    return _GENDER.sub("", text) if _GENDER_MARK.search(text) else text


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """One non-ASCII character folded, to a form that folds to itself (so that the order in
    which a text's characters are replaced does not matter)."""
    folded = ch
    for _ in range(3):  # "ǽ" -> "æ" -> "ae"
        before = folded
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded.translate(_FOLD_MAP)))
        if folded == before:
            break
    return folded


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def words(folded: str) -> frozenset[str]:
    """The distinct words of a folded text, and their beginnings of one to three letters (marked
    with a leading "<"): phrases whose words or stems are missing are never tried."""
    found = _counts(folded).keys()
    three = {w[:3] for w in found}
    two = {w[:2] for w in three}
    return frozenset(found | {"<" + w for w in three | two | {w[:1] for w in two}})


@functools.lru_cache(maxsize=8)
def _counts(folded: str) -> Counter[str]:
    """How often each word occurs in a folded text (kept for words and detect)."""
    return Counter(_WORD.findall(folded))


@functools.lru_cache(maxsize=4)
def sentences(folded: str) -> tuple[str, ...]:
    """The sentences (clauses ended by . ! ? ; or a paragraph break) of a folded text."""
    return tuple(_SENTENCE_END.split(folded))


def phrase_to_regex(phrase: str) -> str:
    """Compile the phrase mini-language: words, ``*`` word rest, ``a|b`` choice, ``..`` gap of
    up to eight words, ``~`` of up to three.

    A phrase starting with ``re:`` is a raw regular expression over folded text.
    """
    if phrase.startswith("re:"):
        return phrase[3:]
    out: list[str] = []
    for token in fold(phrase).split():
        if token in ("..", "~"):
            out.append(GAP if token == ".." else NEAR)
            continue
        out.append((r"\W+" if out else "") + _token(token))
    return "".join(out) + r"(?!\w)"  # the leading word boundary is checked by Phrase.search


def _token(token: str) -> str:
    return "(?:" + "|".join(_word(alt) for alt in token.split("|")) + ")"


def _word(word: str) -> str:
    parts: list[str] = []
    for ch in word:
        if ch == "*":
            parts.append(r"\w*")
        elif ch == "?":
            if not parts or parts[-1] == "?":
                raise re.error(f"'?' must follow a letter or '*' in {word!r}")
            parts.append("?")
        elif ch.isalnum():
            parts.append(re.escape(ch))
        else:
            parts.append(r"\W*")  # "e-mail" also matches "email" and "e mail"
    return "".join(parts)


@dataclass(frozen=True)
class Required:
    """The keys of ``words`` (words, word beginnings) that a phrase cannot match without."""

    every: frozenset[str] = frozenset()  # all of these
    choices: tuple[frozenset[str], ...] = ()  # and one of each of these

    def met(self, present: frozenset[str]) -> bool:
        """Whether ``present`` holds them (one subset test for most phrases: called a lot)."""
        return self.every <= present and all(not c.isdisjoint(present) for c in self.choices)

    def __add__(self, other: Required) -> Required:
        return Required(self.every | other.every, self.choices + other.choices)


@dataclass(frozen=True)
class Phrase:
    """One phrase as a regular expression, and the words it cannot match without.

    The expression is compiled when first tried: thanks to ``required``, most of the
    thousands of phrases of 27 languages are never tried in a scan (compiling them all would
    cost most of a second in every process).
    """

    required: Required
    pattern: str
    needles: tuple[str, ...] = ()  # literal parts of a raw regex, which every match contains

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        """The compiled expression."""
        return re.compile(self.pattern, re.M)

    def search(self, text: str) -> str | None:
        """The first match that starts at a word boundary (checked here, so that the regex can
        begin with its literal first word, which the regex engine finds fast)."""
        if not all(n in text for n in self.needles):
            return None  # a substring test is far cheaper than a regex that cannot match
        pos = 0
        while (m := self.regex.search(text, pos)) is not None:
            start = m.start()
            if start == 0 or not _is_word(text[start - 1]):
                return m.group(0)
            pos = start + 1  # a match inside a word may hide one that starts right after it
        return None

    def possible(self, present: frozenset[str]) -> bool:
        """Cheap necessary condition: every plain word (or one of its alternatives) is present."""
        return self.required.met(present)


@dataclass(frozen=True)
class ClausePhrase:
    """Terms that must all occur in one sentence, in any order, and terms that must not."""

    required: Required
    terms: tuple[Phrase, ...]
    excluded: tuple[Phrase, ...]

    def search(self, text: str) -> str | None:
        """The first sentence of ``text`` that holds every term and no excluded one."""
        if not all(t.search(text) for t in self.terms):
            return None  # cheap: most mails lack a term anywhere
        for sentence in sentences(text):
            if all(t.search(sentence) for t in self.terms) and not any(
                x.search(sentence) for x in self.excluded
            ):
                return sentence.strip()
        return None

    def possible(self, present: frozenset[str]) -> bool:
        """Cheap necessary condition: every plain word of the terms is present."""
        return self.required.met(present)


@dataclass(frozen=True)
class CueGroup:
    """A named list of phrases; a phrase is tried only when the text has all its plain words."""

    name: str
    field: str  # "text" (subject and body) or "subject"
    phrases: tuple[Phrase | ClausePhrase, ...]

    def find(self, text: str, present: frozenset[str] | None = None) -> str | None:
        """The first fragment of ``text`` that a phrase matches, or None.

        ``present`` is ``words(text)``; without it every phrase is tried.
        """
        for p in self.phrases:
            if (present is None or p.possible(present)) and (found := p.search(text)):
                return found
        return None

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        """All phrases as one pattern (for helpers that need match groups)."""
        return re.compile(
            "|".join(f"(?:{p.pattern})" for p in self.phrases if isinstance(p, Phrase))
            or r"(?!x)x",
            re.M,
        )


@dataclass(frozen=True)
class PhraseIndex:
    """The phrases of many cue groups, each filed under one word it cannot match without:
    whether any of them matches a text takes a lookup per distinct word of the text, not a
    test per phrase (the screen asks this of every mail, over every language's gate groups)."""

    by_key: dict[str, tuple[Phrase | ClausePhrase, ...]]
    always: tuple[Phrase | ClausePhrase, ...]  # phrases without a word they need (raw regexes)

    @classmethod
    def of(cls, groups: Iterable[CueGroup]) -> PhraseIndex:
        """The index of every phrase of ``groups``."""
        by_key: dict[str, list[Phrase | ClausePhrase]] = {}
        always = []
        for phrase in dict.fromkeys(p for g in groups for p in g.phrases):
            keys = _index_keys(phrase.required)
            for key in keys:
                by_key.setdefault(key, []).append(phrase)
            if not keys:
                always.append(phrase)
        return cls({k: tuple(v) for k, v in by_key.items()}, tuple(always))

    def search(self, text: str, present: frozenset[str]) -> bool:
        """Whether a phrase matches ``text``, whose ``words`` are ``present``."""
        filed = (p for key in present.intersection(self.by_key) for p in self.by_key[key])
        return any(p.possible(present) and p.search(text) for p in (*self.always, *filed))


def _index_keys(required: Required) -> tuple[str, ...]:
    """The keys to file a phrase under: its most telling word (a whole word before a word
    beginning, a longer before a shorter), else every alternative of its first choice."""
    if required.every:
        return (max(required.every, key=lambda k: (not k.startswith("<"), len(k), k)),)
    return tuple(sorted(required.choices[0])) if required.choices else ()


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
    unread: bool = False  # only for a mail that no language pack reads (language "und")


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

    @functools.cached_property
    def _detectors(self) -> dict[str, tuple[int, ...]]:
        """Each detection word, and the packs (by position) that count it: a text's distinct
        words are looked up once, not every pack's words in every text."""
        index: dict[str, list[int]] = {}
        for i, pack in enumerate(self.packs):
            for word in pack.detect:
                index.setdefault(word, []).append(i)
        return {word: tuple(packs) for word, packs in index.items()}

    def detect(self, folded: str) -> tuple[list[LanguagePack], bool]:
        """The packs to read a folded text with, and whether the language is sure: the detected
        language's pack alone when sure, else every pack whose function words occur, best first."""
        hits = [0] * len(self.packs)
        counts = _counts(folded[:DETECT_WINDOW])
        for word in self._detectors.keys() & counts.keys():
            for i in self._detectors[word]:
                hits[i] += counts[word]
        scored = sorted(zip(hits, self.packs, strict=True), key=lambda sp: -sp[0])
        best, second = scored[0][0], scored[1][0] if len(scored) > 1 else 0
        if best >= SURE_HITS and second < 0.75 * best:
            return [scored[0][1]], True
        return [p for n, p in scored if n], False


@functools.cache
def data(name: str) -> dict[str, Any]:
    """One packaged data file, parsed but not compiled: cheap, for senders and waves."""
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text("utf-8")
    return _read(f"{name}.toml", text)


def senders() -> dict[str, Any]:
    """senders.toml: Meta's domains, look-alike brands, objection forms, IMAP search terms."""
    return data("senders")


def waves() -> tuple[Wave, ...]:
    """waves.toml: Meta's notice waves."""
    return tuple(_wave(w) for w in data("waves").get("wave", []))


@functools.cache
def load_rules() -> RuleSet:
    """Load and validate the packaged rule packs (cached: compiled once per process)."""
    names = [f.name[:-5] for f in resources.files(__name__).iterdir() if f.name.endswith(".toml")]
    return build_ruleset({name: data(name) for name in names})


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
    known = {"id", "kind", "all", "any", "none", "min_any", "description", "unread"}
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
        unread=bool(raw.get("unread", False)),
    )


def _pack(language: str, raw: dict[str, Any]) -> LanguagePack:
    detect = frozenset(fold(w) for w in raw.get("detect", {}).get("words", []))
    if not detect:
        raise RulesError(f"{language}.toml: [detect] words are missing")
    return LanguagePack(language, detect, _groups(f"{language}.toml", raw))


def _groups(name: str, raw: dict[str, Any]) -> tuple[CueGroup, ...]:
    lexicon = {k: [fold(v) for v in vs] for k, vs in raw.get("lexicon", {}).items()}
    if gaps := [v for vs in lexicon.values() for v in vs if ".." in v or "~" in v]:
        raise RulesError(f"{name}: [lexicon] entries are words, not gaps: {gaps[0]!r}")
    groups = []
    for field in ("text", "subject"):
        for group, phrases in raw.get(field, {}).items():
            expanded = [q for p in phrases for q in _phrases(name, group, p, lexicon)]
            groups.append(CueGroup(group, field, _compile(name, group, expanded)))
    return tuple(groups)


def _phrases(name: str, group: str, phrase: str, lexicon: dict[str, list[str]]) -> list[str]:
    """A phrase that is one lexicon entry becomes one phrase per stem: each is then tried only
    when its own words occur, and starts with its own literal (one big alternation does not)."""
    whole = _LEXICON_REF.fullmatch(phrase)
    if whole and whole.group(1) in lexicon:
        return list(lexicon[whole.group(1)])
    return [_expand(name, group, phrase, lexicon)]


def _expand(name: str, group: str, phrase: str, lexicon: dict[str, list[str]]) -> str:
    """Replace each ``@name`` by the lexicon's alternatives (``a|b|c`` in one token)."""

    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in lexicon:
            raise RulesError(f"{name}: group {group!r}: no lexicon entry @{m.group(1)}")
        # A multi-word stem stays one token: "no longer" -> "no_longer" matches "no longer".
        return "|".join(stem.replace(" ", "_") for stem in lexicon[m.group(1)])

    phrase = _BRACES.sub(lambda m: m.group(1).replace(" ", "_"), phrase)
    return _LEXICON_REF.sub(sub, phrase)


def _compile(name: str, group: str, phrases: list[str]) -> tuple[Phrase | ClausePhrase, ...]:
    try:
        return tuple(_clause(p[2:]) if p.startswith("s:") else _phrase(p) for p in phrases)
    except re.error as exc:
        raise RulesError(f"{name}: group {group!r}: {exc}") from exc


def _phrase(phrase: str) -> Phrase:
    """A phrase; a raw regex is compiled now (an error is the rule pack's), and a phrase of
    words when first tried (``_word`` makes only valid expressions)."""
    if not phrase.startswith("re:"):
        return Phrase(_required(phrase), phrase_to_regex(phrase))
    regex = re.compile(phrase_to_regex(phrase), re.M)
    return Phrase(Required(), regex.pattern, _needles(regex))


def _clause(spec: str) -> ClausePhrase:
    """``a* + b|c + !d``: a and (b or c) in one sentence, and no d there."""
    terms = [t.strip() for t in spec.split(" + ") if t.strip()]
    wanted = [_phrase(t) for t in terms if not t.startswith("!")]
    excluded = [_phrase(t[1:].strip()) for t in terms if t.startswith("!")]
    required = sum((p.required for p in wanted), Required())
    return ClausePhrase(required, tuple(wanted), tuple(excluded))


def _required(phrase: str) -> Required:
    """Per token of a phrase, the keys of ``words`` one of which every match needs (see _key)."""
    if phrase.startswith("re:"):
        return Required()
    # A multi-word alternative ("no_longer") needs at least its first word.
    tokens = (t.split("|") for t in fold(phrase).split() if t not in ("..", "~"))
    keys = [frozenset(k for k in ks if k)
            for ks in ([_key(a.split("_")[0]) for a in alts] for alts in tokens) if all(ks)]  # fmt: skip
    every = frozenset(k for ks in keys if len(ks) == 1 for k in ks)
    return Required(every, tuple(ks for ks in keys if len(ks) > 1))


def _key(word: str) -> str | None:
    """What ``words`` holds when a phrase word can match: the word itself, or for a stem
    ("widersprech*", "e-mail") its first (up to three) letters; None when it has none."""
    if word.isalnum():
        return word
    run = ""
    for ch in word:
        if not ch.isalnum():
            run = run[:-1] if ch == "?" else run  # "colou?r": the u may be missing
            break
        run += ch
    return "<" + run[:3] if run else None


def _needles(regex: re.Pattern[str]) -> tuple[str, ...]:
    """The runs of literal characters at the top level of a raw regex ("forwarded message" in
    ``-{3,}\\s*forwarded message``): substrings that every match contains."""
    try:  # the standard library's own regex parser: private, so any surprise means no needles
        parser, c = importlib.import_module("re._parser"), importlib.import_module("re._constants")
        parsed = parser.parse(regex.pattern, regex.flags)
        if parsed.state.flags & re.IGNORECASE:
            return ()
        runs: list[str] = []
        run = ""
        for op, arg in parsed:
            if op is c.LITERAL:
                run += chr(arg)
            elif op is c.MAX_REPEAT and len(arg[2]) == 1 and arg[2][0][0] is c.LITERAL:
                run += chr(arg[2][0][1]) * arg[0]  # "-{3,}": at least three dashes
                if arg[0] != arg[1]:
                    runs, run = [*runs, run], ""
            else:
                runs, run = [*runs, run], ""
    except Exception:  # deliberate: needles only ever save time, never decide
        return ()
    return tuple(r for r in dict.fromkeys([*runs, run]) if r)


def _check_references(
    rules: tuple[Rule, ...], common: tuple[CueGroup, ...], packs: tuple[LanguagePack, ...]
) -> None:
    # "a&b&!c" (a and b in one sentence, without c) uses a, b and c.
    used = {n.lstrip("!") for r in rules if not r.unread
            for g in (*r.all, *r.any, *r.none) for n in g.split("&")}  # fmt: skip
    shared = {g.name for g in common}
    if missing := {g for r in rules if r.unread for g in (*r.all, *r.any, *r.none)} - shared:
        raise RulesError(
            f"rules.toml: rules for unread languages use non-common groups {sorted(missing)}"
        )
    for pack in packs:
        defined = {g.name for g in pack.groups} | shared
        if missing := used - defined:
            raise RulesError(f"{pack.language}.toml: groups {sorted(missing)} are not defined")
        if unused := {g.name for g in pack.groups} - used - _HELPER_GROUPS:
            raise RulesError(f"{pack.language}.toml: groups {sorted(unused)} are used by no rule")


# Groups the classifier itself reads (not the rules): greeting, forward markers, link texts.
_HELPER_GROUPS = frozenset({"greeting", "forward_marker", "object_link_text", "platform_mention"})
