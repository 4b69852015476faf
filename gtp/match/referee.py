"""Referee one game between two GTP engines (the core of ``zerogo match``).

Like gogui-twogtp: both engines get boardsize, clear_board, komi, rules and
time settings; moves go ``genmove`` to the side to move and ``play`` to the
other. The referee keeps its own ``engine.game.Game`` so every move is
checked. A game ends on resignation; on two passes or ``max_moves`` (then
scored by both engines' ``final_score``; when the claims differ the game is
played out with ``kgs-genmove_cleanup`` (or zerogo's clean-up) and counted by
Tromp-Taylor rules, see ``gtp.match.playout``; the referee's own count, from
``engine.deadstones.find_status``, is recorded beside them); on an illegal
move (a loss); on a crash, a failed genmove or a timeout (a loss; time is
charged after a ``lag`` allowance).
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass, field

from engine import coords, deadstones
from engine.board import IllegalMoveError
from engine.game import Game
from engine.rules import default_komi, rules_by_name
from engine.runtimes import machine_summary
from engine.timecontrol import Clock, TimeSettings, charge
from gtp.match.client import GtpClient, GtpClientError, GtpCommandFailed, GtpEngineDied, GtpTimeout, LiveEngines
from gtp.match.playout import play_out

log = logging.getLogger("zerogo.match")


@dataclass
class MatchConfig:
    """Everything ``zerogo match`` needs; engine A is ``black`` (B is ``white``) in game 0."""

    black: str
    white: str
    games: int = 2
    size: int = 9
    komi: float | None = None               # None: engine.rules.default_komi(size)
    rules: str = "chinese"
    alternate: bool = False
    time: TimeSettings = field(default_factory=TimeSettings)
    lag: float = 1.0              # seconds per move not charged to the clock
    move_timeout: float = 60.0    # per-move limit when there is no clock
    parallel: int = 1
    sgf_dir: str | None = None
    openings: list[str] = field(default_factory=list)   # SGF files, used in turn
    max_moves: int = 0            # 0: 4 x board area
    sprt: tuple[float, float] | None = None
    log_dir: str | None = None    # engines' stderr, one file per game and colour
    setup_timeout: float = 10.0   # every other command (setup, play, time_left, final_score)
    replay_crashes: int = 0       # play a game again (up to this many times) when an engine dies in it
    startup_timeout: float = 120.0   # an engine's first answer: loading a net, compiling kernels

    def __post_init__(self) -> None:
        if self.komi is None:
            self.komi = default_komi(self.size)


@dataclass
class GameResult:
    """How one game went."""

    index: int
    black_engine: str             # "A" or "B"
    white_engine: str
    winner: str | None            # "B", "W", or None (draw / no result)
    reason: str                   # resign, score, max-moves, illegal, time, crash, error
    result: str                   # SGF RE value: B+R, W+T, B+3.5, 0, ?
    scores: dict = field(default_factory=dict)   # black/white engine's final_score, referee's
    agreed: bool | None = None    # engines agreed on the score (None: not scored)
    moves: int = 0                # moves of the game itself
    playout_moves: int = 0        # moves of the clean-up play-out that settled a disputed score
    seconds: dict = field(default_factory=dict)  # total thinking time per colour
    move_seconds: list = field(default_factory=list)  # time of each generated move, in order
    detail: str = ""
    sgf: str | None = None
    machine: str = ""             # where it was played (engine.runtimes.machine_summary): CPU, CPUs, flags

    def winner_engine(self) -> str | None:
        """"A", "B" or None."""
        if self.winner is None:
            return None
        return self.black_engine if self.winner == "B" else self.white_engine


def move_deadline(settings: TimeSettings, clock: Clock, lag: float, no_clock: float) -> float:
    """Seconds an engine may take for this move before it loses on time."""
    s = settings.system
    if s == "none":
        return no_clock
    left = clock.main_left
    if s == "byoyomi":
        left += (clock.periods_left if clock.in_overtime else settings.periods) * settings.period_time
    elif s == "canadian":
        left += clock.period_left if clock.in_overtime else settings.period_time
    return max(left, 0.0) + lag


def _time_commands(client: GtpClient, settings: TimeSettings) -> list[str]:
    """The clock setup an engine understands."""
    t = settings
    if t.system == "none":
        return ["time_settings 0 1 0"]
    if t.system == "absolute":
        return [f"time_settings {t.main_time:g} 0 0"]
    if t.system == "canadian":
        return [f"time_settings {t.main_time:g} {t.period_time:g} {t.stones}"]
    if client.known("kgs-time_settings"):
        return [f"kgs-time_settings byoyomi {t.main_time:g} {t.period_time:g} {t.periods}"]
    return [f"time_settings {t.main_time:g} {t.period_time:g} 1"]


def _time_left(settings: TimeSettings, clock: Clock, color: str) -> str | None:
    """The ``time_left`` command for a clock (None without a clock)."""
    s = settings.system
    if s == "none":
        return None
    if s in ("byoyomi", "canadian") and clock.in_overtime:
        count = clock.periods_left if s == "byoyomi" else clock.stones_left
        seconds = clock.period_left if s == "canadian" else settings.period_time
        return f"time_left {color} {int(seconds)} {max(count, 1)}"
    return f"time_left {color} {int(clock.main_left)} 0"


class Referee:
    """Plays one game between two running engines."""

    def __init__(self, config: MatchConfig, black: GtpClient, white: GtpClient, game: Game):
        self.config, self.game = config, game
        self.clients = {1: black, -1: white}
        self.clocks = {c: Clock.start(config.time) for c in (1, -1)}
        self.seconds = {1: 0.0, -1: 0.0}
        self.times: list[float] = []     # thinking time of each generated move on the board, in order
        self._thinking = 0.0
        self.game_moves: int | None = None      # moves before a clean-up play-out, when there was one
        self.playout = None

    def setup(self) -> tuple[str | None, str, str] | None:
        """Board, komi, rules, clocks and the opening position on both engines.

        Each engine's first answer may take ``startup_timeout`` (a net to load,
        kernels to compile on a first run); one that never answers did not
        start, and the game has no result (winner None, "error"). An engine
        that started but does not answer a setup command in ``setup_timeout``
        loses on time. The outcome tuple (winner, reason, detail); None when
        both are ready.
        """
        for color, client in self.clients.items():
            name = coords.color_name(color)
            try:
                client.send_raw("protocol_version", timeout=self.config.startup_timeout)
            except GtpTimeout:
                return (None, "error", f"{name} engine did not start: no answer within "
                                       f"{self.config.startup_timeout:g} s (--startup-timeout)")
        for color, client in self.clients.items():
            try:
                self._setup_one(client)
            except GtpTimeout as exc:
                name = coords.color_name(color)
                return (coords.color_name(-color), "time",
                        f"{name} engine did not answer during setup within "
                        f"{self.config.setup_timeout:g} s ({exc})")
        return None

    def _setup_one(self, client: GtpClient) -> None:
        """The setup commands for one engine."""
        cfg, game = self.config, self.game
        commands = [f"boardsize {game.width}", "clear_board", f"komi {game.komi:g}"]
        if client.known("kgs-rules"):
            commands.append(f"kgs-rules {cfg.rules.replace('-', '_')}")
        for command in commands + _time_commands(client, cfg.time):
            ok, text = client.send_raw(command)
            if not ok and command.startswith(("boardsize", "clear_board", "komi")):
                raise GtpCommandFailed(f"{command!r}: {text}")
        handicap = [coords.to_gtp(p, game.width, game.height) for c, p in game.setup_stones if c == 1]
        if handicap:
            client.send("set_free_handicap " + " ".join(handicap))
        for color, move in game.moves:
            client.send(f"play {coords.color_name(color)} {coords.to_gtp(move, game.width, game.height)}")

    def play(self) -> tuple[str | None, str, str]:
        """Play to the end: (winner colour or None, reason, detail)."""
        cfg, game = self.config, self.game
        limit = cfg.max_moves or 4 * game.width * game.height
        while not game.is_over():
            if len(game.moves) >= limit:
                return None, "max-moves", f"stopped after {limit} moves"
            outcome = self._one_move(game.to_play)
            if outcome is not None:
                return outcome
        return None, "score", "two passes"

    def _one_move(self, color: int):
        """Ask ``color`` for a move and relay it; an outcome tuple when the game ends."""
        cfg, name = self.config, coords.color_name(color)
        winner_if_lost = coords.color_name(-color)
        client, clock = self.clients[color], self.clocks[color]
        tl = _time_left(cfg.time, clock, name)
        deadline = move_deadline(cfg.time, clock, cfg.lag, cfg.move_timeout)
        try:
            if tl and client.known("time_left"):
                client.send(tl)
            started = time.monotonic()
            reply = client.send(f"genmove {name.lower()}", timeout=deadline)
        except GtpTimeout as exc:
            return winner_if_lost, "time", f"{name} gave no move within {deadline:.1f} s ({exc})"
        except GtpEngineDied as exc:
            return winner_if_lost, "crash", f"{name} engine died: {exc}"
        except GtpClientError as exc:
            return winner_if_lost, "error", f"{name} genmove failed: {exc}"
        used = time.monotonic() - started
        self.seconds[color] += used
        self._thinking = used      # goes into self.times once the reply is played (not for resign)
        if cfg.time.system != "none":
            self.clocks[color] = charge(cfg.time, clock, max(0.0, used - cfg.lag))
            if self.clocks[color].flagged:
                return winner_if_lost, "time", f"{name} ran out of time ({used:.1f} s)"
        return self._relay(color, reply.strip())

    def _relay(self, color: int, reply: str):
        """Check and play the reply on the referee board and on the other engine."""
        game, name = self.game, coords.color_name(color)
        if reply.lower() == "resign":
            return coords.color_name(-color), "resign", f"{name} resigned"
        try:
            move = coords.from_gtp(reply, game.width, game.height)
            game.play(move, color)
        except (coords.CoordinateError, IllegalMoveError) as exc:
            return coords.color_name(-color), "illegal", f"{name} played {reply!r}: {exc}"
        self.times.append(self._thinking)
        try:
            self.clients[-color].send(f"play {name} {coords.to_gtp(move, game.width, game.height)}")
        except GtpCommandFailed as exc:
            return None, "error", f"{coords.color_name(-color)} engine rejected a legal move: {exc}"
        except GtpTimeout as exc:
            return name, "time", (f"{coords.color_name(-color)} engine did not acknowledge the move "
                                  f"within {self.config.setup_timeout:g} s ({exc})")
        except GtpClientError as exc:
            return name, "crash", f"{coords.color_name(-color)} engine failed on play: {exc}"
        return None

    def score(self, settle: bool = True) -> tuple[str | None, str, dict, bool]:
        """(winner, result, all scores, engines agree) at the end of the game.

        Agreeing claims stand. Otherwise the game is played out (``play_out``:
        both engines' clean-up, or zerogo's) and the Tromp-Taylor count of the
        final board decides; the referee's own count is the last resort (and
        the answer for an unfinished game, ``settle`` false).
        """
        status = deadstones.find_status(self.game.board)
        scores = {"referee": self.game.result_string(status.dead, status.seki)}
        for color, key in ((1, "black_engine"), (-1, "white_engine")):
            try:
                scores[key] = _normal(self.clients[color].send("final_score"))
            except GtpClientError as exc:
                scores[key] = f"? {exc}"
        agreed = scores["black_engine"] == scores["white_engine"] and not scores["black_engine"].startswith("?")
        result = scores["black_engine"] if agreed else scores["referee"]
        if not agreed and settle:
            self.game_moves = len(self.game.moves)
            played = play_out(self.game, self.clients, timeout=self.config.move_timeout)
            self.playout = played
            scores["played_out"] = played.result
            scores["played_out_by"] = played.method
            if played.detail:
                scores["played_out_detail"] = played.detail
            result = played.result if not played.result.startswith("?") else scores["referee"]
        winner = result[0] if result[:1] in ("B", "W") else None
        return winner, result, scores, agreed


def _normal(result: str) -> str:
    """A final_score reply in canonical form (``B+3.5``, ``W+0.5``, ``0``); ``? ...`` when it is none.

    Two engines that answer the same non-score (``1``, ``B+lots``) have not
    agreed on a result: the game is settled as if their claims differed.
    """
    text = result.strip().upper()
    if text in ("0", "DRAW", "JIGO"):
        return "0"
    if len(text) > 2 and text[0] in "BW" and text[1] == "+":
        try:
            value = float(text[2:])
        except ValueError:
            return f"? not a score: {result.strip()}"
        if math.isfinite(value) and value >= 0:
            return "0" if value == 0 else f"{text[0]}+{value:g}"
    return f"? not a score: {result.strip()}"


def start_game(config: MatchConfig, index: int) -> Game:
    """The referee's game for game ``index``: empty, or the next opening."""
    if config.openings:
        from engine.sgf import load_sgf_file
        path = config.openings[(index // (2 if config.alternate else 1)) % len(config.openings)]
        game = load_sgf_file(path)
        if any(color != 1 for color, _ in game.setup_stones):
            raise ValueError(f"opening {path}: white setup stones cannot be sent over GTP")
        game.set_rules(rules_by_name(config.rules, config.komi))
        return game
    return Game(config.size, rules=config.rules, komi=config.komi)


def play_game(config: MatchConfig, index: int, live: LiveEngines | None = None) -> GameResult:
    """Start both engines, play game ``index``, write its SGF; never raises for engine trouble.

    With ``live`` the engines are tracked there while the game lasts.
    """
    swap = config.alternate and index % 2 == 1
    names = ("B", "A") if swap else ("A", "B")
    commands = (config.white, config.black) if swap else (config.black, config.white)
    out = GameResult(index, names[0], names[1], None, "error", "?", machine=machine_summary())
    clients: list[GtpClient] = []
    try:
        game = start_game(config, index)
        for colour, command in zip("bw", commands):
            log_path = os.path.join(config.log_dir, f"game{index:04d}-{colour}.log") if config.log_dir else None
            client = GtpClient(command, stderr_path=log_path, timeout=config.setup_timeout)
            clients.append(live.add(client) if live else client)
        ref = Referee(config, clients[0], clients[1], game)
        winner, reason, detail = ref.setup() or ref.play()
        out.winner, out.reason, out.detail = winner, reason, detail
        if reason in ("score", "max-moves"):
            out.winner, out.result, out.scores, out.agreed = ref.score(settle=reason == "score")
        else:
            suffix = {"resign": "R", "time": "T"}.get(reason, "F")
            out.result = f"{winner}+{suffix}" if winner else "?"
        out.moves = len(game.moves) if ref.game_moves is None else ref.game_moves
        out.playout_moves = len(game.moves) - out.moves
        out.seconds = {"B": round(ref.seconds[1], 3), "W": round(ref.seconds[-1], 3)}
        out.move_seconds = [round(t, 3) for t in ref.times]
        if config.sgf_dir:
            out.sgf = write_sgf(config, index, game, out, ref.times, names)
    except (GtpClientError, OSError, ValueError) as exc:
        log.error("game %d failed: %s", index, exc)
        out.reason, out.detail = "error", str(exc)
    finally:
        for client in clients:
            client.close()
            if live:
                live.discard(client)
    return out


def write_sgf(config: MatchConfig, index: int, game: Game, result: GameResult,
              times: list[float], names: tuple[str, str]) -> str:
    """One SGF per game (sgfmill via engine.sgf): players, result, time per move, outcome."""
    from engine.sgf import game_to_sgf
    game.record.black_player = f"{names[0]}: {config.black if names[0] == 'A' else config.white}"
    game.record.white_player = f"{names[1]}: {config.white if names[1] == 'B' else config.black}"
    first = result.moves - len(times)
    comments = {first + i + 1: f"time {t:.2f} s" for i, t in enumerate(times)}
    if result.playout_moves:
        s = result.scores
        comments[result.moves + 1] = (
            f"clean-up play-out ({s.get('played_out_by')}) because the claims differ: black engine "
            f"{s.get('black_engine')}, white engine {s.get('white_engine')}; Tromp-Taylor after "
            f"{result.playout_moves} moves: {s.get('played_out')}")
    comments[0] = (f"zerogo match game {index}: {result.reason}; {result.detail}; "
                   f"scores {result.scores}; engines agree: {result.agreed}; "
                   f"thinking time B {result.seconds.get('B', 0):.1f} s, W {result.seconds.get('W', 0):.1f} s; "
                   f"played on {result.machine}")
    if config.time.system != "none":
        game.record.extra["TM"] = config.time.main_time
    os.makedirs(config.sgf_dir, exist_ok=True)
    path = os.path.join(config.sgf_dir, f"game{index:04d}.sgf")
    with open(path, "wb") as f:
        f.write(game_to_sgf(game, result=result.result, comments=comments))
    return path

