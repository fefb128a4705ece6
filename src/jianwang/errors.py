"""The exception hierarchy.

Library code raises these and never prints: the CLI turns a ``UserError`` into a one-line message
and a non-zero exit, and lets anything else surface as a bug with its traceback.
"""

from __future__ import annotations


class JianwangError(Exception):
    """Base of every error Jianwang raises on purpose."""


class UserError(JianwangError):
    """Something a person must fix: a bad path, a bad option, a duplicate record.

    The message is shown as it is, so it names the input at fault.
    """

    exit_code = 2


class NotFoundError(UserError):
    """A record, file or URL that was named does not exist."""

    exit_code = 3


class DuplicateError(UserError):
    """A record that must be unique already exists."""

    exit_code = 4


class PermissionDenied(UserError):
    """The acting user's role or scope does not allow the action; nothing was changed."""

    exit_code = 77  # EX_NOPERM


class MediaError(UserError):
    """Media that cannot be probed or decoded: missing, corrupt, truncated or not media at all."""

    exit_code = 5


class DecodeTimeout(MediaError):
    """A decode ran past its time limit."""


class IndexMismatchError(JianwangError):
    """An index file was written by another signal, version or parameter set."""


class FetchError(UserError):
    """A URL could not be fetched: unreachable, refused, too large, too slow or a bad status."""

    exit_code = 6


class UnsafeURLError(FetchError):
    """A URL the crawler must not reach: a non-http(s) scheme or a forbidden address."""
