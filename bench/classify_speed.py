"""Parse + classify speed on a typical 30 KB HTML Meta mail (target: well under 10 ms each).

Run: python bench/classify_speed.py [--n 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from metawatch import parsing
from metawatch.classify import Classifier

ROOT = Path(__file__).resolve().parent.parent


def typical_mail(target: int = 30_000) -> bytes:
    """A sample notice padded with Meta-style table markup up to ~30 KB of HTML."""
    raw = (ROOT / "sample_mails" / "en-fb-notice-2025.eml").read_bytes()
    head, _, _ = raw.partition(b"\r\n\r\n")
    mail = parsing.parse(raw)
    # Meta's templates: nested layout tables with long inline styles (~250 bytes per row).
    filler = (
        '<tr><td style="font-family:Helvetica Neue,Helvetica,Lucida Grande,tahoma,verdana,arial,'
        "sans-serif;font-size:16px;line-height:21px;color:#141823;padding:0 20px 0 20px;"
        'border-collapse:collapse" class="mb_blk" width="100%"><span style="font-size:12px;'
        'color:#90949c;mso-line-height-rule:exactly">&nbsp;</span></td></tr>'
    )
    paras = "".join(f"<p>{p}</p>" for p in mail.text.split("\n") if p)
    html = f"<html><body><table>{paras}"
    while len(html) < target:
        html += filler
    html += "</table></body></html>"
    headers = b"\r\n".join(
        h for h in head.split(b"\r\n") if not h.lower().startswith((b"content-", b"mime"))
    )
    return (
        headers
        + b"\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + html.encode()
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    raw = typical_mail()
    classifier = Classifier()
    classifier.classify(parsing.parse(raw))  # warm up: rule packs compiled once per process
    times = []
    for _ in range(args.n):
        start = time.perf_counter()
        result = classifier.classify(parsing.parse(raw))
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(f"mail size            {len(raw):>8,} bytes ({result.kind.value})")
    print(f"median               {statistics.median(times):8.2f} ms")
    print(f"p95                  {times[int(len(times) * 0.95)]:8.2f} ms")
    print(f"max                  {times[-1]:8.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
