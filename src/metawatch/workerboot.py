"""Imported once, by the fork server that starts a scan's worker processes (see workers.py).

What it loads here — the packaged rule packs and the parsing libraries — every worker forked from
it has from the start: loaded once per scan, not once per worker, and shared.
"""

import gc
import signal

# Ctrl-C is for the scanning process, which stops the workers itself: here and in the workers
# (they inherit this) it would only print tracebacks.
signal.signal(signal.SIGINT, signal.SIG_IGN)

from metawatch import parsing  # noqa: E402
from metawatch.rules import load_rules  # noqa: E402

load_rules()  # its phrases compile in each worker when first tried: measured, that starts sooner
parsing.html_to_text(parsing.parse(b"From: a@example.org\r\n\r\nwarm-up").text)

# What is loaded now lives as long as the workers: out of the garbage collector's sight, its
# pages stay shared with them instead of being copied when a collection walks them.
gc.freeze()
