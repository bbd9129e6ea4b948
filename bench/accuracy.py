"""Accuracy of the classifier over a labelled folder: per-kind precision and recall.

Run: python bench/accuracy.py [FOLDER] [--manifest FILE]
FOLDER holds .eml files and (unless --manifest says otherwise) a manifest.toml whose tables map
each file name to its expected ``kind`` (and optionally ``authenticity``), as sample_mails/ does.
A FOLDER without a manifest but with language folders that have one (tests/paraphrase/) is read
per language: one line each with the right kinds, the false acceptances (a mail taken for an
accepted objection that is none) and the lost answers (an answer to an objection read as other_meta).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import Counter
from pathlib import Path

from metawatch import parsing
from metawatch.classify import Classifier
from metawatch.models import Kind

ROOT = Path(__file__).resolve().parent.parent


def evaluate(
    folder: Path, manifest: dict[str, dict[str, str]]
) -> tuple[Counter[tuple[str, str]], list[str]]:
    """Confusion counts (expected, got) over every labelled mail, and the misclassified files."""
    classifier = Classifier()
    confusion: Counter[tuple[str, str]] = Counter()
    wrong = []
    for name, expected in sorted(manifest.items()):
        result = classifier.classify(parsing.parse((folder / name).read_bytes()))
        confusion[(expected["kind"], result.kind.value)] += 1
        auth_ok = (
            expected.get("authenticity", result.authenticity.value) == result.authenticity.value
        )
        if result.kind.value != expected["kind"] or not auth_ok:
            wrong.append(f"{name}: expected {expected['kind']}/{expected.get('authenticity', '-')}, "
                         f"got {result.kind.value}/{result.authenticity.value} ({result.rule})")  # fmt: skip
    return confusion, wrong


def table(confusion: Counter[tuple[str, str]]) -> list[str]:
    """Per-kind precision, recall and support."""
    lines = [f"{'kind':<20} {'precision':>9} {'recall':>7} {'support':>8}"]
    for kind in [k.value for k in Kind]:
        tp = confusion[(kind, kind)]
        predicted = sum(n for (_, got), n in confusion.items() if got == kind)
        actual = sum(n for (exp, _), n in confusion.items() if exp == kind)
        if not predicted and not actual:
            continue
        precision = f"{tp / predicted:.3f}" if predicted else "-"
        recall = f"{tp / actual:.3f}" if actual else "-"
        lines.append(f"{kind:<20} {precision:>9} {recall:>7} {actual:>8}")
    total = sum(confusion.values())
    correct = sum(n for (e, g), n in confusion.items() if e == g)
    lines.append(
        f"{'overall accuracy':<20} {correct / total if total else 0:>9.3f} {'':>7} {total:>8}"
    )
    return lines


ANSWERS = {Kind.OBJECTION_ACCEPTED.value, Kind.OBJECTION_REJECTED.value}


def per_language(root: Path) -> list[str]:
    """One line per language folder: right kinds, false acceptances, lost answers."""
    lines = [f"{'lang':<6} {'mails':>5} {'right':>5} {'accuracy':>8} {'false acc':>9} {'lost':>5}"]
    totals = Counter[str]()
    for folder in sorted(p.parent for p in root.glob("*/manifest.toml")):
        manifest = tomllib.loads((folder / "manifest.toml").read_text("utf-8"))
        confusion, _ = evaluate(folder, manifest)
        row = Counter(
            mails=sum(confusion.values()),
            right=sum(n for (e, g), n in confusion.items() if e == g),
            false_acc=sum(
                n for (e, g), n in confusion.items() if g == Kind.OBJECTION_ACCEPTED.value != e
            ),  # fmt: skip
            lost=sum(
                n for (e, g), n in confusion.items() if e in ANSWERS and g == Kind.OTHER_META.value
            ),  # fmt: skip
        )
        totals.update(row)
        lines.append(_language_line(folder.name, row))
    return [*lines, _language_line("all", totals)]


def _language_line(name: str, row: Counter[str]) -> str:
    accuracy = row["right"] / row["mails"] if row["mails"] else 0
    return (f"{name:<6} {row['mails']:>5} {row['right']:>5} {accuracy:>8.1%} "
            f"{row['false_acc']:>9} {row['lost']:>5}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", nargs="?", default=str(ROOT / "sample_mails"))
    parser.add_argument("--manifest", help="manifest file (default: FOLDER/manifest.toml)")
    args = parser.parse_args()
    folder = Path(args.folder)
    if not args.manifest and not (folder / "manifest.toml").exists():
        print("\n".join(per_language(folder)))
        return 0
    manifest = tomllib.loads(Path(args.manifest or folder / "manifest.toml").read_text("utf-8"))
    confusion, wrong = evaluate(folder, manifest)
    print("\n".join(table(confusion)))
    if wrong:
        print("\nmisclassified:")
        print("\n".join(f"  {w}" for w in wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main())
