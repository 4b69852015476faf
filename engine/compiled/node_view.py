"""``NodeView``: a node of a ``CompiledTree`` with the face of an ``engine.mcts_node.Node``.

The searcher, the reports and the GTP player read nodes through these: each
array is a gathered copy (the illegal moves left out, as the Python tree
deletes them), so changes go through ``set_prior`` and ``remove_child``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.compiled import pool as P

if TYPE_CHECKING:
    from engine.compiled.tree import CompiledTree


class NodeView:
    """A node of a ``CompiledTree`` seen as an ``engine.mcts_node.Node`` (illegal moves left out)."""

    def __init__(self, tree: "CompiledTree", index: int):
        self.tree, self.node = tree, index

    def edges(self) -> np.ndarray:
        """The pool's edge indices of the candidates (illegal moves left out)."""
        pool = self.tree.pool
        first, degree = int(pool.first[self.node]), int(pool.degree[self.node])
        if degree < 0:
            return np.zeros(0, np.int64)
        edges = np.arange(first, first + degree)
        return edges[pool.child[edges] != P.ILLEGAL]

    def _stat(self, values: np.ndarray) -> np.ndarray:
        children = self.tree.pool.child[self.edges()]
        out = np.zeros(len(children))
        built = children >= 0
        out[built] = values[children[built]]
        return out

    @property
    def expanded(self) -> bool:
        """True once the network has been asked about this node."""
        return bool(self.tree.pool.degree[self.node] >= 0)

    @property
    def moves(self) -> np.ndarray | None:
        """The candidate moves (None until expanded)."""
        return self.tree.pool.move[self.edges()].astype(np.int64) if self.expanded else None

    @property
    def prior(self) -> np.ndarray:
        """The priors the search uses (after noise and ladders)."""
        return self.tree.pool.prior[self.edges()].astype(np.float64)

    @property
    def raw_prior(self) -> np.ndarray:
        """The network's priors."""
        return self.tree.pool.raw_prior[self.edges()].astype(np.float64)

    @property
    def child_N(self) -> np.ndarray:   # noqa: N802  (Node's names)
        """Visits of each candidate."""
        return self._stat(self.tree.pool.n)

    @property
    def child_W(self) -> np.ndarray:   # noqa: N802
        """Summed values of each candidate (this node's side to move's view)."""
        return self._stat(self.tree.pool.w)

    @property
    def child_W2(self) -> np.ndarray:   # noqa: N802
        """Summed squared values of each candidate."""
        return self._stat(self.tree.pool.w2)

    @property
    def child_S(self) -> np.ndarray:   # noqa: N802
        """Summed scores of each candidate (this node's side to move's view)."""
        return self._stat(self.tree.pool.s)

    @property
    def child_VL(self) -> np.ndarray:   # noqa: N802
        """Virtual losses of each candidate."""
        return self._stat(self.tree.pool.vl)

    @property
    def children(self) -> "_Children":
        """A view of each built child, None for the others (made when asked for)."""
        return _Children(self.tree, self.tree.pool.child[self.edges()])

    @property
    def terminal(self) -> tuple[float, float] | None:
        """(value, score) for the side to move after two passes, else None."""
        pool = self.tree.pool
        return (float(pool.term_value[self.node]), float(pool.term_score[self.node])) if pool.terminal[self.node] \
            else None

    @property
    def net_value(self) -> float:
        """The network's value for the side to move."""
        return float(self.tree.pool.net_value[self.node])

    @property
    def net_score(self) -> float:
        """The network's score lead for the side to move."""
        return float(self.tree.pool.net_score[self.node])

    @property
    def visits(self) -> int:
        """Visits through this node."""
        return int(self.tree.pool.n[self.node])

    @property
    def board(self):
        """The position as an ``engine.board.Board`` (the root's kept; others replayed from it)."""
        return self.tree.board_of(self.node)

    def q(self) -> float:
        """Mean value for this node's side to move (0 when unvisited)."""
        pool = self.tree.pool
        n = pool.n[self.node]
        return float(-pool.w[self.node] / n) if n > 0 else 0.0

    def child_index(self, move: int) -> int | None:
        """The index of ``move`` among the candidates, or None."""
        moves = self.moves
        if moves is None:
            return None
        hits = np.flatnonzero(moves == move)
        return int(hits[0]) if len(hits) else None

    def set_prior(self, prior: np.ndarray) -> None:
        """Replace the candidates' priors (noise, ladders)."""
        self.tree.pool.prior[self.edges()] = prior
        self.tree.pool.best_unbuilt[self.node] = -1

    def remove_child(self, i: int) -> None:
        """Leave candidate ``i`` out of the search from now on."""
        self.tree.pool.child[self.edges()[i]] = P.ILLEGAL
        self.tree.pool.best_unbuilt[self.node] = -1


class _Children:
    """``NodeView.children``: a sequence that makes each child's view when it is read."""

    def __init__(self, tree: "CompiledTree", nodes: np.ndarray):
        self.tree, self.nodes = tree, nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, i: int) -> NodeView | None:
        node = int(self.nodes[i])
        return NodeView(self.tree, node) if node >= 0 else None

    def __iter__(self):
        return (self[i] for i in range(len(self.nodes)))
