"""Raw bytes -> Mail: the only importer of mail-parser and bs4. Never raises on bad input."""

from __future__ import annotations

import contextlib
import email
import email.errors
import email.header
import email.utils
import hashlib
import logging
import re
import warnings
from collections.abc import Callable
from datetime import datetime
from email.message import Message
from typing import Any

from metawatch import mailbytes
from metawatch.models import Link, Mail

log = logging.getLogger(__name__)


class _ToDebug(logging.Handler):
    """mail-parser's own log lines ("Failed decoding header part …", 5 KB for one real mail) are
    library chatter: they go to our --debug log, never to stderr, which cron mails to the user."""

    def emit(self, record: logging.LogRecord) -> None:
        log.debug("mail-parser: %s", record.getMessage())


_library_log = logging.getLogger("mailparser")
_library_log.addHandler(_ToDebug())
_library_log.propagate = False
_library_log.setLevel(logging.WARNING)  # its per-part debug lines would cost time, not tell much

MAX_TEXT = 200_000  # characters of body text kept for classification
MAX_HTML = 2_000_000  # bytes of HTML handed to the HTML parser
MAX_ATTACHED_DEPTH = 2  # forwarded mails inside forwarded mails
# The work per mail is bounded before any parsing: Meta's mails are ~100 KB with < 10 parts.
MAX_MAIL = 25_000_000  # bytes (an IMAP mailbox's max_message_size applies before this)
MAX_PARTS = 1_000  # boundary lines of declared MIME boundaries
MAX_DEPTH = 50  # multipart nesting (mail-parser has its own guard; this one is the fallback's)
BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster", "mail-daemon"})
MAX_FIELDS = 1_000  # header fields kept in order (the first and the last half when there are more)
MAX_FIELD = 4_000  # characters of one header value kept

# Invisible characters that break phrase matching: soft hyphen, zero-width
# space/joiners, word joiner, BOM, combining grapheme joiner (preheader padding).
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\u034f\u180e\r\x00]+")
_OTHER_SPACES = "\t\u00a0\u2007\u202f"  # made plain spaces first: str.replace beats a regex
_SPACES = re.compile(" {2,}")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Hidden preheaders and tracking blocks: styles a mail client renders invisibly.
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|max-height\s*:\s*0|mso-hide\s*:\s*all"
    r"|font-size\s*:\s*0(?![.\d])|opacity\s*:\s*0(?![.\d])",
    re.I,
)


_BLOCKS = frozenset({"p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table", "blockquote", "br"})
_INVISIBLE_TAGS = frozenset({"script", "style", "head", "title", "template"})
_HIDDEN_CLASS = re.compile("preheader|preview", re.I)


Screen = Callable[[str], bool]


def parse(raw: bytes, depth: int = 0, screen: Screen | None = None) -> Mail:
    """Parse one message; a mail that cannot be parsed comes back with ``error`` set.

    ``screen`` gets the subject, the text/plain and a rough text of the HTML (tags stripped,
    hidden parts kept: a superset of what the reader sees); when it says the mail cannot
    matter, the expensive steps, mail-parser and the exact HTML-to-text conversion with
    BeautifulSoup, are skipped (see ``_screened_out``).
    """
    digest = hashlib.sha256(raw).hexdigest()
    try:
        return _parse(raw, digest, depth, screen)
    except Exception as exc:  # deliberate: any input must become a record, never a crash
        log.debug("unparseable mail %s", digest, exc_info=True)
        return Mail(sha256=digest, size=len(raw), error=f"{type(exc).__name__}: {exc}"[:300])


def skipped(key: str, reason: str) -> Mail:
    """The record of a mail that was not fetched (too large): unparseable, with the reason."""
    return Mail(sha256=hashlib.sha256(key.encode()).hexdigest(), size=0, error=f"skipped: {reason}")


def _parse(raw: bytes, digest: str, depth: int, screen: Screen | None = None) -> Mail:
    if not raw.strip():
        raise ValueError("empty message")
    if len(raw) > MAX_MAIL:
        raise ValueError(f"message too large to parse ({len(raw)} bytes > {MAX_MAIL})")
    if (parts := mailbytes.mime_parts(raw, MAX_PARTS)) > MAX_PARTS:
        raise ValueError(f"too many MIME parts to parse ({parts} > {MAX_PARTS})")
    repaired = mailbytes.repair(raw)
    quick = _screened_out(repaired.data, screen) if screen else None
    screened_out = quick is not None
    links = tuple[Link, ...]()
    if quick is not None:
        msg, text = quick
    else:
        msg, plain, html = _read(repaired.data)
        html_text, links = html_to_text(html) if html else ("", links)
        text = _body_text(plain, html_text)
    if not msg.keys():
        raise ValueError("no mail headers found")
    from_addr = _first(addresses(msg, "From"))
    return Mail(
        sha256=digest,
        size=len(raw),
        content_hash=mailbytes.content_hash(raw),
        message_id=header(msg, "Message-ID").strip(),
        subject=clean_text(header(msg, "Subject")),
        from_addr=from_addr,
        from_name=_display_name(header(msg, "From")),
        to=addresses(msg, "To"),
        cc=addresses(msg, "Cc"),
        delivered_to=addresses(msg, "Delivered-To"),
        x_original_to=addresses(msg, "X-Original-To"),
        date=_date(header(msg, "Date")),
        auth_results=tuple(header_all(msg, "Authentication-Results")),
        headers=header_fields(msg),
        text=text,
        links=links,
        attached=_attached(msg, depth),
        screened_out=screened_out,
        bounce=_bounce(msg, from_addr),
        warnings=repaired.warnings,
    )


def _screened_out(raw: bytes, screen: Screen) -> tuple[Message, str] | None:
    """A mail that ``screen`` rules out, read by the standard library: its message and its
    text (from the rough text of its HTML, or its text/plain). None when the mail may matter,
    or is broken in any way the standard library notices: then mail-parser reads it, and
    BeautifulSoup its HTML.

    The screen reads first the subject and text exactly as the classifier will (it folds
    them once for both: see ``rules.fold``), then the other part, which the exact HTML text
    may have made the text.

    Most mails of a first scan are notifications that cannot matter; they never pay for
    mail-parser's extra work (attachments, defect reports), only for the parse they share.
    """
    try:
        msg, plain, html = _read_stdlib(raw)
    except Exception:  # deliberate: whatever goes wrong here, the thorough reading decides
        return None
    if any(part.defects for part in msg.walk()):
        return None
    read, other = _chosen(plain, rough_text(html) if html else "")
    text = clean_text(read)[:MAX_TEXT]
    if screen(f"{clean_text(header(msg, 'Subject'))}\n{text}") or screen(clean_text(other)):
        return None
    return msg, text


def _read(raw: bytes) -> tuple[Message, str, str]:
    """The message, its text/plain and its text/html: by mail-parser, which decodes more
    broken mail than the standard library; by the standard library where mail-parser fails."""
    import mailparser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = mailparser.parse_from_bytes(raw)
        return parsed.message, "\n".join(parsed.text_plain), "\n".join(parsed.text_html)
    except (AttributeError, TypeError, LookupError) as e:
        # mail-parser trips over a multipart whose boundaries are missing (its epilogue is None)
        log.debug(
            "mail-parser failed (%s: %s): reading with the standard library", type(e).__name__, e
        )
    return _read_stdlib(raw)


def _read_stdlib(raw: bytes) -> tuple[Message, str, str]:
    msg = email.message_from_bytes(raw)
    texts: dict[str, list[str]] = {"text/plain": [], "text/html": []}
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:  # iterative, with a depth bound: a hostile mail nests thousands deep
        part, level = stack.pop()
        if level > MAX_DEPTH:
            raise ValueError(f"MIME parts nested too deep to parse (> {MAX_DEPTH})")
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack += [(p, level + 1) for p in reversed(payload) if isinstance(p, Message)]
        elif part.get_content_maintype() == "multipart" and isinstance(payload, str):
            # No boundary line found: the payload is one part, perhaps with headers of its own.
            inner = email.message_from_string(payload)
            if inner.keys() and inner.get_content_maintype() != "multipart":
                stack.append((inner, level + 1))
            else:
                texts["text/plain"].append(payload)
        elif part.get_content_type() in texts and part.get_content_disposition() != "attachment":
            texts[part.get_content_type()].append(_decoded(part))
    return msg, "\n".join(texts["text/plain"]), "\n".join(texts["text/html"])


def _decoded(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return str(part.get_payload())
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, "replace")
    except LookupError:  # an unknown charset: the text is still worth reading
        return data.decode("utf-8", "replace")


def _bounce(msg: Message, from_addr: str) -> bool:
    """A delivery report (bounce): it shows that someone wrote to the sender, nothing more."""
    if from_addr.partition("@")[0] in BOUNCE_SENDERS:
        return True
    report = msg.get_content_type() == "multipart/report"
    return report and str(msg.get_param("report-type", "")).lower() == "delivery-status"


def header_all(msg: Message, name: str) -> list[str]:
    """Every value of a header, RFC 2047 decoded and unfolded, in order (topmost first)."""
    return [_decode(v) for v in msg.get_all(name, [])]


def header_fields(msg: Message) -> tuple[tuple[str, str], ...]:
    """Every header field in order as (lower-case name, unfolded value), within bounds.

    Both ends are kept when there are too many: providers write at the top and at the bottom.
    """
    items = msg.items()
    if len(items) > MAX_FIELDS:
        items = items[: MAX_FIELDS // 2] + items[-MAX_FIELDS // 2 :]
    return tuple(
        (name.strip().lower(), " ".join(str(value).replace("\x00", "").split())[:MAX_FIELD])
        for name, value in items
    )


def header(msg: Message, name: str) -> str:
    """The first value of a header, decoded, or ''."""
    values = header_all(msg, name)
    return values[0] if values else ""


def addresses(msg: Message, name: str) -> tuple[str, ...]:
    """Lower-cased addresses of an address header."""
    pairs = email.utils.getaddresses(header_all(msg, name))
    return tuple(a.strip().lower() for _, a in pairs if "@" in a)


def _decode(value: Any) -> str:
    text = str(value)
    # Keep the raw form on failure: RFC 2047 garbage must not lose the header.
    with contextlib.suppress(UnicodeError, LookupError, ValueError, email.errors.HeaderParseError):
        text = str(email.header.make_header(email.header.decode_header(text)))
    return " ".join(text.replace("\x00", "").split())


def _first(values: tuple[str, ...]) -> str:
    return values[0] if values else ""


def _display_name(value: str) -> str:
    return email.utils.parseaddr(value)[0].strip()


def _date(value: str) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):  # a year like 99999999999
        return None


def _attached(msg: Message, depth: int) -> tuple[Mail, ...]:
    """Mails attached as message/rfc822 (forwards as attachment), parsed in turn."""
    if depth >= MAX_ATTACHED_DEPTH:
        return ()
    found = []
    for part in msg.walk():
        if part.get_content_type() != "message/rfc822":
            continue
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            found.append(parse(inner.as_bytes(), depth + 1))
    return tuple(found)


def _body_text(plain: str, html_text: str) -> str:
    return clean_text(_chosen(plain, html_text)[0])[:MAX_TEXT]


def _chosen(plain: str, html_text: str) -> tuple[str, str]:
    """The text to read and the other: the HTML's (what the user saw), unless it is far
    shorter than the text/plain."""
    if len(html_text.strip()) >= len(plain.strip()) // 2:
        return html_text, plain
    return plain, html_text


def clean_text(text: str) -> str:
    """Remove invisible characters and collapse runs of spaces and blank lines."""
    text = _INVISIBLE.sub("", text)
    for space in _OTHER_SPACES:
        text = text.replace(space, " ") if space in text else text
    text = "\n".join(line.strip(" ") for line in _SPACES.sub(" ", text).split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


_TAG = re.compile(r"<[^>]*>")
_INVISIBLE_BLOCKS = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.I | re.S)


def rough_text(html: str) -> str:
    """Tags stripped and entities decoded, hidden parts kept: fast, for screening only."""
    import html as entities

    return entities.unescape(_TAG.sub(" ", _INVISIBLE_BLOCKS.sub(" ", html[:MAX_HTML])))


def html_to_text(html: str) -> tuple[str, tuple[Link, ...]]:
    """Visible text of an HTML body and the links in it (one walk over the tree)."""
    from bs4 import BeautifulSoup, NavigableString, Tag
    from bs4.element import PreformattedString

    with warnings.catch_warnings():  # "looks like a URL" and the like: chatter, not for stderr
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(html[:MAX_HTML], "lxml")
    for tag in [t for t in soup.descendants if isinstance(t, Tag) and _hidden(t)]:
        if not tag.decomposed:
            tag.decompose()
    parts: list[str] = []
    links: list[Link] = []
    for node in soup.descendants:
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, CDATA, doctype
                parts.append(str(node))
        elif isinstance(node, Tag):
            if node.name in _BLOCKS:
                parts.append("\n")
            elif node.name == "a" and (link := _link(node)):
                links.append(link)
    return " ".join(parts), tuple(links)


def _hidden(tag: Any) -> bool:
    """Invisible to the reader: scripts, styles, the head, hidden preheaders."""
    if tag.name in _INVISIBLE_TAGS:
        return True
    style, classes = tag.get("style"), tag.get("class")
    if style and _HIDDEN_STYLE.search(str(style)):
        return True
    return bool(classes) and any(_HIDDEN_CLASS.search(c) for c in classes)


def _link(a: Any) -> Link | None:
    href = str(a.get("href", "")).strip()
    if not href.startswith(("http://", "https://")):
        return None
    return Link(url=href, text=clean_text(a.get_text(" "))[:200])
