"""More GoGui views: board setup, score lead, the policy in percent.

- ``gogui-setup b D4 w Q16 ...`` places stones on the empty board (GoGui loads
  SGF setup stones this way rather than as moves); ``gogui-setup_player b|w``
  sets the side to move;
- ``zerogo-score_lead`` (gfx): each candidate labelled with its score lead for
  the side to move after a short search, and the position's lead as TEXT;
- ``zerogo-policy_labels`` (gfx) writes the priors in percent (the dboard
  view ``zerogo-policy`` lives in ``gogui``).
"""

from __future__ import annotations

import numpy as np

from engine import coords
from engine.board import IllegalMoveError
from gtp.server.args import parse_color, vertex
from gtp.server.gogui import _seconds, analysis_snapshot, network_policy
from gtp.server.protocol import GtpFailure


def cmd_gogui_setup(engine, args, io):
    """Place setup stones (``b D4 w Q16 ...``) on the empty board, before any move."""
    if len(args) % 2:
        raise GtpFailure("syntax error: gogui-setup COLOR VERTEX ...")
    stones = []
    for color_word, vertex_word in zip(args[0::2], args[1::2]):
        color = parse_color(color_word)
        try:
            point = coords.from_gtp(vertex_word, engine.game.width, engine.game.height)
        except coords.CoordinateError:
            raise GtpFailure("invalid vertex") from None
        if point == engine.game.width * engine.game.height:
            raise GtpFailure("invalid vertex: pass")
        stones.append((color, point))
    try:
        engine.game.setup(stones)
    except IllegalMoveError as exc:
        raise GtpFailure(f"cannot set up: {exc}") from None
    engine.player.clear()
    return ""


def cmd_gogui_setup_player(engine, args, io):
    """The side to move after setup (``gogui-setup_player w``)."""
    if len(args) != 1:
        raise GtpFailure("syntax error: gogui-setup_player COLOR")
    color = parse_color(args[0])
    if engine.game.moves:
        raise GtpFailure("the side to move can only be set before any move")
    engine.game.setup([], to_play=color)
    engine.player.clear()
    return ""


def cmd_policy_labels(engine, args, io):
    """Each point's prior in percent (one decimal below 10%), as GoGui LABELs; pass as TEXT."""
    policy = network_policy(engine)
    w, h = engine.game.width, engine.game.height
    labels = []
    for point in np.argsort(-policy[: w * h]):
        p = 100 * policy[point]
        if p < 0.05:
            break
        labels.append(f"LABEL {vertex(engine, int(point))} {p:.1f}" if p < 10 else
                      f"LABEL {vertex(engine, int(point))} {p:.0f}")
    return "\n".join(labels + [f"TEXT pass {100 * policy[w * h]:.1f}%"])


def cmd_score_lead(engine, args, io):
    """Candidates labelled with their score lead (side to move) after a short search."""
    report = analysis_snapshot(engine, io, _seconds(engine))
    if report is None or not report.candidates:
        return "TEXT no analysis available"
    side = "black" if engine.game.to_play == 1 else "white"
    lines = [f"LABEL {vertex(engine, c.move)} {c.score_lead:+.1f}" for c in report.candidates[:12]
             if c.move != engine.game.width * engine.game.height]
    best = report.candidates[0]
    lines.append(f"TEXT {side} to play leads by {best.score_lead:+.1f} after {vertex(engine, best.move)} "
                 f"(win rate {100 * best.winrate:.1f}%, {report.root_visits} visits)")
    return "\n".join(lines)


COMMANDS = {
    "gogui-setup": cmd_gogui_setup,
    "gogui-setup_player": cmd_gogui_setup_player,
    "zerogo-score_lead": cmd_score_lead,
    "zerogo-policy_labels": cmd_policy_labels,
}
