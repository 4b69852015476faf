"""The whole game behind a position, as a persistent list of boards (newest first).

Some networks' inputs need more than the last few boards: KataGo's features
ask which moves were passes, whether a move would repeat an earlier position
(superko), whether a pass would end the game, and how many stones each side
started with. A ``Trail`` holds every board from the game's initial position
(after handicap or setup stones) to the current one. Nodes are shared: the
search extends a parent's trail by one node per move, so a child costs one
small object, and anything derived from a node can be memoised on it
(``memo``) and reused by every position below it.

The move that led to a node is read from its board: ``board.last_move``
(``area`` for a pass) played by ``-board.to_play``. The initial node has
``move is None``.
"""

from __future__ import annotations

from engine.board import Board


class Trail:
    """One position of a game and the trail that led to it."""

    __slots__ = ("board", "length", "memo", "prev")

    def __init__(self, board: Board, prev: Trail | None = None):
        self.board = board
        self.prev = prev
        self.length = 0 if prev is None else prev.length + 1  # moves since the initial position
        self.memo: dict = {}

    @property
    def move(self) -> int | None:
        """The move that led here (flat index, ``area`` = pass), None at the initial position."""
        return None if self.prev is None else self.board.last_move

    @property
    def color(self) -> int:
        """The colour that played ``move`` (meaningless at the initial position)."""
        return -self.board.to_play

    def extend(self, board: Board) -> Trail:
        """The trail after one more move, which produced ``board``."""
        return Trail(board, self)

    def nodes(self) -> list[Trail]:
        """Every node from this one back to the initial position, newest first."""
        out = []
        node: Trail | None = self
        while node is not None:
            out.append(node)
            node = node.prev
        return out

    @property
    def initial(self) -> Trail:
        """The node of the game's initial position."""
        node = self
        while node.prev is not None:
            node = node.prev
        return node

    @classmethod
    def from_game(cls, game) -> Trail:
        """The trail of a ``engine.game.Game``: its initial position, then one node per move."""
        boards = list(game._undo) + [game.board]
        trail = cls(boards[0])
        for board in boards[1:]:
            trail = trail.extend(board)
        return trail
