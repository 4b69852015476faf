"""The compiled board kernels (engine.compiled.board_kernels) against engine.board.Board, move by move."""

from __future__ import annotations

import numpy as np
import pytest

from engine.board import Board, IllegalMoveError
from engine.features import board_arrays

kernels = pytest.importorskip("engine.compiled.board_kernels", reason="numba is not installed")


def _random_game_check(width: int, height: int, suicide: bool, seed: int, moves: int) -> int:
    """Play a random game on both boards, comparing everything after each move; returns moves tried."""
    rng = np.random.default_rng(seed)
    board = Board(width, height, suicide_allowed=suicide)
    nbr, zob = kernels.tables(width, height)
    area = width * height
    stones = np.zeros(area, np.int8)
    h, ko = np.uint64(0), -1
    libs = np.empty(area, np.int8)
    mask = np.empty(area + 1, np.bool_)
    tried = 0
    for _ in range(moves):
        move = int(rng.integers(area + area // 10))   # some passes
        color = board.to_play
        if move >= area:
            board.play(board.pass_move)
            ko = -1
        else:
            tried += 1
            try:
                captured = board.play(move)
                legal = True
            except IllegalMoveError:
                legal = False
            before = stones.copy()
            status, delta, new_ko, got = kernels.play(stones, move, color, ko, nbr, zob, suicide)
            assert (status == kernels.OK) == legal, (move, status)
            if not legal:
                assert np.array_equal(stones, before)
                continue
            h ^= delta
            ko = new_ko
            assert got == captured or (got < 0 and captured == 0)
        assert stones.tolist() == board.stones
        assert int(h) == board.hash
        assert ko == (board.ko_point if board.ko_color == board.to_play else -1)
        kernels.liberty_classes(stones, nbr, libs)
        assert np.array_equal(libs.reshape(height, width), board_arrays(board)[1])
        kernels.legal_mask(stones, libs, board.to_play, ko, nbr, suicide, mask)
        assert np.array_equal(mask, board.legal_mask())
    return tried


@pytest.mark.parametrize("width,height,suicide", [(9, 9, False), (19, 19, False), (7, 5, True), (9, 9, True)])
def test_random_games_match_the_python_board(width, height, suicide):
    """Stones, hash, ko, liberty classes and legal masks agree with Board over long random games."""
    tried = sum(_random_game_check(width, height, suicide, seed, 400) for seed in range(4))
    assert tried > 1000


def test_statuses():
    """Occupied, suicide and ko are refused without changing the stones; a ko capture sets the ko point."""
    nbr, zob = kernels.tables(3, 3)
    stones = np.array([0, 1, 0,
                       1, 0, 0,
                       0, 0, 0], np.int8)       # white at 0 has no liberty and captures nothing
    before = stones.copy()
    assert kernels.play(stones, 1, -1, -1, nbr, zob, False)[0] == kernels.OCCUPIED
    assert kernels.play(stones, 0, -1, -1, nbr, zob, False)[0] == kernels.SUICIDE
    assert kernels.play(stones, 0, -1, -1, nbr, zob, True)[0] == kernels.SUICIDE   # a lone stone, even so
    assert np.array_equal(stones, before)
    nbr, zob = kernels.tables(4, 4)
    stones = np.array([0, 1, -1, 0,
                       1, -1, 0, -1,
                       0, 1, -1, 0,
                       0, 0, 0, 0], np.int8)    # black at 6 takes the white stone at 5: a ko
    status, _, ko, captured = kernels.play(stones, 6, 1, -1, nbr, zob, False)
    assert (status, ko, captured) == (kernels.OK, 5, 1)
    before = stones.copy()
    assert kernels.play(stones, 5, -1, ko, nbr, zob, False)[0] == kernels.KO
    assert np.array_equal(stones, before)
