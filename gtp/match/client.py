"""A GTP client: runs an engine as a subprocess and talks GTP over its pipes, with timeouts.

Used by the match runner (``zerogo match``) to referee any two GTP engines.
The engine's stdout is read on a thread, so every command can wait with a
deadline; its stderr goes to a file (or is discarded) and never blocks it.
"""

from __future__ import annotations

import logging
import queue
import shlex
import subprocess
import threading
import time

log = logging.getLogger("zerogo.match")


class GtpClientError(RuntimeError):
    """Talking to the engine failed."""


class GtpTimeout(GtpClientError):
    """The engine did not answer within the deadline."""


class GtpEngineDied(GtpClientError):
    """The engine's process ended or closed its output."""


class GtpCommandFailed(GtpClientError):
    """The engine answered ``? message``."""


class GtpClient:
    """One running GTP engine; use as a context manager."""

    def __init__(self, command: str | list[str], stderr_path: str | None = None, cwd: str | None = None):
        args = shlex.split(command) if isinstance(command, str) else list(command)
        if not args:
            raise GtpClientError("empty engine command")
        self.command = args
        self._stderr = open(stderr_path, "ab") if stderr_path else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._stderr, cwd=cwd, text=True, bufsize=1,
                                         encoding="utf-8", errors="replace")
        except OSError as exc:
            self._close_stderr()
            raise GtpEngineDied(f"cannot start {args[0]}: {exc}") from None
        self._lines: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True, name="gtp-client")
        self._reader.start()
        self._known: set[str] | None = None
        self._stuck = False

    def __enter__(self) -> "GtpClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read(self) -> None:
        try:
            for line in self.proc.stdout:
                self._lines.put(line)
        except (OSError, ValueError):
            pass
        self._lines.put(None)

    def _next_line(self, deadline: float | None) -> str:
        timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self._stuck = True  # the reply may still come: this session is out of step
            raise GtpTimeout("no answer in time") from None
        if line is None:
            self._lines.put(None)
            raise GtpEngineDied(f"engine ended (exit code {self.proc.poll()})")
        return line.rstrip("\r\n")

    def send(self, command: str, timeout: float | None = 30.0) -> str:
        """Send one command; its reply text (GtpCommandFailed on ``?``, GtpTimeout, GtpEngineDied)."""
        ok, text = self.send_raw(command, timeout)
        if not ok:
            raise GtpCommandFailed(f"{command!r}: {text}")
        return text

    def send_many(self, commands: list[str], check: bool = True, timeout: float | None = 30.0) -> list[str]:
        """Write a batch of commands, then read their replies (one round trip for all).

        A failed command raises GtpCommandFailed when ``check``, else its reply reads ``?text``.
        """
        self._write("".join(c + "\n" for c in commands))
        replies = []
        for command in commands:
            ok, text = self._reply(command, timeout)
            if check and not ok:
                raise GtpCommandFailed(f"{command!r}: {text}")
            replies.append(text if ok else "?" + text)
        return replies

    def _write(self, text: str) -> None:
        try:
            self.proc.stdin.write(text)
            self.proc.stdin.flush()
        except (OSError, ValueError):
            raise GtpEngineDied(f"engine closed its input (exit code {self.proc.poll()})") from None

    def send_raw(self, command: str, timeout: float | None = 30.0) -> tuple[bool, str]:
        """Send one command; (success, reply text without the ``=``/``?``)."""
        self._write(command + "\n")
        return self._reply(command, timeout)

    def _reply(self, command: str, timeout: float | None) -> tuple[bool, str]:
        """Read the reply to ``command``: (success, text without the ``=``/``?`` and id)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        line = self._next_line(deadline)
        while not line.strip():
            line = self._next_line(deadline)
        if line[0] not in "=?":
            raise GtpClientError(f"malformed reply to {command!r}: {line!r}")
        ok, lines = line[0] == "=", [line[1:]]
        while True:
            line = self._next_line(deadline)
            if not line.strip():
                break
            lines.append(line)
        text = "\n".join(lines)
        head = text.split(None, 1)
        if head and head[0].isdigit() and not text[:1].isspace():
            text = text[len(head[0]):]
        return ok, text.strip()

    def known(self, name: str) -> bool:
        """True when ``list_commands`` lists the command."""
        if self._known is None:
            try:
                self._known = set(self.send("list_commands").split())
            except GtpClientError:
                self._known = set()
        return name in self._known

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc.poll() is None

    def close(self, timeout: float = 3.0) -> None:
        """Send ``quit``, wait a little, then kill (at once if a command timed out)."""
        if self._stuck and self.alive():
            self.proc.kill()
            self.proc.wait()
        if self.alive():
            try:
                self.send_raw("quit", timeout=timeout)
            except GtpClientError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except (OSError, ValueError):
                pass
        self._close_stderr()

    def _close_stderr(self) -> None:
        if self._stderr is not subprocess.DEVNULL:
            self._stderr.close()
