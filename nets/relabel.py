"""Teacher labels for recorded games: the positions a student really meets, judged by the teacher.

Teacher games (``nets.distil``) hold the positions the teacher steers into;
a student then plays into others (against GNU Go, against itself) and errs
there. Labelling those games' positions with the teacher's raw evaluation,
as DAgger does, teaches the student the positions of its own games.
``zerogo data from-sgf --teacher FILE`` gives every position of each game:

* policy: the teacher's raw policy over the legal moves (not the move played);
* teacher_value / teacher_score / teacher_ownership: the teacher's evaluation;
* value / score / ownership: from the game's result, as without a teacher.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.evaluation import Evaluation, Evaluator, Position
from engine.evaluator import EvaluatorConfig, load_evaluator
from engine.game import Game


def legal_policy(policy: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """A policy zeroed off the legal moves and renormalised (uniform over them if nothing is left)."""
    p = np.where(legal, policy, 0.0).astype(np.float64)
    total = p.sum()
    return p / total if total > 0 else legal / legal.sum()


@dataclass
class TeacherSettings:
    """Which teacher labels recorded games, and how it runs."""

    teacher: str                  # KataGo model (.bin.gz) or ONNX file
    threads: int = 0              # ONNX Runtime threads (0: physical cores)
    batch_size: int = 64
    runtime: str = "onnxruntime"
    precision: str = "fp32"


class TeacherLabeller:
    """Evaluates the positions of recorded games with the teacher, a batch at a time."""

    def __init__(self, evaluator: Evaluator, name: str, batch_size: int = 64):
        if batch_size < 1:
            raise ValueError("the teacher's batch size must be at least 1")
        self.evaluator = evaluator
        self.name = name
        self.batch_size = batch_size
        self.positions = 0   # evaluated so far

    @classmethod
    def load(cls, s: TeacherSettings) -> TeacherLabeller:
        """The teacher of ``s`` (a KataGo model is converted once into the ONNX cache)."""
        evaluator = load_evaluator(s.teacher, EvaluatorConfig(threads=s.threads, batch_size=s.batch_size,
                                                              cache_size=0, runtime=s.runtime,
                                                              precision=s.precision))
        return cls(evaluator, Path(s.teacher).name, s.batch_size)

    def label(self, games: list[Game]) -> list[tuple[np.ndarray, Evaluation]]:
        """For each game's current position: (policy target over its legal moves, the teacher's evaluation)."""
        out = []
        for start in range(0, len(games), self.batch_size):
            chunk = games[start:start + self.batch_size]
            evals = self.evaluator.evaluate([Position.from_game(g) for g in chunk])
            out.extend((legal_policy(ev.policy, g.legal_mask()).astype(np.float32), ev)
                       for g, ev in zip(chunk, evals))
        self.positions += len(games)
        return out
