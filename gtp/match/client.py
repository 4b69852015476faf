"""A GTP client: runs an engine as a subprocess and talks GTP over its pipes, with timeouts.

Used by the match runner (``zerogo match``) to referee any two GTP engines.
The engine's stdout is read on a thread, so every command can wait with a
deadline (the client's ``timeout`` unless a command gives its own); its
stderr goes to a file (or is discarded) and never blocks it.

The engine starts in a session (and process group) of its own, so closing a
stuck engine kills the whole group: an engine behind a wrapper
(``sh -c "..."``, a script) cannot leave a child holding the pipes open,
which used to hang the match in ``stdout.close()``.
"""

from __future__ import annotations

import logging
import os
import queue
import shlex
import signal
import subprocess
import threading
import time

log = logging.getLogger("zerogo.match")

DEFAULT = object()   # a command's timeout: the client's own (``GtpClient.timeout``)


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

    def __init__(self, command: str | list[str], stderr_path: str | None = None, cwd: str | None = None,
                 timeout: float | None = 30.0):
        args = shlex.split(command) if isinstance(command, str) else list(command)
        if not args:
            raise GtpClientError("empty engine command")
        self.command = args
        self.timeout = timeout
        self._stderr = open(stderr_path, "ab") if stderr_path else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._stderr, cwd=cwd, text=True, bufsize=1,
                                         encoding="utf-8", errors="replace",
                                         start_new_session=os.name == "posix")
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

    def _deadline_for(self, timeout) -> float | None:
        return self.timeout if timeout is DEFAULT else timeout

    def send(self, command: str, timeout=DEFAULT) -> str:
        """Send one command; its reply text (GtpCommandFailed on ``?``, GtpTimeout, GtpEngineDied)."""
        ok, text = self.send_raw(command, timeout)
        if not ok:
            raise GtpCommandFailed(f"{command!r}: {text}")
        return text

    def send_many(self, commands: list[str], check: bool = True, timeout=DEFAULT) -> list[str]:
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

    def send_raw(self, command: str, timeout=DEFAULT) -> tuple[bool, str]:
        """Send one command; (success, reply text without the ``=``/``?``)."""
        self._write(command + "\n")
        return self._reply(command, timeout)

    def _reply(self, command: str, timeout: float | None) -> tuple[bool, str]:
        """Read the reply to ``command``: (success, text without the ``=``/``?`` and id)."""
        timeout = self._deadline_for(timeout)
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
            except GtpTimeout:
                raise               # out of step now: the caller must give up on this engine
            except GtpClientError:
                self._known = set()
        return name in self._known

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc.poll() is None

    def kill(self) -> None:
        """Kill the engine's whole process group (wrappers and their children too)."""
        if os.name == "posix":
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.alive():
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log.error("engine %s (pid %d) survives SIGKILL", self.command[0], self.proc.pid)

    def close(self, timeout: float = 3.0) -> None:
        """Send ``quit``, wait a little, then kill the process group (at once if a command timed out)."""
        if self._stuck and self.alive():
            self.kill()
        if self.alive():
            try:
                self.send_raw("quit", timeout=timeout)
            except GtpClientError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()    # also whatever the engine left behind in its group
        self._reader.join(timeout=timeout)
        streams = [self.proc.stdin] + ([self.proc.stdout] if not self._reader.is_alive() else [])
        for stream in streams:   # never close stdout under a reader blocked in read()
            try:
                stream.close()
            except (OSError, ValueError):
                pass
        self._close_stderr()

    def _close_stderr(self) -> None:
        if self._stderr is not subprocess.DEVNULL:
            self._stderr.close()


class LiveEngines:
    """The engines of the games in progress, so a match stopped at once can kill them all."""

    def __init__(self) -> None:
        self._clients: set[GtpClient] = set()
        self._lock = threading.Lock()
        self._closed = False

    def add(self, client: GtpClient) -> GtpClient:
        """Track ``client`` (killed at once when the match is already being stopped)."""
        with self._lock:
            if not self._closed:
                self._clients.add(client)
                return client
        client.kill()
        return client

    def discard(self, client: GtpClient) -> None:
        """Stop tracking ``client`` (its game is over)."""
        with self._lock:
            self._clients.discard(client)

    def kill_all(self) -> int:
        """Kill every tracked engine, and any added later; the number killed now."""
        with self._lock:
            self._closed = True
            clients, self._clients = list(self._clients), set()
        for client in clients:
            client.kill()
        return len(clients)

