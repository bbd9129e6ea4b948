"""Time parse + classify on the worst inputs the hostile tests use (docs/reliability.md).

python bench/worst_case.py
"""

from __future__ import annotations

import time

from metawatch import parsing
from metawatch.classify import Classifier

HEAD = b"From: a@facebookmail.com\r\nSubject: x\r\n"
MIXED = HEAD + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
CASES = {
    "one-line HTML": HEAD + b"Content-Type: text/html\r\n\r\n<p>" + b"x" * 5_000_000 + b"</p>",
    "HTML nested 5,000 deep": HEAD + b"Content-Type: text/html\r\n\r\n" + b"<div>" * 5000
    + b"KI bei Meta" + b"</div>" * 5000,
    "999 MIME parts": MIXED + b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" * 999 + b"--b--\r\n",
    "1,000,000 tiny MIME parts": MIXED + b"--b\r\n\r\nx\r\n" * 1_000_000 + b"--b--\r\n",
    "1,379 dash lines of ASCII art, 3 parts": MIXED + b"--b\r\nContent-Type: text/plain\r\n\r\n"
    + b"-------- /\\_/\\\r\n" * 1379 + b"--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n",
    "3,000,000 dash lines, none a boundary": MIXED + b"--b\r\n\r\n" + b"--x\r\n" * 3_000_000 + b"--b--\r\n",
    "900 nested multiparts": HEAD + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n" + b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1) for i in range(900)),
    "plain text": HEAD + b"\r\n" + b"word " * 4_800_000,
    "base64 attachment": MIXED + b"--b\r\nContent-Type: application/pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n" + (b"QUJD" * 19 + b"\r\n") * 300_000 + b"--b--\r\n",
}  # fmt: skip


def main() -> None:
    classifier = Classifier()
    print("| input | size | time | result |\n| --- | --- | --- | --- |")
    for name, raw in CASES.items():
        start = time.perf_counter()
        mail = parsing.parse(raw, screen=classifier.needs_full_text)
        kind = classifier.classify(mail, raw).kind
        took = time.perf_counter() - start
        print(
            f"| {name} | {len(raw) / 1e6:.1f} MB | {took:.2f} s | {kind.value} {mail.error or ''} |"
        )


if __name__ == "__main__":
    main()
