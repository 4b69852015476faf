"""GTP argument parsers shared by the command tables (core, setup, time, analysis, GoGui).

Each parser raises ``GtpFailure`` with the canonical error text. They live
apart from ``gtp.server.commands`` so the handler modules can use them without
importing the module that collects them (no import cycle).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from engine import coords
from gtp.server.protocol import GtpFailure

if TYPE_CHECKING:
    from gtp.server.commands import GtpEngine

MAX_NUMBER_TEXT = 12  # longer numeric arguments are refused before int() sees them


def arg_count(args: list[str], low: int, high: int | None = None, usage: str = "") -> None:
    """Fail with a syntax error unless low <= len(args) <= high."""
    high = low if high is None else high
    if not low <= len(args) <= high:
        raise GtpFailure(f"syntax error{': ' + usage if usage else ''}")


# ASCII digits only: Python's int() and float() also read "٤", "４" and "1_0".
_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


def parse_int(word: str, what: str = "number") -> int:
    """A decimal integer argument, or GtpFailure (huge or malformed: 'syntax error')."""
    text = word.strip()
    if len(text) > MAX_NUMBER_TEXT or not _INT.fullmatch(text):
        raise GtpFailure(f"syntax error: {what} must be an integer, got {word!r}")
    return int(text)


def parse_float(word: str, what: str = "number") -> float:
    """A finite float argument in ASCII decimal notation, or GtpFailure."""
    text = word.strip()
    if len(text) > MAX_NUMBER_TEXT or not _FLOAT.fullmatch(text):
        raise GtpFailure(f"syntax error: {what} must be a number, got {word!r}")
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise GtpFailure(f"syntax error: {what} must be finite")
    return value


def parse_color(word: str) -> int:
    """A GTP colour word, or GtpFailure('invalid color')."""
    try:
        return coords.parse_color(word)
    except coords.CoordinateError:
        raise GtpFailure("invalid color") from None


def parse_vertex(engine: "GtpEngine", word: str) -> int:
    """A GTP vertex on the current board (pass allowed), or GtpFailure('invalid vertex')."""
    try:
        return coords.from_gtp(word, engine.game.width, engine.game.height)
    except coords.CoordinateError:
        raise GtpFailure("invalid vertex") from None


def vertex(engine: "GtpEngine", move: int) -> str:
    """The GTP vertex of a move on the current board (upper case, ``pass``)."""
    return coords.to_gtp(move, engine.game.width, engine.game.height)
