"""A transposition cache in front of any evaluator: one network call per distinct position."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from engine.evaluation import Evaluation, EvaluationJob, Evaluator, Position


class CachedEvaluator(Evaluator):
    """A transposition cache (LRU on ``Position.key()``) in front of another evaluator.

    Cached ``Evaluation`` objects are shared: callers must not modify them.
    """

    def __init__(self, inner: Evaluator, size: int = 200_000, max_bytes: int = 256 << 20):
        self.inner = inner
        self.size = max(1, int(size))
        self.max_bytes = max(1, int(max_bytes))
        self.bytes = 0
        self.cache: OrderedDict[int, Evaluation] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def entry_bytes(ev: Evaluation) -> int:
        """Approximate memory of one cached evaluation (arrays plus object overhead)."""
        own = 0 if ev.ownership is None else np.asarray(ev.ownership).nbytes
        return np.asarray(ev.policy).nbytes + own + 400

    @property
    def overlaps(self) -> bool:
        """The inner evaluator's (``Evaluator.begin``)."""
        return getattr(self.inner, "overlaps", False)

    def evaluate(self, positions: list[Position]) -> list[Evaluation]:
        """Cached results where present; one batched call to the inner evaluator for the rest."""
        keys = [p.key() for p in positions]
        hits, todo = self._lookup(keys, positions)
        return self._merge(keys, hits, dict(zip(todo, self.inner.evaluate(list(todo.values())))) if todo else {})

    def begin(self, positions: list[Position]) -> EvaluationJob:
        """``evaluate`` as a job: the misses go to one job of the inner evaluator."""
        keys = [p.key() for p in positions]
        hits, todo = self._lookup(keys, positions)
        inner = self.inner.begin(list(todo.values())) if todo else None
        return _CachedJob(self, positions, keys, hits, list(todo), inner)

    def _lookup(self, keys: list[int], positions: list[Position]) -> tuple[dict, dict[int, Position]]:
        """(the cached evaluations, the distinct positions not cached) by key; hits become the freshest."""
        hits: dict[int, Evaluation] = {}
        todo: dict[int, Position] = {}
        for key, pos in zip(keys, positions):
            ev = self.cache.get(key)
            if ev is not None:
                self.cache.move_to_end(key)
                hits[key] = ev
            elif key not in todo:
                todo[key] = pos
        self.misses += len(todo)
        self.hits += len(positions) - len(todo)
        return hits, todo

    def _merge(self, keys: list[int], hits: dict, fresh: dict[int, Evaluation]) -> list[Evaluation]:
        """The evaluations for ``keys`` from ``hits`` and ``fresh``; ``fresh`` is cached (LRU-bounded)."""
        out = [fresh[k] if k in fresh else hits[k] for k in keys]
        for key, ev in fresh.items():
            old = self.cache.get(key)    # the same position in two jobs in flight at once
            if old is not None:
                self.bytes -= self.entry_bytes(old)
            self.cache[key] = ev
            self.bytes += self.entry_bytes(ev)
        while len(self.cache) > self.size or (self.bytes > self.max_bytes and len(self.cache) > 1):
            self.bytes -= self.entry_bytes(self.cache.popitem(last=False)[1])
        return out

    def clear(self) -> None:
        """Forget every cached evaluation (e.g. after a rules or komi change)."""
        self.cache.clear()
        self.bytes = 0

    def check_board_size(self, width: int, height: int) -> None:
        """The inner evaluator's check (see ``NetEvaluator.check_board_size``)."""
        check = getattr(self.inner, "check_board_size", None)
        if check is not None:
            check(width, height)

    def close(self) -> None:
        """Close the inner evaluator."""
        self.inner.close()


class _CachedJob(EvaluationJob):
    """``CachedEvaluator.begin``'s job: the inner job for the misses, merged with the hits at the end."""

    def __init__(self, cache: CachedEvaluator, positions: list[Position], keys: list[int], hits: dict,
                 todo: list[int], inner: EvaluationJob | None):
        super().__init__(positions)
        self.cache, self.keys, self.hits, self.todo, self.inner = cache, keys, hits, todo, inner

    def start(self) -> None:
        """Start the inner job (if any position missed the cache)."""
        if self.inner is not None:
            self.inner.start()

    def wait(self) -> None:
        """Wait for the inner job."""
        if self.inner is not None:
            self.inner.wait()

    def _finish(self) -> list[Evaluation]:
        fresh = dict(zip(self.todo, self.inner.result())) if self.inner is not None else {}
        return self.cache._merge(self.keys, self.hits, fresh)
