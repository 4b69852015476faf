"""Coordinates: flat indices, GTP vertices, SGF points, board sizes."""

from __future__ import annotations

import pytest

from engine import coords
from engine.coords import CoordinateError


@pytest.mark.parametrize("vertex,size,flat", [
    ("A1", 19, 18 * 19), ("a1", 19, 18 * 19), ("T19", 19, 18), ("J9", 9, 8),
    ("H8", 9, 16), (" c7 ", 9, 20), ("Z25", 25, 24), ("A25", 25, 0),
])
def test_gtp_vertices(vertex, size, flat):
    """GTP letters skip I, rows count from the bottom, any case."""
    assert coords.from_gtp(vertex, size, size) == flat
    assert coords.to_gtp(flat, size, size) == vertex.strip().upper()


@pytest.mark.parametrize("word", ["pass", "PASS", "Pass"])
def test_pass_in_any_case(word):
    """Pass is the flat index width*height."""
    assert coords.from_gtp(word, 9, 9) == 81 == coords.pass_move(9, 9)
    assert coords.to_gtp(81, 9, 9) == "pass"


@pytest.mark.parametrize("vertex", ["I5", "K10", "A0", "A20", "", "5A", "AA1", "D", "resign", "Z1"])
def test_bad_or_off_board_vertices(vertex):
    """I is not a column, and off-board or malformed vertices raise CoordinateError."""
    with pytest.raises(CoordinateError):
        coords.from_gtp(vertex, 9, 9)


def test_rectangular_boards():
    """Width and height are separate: 7 wide, 3 high."""
    assert coords.from_gtp("G3", 7, 3) == 6
    assert coords.from_gtp("A1", 7, 3) == 14
    assert coords.to_gtp(14, 7, 3) == "A1"
    with pytest.raises(CoordinateError):
        coords.from_gtp("A4", 7, 3)
    with pytest.raises(CoordinateError):
        coords.to_gtp(22, 7, 3)


@pytest.mark.parametrize("width,height", [(9, 9), (19, 19), (7, 3), (2, 2), (25, 25), (3, 11)])
def test_round_trips_every_point(width, height):
    """flat <-> GTP, flat <-> sgfmill, flat <-> (row, col) are inverse everywhere."""
    for move in range(width * height + 1):
        assert coords.from_gtp(coords.to_gtp(move, width, height), width, height) == move
        point = coords.to_sgfmill(move, width, height)
        assert coords.from_sgfmill(point, width, height) == move
        if move < width * height:
            assert coords.to_flat(*coords.from_flat(move, width), width) == move


def test_sgfmill_points_count_rows_from_the_bottom():
    """sgfmill's (row, col) has row 0 at the bottom; ours at the top."""
    assert coords.to_sgfmill(0, 9, 9) == (8, 0)
    assert coords.to_sgfmill(81, 9, 9) is None
    with pytest.raises(CoordinateError):
        coords.from_sgfmill((9, 0), 9, 9)


@pytest.mark.parametrize("width,height", [(1, 9), (26, 26), (9, 0), (19, 30), (9.0, 9)])
def test_unsupported_sizes(width, height):
    """Sizes outside 2..25 (or not integers) raise CoordinateError."""
    with pytest.raises(CoordinateError):
        coords.check_size(width, height)


@pytest.mark.parametrize("word,color", [("b", 1), ("BLACK", 1), ("w", -1), ("White", -1)])
def test_colour_words(word, color):
    """Colour words in any case."""
    assert coords.parse_color(word) == color
    assert coords.color_name(color) == word[0].upper()


@pytest.mark.parametrize("word", ["", "red", "bl", "1"])
def test_bad_colour_words(word):
    """Anything else raises CoordinateError."""
    with pytest.raises(CoordinateError):
        coords.parse_color(word)
