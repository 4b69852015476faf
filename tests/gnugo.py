"""A small GTP client for GNU Go, for tests and cross-checks.

``GnuGo`` runs ``gnugo --mode gtp`` as a subprocess and talks GTP over its
pipes. ``send_many`` writes a batch of commands before reading the replies,
which saves a round trip per command (about 50 us each).
"""

from __future__ import annotations

import shutil
import subprocess

GNUGO = shutil.which("gnugo") or "/usr/games/gnugo"


class GtpError(RuntimeError):
    """GNU Go answered a command with a GTP failure (``? message``)."""


class GnuGo:
    """A running GNU Go GTP engine; use as a context manager."""

    def __init__(self, *extra_args: str, program: str = GNUGO):
        args = [program, "--mode", "gtp", "--level", "0", *extra_args]
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, bufsize=1,
        )

    def __enter__(self) -> "GnuGo":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Send quit and wait for the process to end."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()

    def _read_reply(self) -> tuple[bool, str]:
        """Read one reply: (success, text without the leading ``=``/``?``)."""
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise GtpError("GNU Go closed its output")
            line = line.rstrip("\n")
            if not line.strip():
                if lines:
                    break
                continue
            lines.append(line)
        text = "\n".join(lines)
        return text[0] == "=", text[1:].strip()

    def send_many(self, commands: list[str], check: bool = True) -> list[str]:
        """Send commands in one batch; return their replies (GtpError on failure if check)."""
        self.proc.stdin.write("".join(c + "\n" for c in commands))
        self.proc.stdin.flush()
        replies = []
        for command in commands:
            ok, text = self._read_reply()
            if check and not ok:
                raise GtpError(f"{command!r} failed: {text}")
            replies.append(text if ok else "?" + text)
        return replies

    def send(self, command: str) -> str:
        """Send one command and return its reply; raises GtpError on failure."""
        return self.send_many([command])[0]
