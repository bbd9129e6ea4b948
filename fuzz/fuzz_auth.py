"""Fuzz the Authentication-Results reader with atheris (libFuzzer).

    python fuzz/fuzz_auth.py -dict=fuzz/auth.dict -max_total_time=600 fuzz/corpus-auth

The property: the verdict is never ``pass`` unless the topmost header of a trusted receiver says
pass; and nothing raises, whatever the headers.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["metawatch"]):
    from metawatch import auth
    from metawatch.classify import Classifier
    from metawatch.models import Authenticity

SENDERS = Classifier().senders
FROM = ["notification@facebookmail.com", "security@mail.instagram.com", "x@faceb00kmail.com", ""]


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    sender = FROM[fdp.ConsumeIntInRange(0, len(FROM) - 1)]
    headers = [fdp.ConsumeUnicodeNoSurrogates(300) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    verdict = auth.verdict(sender, headers, SENDERS)
    auth.parse_results(headers[0] if headers else "")
    if verdict.authenticity is Authenticity.PASS:
        trusted = auth.trusted_header(headers, SENDERS.trusted)
        if trusted is None or "pass" not in trusted.lower():
            raise AssertionError(f"pass without a trusted pass: {headers!r}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
