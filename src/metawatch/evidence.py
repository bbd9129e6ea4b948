"""export-evidence: one account's Meta mails as a bundle for a complaint to a data-protection
authority: the originals (when kept), their hashes, the authentication relied on, a manifest."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from metawatch import __version__
from metawatch.errors import OutputError
from metawatch.models import AI_KINDS, AccountStatus, Evidence, MessageRecord

README = """\
Evidence exported by metawatch {version} on {created} for {account}.

manifest.json  every AI-related Meta mail of the account: kind, date, sender, Message-ID, the
               SHA-256 of the mail as received, the header fields (Authentication-Results of
               the receiving provider) that the sender check relied on, and the file holding
               the original when it was kept
mails/         the original mails (.eml), byte for byte as received
SHA256SUMS     hashes of every file here: check them with `sha256sum -c SHA256SUMS`
"""


@dataclass(frozen=True)
class Bundle:
    """What was written."""

    path: Path
    mails: int
    originals: int


def export(status: AccountStatus, records: list[MessageRecord], originals: dict[int, bytes],
           manual: list[Evidence], out: Path, now: datetime) -> Bundle:  # fmt: skip
    """Write the bundle into the new folder ``out`` (mode 0700, files 0600)."""
    records = [r for r in records if r.kind in AI_KINDS]
    _new_folder(out)
    files = {f"mails/{_name(r)}": originals[r.id] for r in records if r.id in originals}
    manifest = _manifest(status, records, files, manual, now)
    files["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False,
                                        default=datetime.isoformat).encode()  # fmt: skip
    files["README.txt"] = README.format(version=__version__, created=manifest["created"],
                                        account=manifest["account"]["name"]).encode()  # fmt: skip
    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    ).encode()
    for name, data in files.items():
        _write(out / name, data)
    return Bundle(
        out, len(records), len(records) - sum(1 for r in records if r.id not in originals)
    )


def _name(r: MessageRecord) -> str:
    day = f"{r.date:%Y-%m-%d}" if r.date else "undated"
    return f"{r.id:05d}-{day}-{r.kind.value}.eml"


def _manifest(status: AccountStatus, records: list[MessageRecord], files: dict[str, bytes],
              manual: list[Evidence], now: datetime) -> dict[str, Any]:  # fmt: skip
    a = status.account
    kept = {name.removeprefix("mails/"): data for name, data in files.items()}
    return {
        "created": now.isoformat(timespec="seconds"),
        "metawatch": __version__,
        "account": {"id": a.id, "name": f"{a.platform.value} {a.handle or ', '.join(a.emails)}",
                    "platform": a.platform.value, "emails": list(a.emails), "handle": a.handle},
        "status": {"state": status.state.value, "since": status.since, "note": status.note,
                   "evidence": status.evidence.ref if status.evidence else None},
        "mails": [_mail(r, kept.get(_name(r))) for r in records],
        "manual_confirmations": [{"date": e.date, "note": e.ref} for e in manual],
    }  # fmt: skip


def _mail(r: MessageRecord, original: bytes | None) -> dict[str, Any]:
    return {
        "id": r.id, "kind": r.kind.value, "date": r.date, "from": r.sender,
        "to": list(r.recipients), "subject": r.subject, "message_id": r.message_id,
        "sha256": r.sha256, "found_at": r.source_key, "rule": r.rule,
        "rules_version": r.rules_version, "authenticity": r.authenticity.value,
        "authenticity_reason": r.auth_reason, "authentication_results": r.auth_header,
        "forwarded": r.forwarded, "evidence": r.evidence, "objection_link": r.objection_link,
        "file": f"mails/{_name(r)}" if original is not None else None,
        "file_matches_sha256": hashlib.sha256(original).hexdigest() == r.sha256 if original else None,
    }  # fmt: skip


def _new_folder(out: Path) -> None:
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        (out / "mails").mkdir(mode=0o700, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create {out}: {e.strerror}") from e
    if any(p.name != "mails" for p in out.iterdir()) or any((out / "mails").iterdir()):
        raise OutputError(f"{out} is not empty: give a new folder with --out")


def _write(path: Path, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror}") from e
