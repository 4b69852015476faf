"""Handicap placement: GTP fixed points checked against GNU Go, free placement."""

from __future__ import annotations

import pytest

from engine import coords, handicap
from engine.board import BLACK, WHITE, IllegalMoveError
from engine.game import Game
from tests.gnugo import GnuGo

# GNU Go 3.8 answers for 19x19, written out so the table is readable here too.
NINETEEN = {
    2: "D4 Q16", 3: "D4 Q16 D16", 4: "D4 Q16 D16 Q4", 5: "D4 Q16 D16 Q4 K10",
    6: "D4 Q16 D16 Q4 D10 Q10", 7: "D4 Q16 D16 Q4 D10 Q10 K10",
    8: "D4 Q16 D16 Q4 D10 Q10 K4 K16", 9: "D4 Q16 D16 Q4 D10 Q10 K4 K16 K10",
}


def vertices(points: list[int], size: int) -> set[str]:
    """GTP vertices of flat points on a square board."""
    return {coords.to_gtp(p, size, size) for p in points}


@pytest.mark.parametrize("n", range(2, 10))
def test_nineteen_matches_the_gtp_table(n):
    """19x19 fixed handicap is the GTP specification's table."""
    assert vertices(handicap.fixed_points(n, 19, 19), 19) == set(NINETEEN[n].split())


def test_fixed_handicap_matches_gnugo_on_every_size():
    """9, 13, 19, the odd 11 and 15, and 7, 8, 10, 12: same points as GNU Go for every n."""
    with GnuGo() as gnugo:
        for size in (7, 8, 9, 10, 11, 12, 13, 15, 19):
            limit = handicap.max_fixed_handicap(size, size)
            gnugo.send(f"boardsize {size}")
            for n in range(2, 10):
                gnugo.send("clear_board")
                reply = gnugo.send_many([f"fixed_handicap {n}"], check=False)[0]
                if n > limit:
                    assert reply.startswith("?"), (size, n)
                    with pytest.raises(IllegalMoveError):
                        handicap.fixed_points(n, size, size)
                else:
                    ours = vertices(handicap.fixed_points(n, size, size), size)
                    assert ours == set(reply.split()), (size, n)


@pytest.mark.parametrize("size", [2, 5, 6])
def test_small_boards_have_no_fixed_handicap(size):
    """Below 7x7 GTP defines no fixed placement."""
    assert handicap.max_fixed_handicap(size, size) == 0
    with pytest.raises(IllegalMoveError):
        handicap.fixed_points(2, size, size)


def test_rectangular_fixed_handicap_uses_each_axis():
    """On 19x13 the star lines come from each side's own length; 9 stones (both odd)."""
    pts = handicap.fixed_points(4, 19, 13)
    assert {coords.to_gtp(p, 19, 13) for p in pts} == {"D4", "Q10", "D10", "Q4"}
    assert "K7" in {coords.to_gtp(p, 19, 13) for p in handicap.fixed_points(5, 19, 13)}
    assert handicap.max_fixed_handicap(19, 13) == 9
    assert handicap.max_fixed_handicap(19, 12) == 4  # no middle line on an even side
    with pytest.raises(IllegalMoveError):
        handicap.fixed_points(5, 19, 12)


@pytest.mark.parametrize("n,width,height", [(2, 9, 9), (9, 9, 9), (12, 9, 9), (5, 5, 5),
                                            (20, 19, 19), (3, 7, 4), (24, 5, 5)])
def test_free_handicap_gives_n_distinct_points(n, width, height):
    """Free placement: exactly n distinct on-board points, star points first."""
    pts = handicap.free_points(n, width, height)
    assert len(pts) == n == len(set(pts))
    assert all(0 <= p < width * height for p in pts)
    limit = handicap.max_fixed_handicap(width, height)
    if limit >= 2:
        assert set(handicap.fixed_points(min(n, limit), width, height)) <= set(pts)


def test_game_handicap_places_stones_and_gives_white_the_move():
    """Game.fixed_handicap puts black stones down, white to play, not undoable."""
    game = Game(9)
    pts = game.fixed_handicap(5)
    assert game.handicap == 5 and game.to_play == WHITE
    assert all(game.board.stones[p] == BLACK for p in pts)
    with pytest.raises(IndexError):
        game.undo()
    with pytest.raises(IllegalMoveError):
        game.fixed_handicap(2)  # not on a board with stones


@pytest.mark.parametrize("points", [[3], [3, 3], [3, 81], [-1, 4]])
def test_bad_handicap_lists_are_rejected(points):
    """Too few, repeated or off-board points raise IllegalMoveError and place nothing."""
    game = Game(9)
    with pytest.raises(IllegalMoveError):
        game.set_handicap(points)
    assert not any(game.board.stones) and game.handicap == 0
