"""Shared test helpers: positions drawn as ASCII diagrams, GTP vertices, and fixtures.

Diagrams are minigo-style: one row per line from the top, ``X`` black, ``O``
white, ``.`` empty (``engine.board.Board.from_ascii``). Import the helpers
with ``from tests.conftest import game_from_diagram, at``.
"""

from __future__ import annotations

import gzip
import os

import pytest

from engine import coords
from engine.board import Board
from engine.evaluation import UniformEvaluator
from engine.game import Game
from tests.katago_tiny import dump_model, random_model


def pytest_configure(config):
    """Engines the tests start run the exact fp32 network, whatever this CPU offers.

    ``zerogo gtp`` defaults to ``--runtime auto --precision auto`` (bf16 or int8
    where the CPU has the instructions), which would make exact expectations
    depend on the machine; ``tests/test_runtimes.py`` covers ``auto`` itself.
    Likewise ``--tree auto`` (the compiled tree where numba is installed): the
    Python tree, which ``tests/test_compiled_tree.py`` holds the compiled one to.
    """
    os.environ.setdefault("ZEROGO_RUNTIME", "onnxruntime")
    os.environ.setdefault("ZEROGO_PRECISION", "fp32")
    os.environ.setdefault("ZEROGO_TREE", "python")    # the compiled tree has its own tests (test_compiled_*)


def game_from_diagram(text: str, size: int | None = None, rules: str = "chinese", komi: float | None = None,
                      to_play: int | None = None) -> Game:
    """A game whose starting position is the diagram (stones set up, not played)."""
    board = Board.from_ascii(text)
    if size is not None:
        assert (board.width, board.height) == (size, size), f"diagram is {board.width}x{board.height}, not {size}"
    game = Game(board.width, board.height, rules=rules, komi=komi)
    game.setup([(s, p) for p, s in enumerate(board.stones) if s], to_play=to_play)
    return game


def at(board_or_game, vertex: str) -> int:
    """Flat index of a GTP vertex on this board or game."""
    return coords.from_gtp(vertex, board_or_game.width, board_or_game.height)


@pytest.fixture
def diagram():
    """``game_from_diagram`` as a fixture."""
    return game_from_diagram


@pytest.fixture
def uniform_evaluator() -> UniformEvaluator:
    """A network stand-in: uniform policy, value 0."""
    return UniformEvaluator()


@pytest.fixture
def tiny_teacher(tmp_path, monkeypatch):
    """A tiny random KataGo model file (version 8, like the b15 teacher), converted in tmp."""
    monkeypatch.setenv("ZEROGO_ONNX_CACHE", str(tmp_path / "onnx-cache"))
    path = tmp_path / "tiny-teacher.bin.gz"
    path.write_bytes(gzip.compress(dump_model(random_model(8, channels=8, seed=5))))
    return path
