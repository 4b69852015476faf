"""GTP clock commands and the step from clocks to search limits.

``time_settings`` (GTP), ``kgs-time_settings`` (none/absolute/byoyomi/
canadian), ``kata-time_settings`` (the same plus fischer and fischer-capped),
``kata-list_time_settings`` and ``time_left``. ``move_limits`` turns the
clock of the side to move into ``MoveLimits`` with
``engine.timecontrol.budget`` and the engine's own per-move options.
"""

from __future__ import annotations

import math

from engine.player import MoveLimits
from engine.timecontrol import (SYSTEMS, TimeSettingsError, budget, parse_kata_time_settings,
                                parse_kgs_time_settings, parse_time_settings, update_clock)
from gtp.server.args import arg_count, parse_color
from gtp.server.protocol import GtpFailure


def move_limits(engine, color: int) -> MoveLimits:
    """Search limits for ``color``'s next move from its clock and the engine options."""
    opts = engine.options
    lo, target, hi = 0.0, math.inf, math.inf
    if engine.time_settings.system != "none":
        game = engine.game
        lo, target, hi = budget(engine.time_settings, engine.clocks[color],
                                len(game.moves), game.width * game.height, lag=opts.lag)
    if opts.time_per_move is not None:
        target = min(target, opts.time_per_move)
    if opts.max_time is not None:
        hi = min(hi, opts.max_time)
    target = min(target, hi)
    lo = min(lo, target)
    return MoveLimits(
        visits=opts.visits,
        seconds_min=lo,
        seconds_target=None if math.isinf(target) else target,
        seconds_max=None if math.isinf(hi) else hi,
    )


def _set(engine, parse, args) -> str:
    try:
        engine.time_settings = parse(args)
    except TimeSettingsError as exc:
        raise GtpFailure(f"syntax error: {exc}") from None
    engine.reset_clocks()
    return ""


def cmd_time_settings(engine, args, io):
    """GTP ``time_settings MAIN BYO_YOMI_TIME BYO_YOMI_STONES`` (Canadian overtime)."""
    arg_count(args, 3, usage="time_settings MAIN_TIME BYO_YOMI_TIME BYO_YOMI_STONES")
    return _set(engine, lambda a: parse_time_settings(*a), args)


def cmd_kgs_time_settings(engine, args, io):
    """``kgs-time_settings none | absolute M | byoyomi M P N | canadian M P S``."""
    return _set(engine, parse_kgs_time_settings, args)


def cmd_kata_time_settings(engine, args, io):
    """KGS systems plus ``fischer M I`` and ``fischer-capped M I CAP MAXPERMOVE``."""
    return _set(engine, parse_kata_time_settings, args)


def cmd_kata_list_time_settings(engine, args, io):
    """The time systems ``kata-time_settings`` accepts."""
    return "\n".join(SYSTEMS)


def cmd_time_left(engine, args, io):
    """``time_left COLOR SECONDS STONES_OR_PERIODS`` (0: still in main time)."""
    arg_count(args, 3, usage="time_left COLOR SECONDS STONES")
    color = parse_color(args[0])
    try:
        engine.clocks[color] = update_clock(engine.time_settings, engine.clocks[color],
                                            args[1], args[2])
    except TimeSettingsError as exc:
        raise GtpFailure(f"syntax error: {exc}") from None
    return ""


COMMANDS = {
    "time_settings": cmd_time_settings,
    "time_left": cmd_time_left,
    "kgs-time_settings": cmd_kgs_time_settings,
    "kata-time_settings": cmd_kata_time_settings,
    "kata-list_time_settings": cmd_kata_list_time_settings,
}
