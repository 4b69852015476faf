"""A straightforward pure-Python Go board, kept only as the benchmark's yardstick.

No incremental groups, no hashing: every capture and suicide test flood-fills
from scratch, the way a first implementation would. ``zerogo bench board``
runs the same workload on this and on ``engine.board.Board`` to report the
speed-up in one run. It follows the same rules (simple ko, no suicide).
"""

from __future__ import annotations

from engine.board import diagonal_table, neighbor_table


class ReferenceBoard:
    """A naive board: a list of stones, flood fills for chains and liberties."""

    def __init__(self, width: int, height: int | None = None):
        self.width = width
        self.height = width if height is None else height
        self.area = self.width * self.height
        self.pass_move = self.area
        self.stones = [0] * self.area
        self.nbrs = neighbor_table(self.width, self.height)
        self.diags = diagonal_table(self.width, self.height)
        self.to_play = 1
        self.ko_point = -1
        self.passes = 0

    def copy(self) -> "ReferenceBoard":
        """An independent copy."""
        b = ReferenceBoard.__new__(ReferenceBoard)
        b.__dict__.update(self.__dict__)
        b.stones = self.stones[:]
        return b

    def chain(self, point: int) -> tuple[set[int], set[int]]:
        """Stones and liberties of the chain at point, by flood fill."""
        color, stones = self.stones[point], self.stones
        chain, libs, todo = {point}, set(), [point]
        while todo:
            p = todo.pop()
            for n in self.nbrs[p]:
                if stones[n] == 0:
                    libs.add(n)
                elif stones[n] == color and n not in chain:
                    chain.add(n)
                    todo.append(n)
        return chain, libs

    def is_legal(self, move: int) -> bool:
        """True for pass or an empty, non-ko, non-suicide point (tries the move)."""
        if move == self.area:
            return True
        if self.stones[move] != 0 or move == self.ko_point:
            return False
        trial = self.copy()
        trial.stones[move] = self.to_play
        if trial._capture_around(move):
            return True
        return bool(trial.chain(move)[1])

    def _capture_around(self, move: int) -> list[int]:
        """Remove opponent chains next to move left without liberties."""
        color, removed = self.stones[move], []
        for n in self.nbrs[move]:
            if self.stones[n] == -color:
                chain, libs = self.chain(n)
                if not libs:
                    for s in chain:
                        self.stones[s] = 0
                    removed.extend(chain)
        return removed

    def play(self, move: int) -> None:
        """Play a legal move for the side to move (ValueError if illegal)."""
        if not self.is_legal(move):
            raise ValueError(f"illegal move {move}")
        color = self.to_play
        self.to_play = -color
        if move == self.area:
            self.passes += 1
            self.ko_point = -1
            return
        self.passes = 0
        self.stones[move] = color
        removed = self._capture_around(move)
        chain, libs = self.chain(move)
        self.ko_point = removed[0] if len(removed) == 1 and len(chain) == 1 and len(libs) == 1 else -1

    def is_eye(self, point: int, color: int) -> bool:
        """True for an empty point that is a true (or edge) eye of color."""
        if self.stones[point] != 0 or any(self.stones[n] != color for n in self.nbrs[point]):
            return False
        diags = self.diags[point]
        bad = sum(1 for d in diags if self.stones[d] == -color)
        return bad == 0 if len(diags) < 4 else bad <= 1
