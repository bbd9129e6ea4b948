"""Fuzz the Authentication-Results reader with atheris (libFuzzer).

    python fuzz/fuzz_auth.py -dict=fuzz/auth.dict -max_total_time=600 fuzz/corpus-auth

The property: the verdict is never ``pass`` unless a header that the receiving provider wrote (by
its ids and where it puts them) says pass; and nothing raises, whatever the headers.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["metawatch"]):
    from metawatch import auth
    from metawatch.classify import Classifier
    from metawatch.models import Authenticity
    from metawatch.providers import Receiver, Trust, registry, self_hosted

SENDERS = Classifier().senders
FROM = ["notification@facebookmail.com", "security@mail.instagram.com", "x@faceb00kmail.com", ""]
NAMES = ["authentication-results", "received", "x-wp-dkim-status", "x-toi-msgid", "subject"]
PROVIDERS = [*registry().providers, self_hosted(["mx.example.org"])]


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    sender = FROM[fdp.ConsumeIntInRange(0, len(FROM) - 1)]
    headers = [(NAMES[fdp.ConsumeIntInRange(0, len(NAMES) - 1)], fdp.ConsumeUnicodeNoSurrogates(300))
               for _ in range(fdp.ConsumeIntInRange(0, 6))]  # fmt: skip
    p = PROVIDERS[fdp.ConsumeIntInRange(0, len(PROVIDERS) - 1)]
    verdict = auth.verdict(sender, headers, SENDERS, Receiver(p, "fuzz"))
    Trust().receiver(headers)
    auth.parse_results(headers[0][1] if headers else "")
    if verdict.authenticity is Authenticity.PASS:
        own = auth.provider_headers(headers, p)
        if not any("pass" in v.lower() or "good" in v.lower() for _, v in own):
            raise AssertionError(f"pass without a pass of the provider's own: {headers!r}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
