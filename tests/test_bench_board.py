"""``zerogo bench board`` and its reference board: same rules, a working report."""

from __future__ import annotations

import random

import pytest
from click.testing import CliRunner

from engine.board import Board
from gtp.bench.board import playout, random_move
from gtp.bench.cli import bench_board_command
from gtp.bench.reference_board import ReferenceBoard


@pytest.mark.parametrize("size,seed", [(5, 1), (9, 2), (9, 3), (13, 4)])
def test_reference_board_plays_the_same_game(size, seed):
    """Both boards agree on stones and legality through a whole random playout."""
    rng = random.Random(seed)
    ours, ref = Board(size), ReferenceBoard(size)
    while ours.passes < 2:
        move = random_move(ours, rng)
        assert ref.is_legal(move)
        ours.play(move)
        ref.play(move)
        assert ref.stones == ours.stones
        assert all(ref.is_legal(p) == ours.is_legal(p) for p in range(ours.area))


def test_playout_ends_with_two_passes_and_no_own_eye_filled():
    """A playout stops on two passes; every empty point left is an eye or illegal."""
    rng = random.Random(7)
    board = Board(9)
    moves = playout(board, rng)
    assert board.passes == 2 and 81 <= moves <= 3 * 81
    for p in range(board.area):
        if board.stones[p] == 0:
            assert board.is_eye(p, board.to_play) or not board.is_legal(p)


def test_bench_command_prints_both_boards_and_the_ratio():
    """The command reports moves/s and playouts/s for zerogo, the reference and the ratio."""
    result = CliRunner().invoke(bench_board_command, ["--size", "5", "--seconds", "0.05"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()[1:]]
    assert [r[1] for r in rows] == ["zerogo", "reference", "ratio"]
    assert all(float(x.rstrip("x").replace(",", "")) > 0 for r in rows for x in r[2:])


def test_bench_command_rejects_bad_sizes():
    """A size outside 2..25 is a usage error, not a crash."""
    result = CliRunner().invoke(bench_board_command, ["--size", "30"])
    assert result.exit_code == 2 and "30" in result.output
