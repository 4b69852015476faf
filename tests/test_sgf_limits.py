"""SGF loading is bounded (bytes, nodes, moves), writing is linear, and random games round-trip."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.board import BLACK, WHITE, IllegalMoveError
from engine.game import Game
from engine.sgf import (
    SgfError,
    SgfLimits,
    count_nodes,
    game_to_sgf,
    load_sgf,
    load_sgf_file,
)


def _passes(n: int) -> Game:
    game = Game(19, 19)
    for _ in range(n):
        game.play(game.board.pass_move, game.to_play)
    return game


def test_printsgf_is_linear_in_the_game_length():
    game = _passes(12_000)
    t = time.perf_counter()
    data = game_to_sgf(game)
    elapsed = time.perf_counter() - t
    # Quadratic writing (each node found again from the root) took ~17 s here.
    assert elapsed < 3.0, f"game_to_sgf of 12,000 moves took {elapsed:.1f} s"
    assert data.count(b";") == 12_001


def test_huge_all_pass_sgf_refused_fast_in_constant_memory():
    data = b"(;GM[1]FF[4]SZ[19]" + b";B[];W[]" * 840_000 + b")"    # 1.68 M passes, ~6.7 MB
    t = time.perf_counter()
    with pytest.raises(SgfError, match="more than 200000 nodes"):
        load_sgf(data)
    elapsed = time.perf_counter() - t
    assert elapsed < 5.0, elapsed      # was 123 s and 5.2 GB
    # Counting stops at the limit and allocates nothing that grows with the file
    # (a smaller limit keeps tracemalloc's overhead low).
    tracemalloc.start()
    with pytest.raises(SgfError, match="more than 20000 nodes"):
        load_sgf(data, limits=SgfLimits(max_nodes=20_000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1e6, peak


def test_node_count_ignores_semicolons_in_values():
    data = rb"(;GM[1]C[a;b;c\];d];B[aa](;W[bb]C[;;;])(;W[cc];B[dd]))"
    assert count_nodes(data) == 5
    assert count_nodes(data, stop_after=100) == data.count(b";")   # quick upper bound
    assert count_nodes(data, stop_after=2) == 3
    # A comment full of semicolons does not count against the node limit.
    chatty = b"(;GM[1]SZ[9]C[" + b";" * 500 + b"];B[cc])"
    assert len(load_sgf(chatty, limits=SgfLimits(max_nodes=10)).moves) == 1


def test_move_cap_and_size_limit():
    limits = SgfLimits(max_moves=100)
    assert len(load_sgf(game_to_sgf(_passes(100)), limits=limits).moves) == 100
    with pytest.raises(SgfError, match="more than 100 moves"):
        load_sgf(game_to_sgf(_passes(101)), limits=limits)
    # loadsgf FILE N stops before the cap: allowed.
    assert len(load_sgf(game_to_sgf(_passes(150)), max_moves=50, limits=limits).moves) == 50
    with pytest.raises(SgfError, match="more than 10000 moves"):
        load_sgf(game_to_sgf(_passes(10_001)))
    big = b"(;GM[1]SZ[9]C[" + b"x" * 2000 + b"])"
    with pytest.raises(SgfError, match="bytes, more than the limit of 1000"):
        load_sgf(big, limits=SgfLimits(max_bytes=1000))


def test_file_reads_stop_at_the_limit(tmp_path):
    path = tmp_path / "big.sgf"
    path.write_bytes(b"(;GM[1]SZ[9]C[" + b"x" * 5000 + b"])")
    with pytest.raises(SgfError, match="larger than the limit of 1000 bytes"):
        load_sgf_file(path, SgfLimits(max_bytes=1000))
    t = time.perf_counter()
    with pytest.raises(SgfError, match="larger than the limit"):
        load_sgf_file("/dev/zero", SgfLimits(max_bytes=1 << 20))
    assert time.perf_counter() - t < 5


# ----------------------------------------------------------------- round trips
@st.composite
def games(draw):
    width = draw(st.integers(2, 19))
    height = draw(st.sampled_from([width, draw(st.integers(2, 19))]))
    komi = draw(st.sampled_from([0.0, 0.5, 6.5, 7.5, -3.0, 375.5]))
    game = Game(width, height, komi=komi)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()) and width * height >= 9:
        stones = rng.choice(width * height, size=draw(st.integers(1, 4)), replace=False)
        try:
            game.setup([(BLACK if i % 2 == 0 else WHITE, int(p)) for i, p in enumerate(stones)])
        except IllegalMoveError:
            pass                       # a stone without liberties: play on the empty board
    for _ in range(draw(st.integers(0, 60))):
        legal = np.flatnonzero(game.legal_mask())
        game.play(int(rng.choice(legal)), game.to_play)
    return game


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games())
def test_random_games_round_trip(game):
    back = load_sgf(game_to_sgf(game))
    assert (back.width, back.height, back.komi) == (game.width, game.height, game.komi)
    assert back.moves == game.moves
    assert sorted(back.setup_stones) == sorted(game.setup_stones)
    assert back.board.stones == game.board.stones and back.to_play == game.to_play
    assert game_to_sgf(back) == game_to_sgf(game)
