"""A transposition cache in front of any evaluator: one network call per distinct position."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from engine.evaluation import Evaluation, Evaluator, Position


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

    def evaluate(self, positions: list[Position]) -> list[Evaluation]:
        """Cached results where present; one batched call to the inner evaluator for the rest."""
        keys = [p.key() for p in positions]
        todo: dict[int, Position] = {}
        for key, pos in zip(keys, positions):
            if key in self.cache:
                self.cache.move_to_end(key)
            elif key not in todo:
                todo[key] = pos
        self.misses += len(todo)
        self.hits += len(positions) - len(todo)
        fresh = dict(zip(todo, self.inner.evaluate(list(todo.values())))) if todo else {}
        out = [fresh[k] if k in fresh else self.cache[k] for k in keys]
        for key, ev in fresh.items():
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
