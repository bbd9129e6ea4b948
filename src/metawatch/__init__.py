"""metawatch: tells you, per account, whether Meta may train its AI on your data."""

__version__ = "0.1.0"
