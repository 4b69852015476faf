"""Gumbel root selection with sequential halving (Danihelka et al. 2022, "Policy improvement by planning with Gumbel").

For low-visit searches: sample Gumbel noise ``g``, take the top ``m`` moves by
``g + logits``, then share the visit budget over ``ceil(log2 m)`` phases,
halving the candidates after each by ``g + logits + sigma(q)``. Below the
root the search is ordinary PUCT. The improved policy target is
``softmax(logits + sigma(completed q))``. Values follow ``engine.mcts_node``: the
root's child arrays are from the root's side to move's view; ``q`` is mapped to
[0, 1] before ``sigma``.
"""

from __future__ import annotations

import math

import numpy as np

from engine.mcts_node import Node


def _sigma(q01: np.ndarray, max_visits: float, c_visit: float, c_scale: float) -> np.ndarray:
    """The monotone transform of the paper: (c_visit + max N) * c_scale * q."""
    return (c_visit + max_visits) * c_scale * q01


class SequentialHalving:
    """The root schedule of one Gumbel search over a visit budget."""

    def __init__(self, root: Node, budget: int, m: int, rng: np.random.Generator,
                 c_visit: float = 50.0, c_scale: float = 1.0):
        self.moves = root.moves.copy()
        self.logits = np.log(np.maximum(root.raw_prior, 1e-12))
        self.gumbel = rng.gumbel(size=len(self.moves))
        m = max(1, min(m, len(self.moves), int(budget)))   # never more candidates than visits
        order = np.argsort(-(self.gumbel + self.logits))[:m]
        self.remaining = [int(self.moves[i]) for i in order]
        self.phases = max(1, math.ceil(math.log2(m))) if m > 1 else 1
        self.budget, self.used, self.phase = max(1, int(budget)), 0, 0
        self.c_visit, self.c_scale = c_visit, c_scale

    def _index(self, move: int) -> int | None:
        return int(np.flatnonzero(self.moves == move)[0])

    def next_choices(self, root: Node) -> list[int]:
        """Root child indices (with repeats) to visit in the next phase; [] when done."""
        self.remaining = [mv for mv in self.remaining if root.child_index(mv) is not None]
        r = len(self.remaining)
        if self.phase >= self.phases or r == 0 or self.used >= self.budget:
            return []
        per = max(1, self.budget // (self.phases * r))
        if self.phase == self.phases - 1:
            per = max(per, (self.budget - self.used) // r)
        choices = [root.child_index(mv) for _ in range(per) for mv in self.remaining]
        self.used += len(choices)
        return choices

    def _scores(self, root: Node, moves: list[int]) -> np.ndarray:
        """g + logits + sigma(q) for the given moves (unvisited: completed q)."""
        q01 = (self.completed_q(root) + 1.0) / 2.0
        max_n = float(root.child_N.max()) if len(root.child_N) else 0.0
        out = []
        for mv in moves:
            i, j = root.child_index(mv), self._index(mv)
            out.append(self.gumbel[j] + self.logits[j] + _sigma(q01[i], max_n, self.c_visit, self.c_scale))
        return np.array(out)

    def end_phase(self, root: Node) -> None:
        """Keep the better half of the candidates."""
        self.remaining = [mv for mv in self.remaining if root.child_index(mv) is not None]
        if len(self.remaining) > 1:
            scores = self._scores(root, self.remaining)
            keep = max(1, math.ceil(len(self.remaining) / 2))
            order = np.argsort(-scores)[:keep]
            self.remaining = [self.remaining[i] for i in order]
        self.phase += 1

    def best_index(self, root: Node) -> int:
        """The chosen root child: the best remaining candidate by g + logits + sigma(q)."""
        alive = [mv for mv in self.remaining if root.child_index(mv) is not None]
        if not alive:
            return int(np.argmax(root.child_N))
        scores = self._scores(root, alive)
        return root.child_index(alive[int(np.argmax(scores))])

    @staticmethod
    def completed_q(root: Node) -> np.ndarray:
        """Per-child q (root's side to move, in [-1, 1]); unvisited children get v_mix."""
        n, w, prior = root.child_N, root.child_W, root.raw_prior
        visited = n > 0
        q = np.where(visited, w / np.maximum(n, 1.0), 0.0)
        total = n.sum()
        if visited.any():
            pv = prior[visited].sum()
            mix = (pv and (prior[visited] * q[visited]).sum() / pv) or 0.0
            v_mix = (root.net_value + total * mix) / (1.0 + total)
        else:
            v_mix = root.net_value
        return np.where(visited, q, v_mix)

    def improved_policy(self, root: Node) -> np.ndarray:
        """softmax(logits + sigma(completed q)) over the root's candidates (training target)."""
        logits = np.log(np.maximum(root.raw_prior, 1e-12))
        max_n = float(root.child_N.max()) if len(root.child_N) else 0.0
        z = logits + _sigma((self.completed_q(root) + 1.0) / 2.0, max_n, self.c_visit, self.c_scale)
        z = np.exp(z - z.max())
        return z / z.sum()
