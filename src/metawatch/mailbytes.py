"""A raw mail's bytes before parsing: the byte-order mark, broken header blocks, the MIME-part
count, and the content hash that survives what servers and exports do to a mail's bytes."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"
HEAD_SCAN = 256_000  # bytes searched for the end of the header block
MAX_QUICK = 50  # declared boundaries counted at C speed (each is a pass over the mail)
MAX_BROKEN_RUN = 3  # lines without a field name that can still be a header's lost continuation

# RFC 5322 field name: printable ASCII but the colon; then the colon (spaces before it are old
# but real: RFC 822's "Subject : x").
_FIELD = re.compile(rb"[!-9;-~]+[ \t]*:")
_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.I)
_DASH_LINE = re.compile(rb"(?:^|\n|\r)--([^\r\n]{0,204})")
# Headers that name the mail and prove its sender; everything else (Received, Return-Path,
# Delivered-To, Takeout's X-Gmail-Labels, mbox Status lines …) differs between copies.
_IDENTITY = frozenset({
    b"from", b"sender", b"to", b"cc", b"subject", b"date", b"message-id", b"in-reply-to",
    b"mime-version", b"content-type", b"content-transfer-encoding", b"authentication-results",
    b"dkim-signature", b"arc-authentication-results",
})  # fmt: skip
_EIGHT_BIT = re.compile(rb"[\x80-\xff]")
_WS = re.compile(rb"\s+")
_MBOX_QUOTED = re.compile(rb"\n>+(From )")


@dataclass(frozen=True)
class Repaired:
    """The bytes to parse, and what was wrong with the header block (empty when nothing was)."""

    data: bytes
    warnings: tuple[str, ...] = ()


def repair(raw: bytes) -> Repaired:
    """Drop a byte-order mark; re-indent header lines that lost their indentation in transit.

    A run of up to three lines without a field name, between two header fields (or before the
    blank line), is a folded header whose continuation lost its leading space: a reader sees it
    as part of the header above. Header fields found after a longer run cannot be told from body
    text; they are left in the body, with a warning.
    """
    raw = raw.removeprefix(BOM)
    head_end = _head_end(raw)
    lines = raw[:head_end].splitlines(keepends=True)
    kinds = [_kind(line) for line in lines]
    if "other" not in kinds or not kinds or kinds[0] != "field":
        return Repaired(raw)
    fixed, warnings, i = list(lines), [], 0
    while i < len(lines):
        if kinds[i] != "other":
            i += 1
            continue
        end = next((j for j in range(i, len(lines)) if kinds[j] != "other"), len(lines))
        closed = end < len(lines) or head_end < len(raw)  # a field follows, or the blank line
        if end - i <= MAX_BROKEN_RUN and closed:
            fixed[i:end] = [b" " + line for line in lines[i:end]]
        elif "field" in kinds[end:]:
            warnings.append(f"the header block is broken at line {i + 1} (a line that is not a "
                            "header field): the headers after it are read as body text")  # fmt: skip
            break
        i = end
    return Repaired(b"".join(fixed) + raw[head_end:], tuple(warnings))


def _head_end(raw: bytes) -> int:
    """Offset of the blank line that ends the header block (the end of the scanned part if none)."""
    m = re.search(rb"\r\n\r\n|\n\n|\r\r|\n\r\n", raw[:HEAD_SCAN])
    return m.start() if m else min(len(raw), HEAD_SCAN)


def _kind(line: bytes) -> str:
    if line[:1] in (b" ", b"\t"):
        return "continuation"
    return "field" if _FIELD.match(line) or line.startswith(b"From ") else "other"


def mime_parts(raw: bytes, limit: int) -> int:
    """Lines that open or close a MIME part of a boundary the mail declares; counting stops
    past ``limit``. Dash lines of ASCII art or signatures ("-- ") are not parts."""
    if raw.count(b"\n--") <= limit:  # the common case, at C speed
        return raw.count(b"\n--")
    boundaries = {a or b for a, b in _BOUNDARY.findall(raw)}
    if len(boundaries) > limit:  # every boundary is declared in a part's own header
        return len(boundaries)
    # Lines that start with a boundary, at C speed: exact unless one is another's prefix.
    quick = len(boundaries) <= MAX_QUICK
    if quick and (starts := sum(raw.count(b"\n--" + b) for b in boundaries)) <= limit:
        return starts
    count = 0
    for m in _DASH_LINE.finditer(raw):
        rest = m.group(1).rstrip(b" \t")
        if rest in boundaries or (rest.endswith(b"--") and rest[:-2] in boundaries):
            count += 1
            if count > limit:
                break
    return count


def content_hash(raw: bytes) -> str:
    """SHA-256 of a normalised form: the identity headers and the body, whatever line endings,
    8-bit header bytes (Cyrus writes them as X), final newlines (Courier adds one), transport
    headers or mbox quoting (">From ") a copy got. Two mails that only share a Message-ID,
    or differ in their Authentication-Results, never share this hash."""
    text = raw.removeprefix(BOM).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    head, _, body = text.partition(b"\n\n")
    fields = []
    for field in re.split(rb"\n(?![ \t])", head):
        name, colon, value = field.partition(b":")
        if colon and name.strip().lower() in _IDENTITY:
            value = _WS.sub(b" ", _EIGHT_BIT.sub(b"X", value)).strip()
            fields.append(name.strip().lower() + b":" + value)
    body = _MBOX_QUOTED.sub(rb"\n\1", body).rstrip()
    normal = b"\n".join(fields) + b"\n\n" + body
    return hashlib.sha256(normal).hexdigest()
