"""GTP v2 wire layer: input preprocessing, reply framing and the read loop.

The loop reads stdin on its own thread, so a long command (an analysis
stream, pondering) can be interrupted by any new input line, including
GoGui's ``# interrupt`` comment. Replies go to the output stream only;
every log line goes to stderr through ``logging``.

Framing (GTP v2 draft 2, section 2.6-2.11): ``=[id] text`` or ``?[id] text``
followed by exactly one empty line; no empty line ever appears inside a reply.
The ``=``/``?`` and id are always followed by one space, also before an empty
reply and before a reply that starts on the next line (board views, streams):
GoGui's client cuts a reply at the first space after ``=`` and would otherwise
lose the first value of a board.

Interrupts: GoGui's Interrupt button sends the comment line ``# interrupt``
while a command runs (we list ``gogui-interrupt``); that line, or a
``gogui-interrupt`` command arriving meanwhile, sets ``ReplyIO.interrupt``,
which ``genmove`` passes to the searcher. Any other input line only sets
``ReplyIO.stop`` (which ends analysis streams), so a client that sends its
next command early never cuts a move short.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from dataclasses import dataclass
from typing import Callable, TextIO

log = logging.getLogger("zerogo.gtp")

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n\s*\n")
_ID = re.compile(r"^\d+$")
MAX_LINE = 1 << 20  # longer input lines are refused whole (a bad client must not eat memory)


@dataclass
class OverlongLine:
    """An input line longer than MAX_LINE: its head (the rest was read and dropped)."""

    head: str


class GtpFailure(Exception):
    """A command failed: its message becomes the ``?`` reply text."""


class QuitRequested(Exception):
    """The ``quit`` command: answer it, then end the loop."""

    def __init__(self, reply: str = ""):
        super().__init__(reply)
        self.reply = reply


def preprocess(line: str) -> str:
    """Spec 2.3: drop control characters but HT/LF, cut ``#`` comments, HT to space, strip."""
    line = line.replace("\r", "")
    line = line.split("#", 1)[0]
    line = line.replace("\t", " ")
    line = _CONTROL.sub("", line)
    return line.strip()


@dataclass
class Command:
    """A parsed command line: optional numeric id, name and arguments."""

    id: str | None
    name: str
    args: list[str]


def parse_command(line: str) -> Command | None:
    """Parse a preprocessed line; None when nothing is left (blank or only an id)."""
    words = line.split()
    if not words:
        return None
    cmd_id = None
    if _ID.match(words[0]):
        cmd_id, words = words[0], words[1:]
        if not words:
            return Command(cmd_id, "", [])
    return Command(cmd_id, words[0], words[1:])


def clean_text(text: str) -> str:
    """Reply body with no empty line inside and no trailing whitespace."""
    text = text.replace("\r", "")
    text = _BLANK_LINES.sub("\n", text)
    while "\n\n" in text:
        text = text.replace("\n\n", "\n")
    return text.rstrip()


def format_reply(cmd_id: str | None, ok: bool, text: str) -> str:
    """A complete reply: ``=id text`` / ``?id text`` (always a space after the id) and the empty line."""
    head = ("=" if ok else "?") + (cmd_id or "")
    body = clean_text(text)
    return f"{head} {body}\n\n"


def is_interrupt(raw: str) -> bool:
    """GoGui's ``# interrupt`` comment line, or a ``[id] gogui-interrupt`` command."""
    text = raw.replace("\r", "").strip()
    if text.startswith("#"):
        return text[1:].strip().lower() == "interrupt"
    words = text.split()
    if words and _ID.match(words[0]):
        words = words[1:]
    return words == ["gogui-interrupt"]


class ReplyIO:
    """What a command handler may use to stream a reply while the client waits.

    ``begin()`` writes the ``=id`` line; ``line(text)`` one more line of the
    reply; ``stop`` is set as soon as the client sends any input line.
    """

    def __init__(self, write: Callable[[str], None], cmd_id: str | None, stop: threading.Event,
                 interrupt: threading.Event | None = None):
        self._write = write
        self.cmd_id = cmd_id
        self.stop = stop
        self.interrupt = interrupt if interrupt is not None else threading.Event()
        self.started = False
        self._lock = threading.Lock()
        self._closed = False

    def begin(self) -> None:
        """Start a streamed success reply (the ``=id`` line on its own)."""
        with self._lock:
            if not self.started:
                self.started = True
                self._write("=" + (self.cmd_id or "") + " \n")

    def line(self, text: str) -> bool:
        """Write one line of a streamed reply; False (nothing written) once closed."""
        body = clean_text(text).strip("\n")
        with self._lock:
            if self._closed or not self.started or not body:
                return False
            self._write(body + "\n")
            return True

    def close(self) -> None:
        """No more lines may be written (the reply is about to end)."""
        with self._lock:
            self._closed = True


class InputReader:
    """Reads raw lines on a thread; ``interrupt`` fires whenever a line is waiting."""

    def __init__(self, stream: TextIO):
        self._stream = stream
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._pending = 0
        self._interrupt = threading.Event()
        self._gogui_interrupt = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gtp-input", daemon=True)

    def start(self) -> None:
        """Start reading."""
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                line = self._stream.readline(MAX_LINE)
                if len(line) >= MAX_LINE and not line.endswith("\n"):
                    line = self._drop_rest(line)
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                log.error("input error: %s", exc)
                line = ""
            with self._lock:
                self._pending += 1
                self._queue.put(line if line else None)
                if isinstance(line, str) and line and is_interrupt(line):
                    self._gogui_interrupt.set()
                self._interrupt.set()
            if not line:
                return

    def _drop_rest(self, head: str) -> OverlongLine | str:
        """Read and drop an overlong line up to its newline: no part of it runs as a command."""
        dropped = len(head)
        while True:
            chunk = self._stream.readline(MAX_LINE)
            dropped += len(chunk)
            if not chunk or chunk.endswith("\n"):
                break
        log.warning("input line of %d characters dropped (the limit is %d)", dropped, MAX_LINE)
        return OverlongLine(head[:64])

    def get(self) -> str | OverlongLine | None:
        """The next raw line (blocking); None at end of input."""
        line = self._queue.get()
        with self._lock:
            self._pending -= 1
            if self._pending == 0:
                self._interrupt.clear()
        return line

    def interrupt_event(self) -> threading.Event:
        """An event set now if input is waiting, or as soon as a line arrives."""
        return self._interrupt

    def gogui_interrupt_event(self) -> threading.Event:
        """A fresh event, set when ``# interrupt`` or ``gogui-interrupt`` arrives from now on."""
        with self._lock:
            self._gogui_interrupt = threading.Event()
            return self._gogui_interrupt


class GtpServer:
    """Runs the read-eval-reply loop of a command table over text streams."""

    def __init__(self, handlers, input_stream: TextIO, output_stream: TextIO):
        """``handlers``: object with ``dispatch(name, args, io) -> str`` and ``before_command()``."""
        self.handlers = handlers
        self.reader = InputReader(input_stream)
        self.out = output_stream
        self._out_lock = threading.Lock()

    def write(self, text: str) -> None:
        """Write protocol text to the output and flush (thread-safe)."""
        with self._out_lock:
            try:
                self.out.write(text)
                self.out.flush()
            except (OSError, ValueError) as exc:
                log.error("cannot write reply: %s", exc)

    def serve(self) -> None:
        """Answer commands until ``quit`` or end of input."""
        self.reader.start()
        while True:
            raw = self.reader.get()
            if raw is None:
                log.info("end of input")
                self.handlers.before_command()
                return
            if isinstance(raw, OverlongLine):
                head = parse_command(preprocess(raw.head))
                if head is not None:     # a command (not a comment): it gets its one reply
                    self.write(format_reply(head.id, False,
                                            f"line too long (more than {MAX_LINE} characters)"))
                continue
            cmd = parse_command(preprocess(raw))
            if cmd is None:
                continue
            if not self.run_one(cmd):
                return

    def run_one(self, cmd: Command) -> bool:
        """Run one command and write its reply; False after ``quit``."""
        io = ReplyIO(self.write, cmd.id, self.reader.interrupt_event(), self.reader.gogui_interrupt_event())
        if not cmd.name:
            self.write(format_reply(cmd.id, False, "missing command"))
            return True
        log.debug("command: %s %s", cmd.name, " ".join(cmd.args))
        keep_going, ok, text = True, True, ""
        try:
            self.handlers.before_command()
            text = self.handlers.dispatch(cmd.name, cmd.args, io)
        except QuitRequested as q:
            keep_going, text = False, q.reply
        except GtpFailure as exc:
            ok, text = False, str(exc)
        except Exception as exc:  # a bug must never kill the engine
            log.exception("command %r crashed", cmd.name)
            ok, text = False, f"internal error: {type(exc).__name__}: {exc}"
        io.close()
        self._finish(io, ok, text or "")
        return keep_going

    def _finish(self, io: ReplyIO, ok: bool, text: str) -> None:
        """End the reply: whole, or the tail of a streamed one."""
        if not io.started:
            self.write(format_reply(io.cmd_id, ok, text))
            return
        if not ok:
            log.error("streamed command failed after its reply began: %s", text)
            text = ""
        body = clean_text(text).strip("\n")
        self.write((body + "\n" if body else "") + "\n")
