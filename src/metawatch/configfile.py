"""Changes to the config file that keep the rest of it (other tables, comments) as written.

Every change is checked by parsing the result: it must differ from the file before by exactly
the tables added or removed, or nothing is written. The file is replaced atomically, mode 0600.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path

from metawatch.config import STARTER, AccountConfig, MailboxConfig, Settings, parse
from metawatch.errors import ConfigError, NotFound, OutputError

_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]\s]+)\s*\]\]?\s*(#.*)?$")
# the keys of a [[mailbox]] in the order people read them; the rest follow in field order
_ORDER = ("name", "host", "port", "tls", "username", "ca_file", "provider")


def read(path: Path) -> tuple[str, Settings]:
    """The file's text and settings; a missing file reads as the commented starter."""
    if not path.exists():
        return STARTER, parse({}, path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from e
    return text, _parse(text, path)


def add(
    path: Path, mailbox: MailboxConfig, accounts: Sequence[AccountConfig], comment: str
) -> None:
    """Append a [[mailbox]] (and [[account]] tables) to the config file, creating it if needed."""
    text, before = read(path)
    blocks = [mailbox_toml(mailbox, comment), *(account_toml(a) for a in accounts)]
    new = text.rstrip("\n") + "\n\n" + "\n\n".join(blocks) + "\n"
    wanted = replace(before, mailboxes=(*before.mailboxes, mailbox),
                     accounts=(*before.accounts, *accounts))  # fmt: skip
    if _parse(new, path) != wanted:
        raise ConfigError(f"{path}: the new [[mailbox]] would not read back as written "
                          "(is 'mailbox' defined another way?): add it by hand")  # fmt: skip
    write(path, new)


def remove(path: Path, name: str) -> MailboxConfig:
    """Take the [[mailbox]] of this name out of the config file; everything else stays."""
    if not path.exists():
        raise NotFound(f"{path}: no such configuration file, so no mailbox {name!r}")
    text, before = read(path)
    gone = next((m for m in before.mailboxes if m.name == name), None)
    if gone is None:
        known = ", ".join(m.name for m in before.mailboxes) or "none"
        raise NotFound(f"{path}: no mailbox named {name!r} (configured: {known})")
    wanted = replace(before, mailboxes=tuple(m for m in before.mailboxes if m.name != name))
    lines = text.splitlines(keepends=True)
    for start, end in _spans(lines, "mailbox"):
        new = _join(lines[:start], lines[end:])
        if _parses_as(new, path, wanted):
            write(path, new)
            return gone
    raise ConfigError(f"{path}: cannot take mailbox {name!r} out safely: remove it by hand")


def write(path: Path, text: str) -> None:
    """Replace the file atomically with mode 0600 (a symlink's target is replaced)."""
    target = path.resolve() if path.is_symlink() else path
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp creates it 0600
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        raise OutputError(f"{target}: cannot write: {e.strerror}") from e


def mailbox_toml(m: MailboxConfig, comment: str = "") -> str:
    """A [[mailbox]] table holding only the keys that differ from the defaults."""
    defaults = MailboxConfig(name="", host="", username="")
    keys = [*_ORDER, *(f.name for f in fields(MailboxConfig) if f.name not in _ORDER)]
    lines = ["[[mailbox]]" + (f"  # {comment}" if comment else "")]
    for key in keys:
        value = getattr(m, key)
        if key in ("name", "host", "username") or value != getattr(defaults, key):
            lines.append(f"{key} = {value_toml(value)}")
    return "\n".join(lines)


def account_toml(a: AccountConfig) -> str:
    """An [[account]] table."""
    lines = [
        "[[account]]",
        f"platform = {value_toml(a.platform)}",
        f"emails = {value_toml(a.emails)}",
    ]
    lines += [f"{k} = {value_toml(v)}" for k, v in (("handle", a.handle), ("label", a.label)) if v]
    return "\n".join(lines)


def value_toml(value: object) -> str:
    """A TOML value: JSON's string escapes are TOML's basic-string escapes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(value_toml(v) for v in value) + "]"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def _parse(text: str, path: Path) -> Settings:
    try:
        return parse(tomllib.loads(text), path)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from e


def _parses_as(text: str, path: Path, wanted: Settings) -> bool:
    try:
        return _parse(text, path) == wanted
    except ConfigError:
        return False


def _spans(lines: list[str], table: str) -> list[tuple[int, int]]:
    """Line ranges of each [[table]]: from the comments just above its header to the next one's."""
    heads = [i for i, line in enumerate(lines) if _HEADER.match(line)]
    starts = [_lead(lines, i) for i in heads]
    ends = [*starts[1:], len(lines)]
    return [(s, e) for i, s, e in zip(heads, starts, ends, strict=True)
            if lines[i].strip().startswith("[[") and _name(lines[i]) == table]  # fmt: skip


def _name(header: str) -> str:
    found = _HEADER.match(header)
    return found["name"].strip("\"'") if found else ""


def _lead(lines: list[str], head: int) -> int:
    """A comment block right above a header (no blank line between) belongs to that table."""
    while head > 0 and lines[head - 1].lstrip().startswith("#"):
        head -= 1
    return head


def _join(before: list[str], after: list[str]) -> str:
    """The text around a removed table, with one blank line where it was."""
    head = "".join(before).rstrip("\n")
    tail = "".join(after).lstrip("\n")
    if not head:
        return tail
    return head + "\n" + ("\n" + tail if tail else "")
