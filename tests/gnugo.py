"""GNU Go as a GTP engine for tests and cross-checks, through the one GTP client (``gtp.match.client``).

``send_many`` writes a batch of commands before reading the replies, which
saves a round trip per command.
"""

from __future__ import annotations

import shutil

from gtp.match.client import GtpClient, GtpCommandFailed

GNUGO = shutil.which("gnugo") or "/usr/games/gnugo"
GtpError = GtpCommandFailed


class GnuGo(GtpClient):
    """A running GNU Go GTP engine (level 0 unless told otherwise); use as a context manager."""

    def __init__(self, *extra_args: str, program: str = GNUGO):
        super().__init__([program, "--mode", "gtp", "--level", "0", *extra_args])

    def send(self, command: str, timeout: float | None = 60.0) -> str:
        """Send one command and return its reply; raises GtpError on failure."""
        return super().send(command, timeout)
