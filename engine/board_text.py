"""Boards as text: ``X`` black, ``O`` white, ``.`` empty, with GTP row numbers and column letters.

``render`` writes what ``Board.to_ascii`` (and GTP ``showboard``) prints;
``parse`` reads it back, or any rows of ``X``/``O``/``.``/``+`` (top row
first, labels ignored), for ``Board.from_ascii``.
"""

from __future__ import annotations

from engine import coords
from engine.color import BLACK, EMPTY, WHITE

SYMBOLS = {BLACK: "X", WHITE: "O", EMPTY: "."}


def render(stones: list[int], width: int, height: int) -> str:
    """The stones as text rows between two lines of GTP column letters, row numbers at both ends."""
    cols = coords.GTP_COLUMNS[:width]
    lines = ["   " + " ".join(cols)]
    for r in range(height):
        row = " ".join(SYMBOLS[s] for s in stones[r * width:(r + 1) * width])
        lines.append(f"{height - r:2d} {row} {height - r:2d}")
    lines.append("   " + " ".join(cols))
    return "\n".join(lines)


def parse(text: str) -> tuple[int, int, list[int]]:
    """``(width, height, stones)`` read from text rows; ``ValueError`` when there are none or they differ in length."""
    rows = []
    for line in text.strip("\n").splitlines():
        tokens = line.split()
        if tokens == list(coords.GTP_COLUMNS[: len(tokens)]):
            continue  # a column-letter line
        cells = [ch for ch in line if ch in "XOx.o+"]
        if not cells:
            continue
        rows.append(["." if ch == "+" else ch.upper() for ch in cells])
    if not rows:
        raise ValueError("no board rows in the ASCII text")
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError("ragged ASCII board")
    colour = {"X": BLACK, "O": WHITE, ".": EMPTY}
    return width, len(rows), [colour[ch] for row in rows for ch in row]
