"""Ctrl-C and SIGTERM as a stop request a long job answers at its next safe point.

The first SIGINT or SIGTERM only records the signal (the job finishes its
current step, saves, and exits with 128 + the signal number, as the default
handler would); a second one raises ``StopNow`` (a ``KeyboardInterrupt``) at
once, for a user who will not wait. Handlers are installed only in the main
thread (Python allows no other) and the previous ones are restored on exit.

Used by ``zerogo train`` and ``zerogo data distil`` (nets) and by ``zerogo
match``, whose first Ctrl-C finishes the games in progress and whose SIGTERM
raises ``StopNow`` at once (gtp.match.cli).
"""

from __future__ import annotations

import signal
import threading

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def signal_exit_code(signum: int) -> int:
    """128 + the signal number (what a shell reports for a job the signal killed)."""
    return 128 + signum


class StopNow(KeyboardInterrupt):
    """Raised by a stop signal that means "now"; ``exit_code`` is 128 + that signal's number."""

    def __init__(self, signum: int):
        super().__init__(f"signal {signum}: stopping at once")
        self.exit_code = signal_exit_code(signum)


class StopRequest:
    """A context manager whose ``signum`` is set by the first SIGINT/SIGTERM inside it."""

    def __init__(self):
        self.signum: int | None = None
        self._old: dict = {}

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            self._old = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        self._old = {}

    def _on_signal(self, signum, frame) -> None:
        if self.signum is not None:
            raise StopNow(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The exit status for the recorded signal (SIGTERM's if none came)."""
        return signal_exit_code(self.signum or signal.SIGTERM)
