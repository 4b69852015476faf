"""``kata-raw-nn SYMMETRY``: the network's raw output for the position, in KataGo's format.

SYMMETRY is 0-7 (one board symmetry; on a non-square board only those that
keep its shape) or ``all``. Each block is KataGo's: ``symmetry``,
``whiteWin``, ``whiteLoss``, ``noResult``, ``whiteLead``,
``whiteScoreSelfplay`` (zerogo's nets have one score head: the lead), then
``policy`` as rows from the top (``NAN`` on illegal points), ``policyPass``
and ``whiteOwnership`` rows, all with KataGo's number formats. Values are
from white's point of view except the policy (for the side to move). Keys
KataGo prints that zerogo's nets have no head for (``whiteScoreSelfplaySq``,
``varTimeLeft``, the short-term errors) are left out, as KataGo's docs allow.
"""

from __future__ import annotations

import numpy as np

from engine import features
from engine.board import WHITE
from engine.evaluation import Position
from gtp.server.protocol import GtpFailure


def _net_evaluator(evaluator):
    """The network evaluator under any cache or batcher wrappers (it must choose symmetries)."""
    seen = 0
    while evaluator is not None and not hasattr(evaluator, "_symmetry") and seen < 8:
        evaluator, seen = getattr(evaluator, "inner", None), seen + 1
    return evaluator


def raw_block(engine, evaluator, k: int) -> str:
    """One KataGo ``kata-raw-nn`` block for symmetry ``k``."""
    game = engine.game
    chooser = evaluator._symmetry
    evaluator._symmetry = lambda pos: k        # this one evaluation under symmetry k
    try:
        ev = evaluator.evaluate([Position.from_game(game)])[0]
    finally:
        evaluator._symmetry = chooser
    w, h = game.width, game.height
    white_sign = 1.0 if game.to_play == WHITE else -1.0
    win = (float(ev.value) + 1.0) / 2.0
    white_win = win if game.to_play == WHITE else 1.0 - win
    legal = game.legal_mask(game.to_play)
    policy = np.asarray(ev.policy, dtype=float)
    rows = [" ".join(f"{policy[r * w + c]:8.6f}" if legal[r * w + c] else "     NAN" for c in range(w))
            for r in range(h)]
    lines = [f"symmetry {k}", f"whiteWin {white_win:.6f}", f"whiteLoss {1.0 - white_win:.6f}",
             f"noResult {0.0:.6f}", f"whiteLead {white_sign * ev.score_lead:.3f}",
             f"whiteScoreSelfplay {white_sign * ev.score_lead:.3f}", "policy", *rows,
             f"policyPass {policy[w * h]:8.6f}"]
    if ev.ownership is not None:
        own = np.asarray(ev.ownership, dtype=float).reshape(h, w) * white_sign
        lines.append("whiteOwnership")
        lines += [" ".join(f"{own[r, c]:9.7f}" for c in range(w)) for r in range(h)]
    return "\n".join(lines)


def cmd_kata_raw_nn(engine, args, io):
    """The raw network output under one symmetry (0-7) or ``all`` of them."""
    if len(args) != 1:
        raise GtpFailure("Expected one argument for kata-raw-nn but got '" + " ".join(args) + "'")
    evaluator = _net_evaluator(getattr(engine.player, "evaluator", None))
    if evaluator is None:
        raise GtpFailure("kata-raw-nn needs a network (this move generator has none)")
    allowed = features.shape_preserving(engine.game.height, engine.game.width)
    if args[0] == "all":
        chosen = list(allowed)
    elif args[0].isdigit() and 0 <= int(args[0]) <= 7:
        chosen = [int(args[0])]
        if chosen[0] not in allowed:
            raise GtpFailure(f"symmetry {chosen[0]} does not keep a {engine.game.width}x{engine.game.height} "
                             "board's shape")
    else:
        raise GtpFailure("Expected integer 0-7 or 'all' for kata-raw-nn but got '" + args[0] + "'")
    return "\n" + "\n".join(raw_block(engine, evaluator, k) for k in chosen)


COMMANDS = {"kata-raw-nn": cmd_kata_raw_nn}
