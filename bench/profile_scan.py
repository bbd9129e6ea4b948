"""Where a first scan's CPU goes, per Meta mail: the floor's part and each step of metawatch's.

Run: python bench/profile_scan.py [--n 1000] [--cprofile]

Builds the benchmark's Meta mails (bench/scan.py's generator: notification noise and AI notices,
no Dovecot needed) and times, in this process, on one core, each step a scan takes per mail:
mail-parser (the floor parses with it too), the rest of parsing (the screen, the text), the
classification, the trip to a worker process and back, and the row in the store. CPU time
(time.process_time), the best of three passes, so that other load on the machine counts less.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pickle
import pstats
import random
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mailparser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from scan import ai_mail, noise  # noqa: E402  (the scan benchmark's own mails)

from metawatch import mailbytes, parsing, workers  # noqa: E402
from metawatch.classify import Classifier  # noqa: E402
from metawatch.models import Cursor, RawMail  # noqa: E402
from metawatch.rules import fold, words  # noqa: E402
from metawatch.store import NewMessage, Store  # noqa: E402


def mails(n: int, seed: int = 7) -> list[bytes]:
    """``n`` Meta mails as the benchmark mixes them (about 6 % AI notices and answers)."""
    rng = random.Random(seed)
    return [ai_mail(rng, i) if rng.random() < 0.06 else noise(rng, i, True) for i in range(n)]


def cpu_ms(step: Callable[[Any], object], items: Sequence[Any]) -> float:
    """CPU milliseconds per item, the best of three passes."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for item in items:
            step(item)
        best = min(best, time.process_time() - start)
    return best / len(items) * 1000


def mail_parser(raw: bytes) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mailparser.parse_from_bytes(raw)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="mails (default 1000)")
    parser.add_argument("--cprofile", action="store_true", help="also print the top functions")
    args = parser.parse_args()
    raws = mails(args.n)
    classifier = Classifier()
    start = time.process_time()
    classifier.rules  # noqa: B018
    compile_s = time.process_time() - start
    screen = classifier.needs_full_text
    parsed = [mail_parser(r) for r in raws]
    htmls = ["\n".join(p.text_html) for p in parsed]
    plains = ["\n".join(p.text_plain) for p in parsed]
    screen_texts = [f"{p}\n{parsing.rough_text(h)}" for p, h in zip(plains, htmls, strict=True)]
    folded = [fold(t) for t in screen_texts]
    mails_ = [parsing.parse(r, screen=screen) for r in raws]
    through = [h for h, m in zip(htmls, mails_, strict=True) if h and not m.screened_out]
    roughs = [parsing.rough_text(h) for h in htmls]
    results = [workers.analyse(classifier, RawMail(f"k{i}", r), None) for i, r in enumerate(raws)]
    rows = [NewMessage(f"imap:b/INBOX/1/{i}", m, c, None) for i, (m, c) in enumerate(results)]

    def store_all(_: object) -> None:
        with tempfile.TemporaryDirectory() as folder:
            store = Store.open(f"sqlite:///{folder}/p.db")
            for i in range(0, len(rows), 500):
                store.known_keys([r.key for r in rows[i : i + 500]])
                store.add_messages(rows[i : i + 500], Cursor("b", "INBOX", 1, i + 500))
            store.close()

    steps = [
        ("mail-parser (the floor; here only for mails the screen lets through)", cpu_ms(mail_parser, raws)),
        ("Python's email parser (every mail's first reading)", cpu_ms(parsing._read_stdlib, raws)),
        ("SHA-256 and content hash", cpu_ms(lambda r: (hashlib.sha256(r).hexdigest(), mailbytes.content_hash(r)), raws)),
        ("HTML tags stripped (rough text)", cpu_ms(parsing.rough_text, htmls)),
        ("screen: fold", cpu_ms(fold, screen_texts)),
        ("screen: words", cpu_ms(words, folded)),
        ("screen: gate phrases", cpu_ms(lambda f: classifier._gated(f, words(f)), folded) - cpu_ms(words, folded)),
        ("text cleaned (invisible characters, spaces)", cpu_ms(parsing.clean_text, roughs)),
        (f"HTML to text (BeautifulSoup) for the {len(through)} mails the screen let through",
         cpu_ms(parsing.html_to_text, through) * len(through) / len(raws) if through else 0.0),
        ("parse in all (first reading, screen, text; the rest when let through)", cpu_ms(lambda r: parsing.parse(r, screen=screen), raws)),
        ("classify (alone: without the fold and counts the screen shares)", cpu_ms(classifier.classify, mails_)),
        ("parse and classify, as a worker does", cpu_ms(lambda r: workers.analyse(classifier, RawMail("k", r), None), raws)),
        ("to a worker and back (pickle both ways)", cpu_ms(lambda x: pickle.loads(pickle.dumps(x)), list(zip(raws, results, strict=True)))),
        ("store: known keys, insert, cursor (batches of 500)", cpu_ms(store_all, [None]) / len(rows)),
    ]  # fmt: skip
    width = max(len(name) for name, _ in steps)
    print(f"{len(raws)} Meta mails, {sum(map(len, raws)) // len(raws):,} bytes on average; "
          f"rule packs loaded in {compile_s:.2f} s CPU (phrases compile when first tried)")  # fmt: skip
    for name, ms in steps:
        print(f"  {name:<{width}}  {ms:6.2f} ms")
    print("(each step timed in a loop of its own, with warm caches: they add up to less than the "
          "whole parse, which also decodes headers and addresses)")  # fmt: skip
    if args.cprofile:
        profile = cProfile.Profile()
        profile.enable()
        for r in raws:
            workers.analyse(classifier, RawMail("k", r), None)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
