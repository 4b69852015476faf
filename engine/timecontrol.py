"""Time control: settings, clocks and the per-move budget (pure functions, no wall clock).

Systems: ``none``, ``absolute``, ``byoyomi`` (Japanese: ``periods`` periods of
``period_time`` seconds), ``canadian`` (``stones`` moves in ``period_time``
seconds), ``fischer`` (``increment`` added after each move) and
``fischer-capped`` (the same, main time never above ``main_time_cap``, and
optionally at most ``max_per_move`` a move).

The GTP layer keeps one ``Clock`` per colour: ``update_clock`` applies a
``time_left`` command, ``charge`` advances our own clock when the server sends
none, and ``budget`` turns a clock into (minimum, target, maximum) seconds for
the next move, in the manner of Leela Zero's ``TimeControl::max_time_for_move``
and KataGo's ``TimeControls::getTime``: (time left - lag) / expected moves
left, plus the overtime a move is guaranteed, never more than can be spent
without losing on time. Nothing here reads a wall clock.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

SYSTEMS = ("none", "absolute", "byoyomi", "canadian", "fischer", "fischer-capped")

# Below this many seconds of usable time a move is played at once (emergency).
EMERGENCY_SECONDS = 0.05


class TimeSettingsError(ValueError):
    """Time settings or a time_left update that cannot be understood."""


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

    def __post_init__(self) -> None:
        if self.system not in SYSTEMS:
            raise TimeSettingsError(f"unknown time system {self.system!r} (known: {', '.join(SYSTEMS)})")
        numbers = (self.main_time, self.period_time, self.periods, self.stones, self.increment,
                   self.main_time_cap, self.max_per_move)
        if any(not isinstance(x, (int, float)) or math.isnan(x) or x < 0 for x in numbers):
            raise TimeSettingsError(f"time settings must be non-negative numbers: {self}")
        if self.system == "byoyomi" and (self.period_time <= 0 or self.periods < 1):
            raise TimeSettingsError("byo-yomi needs a period time > 0 and at least one period")
        if self.system == "canadian" and (self.period_time <= 0 or self.stones < 1):
            raise TimeSettingsError("Canadian overtime needs a period time > 0 and at least one stone")


@dataclass
class Clock:
    """One player's clock: main time left, then the overtime state."""

    main_left: float = 0.0
    periods_left: int = 0      # byo-yomi periods left
    stones_left: int = 0       # Canadian stones left in the current period
    period_left: float = 0.0   # seconds left in the current overtime period
    in_overtime: bool = False
    flagged: bool = False      # the flag fell: time is up

    @classmethod
    def start(cls, settings: TimeSettings) -> "Clock":
        """The clock at the start of a game under ``settings``."""
        return cls(settings.main_time, settings.periods, settings.stones,
                   settings.period_time, settings.main_time <= 0 and settings.system in ("byoyomi", "canadian"))


# ------------------------------------------------------------------ parsing
def _number(word, what: str) -> float:
    try:
        x = float(word)
    except (TypeError, ValueError):
        raise TimeSettingsError(f"{what} must be a number, got {word!r}") from None
    if math.isnan(x) or math.isinf(x):
        raise TimeSettingsError(f"{what} must be finite, got {word!r}")
    return x


def _count(word, what: str) -> int:
    x = _number(word, what)
    if x != int(x) or x < 0:
        raise TimeSettingsError(f"{what} must be a non-negative integer, got {word!r}")
    return int(x)


def parse_time_settings(main_time, byo_yomi_time, byo_yomi_stones) -> TimeSettings:
    """GTP ``time_settings M B S`` (spec 4.2): B == 0 absolute, B > 0 and S == 0 no limit, else Canadian.

    ``time_settings 0 0 0`` (no main time and no overtime) is read as no limit,
    as GoGui and other controllers mean it.
    """
    main = _number(main_time, "main time")
    byo = _number(byo_yomi_time, "byo-yomi time")
    stones = _count(byo_yomi_stones, "byo-yomi stones")
    if main < 0 or byo < 0:
        raise TimeSettingsError("times must not be negative")
    if byo == 0:
        return TimeSettings("none") if main == 0 else TimeSettings("absolute", main)
    if stones == 0:
        return TimeSettings("none")
    return TimeSettings("canadian", main, byo, 0, stones)


def parse_kgs_time_settings(args: list[str]) -> TimeSettings:
    """``kgs-time_settings none | absolute M | byoyomi M B P | canadian M B S``."""
    if not args:
        raise TimeSettingsError("kgs-time_settings needs a system: none, absolute, byoyomi or canadian")
    system, rest = args[0].lower(), args[1:]
    expected = {"none": 0, "absolute": 1, "byoyomi": 3, "canadian": 3}
    if system not in expected:
        raise TimeSettingsError(f"unknown kgs time system {args[0]!r}")
    if len(rest) != expected[system]:
        raise TimeSettingsError(f"kgs-time_settings {system} takes {expected[system]} numbers")
    if system == "none":
        return TimeSettings("none")
    main = _number(rest[0], "main time")
    if system == "absolute":
        return TimeSettings("absolute", main)
    period = _number(rest[1], "period time")
    if system == "byoyomi":
        return TimeSettings("byoyomi", main, period, _count(rest[2], "periods"))
    return TimeSettings("canadian", main, period, 0, _count(rest[2], "stones"))


def parse_kata_time_settings(args: list[str]) -> TimeSettings:
    """``kata-time_settings``: the KGS forms plus ``fischer M I`` and ``fischer-capped M I CAP MAXMOVE``.

    A cap or per-move maximum below zero means no limit (as KataGo reads -1).
    """
    if not args:
        raise TimeSettingsError("kata-time_settings needs a system")
    system, rest = args[0].lower(), args[1:]
    if system == "fischer":
        if len(rest) != 2:
            raise TimeSettingsError("kata-time_settings fischer takes MAIN INCREMENT")
        return TimeSettings("fischer", _number(rest[0], "main time"), increment=_number(rest[1], "increment"))
    if system in ("fischer-capped", "fischer_capped"):
        if len(rest) != 4:
            raise TimeSettingsError("kata-time_settings fischer-capped takes MAIN INCREMENT CAP MAXPERMOVE")
        cap, per_move = _number(rest[2], "main time cap"), _number(rest[3], "max time per move")
        return TimeSettings("fischer-capped", _number(rest[0], "main time"),
                            increment=_number(rest[1], "increment"),
                            main_time_cap=math.inf if cap < 0 else cap,
                            max_per_move=math.inf if per_move < 0 else per_move)
    return parse_kgs_time_settings(args)


# ------------------------------------------------------------ clock updates
def update_clock(settings: TimeSettings, clock: Clock, seconds: float, count: int) -> Clock:
    """Apply GTP ``time_left color seconds count`` and return the new clock.

    ``count == 0``: ``seconds`` is main time left. Otherwise, in byo-yomi
    ``count`` is the periods left (KGS, gtp2ogs) and ``seconds`` the time of
    the current period; in Canadian ``count`` is the stones left in the period.
    For other systems ``count`` is ignored.
    """
    seconds = _number(seconds, "time left")
    count = _count(count, "stones/periods left")
    seconds = max(0.0, seconds)
    system = settings.system
    if system in ("byoyomi", "canadian") and count > 0:
        new = dataclasses.replace(clock, main_left=0.0, period_left=seconds, in_overtime=True, flagged=False)
        if system == "byoyomi":
            new.periods_left = count
        else:
            new.stones_left = count
        return new
    new = dataclasses.replace(clock, main_left=seconds, flagged=False)
    if system in ("byoyomi", "canadian"):
        new.in_overtime = settings.main_time <= 0 and seconds <= 0
        if not new.in_overtime:
            new.periods_left, new.stones_left, new.period_left = settings.periods, settings.stones, settings.period_time
    return new


def _charge_byoyomi(settings: TimeSettings, clock: Clock, over: float) -> None:
    """Spend ``over`` seconds of byo-yomi: every full period used up is lost."""
    clock.in_overtime = True
    lost = int(over // settings.period_time)
    clock.periods_left -= lost
    if clock.periods_left <= 0:
        clock.periods_left, clock.flagged = 0, True
    clock.period_left = settings.period_time


def _charge_canadian(settings: TimeSettings, clock: Clock, over: float) -> None:
    """Spend ``over`` seconds of the Canadian period for one stone."""
    if not clock.in_overtime:
        clock.in_overtime = True
        clock.period_left, clock.stones_left = settings.period_time, settings.stones
    clock.period_left -= over
    if clock.period_left < 0:
        clock.period_left, clock.flagged = 0.0, True
        return
    clock.stones_left -= 1
    if clock.stones_left <= 0:
        clock.stones_left, clock.period_left = settings.stones, settings.period_time


def charge(settings: TimeSettings, clock: Clock, seconds_used: float) -> Clock:
    """The clock after a move that took ``seconds_used`` (our own bookkeeping)."""
    used = max(0.0, _number(seconds_used, "seconds used"))
    new = dataclasses.replace(clock)
    system = settings.system
    if system == "none":
        return new
    if system in ("absolute", "fischer", "fischer-capped"):
        new.main_left -= used
        if new.main_left < 0:
            new.main_left, new.flagged = 0.0, True
        elif system != "absolute":
            new.main_left = min(new.main_left + settings.increment, settings.main_time_cap)
        return new
    over = used
    if not new.in_overtime:
        if used <= new.main_left:
            new.main_left -= used
            return new
        over, new.main_left = used - new.main_left, 0.0
    if system == "byoyomi":
        _charge_byoyomi(settings, new, over)
    else:
        _charge_canadian(settings, new, over)
    return new


# ------------------------------------------------------------------ budget
def expected_moves_left(move_number: int, board_area: int) -> float:
    """Our own moves still to play, a deliberate over-estimate (Leela Zero's shape).

    A game lasts about 0.7 * area plies; late in the game we still assume a
    fifth of the area is left (Leela Zero's area / 5), so each move spends at
    most a fixed share of what is left and the clock decays geometrically.
    """
    plies_left = max(0.7 * board_area - move_number, 0.4 * board_area)
    return max(plies_left / 2.0, 4.0)


def _reserve(lag: float, moves: float) -> float:
    """Seconds kept back: one lag buffer, plus a tenth of one for each move still to play."""
    return lag + 0.1 * lag * moves


def _finish(lo: float, target: float, hi: float) -> tuple[float, float, float]:
    """Order and clamp the triple; below EMERGENCY_SECONDS a move is instant."""
    hi = max(0.0, hi)
    if hi < EMERGENCY_SECONDS:
        return 0.0, 0.0, 0.0
    target = min(max(target, 0.0), hi)
    lo = min(max(lo, 0.0), target)
    return lo, target, hi


def budget(settings: TimeSettings, clock: Clock, move_number: int, board_area: int,
           lag: float = 1.0) -> tuple[float, float, float]:
    """(minimum, target, maximum) seconds to think about this move; pure.

    ``lag`` seconds are kept back on every move for transmission and overhead.
    A maximum of 0 means emergency: play the network's move at once. Under
    ``none`` the target and maximum are infinite (the caller limits visits).
    """
    if settings.system == "none":
        return 0.0, math.inf, math.inf
    moves = expected_moves_left(move_number, board_area)
    if settings.system == "absolute":
        # Sudden death: keep enough for a long game's worth of instant moves.
        long_game = max(0.5 * board_area - 0.25 * move_number, 0.25 * board_area)
        usable = clock.main_left - lag * (1.0 + 0.05 * long_game)
        return _finish(0.0, usable / moves, min(usable / 4.0, 3.0 * usable / moves))
    if settings.system in ("fischer", "fischer-capped"):
        return _fischer_budget(settings, clock, moves, lag)
    if settings.system == "byoyomi":
        return _byoyomi_budget(settings, clock, moves, lag)
    return _canadian_budget(settings, clock, moves, lag)


def _fischer_budget(settings: TimeSettings, clock: Clock, moves: float, lag: float):
    """Fischer: a share of main time plus most of the increment; spend what the cap would waste."""
    usable = clock.main_left - lag
    target = usable / moves + 0.8 * settings.increment
    hi = min(usable / 2.0 + settings.increment * 0.5, usable, settings.max_per_move)
    wasted = clock.main_left + settings.increment - settings.main_time_cap
    lo = max(0.0, min(wasted, hi))
    return _finish(lo, max(target, lo), hi)


def _byoyomi_budget(settings: TimeSettings, clock: Clock, moves: float, lag: float):
    """Japanese byo-yomi: main time share plus one period; never spend a second period."""
    period_usable = settings.period_time - lag
    if clock.in_overtime or clock.main_left <= 0:
        # Time inside a period is free: use at least half of it.
        return _finish(0.5 * period_usable, 0.9 * period_usable, period_usable)
    usable = clock.main_left - lag
    share = max(usable, 0.0) / moves
    hi = max(usable, 0.0) / 4.0 + period_usable
    lo = 0.5 * period_usable if clock.main_left < settings.period_time else 0.0
    return _finish(lo, share + max(period_usable, 0.0), hi)


def _canadian_budget(settings: TimeSettings, clock: Clock, moves: float, lag: float):
    """Canadian: main time share plus a stone's share of the period; in overtime, time left / stones."""
    if clock.in_overtime or clock.main_left <= 0:
        stones = max(clock.stones_left, 1)
        usable = clock.period_left - _reserve(lag, stones - 1)
        share = usable / stones
        return _finish(0.5 * share, share, min(usable, 2.0 * share))
    usable = clock.main_left - _reserve(lag, moves)
    extra = max(settings.period_time - _reserve(lag, settings.stones - 1), 0.0) / settings.stones
    share = max(usable, 0.0) / moves + extra
    hi = max(usable, 0.0) / 4.0 + extra
    return _finish(0.0, share, hi)
