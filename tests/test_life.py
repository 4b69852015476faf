"""Benson's unconditional life and KataGo's area map (engine.life), on drawn boards."""

from __future__ import annotations

import numpy as np
import pytest

from engine import coords
from engine.board import BLACK, EMPTY, WHITE, Board
from engine.life import PassAlive, area_map, pass_alive, pass_alive_areas


def pts(board: Board, *vertices: str) -> frozenset[int]:
    """Flat indices of GTP vertices."""
    return frozenset(coords.from_gtp(v, board.width, board.height) for v in vertices)


def stones_of(board: Board, color: int) -> frozenset[int]:
    """Every stone of one colour."""
    return frozenset(p for p, s in enumerate(board.stones) if s == color)


def drawn(area, board: Board) -> str:
    """An area map as rows of X (black), O (white), . (neither), top row first."""
    flat = np.asarray(area).reshape(-1)
    sym = {BLACK: "X", WHITE: "O", EMPTY: "."}
    return "\n".join("".join(sym[int(flat[r * board.width + c])] for c in range(board.width))
                     for r in range(board.height))


def rows(text: str) -> str:
    """A map drawn in a test (indentation and blank lines dropped)."""
    return "\n".join(line.strip() for line in text.strip().splitlines())


def test_two_single_point_eyes_make_a_chain_pass_alive():
    board = Board.from_ascii("""
. . . . . . .
. . . . . . .
. . . . . . .
X X X X . . .
. X . X . . .
X X X X . . .
. X . X . . .
""")
    black = pass_alive(board, BLACK)
    assert black.stones == stones_of(board, BLACK)
    assert black.territory == pts(board, "A3", "C3", "A1", "C1")
    assert pass_alive(board, WHITE) == PassAlive(WHITE, frozenset(), frozenset())
    assert drawn(pass_alive_areas(board), board) == rows("""
.......
.......
.......
XXXX...
XXXX...
XXXX...
XXXX...
""")


def test_one_eye_and_an_open_outside_is_not_pass_alive():
    board = Board.from_ascii("""
. . . . . .
. . . . . .
. . . . . .
X X X . . .
. X X . . .
. . X . . .
""")
    assert pass_alive(board, BLACK) == PassAlive(BLACK, frozenset(), frozenset())
    assert not pass_alive_areas(board).any()


def test_a_long_eye_whose_points_all_touch_the_chain_is_vital():
    board = Board.from_ascii("""
. . . . . . .
. . . . . . .
. . . . . . .
X X X X X . .
. . . . X . .
X X X X X . .
. X . X . . .
""")
    black = pass_alive(board, BLACK)
    assert black.stones == stones_of(board, BLACK)
    assert pts(board, "A3", "B3", "C3", "D3") <= black.territory


def test_opponent_stone_inside_counts_only_for_empty_points_unless_suicide_is_legal():
    """KataGo: without multi-stone suicide only the region's EMPTY points must touch the chain."""
    board = Board.from_ascii("""
. . . . .
. . . . .
. . . . .
X X X X X
X X . X X
X . O . X
X X . X X
X X X X X
X . X X X
""")
    inside = pts(board, "C5", "B4", "C4", "D4", "C3")
    no_suicide = pass_alive(board, BLACK, suicide_allowed=False)
    assert no_suicide.stones == stones_of(board, BLACK)
    assert no_suicide.territory == inside | pts(board, "B1")
    assert pass_alive_areas(board, suicide_allowed=False)[3, 2] == BLACK  # dead white C4
    # White C4 touches no black stone: with suicide legal the hole is not vital,
    # one eye (B1) is left, and nothing lives.
    assert pass_alive(board, BLACK, suicide_allowed=True) == PassAlive(BLACK, frozenset(), frozenset())


def test_the_board_setting_is_the_default_suicide_rule():
    text = """
. . . . .
. . . . .
X X X X X
X X . X X
X . O . X
X X . X X
X X X X X
X . X X X
"""
    assert pass_alive(Board.from_ascii(text), BLACK).stones
    assert not pass_alive(Board.from_ascii(text, suicide_allowed=True), BLACK).stones


def test_seki_chains_are_not_pass_alive_but_the_outer_groups_are():
    board = Board.from_ascii("""
. X X X X X .
X X O O O X X
X X O . O X X
X X O O O X X
O O X . X O O
O O X X X O O
O O X . X O O
O O X X X O O
. O O O O O .
""")
    assert drawn(pass_alive_areas(board), board) == rows("""
XXXXXXX
XX...XX
XX...XX
XX...XX
OO...OO
OO...OO
OO...OO
OO...OO
OOOOOOO
""")


def test_area_map_with_katagos_area_scoring_flags():
    """Stones and one-colour regions count; mixed regions count for no one."""
    board = Board.from_ascii("""
. X . O .
X X . O O
. X . O .
X X . O O
. . . . .
""")
    assert drawn(area_map(board), board) == rows("""
XX.OO
XX.OO
XX.OO
XX.OO
.....
""")
    open_board = Board.from_ascii("""
. . . . .
. X . O .
. . . . .
. . . . .
. . . . .
""")
    assert drawn(area_map(open_board), open_board) == rows("""
.....
.....
.....
.....
.....
""")
    assert drawn(area_map(open_board, True, True, True), open_board) == rows("""
.....
.X.O.
.....
.....
.....
""")


def test_unsafe_big_territory_never_overwrites_the_opponents_pass_alive_territory():
    """KataGo's own example: A3 is empty and bordered only by white, but white is dead there."""
    board = Board.from_ascii("""
. O X . X . X
O X X X X X X
X X . . . . .
""")
    expected = rows("""
XXXXXXX
XXXXXXX
XXXXXXX
""")
    assert drawn(area_map(board), board) == expected
    assert drawn(area_map(board, True, True, True), board) == expected


def test_unsafe_big_territory_of_a_dead_group_inside_enemy_territory_is_overwritten():
    """Black's dead stones have an empty point of their own; white's pass-alive area wins."""
    board = Board.from_ascii("""
. X O . O . O
X O O O O O O
O O . . . . .
""")
    assert drawn(area_map(board, True, True, True), board) == rows("""
OOOOOOO
OOOOOOO
OOOOOOO
""")


def test_empty_board_has_no_area():
    assert area_map(Board(9), True, True, True) == [EMPTY] * 81


def test_bad_colour_is_rejected():
    with pytest.raises(ValueError):
        pass_alive(Board(5), EMPTY)
