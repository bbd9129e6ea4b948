"""Why a mail got its kind, in words: the rule, the cues and the authentication verdict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from metawatch.errors import SourceNotFound
from metawatch.models import AuthVerdict, Classification, Cue, MessageRecord
from metawatch.report import day, safe
from metawatch.rules import load_rules

if TYPE_CHECKING:
    from metawatch.classify import Classifier

KIND_WORDS = {
    "policy_notice": "a notice that Meta will use your data for AI (you may object)",
    "objection_accepted": "Meta's confirmation that your objection is honoured",
    "objection_rejected": "Meta's refusal, or a request for more information",
    "objection_answer_unclear": "Meta's answer to your objection, whose decision metawatch cannot "
    "read: read it yourself",
    "verification_code": "a code mail of the objection flow",
    "other_meta": "a Meta mail that is not about the AI objection",
    "not_meta": "not a mail from Meta",
    "unparseable": "a mail that could not be parsed",
}


def explain_file(path: str, classifier: Classifier | None = None) -> list[str]:
    """Parse, classify and explain one file."""
    from metawatch import parsing
    from metawatch.classify import Classifier

    p = Path(path)
    if not p.is_file():
        raise SourceNotFound(f"no such file: {path}")
    raw = p.read_bytes()
    mail = parsing.parse(raw)
    result = (classifier or Classifier()).classify(mail, raw)
    return [*_header(mail.subject, mail.from_addr, day(mail.date)), *_body(result, mail.error)]


def explain_record(rec: MessageRecord) -> list[str]:
    """Explain a stored message from what was stored about it."""
    lines = _header(rec.subject, rec.sender, day(rec.date))
    lines.append(f"kind:      {rec.kind.value} — {KIND_WORDS[rec.kind.value]}")
    lines.append(f"rule:      {rec.rule} (rule packs {rec.rules_version}) {_rule_text(rec.rule)}")
    lines.append(
        f"platform:  {rec.platform.value if rec.platform else '-'}, language {rec.language or '-'}"
    )
    lines.append(f"sender:    {rec.authenticity.value} — {safe(rec.auth_reason)}")
    lines.extend(_relied_on(rec.auth_header))
    if rec.forwarded:
        lines.append("forwarded: yes — the forwarded original was classified")
    lines.extend(_cues(rec.cues))
    return lines


def _header(subject: str, sender: str, date: str) -> list[str]:
    return [f"subject:   {safe(subject)}", f"from:      {safe(sender)}  ({date})"]


def _body(r: Classification, error: str | None) -> list[str]:
    lines = [
        f"kind:      {r.kind.value} — {KIND_WORDS[r.kind.value]}",
        f"rule:      {r.rule} (rule packs {r.rules_version}) {_rule_text(r.rule)}",
        f"platform:  {r.platform.value if r.platform else '-'}, language {r.language or '-'}",
        f"sender:    {r.authenticity.value} — {safe(r.auth.reason)}",
        *_provider(r.auth),
        *_relied_on(r.auth.header),
    ]
    if r.forwarded:
        lines.append("forwarded: yes — the forwarded original was classified")
    if error:
        lines.append(f"error:     {safe(error)}")
    return [*lines, *_cues(r.cues)]


def _provider(v: AuthVerdict) -> Iterator[str]:
    if v.provider:
        yield f"provider:  {safe(v.provider)}"


def _relied_on(header: str) -> Iterator[str]:
    """The header fields a verdict rested on; older records hold one bare A-R value."""
    for i, line in enumerate(header.splitlines()):
        name, sep, _ = line.partition(":")
        if not sep or " " in name or "=" in name or ";" in name:
            line = f"Authentication-Results: {line}"
        yield f"{'relied on:' if i == 0 else '          '} {safe(line)}"


def _cues(cues: tuple[Cue, ...]) -> Iterator[str]:
    if not cues:
        yield "cues:      none fired"
    for cue in cues:
        yield f"cue:       {cue.group:<18} “{safe(cue.text)}”"


def _rule_text(rule_id: str) -> str:
    rule = next((r for r in load_rules().rules if r.id == rule_id), None)
    return f"— {rule.description}" if rule and rule.description else ""
