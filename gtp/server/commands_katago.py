"""GTP ``kata-raw-nn SYMMETRY``: the network's raw output in KataGo's exact format.

``SYMMETRY`` is 0-7 (KataGo's numbering) or ``all``. The reply is from white's
point of view (policy: the side to move's), as KataGo prints it; see
``engine.katago.rawnn``. It works for every network zerogo runs (KataGo's
converted nets and zerogo's own); without a network it fails with a message.
"""

from __future__ import annotations

from engine.evaluation import Position
from engine.katago.rawnn import format_raw_nn_all, raw_nn
from gtp.server.protocol import GtpFailure


def network_evaluator(engine):
    """The engine's ONNX evaluator (inside any cache), or None when it plays without a net."""
    ev = getattr(getattr(engine, "player", None), "evaluator", None)
    while ev is not None and not hasattr(ev, "run_all"):
        ev = getattr(ev, "inner", None)
    return ev


def cmd_kata_raw_nn(engine, args, io):
    """KataGo's raw network output for the current position (symmetry 0-7 or all)."""
    if len(args) != 1:
        raise GtpFailure("syntax error: kata-raw-nn SYMMETRY (0-7 or all)")
    word = args[0].strip().lower()
    if word == "all":
        symmetries = list(range(8))
    elif word.isdigit() and 0 <= int(word) <= 7:
        symmetries = [int(word)]
    else:
        raise GtpFailure(f"symmetry must be 0-7 or all, got {args[0]!r}")
    ev = network_evaluator(engine)
    if ev is None:
        raise GtpFailure("no neural network loaded")
    game = engine.game
    board = game.board
    if board.height != board.width and any(s & 4 for s in symmetries):
        symmetries = [s for s in symmetries if not s & 4]
        if not symmetries:
            raise GtpFailure("transposing symmetries need a square board")
    position = Position.from_game(game)
    legal = game.legal_mask()
    raws = [raw_nn(ev, position, legal, s) for s in symmetries]
    return format_raw_nn_all(raws, board.width, board.height)


COMMANDS = {"kata-raw-nn": cmd_kata_raw_nn}
