"""Helpers for GTP tests: in-process sessions, a piped live session, reply parsing."""

from __future__ import annotations

import io
import os
import queue
import subprocess
import sys
import threading

from engine.player import SimplePlayer
from gtp.server.commands import GtpEngine
from gtp.server.players import EngineOptions
from gtp.server.protocol import GtpServer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_engine(player=None, **options) -> GtpEngine:
    """A GtpEngine on 9x9 (by default) with SimplePlayer(seed 1) or the given player."""
    opts = EngineOptions(**{"size": 9, "network": "none", "seed": 1, **options})
    return GtpEngine(opts, player or SimplePlayer(1))


def split_replies(output: str) -> list[str]:
    """Split protocol output into replies; asserts each ends with exactly one empty line."""
    assert output.endswith("\n\n") or output == "", repr(output[-50:])
    replies = output[:-2].split("\n\n") if output else []
    for r in replies:
        assert r[:1] in "=?", repr(r)
        assert not r.endswith("\n"), repr(r)
    return replies


def session(lines: list[str], engine: GtpEngine | None = None, raw: str | None = None) -> list[str]:
    """Run lines (or raw text) through a server until EOF; the list of replies."""
    engine = engine or make_engine()
    text = raw if raw is not None else "".join(line + "\n" for line in lines)
    out = io.StringIO()
    GtpServer(engine, io.StringIO(text), out).serve()
    return split_replies(out.getvalue())


def ok(reply: str) -> str:
    """The text of a successful reply (asserts success)."""
    assert reply.startswith("="), reply
    return reply[1:].strip()


class LiveSession:
    """A server on a thread, fed through a pipe; read its output line by line."""

    def __init__(self, engine: GtpEngine):
        r, self._w = os.pipe()
        self._in = os.fdopen(r, "r")
        self._lines: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=GtpServer(engine, self._in, self).serve, daemon=True)
        self.thread.start()
        self._buffer = ""

    def write(self, text: str) -> None:
        """Called by the server with protocol text."""
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            self._lines.put(line)

    def flush(self) -> None:
        """Nothing to flush."""

    def send(self, text: str) -> None:
        """Write raw input text."""
        os.write(self._w, text.encode())

    def line(self, timeout: float = 10.0) -> str:
        """The next output line (without the newline)."""
        return self._lines.get(timeout=timeout)

    def close(self) -> None:
        """End of input; wait for the server."""
        os.close(self._w)
        self.thread.join(timeout=10)
        self._in.close()


def zerogo_gtp(*args: str) -> list[str]:
    """The command line of a ``zerogo gtp`` subprocess (via this interpreter)."""
    return [sys.executable, "-c", "from gtp.cli import main; main()", "gtp", "--network", "none", *args]


def run_zerogo(text: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``zerogo gtp`` on the given input text; bytes in, text out."""
    return subprocess.run(zerogo_gtp(*args), input=text.encode(), capture_output=True,
                          timeout=timeout, cwd=REPO)
