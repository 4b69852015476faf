"""Time control: settings, clocks and the per-move budget (pure functions, no wall clock).

Systems: ``none``, ``absolute``, ``byoyomi`` (Japanese: ``periods`` periods of
``period_time`` seconds), ``canadian`` (``stones`` moves in ``period_time``
seconds), ``fischer`` (``increment`` added after each move) and
``fischer-capped`` (the same, main time never above ``main_time_cap``, and
optionally at most ``max_per_move`` a move).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SYSTEMS = ("none", "absolute", "byoyomi", "canadian", "fischer", "fischer-capped")


@dataclass(frozen=True)
class TimeSettings:
    """A time system and its parameters, in seconds."""

    system: str = "none"
    main_time: float = 0.0
    period_time: float = 0.0
    periods: int = 0
    stones: int = 0
    increment: float = 0.0
    main_time_cap: float = math.inf
    max_per_move: float = math.inf


@dataclass
class Clock:
    """One player's clock: main time left, then the overtime state."""

    main_left: float = 0.0
    periods_left: int = 0      # byo-yomi periods left
    stones_left: int = 0       # Canadian stones left in the current period
    period_left: float = 0.0   # seconds left in the current overtime period
    in_overtime: bool = False

    @classmethod
    def start(cls, settings: TimeSettings) -> "Clock":
        """The clock at the start of a game under ``settings``."""
        return cls(settings.main_time, settings.periods, settings.stones,
                   settings.period_time, settings.main_time <= 0 and settings.system in ("byoyomi", "canadian"))
