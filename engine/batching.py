"""One network (or a few), many searching threads: their ``evaluate`` calls merged into one batch.

``SharedBatcher(inner)`` is an ``Evaluator`` that any number of threads may
call at once. A call waits until every *active* thread has a request pending
(or ``max_wait`` seconds have passed), then one thread runs the inner
evaluator on all pending positions and hands each caller its part. The inner
evaluator (ONNX Runtime, its cache) is only ever called by one thread at a
time; ONNX Runtime and torch release the GIL while they run, so the gain is
one large batch instead of many small ones.

Two ways to count the active threads:

- ``with batcher.active():`` around a search (the analysis engine: workers
  come and go, and an idle worker never holds the others back);
- ``SharedBatcher(inner, clients=n)`` with each of the ``n`` threads calling
  ``leave()`` when it is done for good (self-play and match games).

``inner`` may also be a dict of evaluators (two nets in a match):
``client(key)`` is the evaluator a thread hands its searcher for net ``key``,
and a flush runs one batch per net.

A thread may also hand in a network's raw inputs (``run_raw``: planes and
globals its own code encoded, the compiled search tree's): they are run
together with the other threads' raw inputs for the same net and board size,
in one ``run`` of the network under the inner evaluator (``raw_net``).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import numpy as np

from engine.eval_cache import CachedEvaluator
from engine.evaluation import Evaluation, Evaluator, Position
from engine.evaluator import NetEvaluator


class SharedBatcher(Evaluator):
    """Merges concurrent ``evaluate`` calls from several search threads into one network call per net."""

    def __init__(self, inner: Evaluator | dict, clients: int = 0, max_wait: float = 0.005):
        self.inners: dict = inner if isinstance(inner, dict) else {None: inner}
        self.max_wait = max_wait
        self._cond = threading.Condition()
        self._pending: list[list] = []      # [key, positions or (planes, glob), result, error]
        self._active = clients
        self.calls = 0
        self.positions = 0
        self.network_seconds = 0.0          # wall time inside the inner evaluators (network runs)

    @contextmanager
    def active(self):
        """Count the calling thread as a searcher while the block runs."""
        with self._cond:
            self._active += 1
        try:
            yield self
        finally:
            self.leave()

    def leave(self) -> None:
        """A searching thread is done: stop waiting for it (and flush if the rest are all waiting)."""
        with self._cond:
            self._active -= 1
            if self._pending and len(self._pending) >= self._active:
                self._flush()

    def client(self, key) -> Evaluator:
        """An evaluator that sends its positions to network ``key`` through this batcher."""
        return _Client(self, key)

    def evaluate(self, positions: list[Position]) -> list[Evaluation]:
        """This call's evaluations by the single (key None) network, batched with the other threads'."""
        return self.submit(None, positions)

    def run_raw(self, key, planes: np.ndarray, glob: np.ndarray) -> list[np.ndarray]:
        """The raw outputs of net ``key`` for these inputs, run in one batch with the other threads' raw inputs."""
        return self.submit(key, (planes, glob))

    def submit(self, key, positions) -> list:
        """Wait until every active thread has asked (or ``max_wait``), then return this call's part.

        ``positions``: a list of positions (evaluations come back), or a pair
        of raw network inputs (the network's outputs for them come back).
        """
        slot = [key, positions, None, None]
        with self._cond:
            self._pending.append(slot)
            while slot[2] is None and slot[3] is None:
                everyone_asked = len(self._pending) >= max(1, self._active)
                if everyone_asked or (not self._cond.wait(self.max_wait) and any(s is slot for s in self._pending)):
                    self._flush()
        if slot[3] is not None:
            raise slot[3]
        return slot[2]

    def _flush(self) -> None:
        """Evaluate everything pending, one batch per network (lock held), and wake the waiters."""
        batch, self._pending = self._pending, []
        for key in dict.fromkeys(slot[0] for slot in batch):
            group = [slot for slot in batch if slot[0] == key]
            self._evaluate([slot for slot in group if isinstance(slot[1], list)], key)
            raw = [slot for slot in group if isinstance(slot[1], tuple)]
            for shape in dict.fromkeys(slot[1][0].shape[1:] for slot in raw):
                self._run_raw([slot for slot in raw if slot[1][0].shape[1:] == shape], key)
        self._cond.notify_all()

    def _evaluate(self, group: list, key) -> None:
        """One ``evaluate`` of the inner evaluator over the positions of ``group``'s slots."""
        flat = [p for slot in group for p in slot[1]]
        if not group:
            return
        began = time.perf_counter()
        try:
            out = self.inners[key].evaluate(flat) if flat else []
        except Exception as exc:  # noqa: BLE001 - handed to every waiting caller
            for slot in group:
                slot[3] = exc
            return
        finally:
            self.network_seconds += time.perf_counter() - began
        i = 0
        for slot in group:
            slot[2] = out[i:i + len(slot[1])]
            i += len(slot[1])
        self.calls += 1
        self.positions += len(flat)

    def _run_raw(self, group: list, key) -> None:
        """One ``run`` of the network under inner evaluator ``key`` over ``group``'s raw inputs (one board shape)."""
        sizes = [len(slot[1][0]) for slot in group]
        began = time.perf_counter()
        try:
            net = raw_net(self.inners[key])
            if net is None:
                raise TypeError("raw inputs need a network evaluator (NetEvaluator) behind the batcher")
            outputs = net.run(np.concatenate([slot[1][0] for slot in group]),
                              np.concatenate([slot[1][1] for slot in group]))
        except Exception as exc:  # noqa: BLE001 - handed to every waiting caller
            for slot in group:
                slot[3] = exc
            return
        finally:
            self.network_seconds += time.perf_counter() - began
        start = 0
        for slot, size in zip(group, sizes):
            slot[2] = [np.asarray(out)[start:start + size] for out in outputs]
            start += size
        self.calls += 1
        self.positions += sum(sizes)

    def mean_batch(self) -> float:
        """Average positions per network call so far."""
        return self.positions / self.calls if self.calls else 0.0

    def clear(self) -> None:
        """Empty the inner evaluators' caches, where they have one."""
        with self._cond:
            for inner in self.inners.values():
                clear = getattr(inner, "clear", None)
                if clear is not None:
                    clear()

    def close(self) -> None:
        """Close the inner evaluators."""
        for inner in self.inners.values():
            inner.close()


def raw_net(evaluator) -> NetEvaluator | None:
    """The network evaluator (``NetEvaluator``) under ``evaluator`` and its cache, or None."""
    inner = evaluator.inner if isinstance(evaluator, CachedEvaluator) else evaluator
    return inner if isinstance(inner, NetEvaluator) else None


class RawClient:
    """A thread's ``run(planes, glob)`` of one network behind a ``SharedBatcher`` (``run_raw``).

    It shows the network's ``encode_batch`` and ``random_symmetry`` (what the
    caller must encode like) and counts ``evaluations`` on the network.
    """

    def __init__(self, batcher: SharedBatcher, key, net: NetEvaluator):
        self.batcher, self.key, self.net = batcher, key, net
        self.encode_batch, self.random_symmetry = net.encode_batch, net.random_symmetry

    def run(self, planes: np.ndarray, glob: np.ndarray) -> list[np.ndarray]:
        """The network's outputs for these inputs, batched with the other threads'."""
        return self.batcher.run_raw(self.key, planes, glob)

    @property
    def evaluations(self) -> int:
        """The network's evaluation count."""
        return self.net.evaluations

    @evaluations.setter
    def evaluations(self, value: int) -> None:
        self.net.evaluations = value


def raw_client(evaluator) -> RawClient | None:
    """A ``RawClient`` for a batcher (its net ``None``) or one of its clients, if a network evaluator is behind it."""
    if isinstance(evaluator, SharedBatcher):
        batcher, key = evaluator, None
    elif isinstance(evaluator, _Client):
        batcher, key = evaluator.batcher, evaluator.key
    else:
        return None
    net = raw_net(batcher.inners.get(key)) if key in batcher.inners else None
    return RawClient(batcher, key, net) if net is not None else None


class _Client(Evaluator):
    """A thread's view of one network behind a ``SharedBatcher``."""

    def __init__(self, batcher: SharedBatcher, key):
        self.batcher = batcher
        self.key = key

    def evaluate(self, positions: list[Position]) -> list[Evaluation]:
        """Submit to the shared batch."""
        return self.batcher.submit(self.key, positions)
