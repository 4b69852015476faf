"""The GTP command table: engine state and the core commands (GTP v2 draft 2).

``GtpEngine`` keeps the game, the time settings and clocks, and the
``Player`` that chooses moves. Command handlers are plain functions
``handler(engine, args, io) -> str`` collected from this module and its
siblings (commands_setup, commands_time, commands_analysis, gogui); they
raise ``GtpFailure`` with the canonical error text on failure. The player is
behind a guard: whatever it does, a genmove answers a legal move (or pass).
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from engine import coords
from engine.board import IllegalMoveError
from engine.evaluator import ModelLoadError
from engine.game import Game
from engine.player import Decision, Player, SimplePlayer, accepts
from engine.rules import Rules, RulesError, rules_by_name
from engine.timecontrol import Clock, TimeSettings, charge
from gtp.server.args import arg_count, parse_color, parse_float, parse_int, parse_vertex, vertex
from gtp.server.players import EngineOptions, PlayerError, find_network, make_player
from gtp.server.protocol import GtpFailure, QuitRequested, ReplyIO
from gtp.server.sgf_files import SgfFiles

log = logging.getLogger("zerogo.gtp")

# ------------------------------------------------------------------- engine
class GtpEngine:
    """Game state plus the command table; ``dispatch`` runs one command."""

    def __init__(self, options: EngineOptions, player: Player):
        self.options = options
        self.player = player
        self.network_path = find_network(options) if not options.player else None
        self.fallback = SimplePlayer(options.seed)
        self.sgf_files = SgfFiles(options.sgf_dir, options.allow_any_path)
        self.base_rules: Rules = rules_by_name(options.rules)
        self.komi = options.komi if options.komi is not None else self.base_rules.komi
        self.time_settings = TimeSettings("none")
        self.clocks: dict[int, Clock] = {}
        self.game = self.new_game(options.size, options.size)
        self.commands = {}
        self._ponder_stop: threading.Event | None = None
        self._ponder_thread: threading.Thread | None = None
        from gtp.server import (commands_analysis, commands_kata, commands_katago, commands_setup,
                                commands_time, gogui, gogui_views)
        for table in (CORE, commands_setup.COMMANDS, commands_time.COMMANDS, commands_analysis.COMMANDS,
                      commands_kata.COMMANDS, commands_katago.COMMANDS, gogui.COMMANDS, gogui_views.COMMANDS):
            self.commands.update(table)

    # ---------------------------------------------------------------- state
    def new_game(self, width: int, height: int) -> Game:
        """A fresh game with the current rules and komi; clocks restart."""
        game = Game(width, height, rules=self.base_rules.with_komi(self.komi))
        self.reset_clocks()
        return game

    def match_network_to_size(self) -> None:
        """With ``--network auto``, load the shipped net meant for the new board size."""
        if self.options.player or (self.options.network or "").strip().lower() != "auto":
            return
        wanted = find_network(self.options, self.game.width, self.game.height)
        if wanted == self.network_path:
            return
        log.info("board %dx%d: switching network %s -> %s", self.game.width,
                 self.game.height, self.network_path, wanted)
        self.player.close()
        self.player = make_player(self.options, wanted)
        self.network_path = wanted

    def reset_clocks(self) -> None:
        """Both clocks back to the start of the current time settings."""
        self.clocks = {c: Clock.start(self.time_settings) for c in (1, -1)}

    def set_rules(self, rules: Rules) -> None:
        """Change the rules for this game and the next ones (komi kept)."""
        self.base_rules = rules
        self.game.set_rules(rules.with_komi(self.komi))

    # ------------------------------------------------------------- dispatch
    def dispatch(self, name: str, args: list[str], io: ReplyIO) -> str:
        """Run the named command; GtpFailure('unknown command') when there is none."""
        handler = self.commands.get(name)
        if handler is None:
            raise GtpFailure("unknown command")
        return handler(self, args, io)

    def before_command(self) -> None:
        """Called before every command: stop pondering."""
        if self._ponder_stop is not None:
            self._ponder_stop.set()
            if self._ponder_thread is not None:
                self._ponder_thread.join(timeout=5.0)
            self._ponder_stop = self._ponder_thread = None

    def start_pondering(self) -> None:
        """Think on the opponent's time until the next command (if --ponder)."""
        if not self.options.ponder:
            return
        stop = threading.Event()
        game = self.game.copy()

        def run() -> None:
            try:
                self.player.ponder(game, stop)
            except Exception:
                log.exception("pondering failed")

        self._ponder_stop = stop
        self._ponder_thread = threading.Thread(target=run, name="ponder", daemon=True)
        self._ponder_thread.start()

    # -------------------------------------------------------------- genmove
    def choose_move(self, color: int, cleanup: bool = False, report=None,
                    interval: float = 1.0, interrupt: threading.Event | None = None) -> Decision:
        """The player's decision, checked; a legal fallback when it fails or errs.

        With ``report``, the player streams analysis every ``interval`` s meanwhile;
        ``interrupt`` (GoGui's Interrupt) makes it answer its best move so far.
        """
        from gtp.server.commands_time import move_limits
        limits = move_limits(self, color)
        started = time.monotonic()
        decision = None
        try:
            if report is None:
                extra = {"interrupt": interrupt} if accepts(self.player.genmove, "interrupt") else {}
                decision = self.player.genmove(self.game.copy(), color, limits, cleanup, **extra)
            else:
                extra = {"interrupt": interrupt} if accepts(self.player.genmove_analyze, "interrupt") else {}
                decision = self.player.genmove_analyze(self.game.copy(), color, limits,
                                                       report, interval, cleanup, **extra)
        except Exception:
            log.exception("move generator failed; playing a fallback move")
        decision = self._checked(decision, color)
        if self.time_settings.system != "none":
            self.clocks[color] = charge(self.time_settings, self.clocks[color],
                                        time.monotonic() - started)
        return decision

    def _checked(self, decision, color: int) -> Decision:
        """``decision`` if it is a legal move or an allowed resignation, else a fallback."""
        if isinstance(decision, Decision):
            if decision.resign:
                if self.options.resign_threshold > 0:
                    return decision
                log.info("resignation disabled (--resign-threshold 0); playing on")
            elif isinstance(decision.move, int) and self.game.is_legal(decision.move, color):
                return decision
            else:
                log.error("move generator returned an illegal move %r; playing a fallback move",
                          decision.move)
        elif decision is not None:
            log.error("move generator returned %r, not a Decision", decision)
        try:
            fallback = self.fallback.genmove(self.game.copy(), color)
            if self.game.is_legal(fallback.move, color):
                return Decision(fallback.move)
        except Exception:
            log.exception("fallback move generator failed; passing")
        return Decision(self.game.board.pass_move)

    def genmove(self, color: int, cleanup: bool = False, play: bool = True,
                interrupt: threading.Event | None = None) -> str:
        """Choose (and, if ``play``, play) a move for ``color``; the GTP vertex or ``resign``."""
        decision = self.choose_move(color, cleanup, interrupt=interrupt)
        if self.options.ogs_chat != "none":
            from gtp.server.commands_analysis import chat_line
            line = chat_line(self, decision, self.options.ogs_chat)
            if line:
                print(line, file=sys.stderr, flush=True)
        if decision.resign:
            return "resign"
        if play:
            self.game.play(decision.move, color)
            self.start_pondering()
        return vertex(self, decision.move)


# ----------------------------------------------------------- core commands
def cmd_protocol_version(engine, args, io):
    """Always 2."""
    return "2"


def cmd_name(engine, args, io):
    """The engine's name."""
    return engine.options.name


def cmd_version(engine, args, io):
    """The engine's version and its move generator."""
    return f"{engine.options.version} ({type(engine.player).__name__})"


def cmd_known_command(engine, args, io):
    """``true`` if the command is implemented."""
    arg_count(args, 1, usage="known_command NAME")
    return "true" if args[0] in engine.commands else "false"


def cmd_list_commands(engine, args, io):
    """Every implemented command, one a line."""
    return "\n".join(engine.commands)


def cmd_quit(engine, args, io):
    """Answer, then end the session."""
    raise QuitRequested("")


def _resize(engine, width_word: str, height_word: str) -> str:
    try:
        width, height = parse_int(width_word), parse_int(height_word)
        coords.check_size(width, height)
    except (GtpFailure, coords.CoordinateError):
        raise GtpFailure("unacceptable size") from None
    old = engine.game
    engine.game = engine.new_game(width, height)
    engine.player.clear()
    try:
        engine.match_network_to_size()
        engine.player.check_board_size(width, height)
    except (PlayerError, ModelLoadError, ValueError) as exc:
        log.warning("boardsize %dx%d refused: %s", width, height, exc)
        engine.game = old
        raise GtpFailure("unacceptable size") from None
    return ""


def cmd_boardsize(engine, args, io):
    """Change the board size (2..25) and clear the board."""
    arg_count(args, 1, usage="boardsize SIZE")
    return _resize(engine, args[0], args[0])


def cmd_rectangular_boardsize(engine, args, io):
    """A width x height board (each 2..25), cleared."""
    arg_count(args, 2, usage="rectangular_boardsize WIDTH HEIGHT")
    return _resize(engine, args[0], args[1])


def cmd_clear_board(engine, args, io):
    """Empty board, no moves, clocks reset."""
    engine.game = engine.new_game(engine.game.width, engine.game.height)
    engine.player.clear()
    return ""


def cmd_komi(engine, args, io):
    """Set komi (any float)."""
    arg_count(args, 1, usage="komi FLOAT")
    engine.komi = parse_float(args[0], "komi")
    engine.game.set_rules(engine.game.rules.with_komi(engine.komi))
    return ""


def cmd_play(engine, args, io):
    """Play a move for a colour; ``illegal move`` leaves the game unchanged."""
    arg_count(args, 2, usage="play COLOR VERTEX")
    color = parse_color(args[0])
    move = parse_vertex(engine, args[1])
    try:
        engine.game.play(move, color)
    except IllegalMoveError:
        raise GtpFailure("illegal move") from None
    return ""


def cmd_genmove(engine, args, io):
    """Generate and play a move for a colour."""
    arg_count(args, 1, usage="genmove COLOR")
    return engine.genmove(parse_color(args[0]), interrupt=io.interrupt)


def cmd_reg_genmove(engine, args, io):
    """Generate a move without playing it."""
    arg_count(args, 1, usage="reg_genmove COLOR")
    return engine.genmove(parse_color(args[0]), play=False, interrupt=io.interrupt)


def cmd_kgs_genmove_cleanup(engine, args, io):
    """Genmove that captures dead stones instead of passing (KGS)."""
    arg_count(args, 1, usage="kgs-genmove_cleanup COLOR")
    return engine.genmove(parse_color(args[0]), cleanup=True, interrupt=io.interrupt)


def cmd_undo(engine, args, io):
    """Take back the last move (not handicap stones)."""
    try:
        engine.game.undo()
    except IndexError:
        raise GtpFailure("cannot undo") from None
    return ""


def cmd_showboard(engine, args, io):
    """The board as text (after a newline, as GNU Go does)."""
    board = engine.game.board
    caps = f"captures: black {board.captures[1]}, white {board.captures[-1]}"
    turn = "black" if engine.game.to_play == 1 else "white"
    return f"\n{board.to_ascii()}\n{caps}; {turn} to play; komi {engine.game.komi:g}"


def cmd_cputime(engine, args, io):
    """CPU seconds used by this process."""
    return f"{time.process_time():.3f}"


def cmd_stop(engine, args, io):
    """Stop any pondering or analysis (done before every command)."""
    return ""


def cmd_kgs_game_over(engine, args, io):
    """The game has ended on the server."""
    log.info("game over")
    return ""


def cmd_gogui_interrupt(engine, args, io):
    """Declares that ``# interrupt`` lines stop long commands (genmove answers its best move so far)."""
    return ""


CORE = {
    "protocol_version": cmd_protocol_version,
    "name": cmd_name,
    "version": cmd_version,
    "known_command": cmd_known_command,
    "list_commands": cmd_list_commands,
    "quit": cmd_quit,
    "boardsize": cmd_boardsize,
    "rectangular_boardsize": cmd_rectangular_boardsize,
    "clear_board": cmd_clear_board,
    "komi": cmd_komi,
    "play": cmd_play,
    "genmove": cmd_genmove,
    "reg_genmove": cmd_reg_genmove,
    "kgs-genmove_cleanup": cmd_kgs_genmove_cleanup,
    "undo": cmd_undo,
    "showboard": cmd_showboard,
    "cputime": cmd_cputime,
    "stop": cmd_stop,
    "kgs-game_over": cmd_kgs_game_over,
    "gogui-interrupt": cmd_gogui_interrupt,
}

__all__ = ["GtpEngine", "GtpFailure", "RulesError", "arg_count", "parse_int", "parse_float",
           "parse_color", "parse_vertex", "vertex"]
