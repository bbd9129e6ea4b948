"""Our exception hierarchy; each class carries the exit code the CLI maps it to."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes: Nagios-style status codes, then sysexits.h codes for failures."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    USAGE = 64  # EX_USAGE: bad command line
    DATA = 65  # EX_DATAERR: input that cannot be read as mail or rules
    NO_INPUT = 66  # EX_NOINPUT: a source that does not exist
    SOFTWARE = 70  # EX_SOFTWARE: a bug in metawatch
    CANT_CREATE = 73  # EX_CANTCREAT: the database or an output file cannot be created or written
    TEMP_FAIL = 75  # EX_TEMPFAIL: unreachable server, timeout, another scan running
    NO_PERM = 77  # EX_NOPERM: authentication failed
    CONFIG = 78  # EX_CONFIG: bad configuration


class MetawatchError(Exception):
    """Base class; the message is shown to the user as one line."""

    exit_code: ExitCode = ExitCode.SOFTWARE


class UsageError(MetawatchError):
    """The command line asks for something that cannot be done."""

    exit_code = ExitCode.USAGE


class SourceNotFound(MetawatchError):
    """A mail source given on the command line does not exist."""

    exit_code = ExitCode.NO_INPUT


class SourceError(MetawatchError):
    """A mail source failed for a reason that may pass (network, timeout)."""

    exit_code = ExitCode.TEMP_FAIL


class DeadlineExceeded(SourceError):
    """A mailbox or the whole scan ran past its deadline (a stalled or trickling server)."""

    exit_code = ExitCode.TEMP_FAIL


class AuthError(SourceError):
    """The server refused our credentials."""

    exit_code = ExitCode.NO_PERM


class ConfigError(MetawatchError):
    """The configuration file or a setting is invalid."""

    exit_code = ExitCode.CONFIG


class RulesError(MetawatchError):
    """A rule pack is invalid."""

    exit_code = ExitCode.CONFIG


class StoreError(MetawatchError):
    """The database cannot be opened, created or written."""

    exit_code = ExitCode.CANT_CREATE


class StoreUnavailable(StoreError):
    """The database server cannot be reached (down, restarting, network): try again later."""

    exit_code = ExitCode.TEMP_FAIL


class OutputError(MetawatchError):
    """An output file or folder cannot be created."""

    exit_code = ExitCode.CANT_CREATE


class LockedError(MetawatchError):
    """Another scan holds the lock."""

    exit_code = ExitCode.TEMP_FAIL


class NotFound(MetawatchError):
    """An account or message id that does not exist."""

    exit_code = ExitCode.DATA
