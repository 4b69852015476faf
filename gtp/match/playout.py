"""Settling a disputed score: play the finished game out until Tromp-Taylor counting can score it.

When the two engines' ``final_score`` claims differ, the referee trusts
neither: both engines play ``kgs-genmove_cleanup`` (each move relayed to the
other with ``play``), so whoever says a group is dead must capture it, until
both pass; when an engine lacks the command, zerogo's own clean-up (what its group
status calls dead is captured, dame are filled) plays both sides on the
referee's board. The final board is then counted by
Tromp-Taylor rules: every stone on it is alive, every empty region belongs to
the colour that alone surrounds it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from engine import coords
from engine.board import IllegalMoveError
from engine.game import Game
from engine.scoring import result_string, tromp_taylor_score


CLEANUP = "kgs-genmove_cleanup"


@dataclass
class PlayedOut:
    """How a disputed game was played out."""

    result: str                          # Tromp-Taylor result of the final board, or "?" when it failed
    method: str                          # "kgs-genmove_cleanup" or "zerogo"
    moves: list[tuple[int, int]] = field(default_factory=list)   # (colour, move) played after the game
    detail: str = ""


def _engine_play_out(game: Game, clients: dict, max_moves: int, timeout: float) -> PlayedOut:
    """Both engines answer ``kgs-genmove_cleanup`` in turn until two passes in a row."""
    out = PlayedOut("?", CLEANUP)
    passes = 0
    for _ in range(max_moves):
        color = game.to_play
        name = coords.color_name(color)
        reply = clients[color].send(f"{CLEANUP} {name.lower()}", timeout=timeout).strip()
        if reply.lower() == "resign":
            reply = "pass"
        try:
            move = coords.from_gtp(reply, game.width, game.height)
            game.play(move, color)
        except (coords.CoordinateError, IllegalMoveError) as exc:
            out.detail = f"{name} played {reply!r} in the clean-up: {exc}"
            return out
        out.moves.append((color, move))
        clients[-color].send(f"play {name} {coords.to_gtp(move, game.width, game.height)}", timeout=timeout)
        passes = passes + 1 if move == game.board.pass_move else 0
        if passes >= 2:
            out.result = result_string(tromp_taylor_score(game.board, game.komi))
            return out
    out.detail = f"no two passes within {max_moves} clean-up moves"
    return out


def zerogo_chooser(game: Game) -> Callable[[Game, int], int]:
    """zerogo's clean-up move for either side: take off what its group status calls dead, else pass.

    The status is ``engine.deadstones.find_status`` (Benson, clean-up
    play-outs); ``searched_play_out`` fills the dame. No new invasions: a
    referee's play-out only settles the position the players left.
    """
    from engine.deadstones import status_chooser

    return status_chooser()


def _zerogo_play_out(game: Game, max_moves: int, seconds: float,
                     chooser: Callable[[Game, int], int] | None) -> PlayedOut:
    """zerogo plays both sides (``engine.deadstones.searched_play_out``) on a copy of the game."""
    from engine.deadstones import searched_play_out

    choose = chooser or zerogo_chooser(game)
    start = len(game.moves)
    final = searched_play_out(game, choose, max_moves, time.monotonic() + seconds)
    if final is None:
        return PlayedOut("?", "zerogo", detail=f"clean-up ran past {seconds:g} s")
    moves = list(final.moves[start:])
    for color, move in moves:
        game.play(move, color)
    return PlayedOut(result_string(tromp_taylor_score(game.board, game.komi)), "zerogo", moves)


def play_out(game: Game, clients: dict, max_moves: int = 0, timeout: float = 60.0, seconds: float = 300.0,
             chooser: Callable[[Game, int], int] | None = None) -> PlayedOut:
    """Play ``game`` (changed in place) out: the engines' clean-up if both have it, else zerogo's.

    ``clients`` maps colour to a GTP client; ``max_moves`` (0: twice the
    board area) bounds the play-out. Engine trouble gives a ``?`` result with
    the reason in ``detail``, never an exception.
    """
    from gtp.match.client import GtpClientError

    max_moves = max_moves or 2 * game.width * game.height
    if clients and all(c.known(CLEANUP) for c in clients.values()):
        try:
            return _engine_play_out(game, clients, max_moves, timeout)
        except GtpClientError as exc:
            return PlayedOut("?", CLEANUP, detail=f"clean-up failed: {exc}")
    return _zerogo_play_out(game, max_moves, seconds, chooser)
