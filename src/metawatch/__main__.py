"""Allow ``python -m metawatch``."""

from metawatch.cli import main

main()
