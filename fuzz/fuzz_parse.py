"""Fuzz the mail parser and the classifier with atheris (libFuzzer).

    python fuzz/fuzz_parse.py -max_total_time=600 -rss_limit_mb=2048 fuzz/corpus-parse sample_mails

Any exception is a finding: parse() must turn every input into a Mail (``error`` set when broken)
and classify() must return a Classification. See docs/reliability.md for the runs so far.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["metawatch"]):
    from metawatch import parsing
    from metawatch.classify import Classifier
    from metawatch.models import Kind

CLASSIFIER = Classifier()


def test_one_input(data: bytes) -> None:
    mail = parsing.parse(data, screen=CLASSIFIER.needs_full_text)
    result = CLASSIFIER.classify(mail, data)
    if mail.error and result.kind is not Kind.UNPARSEABLE:
        raise AssertionError(f"a broken mail was classified as {result.kind}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
