"""Mail + rules -> Classification: kind, platform, language, rule id, cues, authenticity."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from typing import NamedTuple
from urllib.parse import urlsplit

from metawatch import auth
from metawatch.models import (
    AI_KINDS,
    Authenticity,
    AuthVerdict,
    Classification,
    Cue,
    Kind,
    Mail,
    Platform,
)
from metawatch.providers import MailboxLike, Receiver, Trust
from metawatch.rules import (
    UNDETERMINED,
    CueGroup,
    LanguagePack,
    PhraseIndex,
    Rule,
    RuleSet,
    fold,
    load_rules,
    sentences,
    words,
)
from metawatch.rules import senders as sender_data

GATES = frozenset(
    {
        "topic",
        "objection",
        "objection_link",
        "ai_structure",
        "hoax",
        "suspension",
        "personalize",
        "forward_marker",
    }
)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BRAND_PLATFORM = {p.value: p for p in Platform}
# The header fields of an inline forward, in the languages of the packs (raw text, any case).
_FWD_NAMES = {
    "from": (
        "from",
        "von",
        "de",
        "van",
        "da",
        "od",
        "från",
        "fra",
        "frá",
        "lähettäjä",
        "saatja",
        "no",
        "nuo",
        "nork",
        "от",
        "από",
        "feladó",
        "de la",
        "remitent",
    ),
    "to": (
        "to",
        "an",
        "a",
        "aan",
        "para",
        "do",
        "till",
        "til",
        "vastaanottaja",
        "saaja",
        "kam",
        "komu",
        "до",
        "προς",
        "către",
        "címzett",
        "per a",
    ),
    "subject": (
        "subject",
        "betreff",
        "objet",
        "onderwerp",
        "oggetto",
        "asunto",
        "temat",
        "assunto",
        "ämne",
        "emne",
        "efni",
        "aihe",
        "teema",
        "tēma",
        "tema",
        "gaia",
        "předmět",
        "predmet",
        "tárgy",
        "subiect",
        "тема",
        "θέμα",
        "assumpte",
    ),
    "other": (
        "date",
        "datum",
        "gesendet",
        "sent",
        "envoy\\w*",
        "data",
        "fecha",
        "verzonden",
        "wys\\w+",
        "enviado",
        "inviato",
        "cc",
        "kopie",
        "skickat",
        "sendt",
        "lähetetty",
        "saadetud",
        "nosūtīts",
        "išsiųsta",
        "odesláno",
        "odoslané",
        "elküldve",
        "trimis",
        "изпратено",
        "στάλθηκε",
        "poslano",
        "enviat",
    ),
}
_FWD_FIELD = re.compile(
    r"^\W{0,2}("
    + "|".join(sorted({n for ns in _FWD_NAMES.values() for n in ns}, key=len, reverse=True))
    + r")\s?:\s*(.*)$",
    re.I,
)


class _Texts(NamedTuple):
    """A mail's folded text and subject, with their words."""

    text: str
    subject: str
    text_words: frozenset[str]
    subject_words: frozenset[str]


@dataclass
class _Matcher:
    """Lazily evaluated cue groups of one language over one mail's folded text."""

    texts: _Texts
    groups: dict[str, CueGroup]
    cache: dict[str, str | None] = field(default_factory=dict)

    def fired(self, name: str) -> str | None:
        if name not in self.cache:
            self.cache[name] = self._together(name) if "&" in name else self._find(name)
        return self.cache[name]

    def _find(self, name: str) -> str | None:
        g, t = self.groups[name], self.texts
        if g.field == "subject":
            return g.find(t.subject, t.subject_words)
        return g.find(t.text, t.text_words)

    def _together(self, name: str) -> str | None:
        """``a&b&!c``: the first sentence in which groups a and b fire and c does not."""
        names = name.split("&")
        wanted = [n for n in names if not n.startswith("!")]
        unwanted = [n[1:] for n in names if n.startswith("!")]
        if not all(self.fired(n) for n in wanted):
            return None
        for sentence in sentences(self.texts.text):
            if all(self.groups[n].find(sentence) for n in wanted) and not any(
                self.groups[n].find(sentence) for n in unwanted
            ):
                return sentence.strip()
        return None

    def holds(self, rule: Rule) -> bool:
        if not all(self.fired(g) for g in rule.all) or any(self.fired(g) for g in rule.none):
            return False
        return sum(1 for g in rule.any if self.fired(g)) >= rule.min_any

    def cues(self, rule: Rule) -> tuple[Cue, ...]:
        return tuple(Cue(g, c) for g in (*rule.all, *rule.any) if (c := self.fired(g)))


class Classifier:
    """Classifies parsed mails with one loaded rule set; build once, call for every mail."""

    def __init__(
        self,
        rules: RuleSet | None = None,
        trust: Trust | None = None,
        verify_dkim: bool = False,
        dnsfunc: auth.DnsFunc | None = None,
    ) -> None:
        self._given = rules
        self.trust = trust or Trust()
        self.verify_dkim = verify_dkim
        self.dnsfunc = dnsfunc
        s = rules.senders if rules else sender_data()
        self.senders = auth.Senders(
            domains=dict(s["domains"]),
            brands=tuple(s["lookalike"]["brands"]),
            labels=tuple(s["lookalike"]["labels"]),
        )

    def receiver(self, mail: Mail, mailbox: MailboxLike | None = None) -> Receiver:
        """The provider that received this mail, and how that was decided."""
        return self.trust.receiver(mail.headers, mailbox)

    @functools.cached_property
    def rules(self) -> RuleSet:
        """The rule packs, compiled on first use (a scan with nothing new never needs them)."""
        return self._given or load_rules()

    @functools.cached_property
    def common(self) -> dict[str, CueGroup]:
        """Cue groups shared by every language."""
        return {g.name: g for g in self.rules.common}

    @functools.cached_property
    def _gates(self) -> PhraseIndex:
        """The phrases of the groups of which every rule but the fallback needs one (see
        needs_full_text)."""
        groups = [g for p in self.rules.packs for g in p.groups] + list(self.rules.common)
        return PhraseIndex.of(g for g in groups if g.name in GATES)

    def classify(
        self, mail: Mail, raw: bytes | None = None, mailbox: MailboxLike | None = None
    ) -> Classification:
        """Decide what a mail is; never raises for any parsed mail.

        The sender verdict rests on the headers of the provider that received the mail: the
        ``mailbox``'s, else the one ``--provider`` names, else the one its Received line names.
        With ``verify_dkim`` and the raw bytes, the DKIM signature is also verified locally, and
        a signature that does not verify overrides the headers.
        """
        if mail.error:
            return Classification(Kind.UNPARSEABLE, "parse.error", self.rules.version)
        domain = mail.from_addr.rpartition("@")[2]
        if self.senders.meta_domain(domain):
            verdict = auth.verdict(mail.from_addr, mail.headers, self.senders,
                                   self.receiver(mail, mailbox))  # fmt: skip
            if self.verify_dkim and raw:
                verdict = auth.combine(verdict, auth.verify_dkim(raw, domain, self.dnsfunc))
            return self._content(mail, verdict)
        inner = self._forwarded(mail)
        if inner is not None:
            forwarded = AuthVerdict(Authenticity.NONE, "forwarded: outer headers prove nothing")
            return replace(self._content(inner, forwarded), forwarded=True)
        if self.senders.looks_like_meta(domain) or self._brand_name(mail.from_name):
            nobody = Receiver(None, "not checked")
            result = self._content(mail, auth.verdict(mail.from_addr, (), self.senders, nobody))
            if result.kind in AI_KINDS:
                reason = f"not a Meta domain ({domain}) but poses as Meta"
                return replace(result, auth=AuthVerdict(Authenticity.FAIL, reason))
        return Classification(Kind.NOT_META, "sender.not_meta", self.rules.version)

    def _content(self, mail: Mail, verdict: AuthVerdict) -> Classification:
        text = fold("\n".join((mail.subject, mail.text, *(link.url for link in mail.links))))
        subject = fold(mail.subject)
        # A screened-out mail has no gate cue: its words would be collected for nothing.
        present = frozenset[str]() if mail.screened_out else words(text)
        subject_words = words(subject)
        gated = not mail.screened_out and self._gated(text, present)
        packs, sure = self.rules.detect(text)
        texts = _Texts(text, subject, present, subject_words)
        decided = self._decide(packs, sure, texts) if gated else None
        pack = decided[0] if decided else (packs[0] if sure else None)
        kind, rule_id, cues = Kind.OTHER_META, "meta.other", tuple[Cue, ...]()
        if decided:
            kind, rule_id, cues = Kind(decided[1].kind), decided[1].id, decided[2].cues(decided[1])
        return Classification(
            kind=kind,
            rule=rule_id,
            rules_version=self.rules.version,
            platform=self._platform(mail),
            language=pack.language if pack else UNDETERMINED,
            cues=cues,
            auth=verdict,
            handle=self._handle(text),
            objection_link=self._objection_link(mail, pack),
            evidence=_snippet(f"{mail.subject}\n{mail.text}", text, cues),
            recipients=mail.recipients,
        )

    def _decide(
        self, packs: list[LanguagePack], sure: bool, texts: _Texts
    ) -> tuple[LanguagePack | None, Rule, _Matcher] | None:
        """The first pack (best first) in which a rule holds, with that rule.

        A mail whose language is unsure and that no pack decides is tried with the rules for
        unread languages, on the cue groups every language shares (links to the objection form,
        Meta's AI privacy page): never a silent other_meta.
        """
        for pack in packs:
            groups = {**self.common, **{g.name: g for g in pack.groups}}
            matcher = _Matcher(texts, groups)
            rule = next((r for r in self.rules.rules if not r.unread and matcher.holds(r)), None)
            if rule is not None:
                return pack, rule, matcher
        if not sure:
            matcher = _Matcher(texts, self.common)
            rule = next((r for r in self.rules.rules if r.unread and matcher.holds(r)), None)
            if rule is not None:
                return None, rule, matcher
        return None

    def needs_full_text(self, rough_text: str) -> bool:
        """Could this text (a superset of the visible text) be anything but plain other_meta?

        Every rule other than the fallback needs one of the gate groups; when none of them can
        fire, the exact (expensive) HTML-to-text conversion changes nothing.
        """
        folded = fold(rough_text)
        return self._gated(folded, words(folded))

    def _gated(self, folded: str, present: frozenset[str]) -> bool:
        return self._gates.search(folded, present)

    def _platform(self, mail: Mail) -> Platform | None:
        domain = mail.from_addr.rpartition("@")[2]
        listed = self.senders.meta_domain(domain)
        if listed and self.senders.domains[listed]:
            return Platform(self.senders.domains[listed])
        brand = self._brand_name(mail.from_name)  # "Instagram" <no-reply@mail.meta.com>
        if brand in _BRAND_PLATFORM:
            return _BRAND_PLATFORM[brand]
        body = fold(f"{mail.subject}\n{mail.text}")  # link targets would always say facebook.com
        counts = {p: body.count(p.value) for p in Platform}
        best = max(counts, key=lambda p: counts[p])
        return best if counts[best] else None

    def _handle(self, text: str) -> str | None:
        m = self.common["greeting"].regex.search(text[:3000])
        return m.group("handle") if m else None

    def _objection_link(self, mail: Mail, pack: LanguagePack | None) -> str | None:
        """The link to Meta's objection form; only ever one to a Meta host (alerts repeat it)."""
        by_text = (
            next((g for g in pack.groups if g.name == "object_link_text"), None) if pack else None
        )
        for link in mail.links:
            if not self._meta_https(link.url):
                continue
            if self.common["objection_link"].find(link.url.lower()) or (
                by_text and by_text.find(fold(link.text))
            ):
                return link.url
        return None

    def _meta_https(self, url: str) -> bool:
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return False
        return parts.scheme == "https" and bool(self.senders.meta_domain(parts.hostname or ""))

    def _forwarded(self, mail: Mail) -> Mail | None:
        """The Meta mail inside a forward: an attached original or an inline forward block."""
        for attached in mail.attached:
            if self.senders.meta_domain(attached.from_addr.rpartition("@")[2]):
                return replace(attached, to=attached.to or mail.to, auth_results=(), headers=())
        marker = self.common["forward_marker"].regex.search(fold(mail.text))
        if marker is None:
            return None
        fields, body = _forward_block(mail.text[marker.end() :])
        sender = _ADDRESS.search(fields.get("from", ""))
        if not sender or not self.senders.meta_domain(sender.group(0).rpartition("@")[2]):
            return None
        to = tuple(a.lower() for a in _ADDRESS.findall(fields.get("to", "")))
        return replace(
            mail,
            from_addr=sender.group(0).lower(),
            subject=fields.get("subject", mail.subject),
            to=to or mail.to,
            delivered_to=(),
            x_original_to=(),
            text=body,
            auth_results=(),
            headers=(),
            attached=(),
        )

    @staticmethod
    def _brand_name(name: str) -> str | None:
        m = re.search(r"\b(facebook|instagram|meta|whatsapp|threads)\b", name, re.I)
        return m.group(1).lower() if m else None


def _forward_block(text: str) -> tuple[dict[str, str], str]:
    """Header fields of an inline forward ("From: …", "Von: …") and the text after them."""
    fields: dict[str, str] = {}
    lines = text.split("\n")
    start = 0
    for start, line in enumerate(lines[:20]):  # noqa: B007 - the loop index is the body start
        m = _FWD_FIELD.match(line.strip())
        if m is None and fields:
            break  # the first line after the header block starts the forwarded body
        if m:
            name = next((k for k, v in _FWD_NAMES.items() if m.group(1).lower() in v), "other")
            fields.setdefault(name, m.group(2))
    return fields, "\n".join(lines[start:])


def _snippet(original: str, folded: str, cues: tuple[Cue, ...]) -> str:
    """A short quote of the original text around the first cue, for reports."""
    pos = folded.find(cues[0].text) if cues else -1
    if pos < 0:
        return " ".join(original[:200].split())
    pos = min(pos, len(original))  # folding may shift offsets a little (ß -> ss)
    return " ".join(original[max(0, pos - 80) : pos + len(cues[0].text) + 120].split())
