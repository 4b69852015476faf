"""Coordinate systems and their conversions.

Every part of zerogo speaks in *flat move indices*; the other systems exist
only at the edges (GTP, SGF, humans).

==========  =====================  ==========================================
system      example (9x9)          meaning
==========  =====================  ==========================================
flat        ``20``                 ``row * width + col``, row 0 at the TOP;
                                   pass is ``width * height``. The same index
                                   is the network's policy index.
(row, col)  ``(2, 2)``             row 0 at the top, col 0 at the left
GTP         ``"C7"``               letter = column (A..Z skipping I, any case),
                                   number = rows counted from the BOTTOM;
                                   ``"pass"`` (any case)
SGF         ``"cc"``               two letters a..z: column then row from the
                                   top; handled through sgfmill's
                                   ``(row_from_bottom, col)`` tuples
==========  =====================  ==========================================

Board sizes from 2x2 to 25x25, square or rectangular, are supported.
"""

from __future__ import annotations

MIN_SIZE = 2
MAX_SIZE = 25
GTP_COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # no I


class CoordinateError(ValueError):
    """A vertex, point or board size that cannot be understood or is off the board."""


def check_size(width: int, height: int) -> None:
    """Raise CoordinateError unless width x height is a supported board size."""
    for n in (width, height):
        if not isinstance(n, int) or not MIN_SIZE <= n <= MAX_SIZE:
            raise CoordinateError(
                f"unsupported board size {width}x{height} "
                f"(sizes {MIN_SIZE} to {MAX_SIZE} are supported)"
            )


def pass_move(width: int, height: int) -> int:
    """Return the flat index that means pass on a width x height board."""
    return width * height


def to_flat(row: int, col: int, width: int) -> int:
    """Return the flat index of (row, col), row 0 at the top."""
    return row * width + col


def from_flat(move: int, width: int) -> tuple[int, int]:
    """Return (row, col) of a flat on-board index."""
    return divmod(move, width)


def to_gtp(move: int, width: int, height: int) -> str:
    """Return the GTP vertex of a flat move (``"pass"`` for pass)."""
    if move == width * height:
        return "pass"
    if not 0 <= move < width * height:
        raise CoordinateError(f"move index {move} is off a {width}x{height} board")
    row, col = divmod(move, width)
    return f"{GTP_COLUMNS[col]}{height - row}"


def from_gtp(vertex: str, width: int, height: int) -> int:
    """Parse a GTP vertex (any case, ``pass``) into a flat move index.

    Raises CoordinateError for malformed or off-board vertices.
    """
    text = vertex.strip().upper()
    if text == "PASS":
        return width * height
    digits = text[1:]
    if len(text) < 2 or text[0] not in GTP_COLUMNS or not (digits.isascii() and digits.isdigit()) \
            or len(digits) > 3:
        raise CoordinateError(f"invalid vertex {vertex!r}")
    col = GTP_COLUMNS.index(text[0])
    number = int(digits)
    if col >= width or not 1 <= number <= height:
        raise CoordinateError(f"vertex {vertex!r} is off the {width}x{height} board")
    return (height - number) * width + col


def to_sgfmill(move: int, width: int, height: int) -> tuple[int, int] | None:
    """Return sgfmill's ``(row_from_bottom, col)`` for a move, None for pass."""
    if move == width * height:
        return None
    row, col = divmod(move, width)
    return (height - 1 - row, col)


def from_sgfmill(point: tuple[int, int] | None, width: int, height: int) -> int:
    """Turn sgfmill's ``(row_from_bottom, col)`` (None = pass) into a flat move."""
    if point is None:
        return width * height
    row_from_bottom, col = point
    if not (0 <= row_from_bottom < height and 0 <= col < width):
        raise CoordinateError(f"SGF point {point} is off the {width}x{height} board")
    return (height - 1 - row_from_bottom) * width + col


def parse_color(word: str) -> int:
    """Parse a GTP colour word (``b``, ``black``, ``W``, ...) into 1 or -1."""
    text = word.strip().lower()
    if text in ("b", "black"):
        return 1
    if text in ("w", "white"):
        return -1
    raise CoordinateError(f"invalid color {word!r}")


def color_name(color: int) -> str:
    """Return ``"B"`` or ``"W"`` for a colour."""
    return "B" if color == 1 else "W"
