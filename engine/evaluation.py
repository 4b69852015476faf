"""What the searcher asks of a network: positions in, evaluations out (always batched).

Contract shared by ``evaluator`` (ONNX Runtime, torch), ``mcts`` and ``nets``:

* ``Position.boards[0]`` is the position to evaluate; ``boards[1:]`` are the
  earlier positions, newest first (as many as the features use).
* ``Position.trail`` (optional) is the whole game back to its initial
  position (``engine.trail.Trail``), for features that need more than the
  last boards (KataGo's: passes, superko bans, handicap). ``from_game`` fills
  it and ``child`` extends it; positions built by hand may leave it None.
* ``Evaluation.policy`` is a probability vector over ``area + 1`` moves (pass
  last) already restricted to legal moves by the evaluator's caller if it wishes;
  ``value`` is in [-1, 1] from the point of view of the side to move
  (``boards[0].to_play``); ``score_lead`` is in points for the side to move;
  ``ownership`` has shape (height, width), +1 = owned by the side to move.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.board import Board
from engine.rules import Rules
from engine.trail import Trail


@dataclass
class Position:
    """A position with its recent history and the rules it is played under."""

    boards: list[Board]
    rules: Rules
    trail: Trail | None = None
    # the features' stacked history stones with the hash of the board they were made for, kept
    # once made (``engine.features.history_stones``); a child position starts from its parent's,
    # so a search stacks one new board per leaf
    stones_history: tuple[int, np.ndarray] | None = field(default=None, compare=False, repr=False)
    parent_history: tuple[int, np.ndarray] | None = field(default=None, compare=False, repr=False)

    @property
    def board(self) -> Board:
        """The position to evaluate."""
        return self.boards[0]

    @classmethod
    def from_game(cls, game, history: int = 8) -> Position:
        """The game's current position with up to ``history`` boards."""
        return cls(game.history_boards(history), game.rules, Trail.from_game(game))

    def child(self, board: Board, history: int = 8) -> Position:
        """The position after a move that produced ``board``."""
        trail = None if self.trail is None else self.trail.extend(board)
        boards = [board] + self.boards[: history - 1]
        kept = self.stones_history   # the parent's stack and board count, if made for this board
        parent = (len(self.boards), kept[1]) if kept is not None and kept[0] == self.board.hash else None
        return Position(boards, self.rules, trail, parent_history=parent)

    def key(self) -> int:
        """A transposition key over everything the network's inputs depend on.

        Board size (every empty board hashes to 0), the history boards' hashes
        and ko state, the side to move, whether the last move was a pass, and
        the rules (komi, scoring, and the ko and suicide rules, which decide the
        legal moves an evaluation's policy is masked to though the net itself
        sees only the scoring's standard ones: ``engine.features.rule_inputs``).
        """
        board, rules = self.board, self.rules
        return hash((board.width, board.height,
                     tuple((b.hash, b.ko_point, b.ko_color) for b in self.boards),
                     board.to_play, board.passes >= 1,
                     rules.komi, rules.scoring, rules.ko, rules.suicide))


@dataclass
class Evaluation:
    """One network evaluation, from the side to move's point of view."""

    policy: np.ndarray            # (area + 1,) probabilities, pass last
    value: float                  # in [-1, 1]
    score_lead: float = 0.0       # points
    ownership: np.ndarray | None = None  # (height, width) in [-1, 1]


class EvaluationJob:
    """A batch handed to ``Evaluator.begin``: ``start`` the network, ``wait`` for it, then take the ``result``.

    The split lets a search overlap its own work with the network's
    (``engine.search``): ``start`` returns at once where the runtime runs
    asynchronously, and ``wait`` leaves the runtime free for the next job
    before ``result`` turns the outputs into evaluations. This base class
    evaluates synchronously in ``start``: any evaluator can be driven this way.
    """

    def __init__(self, positions: list[Position], evaluate=None):
        self.positions, self._evaluate = positions, evaluate
        self._result: list[Evaluation] | None = None

    def start(self) -> None:
        """Begin evaluating (here: evaluate now with the ``evaluate`` given)."""
        self._result = self._evaluate(self.positions)

    def wait(self) -> None:
        """Block until the network is done with this job (here: nothing to wait for)."""

    def result(self) -> list[Evaluation]:
        """The evaluations, in the positions' order (after ``start``)."""
        if self._result is None:
            self.wait()
            self._result = self._finish()
        return self._result

    def _finish(self) -> list[Evaluation]:
        raise RuntimeError("result() before start()")


class Evaluator:
    """Base class: ``evaluate`` a batch of positions."""

    overlaps = False    # True: ``begin`` jobs run the network while the caller works (see EvaluationJob)

    def evaluate(self, positions: list[Position]) -> list[Evaluation]:
        """Evaluate a batch of positions."""
        raise NotImplementedError

    def begin(self, positions: list[Position]) -> EvaluationJob:
        """A job evaluating ``positions`` (started by its ``start``); synchronous unless ``overlaps``."""
        return EvaluationJob(positions, self.evaluate)

    def check_board_size(self, width: int, height: int) -> None:
        """Raise (``engine.evaluator.ModelLoadError``) if this evaluator cannot serve the size."""

    def close(self) -> None:
        """Release resources (sessions, threads)."""


class UniformEvaluator(Evaluator):
    """Uniform policy over legal moves, value 0, no ownership: for tests."""

    def evaluate(self, positions: list[Position]) -> list[Evaluation]:
        """Uniform legal-move policy and a neutral value for every position."""
        out = []
        for pos in positions:
            mask = pos.board.legal_mask().astype(np.float32)
            out.append(Evaluation(mask / mask.sum(), 0.0, 0.0,
                                  np.zeros((pos.board.height, pos.board.width), np.float32)))
        return out
