"""One network, many searching threads: their ``evaluate`` calls merged into one batch.

``SharedBatcher(inner)`` is an ``Evaluator`` that any number of threads may
call at once. A call waits until every *active* thread has a request pending
(or ``max_wait`` seconds have passed), then one thread runs the inner
evaluator on all pending positions and hands each caller its part. Threads
announce themselves with ``with batcher.active():`` around a search, so an
idle worker never holds the others back. The inner evaluator (ONNX Runtime,
its cache) is only ever called by one thread at a time.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from engine.evaluation import Evaluation, Evaluator, Position


class SharedBatcher(Evaluator):
    """Merges concurrent ``evaluate`` calls from several search threads into one network call."""

    def __init__(self, inner: Evaluator, max_wait: float = 0.005):
        self.inner = inner
        self.max_wait = max_wait
        self._cond = threading.Condition()
        self._pending: list[list] = []      # [positions, result, error]
        self._active = 0
        self.calls = 0
        self.positions = 0

    @contextmanager
    def active(self):
        """Count the calling thread as a searcher while the block runs."""
        with self._cond:
            self._active += 1
        try:
            yield self
        finally:
            with self._cond:
                self._active -= 1
                if self._pending and len(self._pending) >= self._active:
                    self._flush()

    def evaluate(self, positions: list[Position]) -> list[Evaluation]:
        """This call's evaluations, computed in one batch with the other threads' pending calls."""
        slot = [positions, None, None]
        with self._cond:
            self._pending.append(slot)
            while slot[1] is None and slot[2] is None:
                everyone_asked = len(self._pending) >= max(1, self._active)
                if everyone_asked or (not self._cond.wait(self.max_wait) and any(s is slot for s in self._pending)):
                    self._flush()
        if slot[2] is not None:
            raise slot[2]
        return slot[1]

    def _flush(self) -> None:
        """Evaluate everything pending (lock held) and wake the waiting threads."""
        batch, self._pending = self._pending, []
        flat = [p for slot in batch for p in slot[0]]
        try:
            out = self.inner.evaluate(flat) if flat else []
        except Exception as exc:  # noqa: BLE001 - handed to every waiting caller
            for slot in batch:
                slot[2] = exc
        else:
            i = 0
            for slot in batch:
                slot[1] = out[i:i + len(slot[0])]
                i += len(slot[0])
            self.calls += 1
            self.positions += len(flat)
        self._cond.notify_all()

    def mean_batch(self) -> float:
        """Average positions per network call so far."""
        return self.positions / self.calls if self.calls else 0.0

    def clear(self) -> None:
        """Empty the inner evaluator's cache, if it has one."""
        with self._cond:
            clear = getattr(self.inner, "clear", None)
            if clear is not None:
                clear()

    def close(self) -> None:
        """Close the inner evaluator."""
        self.inner.close()
