"""GTP commands for setting up and reading a position.

Handicap (fixed_handicap, place_free_handicap, set_free_handicap), SGF
(loadsgf, printsgf), rules (kgs-rules; KataGo's rules commands: commands_kata),
scoring (final_score, final_status_list) and GNU Go's inspection commands
(list_stones, captures, is_legal, all_legal, countlib).
"""

from __future__ import annotations

import logging

import numpy as np

from engine.board import EMPTY, IllegalMoveError
from engine.rules import RulesError, rules_by_name
from engine.scoring import result_string
from gtp.server.args import arg_count, parse_color, parse_int, parse_vertex, vertex
from gtp.server.protocol import GtpFailure

log = logging.getLogger("zerogo.gtp")


# ------------------------------------------------------------------ handicap
def _board_empty(engine) -> bool:
    game = engine.game
    return not game.moves and all(s == EMPTY for s in game.board.stones)


def _handicap(engine, args, place) -> str:
    arg_count(args, 1, usage="NUMBER_OF_STONES")
    n = parse_int(args[0], "number of stones")
    if not _board_empty(engine):
        raise GtpFailure("board not empty")
    try:
        points = place(n)
    except IllegalMoveError:
        raise GtpFailure("invalid number of stones") from None
    return " ".join(vertex(engine, p) for p in points)


def cmd_fixed_handicap(engine, args, io):
    """GTP's fixed handicap points for N stones."""
    return _handicap(engine, args, engine.game.fixed_handicap)


def cmd_place_free_handicap(engine, args, io):
    """Exactly N handicap stones where the engine likes (star points first)."""
    return _handicap(engine, args, engine.game.free_handicap)


def cmd_set_free_handicap(engine, args, io):
    """Black stones on the given vertices (at least 2, distinct, not pass)."""
    if len(args) < 2:
        raise GtpFailure("bad vertex list")
    if not _board_empty(engine):
        raise GtpFailure("board not empty")
    points = [parse_vertex(engine, a) for a in args]
    if engine.game.board.pass_move in points or len(set(points)) != len(points):
        raise GtpFailure("bad vertex list")
    try:
        engine.game.set_handicap(points)
    except IllegalMoveError:
        raise GtpFailure("bad vertex list") from None
    return ""


# ----------------------------------------------------------------------- sgf
def cmd_loadsgf(engine, args, io):
    """Load an SGF file, optionally only up to (not including) move_number."""
    from engine.sgf import SgfError, load_sgf
    from gtp.server.sgf_files import SgfFileError
    arg_count(args, 1, 2, usage="loadsgf FILE [MOVE_NUMBER]")
    limit = None
    if len(args) == 2:
        limit = max(parse_int(args[1], "move number") - 1, 0)
    try:
        data = engine.sgf_files.read(args[0])
        game = load_sgf(data, max_moves=limit)
    except (SgfFileError, SgfError) as exc:
        log.warning("loadsgf: %s", exc)
        raise GtpFailure(f"cannot load file: {exc}") from None
    engine.game = game
    engine.komi = game.komi
    engine.reset_clocks()
    engine.player.clear()
    return "black" if game.to_play == 1 else "white"


def cmd_printsgf(engine, args, io):
    """The game as SGF; with a file name, written there instead."""
    from engine.sgf import game_to_sgf
    from gtp.server.sgf_files import SgfFileError
    data = game_to_sgf(engine.game)
    if args:
        try:
            engine.sgf_files.write(args[0], data)
        except SgfFileError as exc:
            raise GtpFailure(f"cannot write file: {exc}") from None
        return ""
    return data.decode("utf-8", "replace")


# --------------------------------------------------------------------- rules
def cmd_kgs_rules(engine, args, io):
    """KGS rules: chinese, aga, japanese, new_zealand."""
    arg_count(args, 1, usage="kgs-rules RULES")
    try:
        engine.set_rules(rules_by_name(args[0]))
    except RulesError as exc:
        raise GtpFailure(f"unknown rules: {exc}") from None
    return ""


# ------------------------------------------------------------------- scoring
def _status(engine) -> tuple[set[int], set[int]]:
    """(dead, seki) stones from the player (``engine.deadstones.find_status``), checked to be stones."""
    try:
        dead, seki = engine.player.final_status(engine.game.copy())
    except Exception:
        log.exception("final_status failed; treating every stone as alive")
        return set(), set()
    stones = engine.game.board.stones
    dead = {p for p in dead if 0 <= p < len(stones) and stones[p] != EMPTY}
    seki = {p for p in seki if 0 <= p < len(stones) and stones[p] != EMPTY} - dead
    return dead, seki


def cmd_final_score(engine, args, io):
    """``B+3.5``, ``W+0.5`` or ``0`` with the player's dead stones removed."""
    dead, seki = _status(engine)
    try:
        return result_string(engine.game.score(dead, seki))
    except Exception as exc:
        log.error("scoring failed: %s", exc)
        raise GtpFailure("cannot score") from None


def _groups(engine, points: set[int]) -> list[str]:
    """One line per chain, vertices sorted."""
    board, lines, seen = engine.game.board, [], set()
    for p in sorted(points):
        if p in seen:
            continue
        chain = [q for q in board.group_stones(p) if q in points]
        seen.update(chain)
        lines.append(" ".join(vertex(engine, q) for q in sorted(chain)))
    return lines


def cmd_final_status_list(engine, args, io):
    """Stones that are alive, dead or in seki, one chain a line."""
    arg_count(args, 1, usage="final_status_list alive|dead|seki")
    which = args[0].lower()
    if which not in ("alive", "dead", "seki"):
        raise GtpFailure("syntax error: status must be alive, dead or seki")
    dead, seki = _status(engine)
    stones = {p for p, s in enumerate(engine.game.board.stones) if s != EMPTY}
    chosen = {"dead": dead, "seki": seki, "alive": stones - dead - seki}[which]
    return "\n".join(_groups(engine, chosen))


# ---------------------------------------------------------------- inspection
def cmd_list_stones(engine, args, io):
    """Vertices of a colour's stones."""
    arg_count(args, 1, usage="list_stones COLOR")
    color = parse_color(args[0])
    return " ".join(vertex(engine, p) for p, s in enumerate(engine.game.board.stones) if s == color)


def cmd_captures(engine, args, io):
    """Stones captured by a colour."""
    arg_count(args, 1, usage="captures COLOR")
    return str(engine.game.board.captures[parse_color(args[0])])


def cmd_is_legal(engine, args, io):
    """1 if the colour may play the vertex now, else 0."""
    arg_count(args, 2, usage="is_legal COLOR VERTEX")
    color = parse_color(args[0])
    return "1" if engine.game.is_legal(parse_vertex(engine, args[1]), color) else "0"


def cmd_all_legal(engine, args, io):
    """Every legal point for a colour (pass not listed)."""
    arg_count(args, 1, usage="all_legal COLOR")
    mask = engine.game.legal_mask(parse_color(args[0]))
    return " ".join(vertex(engine, int(p)) for p in np.flatnonzero(mask[:-1]))


def cmd_countlib(engine, args, io):
    """Liberties of the chain at a vertex."""
    arg_count(args, 1, usage="countlib VERTEX")
    point = parse_vertex(engine, args[0])
    board = engine.game.board
    if point == board.pass_move or board.stones[point] == EMPTY:
        raise GtpFailure("vertex must not be empty")
    return str(board.liberty_count(point))


COMMANDS = {
    "fixed_handicap": cmd_fixed_handicap,
    "place_free_handicap": cmd_place_free_handicap,
    "set_free_handicap": cmd_set_free_handicap,
    "loadsgf": cmd_loadsgf,
    "printsgf": cmd_printsgf,
    "kgs-rules": cmd_kgs_rules,
    "final_score": cmd_final_score,
    "final_status_list": cmd_final_status_list,
    "list_stones": cmd_list_stones,
    "captures": cmd_captures,
    "is_legal": cmd_is_legal,
    "all_legal": cmd_all_legal,
    "countlib": cmd_countlib,
}
