"""Self-play: many games at once in one process, sharing one batched evaluator.

Design. Each game runs its own search (``nets.selfplay_search.MoveSearch``) in
its own thread; every thread's evaluator is one shared ``engine.batching.SharedBatcher``.
When a search needs a leaf evaluated, its thread parks the request; as soon as
every live game has a request waiting (or ``max_wait`` seconds pass), the last
thread to arrive evaluates all of them in one batch and wakes the others. So
the network always sees one batch of up to ``parallel_games`` positions, what
ever the searcher does inside, without the searcher having to expose its
pending leaves. Python threads share the GIL, so the tree work is serial; the
gain is batching (ONNX Runtime and torch release the GIL while they run).
Several processes per machine (``nets.selfplay_jobs``) use the other cores.

Per move: playout cap randomization (a full search with probability
``full_prob``, with root noise and forced playouts, recorded as a training
sample; otherwise a fast search, not recorded); the searcher picks the move
(temperature sampling for the first ``temperature_moves`` plies, Gumbel's
choice with a Gumbel root, else the LCB/visits leader). Resignation when the
root win rate stays below ``resign_threshold`` (``engine.player.ResignCounter``;
0: never) for two of the player's moves in a row, except in a
``resign_playout_fraction`` of games, which are played out to measure false
resignations.

Value targets: the game result from the side to move's view, or with
``td_lambda`` < 1 the TD(lambda) return ``G_t = (1 - l) v_{t+1} + l G_{t+1}``,
``G_T = z`` over the search values ``v`` (each turned to the side to move at
``t``); ``td_lambda = 1`` is the plain result.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import numpy as np

from engine.batching import SharedBatcher
from engine.board import BLACK
from engine.evaluation import Evaluation, Evaluator
from engine.game import Game
from engine.player import ResignCounter, value_to_winrate
from engine.rules import default_komi
from nets.selfplay_search import MoveSearch, SearchSettings

log = logging.getLogger(__name__)

RESIGN_CONSECUTIVE = 2   # own moves in a row below the threshold before a self-play player resigns
RESIGN_FALSE_RATE = 0.05  # the share of played-out games a calibrated threshold may resign falsely
GAME_WAIT = 0.05   # seconds a game thread waits for the others before its batch runs anyway


@dataclass
class SelfPlayConfig:
    """How self-play games are played and what they record."""

    board_size: int = 9
    rules: str = "chinese"
    komi: float | None = None               # None: engine.rules.default_komi(board_size)
    search: SearchSettings = field(default_factory=SearchSettings)
    full_prob: float = 0.25
    resign_threshold: float = 0.05          # win rate (engine.player.ResignCounter); 0: never resign
    resign_playout_fraction: float = 0.1
    td_lambda: float = 1.0
    max_moves: int | None = None            # None: 2 * area
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.komi is None:
            self.komi = default_komi(self.board_size)
        if not 0.0 <= self.full_prob <= 1.0:
            raise ValueError("full_prob must be in [0, 1]")
        if not 0.0 <= self.td_lambda <= 1.0:
            raise ValueError("td_lambda must be in [0, 1]")
        if not 0.0 <= self.resign_playout_fraction <= 1.0:
            raise ValueError("resign_playout_fraction must be in [0, 1]")


@dataclass
class MoveRecord:
    """One move of a self-play game and what its search said."""

    color: int
    move: int
    visits: np.ndarray            # (area + 1,)
    target: np.ndarray | None     # policy target, full searches only
    value: float                  # root value, mover's view
    teacher: Evaluation | None = None  # a teacher's raw evaluation (``nets.distil``)


@dataclass
class SelfPlayGame:
    """A finished self-play game."""

    game: Game
    moves: list[MoveRecord]
    winner: int                   # BLACK, WHITE or 0 (draw)
    result: str                   # "B+R", "W+3.5", "0"
    resigned: bool = False
    would_resign: int = 0         # colour that would have resigned in a played-out game
    resign_allowed: bool = False  # False: played to the end whatever the values (calibrates resigning)
    value_targets: list[float] = field(default_factory=list)

    @property
    def false_resignation(self) -> bool:
        """True when a played-out game was won by the side that wanted to resign."""
        return self.would_resign != 0 and self.winner == self.would_resign


def _winner(margin: float) -> int:
    """Colour that won by ``margin`` (black minus white), 0 for a draw."""
    return 0 if margin == 0 else (BLACK if margin > 0 else -BLACK)


def play_game(evaluator: Evaluator, cfg: SelfPlayConfig, rng: np.random.Generator,
              game: Game | None = None, mover=None) -> SelfPlayGame:
    """Play one self-play game to the end (two passes, resignation or the move cap).

    ``game``: start from this position (e.g. handicap stones or an opening)
    instead of an empty ``cfg`` board; ``mover``: an object with
    ``run(game, full) -> MoveResult`` that picks the moves (default: a
    ``MoveSearch`` with ``cfg.search``; ``nets.distil`` passes a teacher).
    """
    game = game if game is not None else Game(cfg.board_size, rules=cfg.rules, komi=cfg.komi)
    search = mover if mover is not None else MoveSearch(evaluator, cfg.search, rng)
    may_resign = cfg.resign_threshold > 0 and rng.random() >= cfg.resign_playout_fraction
    max_moves = cfg.max_moves or 2 * game.board.area
    records: list[MoveRecord] = []
    resign = ResignCounter()
    would_resign = 0
    while not game.is_over() and len(records) < max_moves:
        color = game.to_play
        result = search.run(game, full=rng.random() < cfg.full_prob)
        if resign.update(color, value_to_winrate(result.value), cfg.resign_threshold, RESIGN_CONSECUTIVE):
            if may_resign:
                return _finish(game, records, cfg, winner=-color, resigned=True)
            would_resign = would_resign or color
        records.append(MoveRecord(color, result.move, result.visits, result.target, result.value,
                                  getattr(result, "teacher", None)))
        game.play(result.move)
    out = _finish(game, records, cfg, winner=_winner(game.score()), resigned=False)
    out.would_resign = would_resign
    out.resign_allowed = may_resign
    return out


def _finish(game: Game, records: list[MoveRecord], cfg: SelfPlayConfig,
            winner: int, resigned: bool) -> SelfPlayGame:
    """Wrap up a game: result string and value targets."""
    if resigned:
        result = ("B" if winner == BLACK else "W") + "+R"
    else:
        result = game.result_string()
    out = SelfPlayGame(game, records, winner, result, resigned)
    out.value_targets = value_targets(records, winner, cfg.td_lambda)
    return out


def value_targets(records: list[MoveRecord], winner: int, td_lambda: float) -> list[float]:
    """Per-move value targets from the mover's view: result, or TD(lambda) with search values."""
    n = len(records)
    out = [0.0] * n
    g = float(winner)                     # black's view
    for t in range(n - 1, -1, -1):
        if t + 1 < n and td_lambda < 1.0:
            nxt = records[t + 1]
            v_next = nxt.value * nxt.color  # black's view
            g = (1.0 - td_lambda) * v_next + td_lambda * g
        out[t] = g * records[t].color
    return out


def winner_low_winrate(sp: SelfPlayGame) -> float | None:
    """The lowest win rate the winner of a game played to the end held for ``RESIGN_CONSECUTIVE`` own moves
    in a row: any resignation threshold above it would have resigned the game falsely (None: no winner)."""
    if sp.resigned or sp.winner == 0:
        return None
    rates = [value_to_winrate(m.value) for m in sp.moves if m.color == sp.winner]
    runs = [max(rates[i:i + RESIGN_CONSECUTIVE]) for i in range(len(rates) - RESIGN_CONSECUTIVE + 1)]
    return min(runs) if runs else None


def resign_threshold_for(winner_lows: list[float], false_rate: float = RESIGN_FALSE_RATE) -> float | None:
    """The highest resignation threshold that would have resigned at most ``false_rate`` of the games
    whose winners' lows these are (``winner_low_winrate``; Minigo's calibration); None without games."""
    if not winner_lows:
        return None
    lows = sorted(winner_lows)
    return lows[min(len(lows) - 1, int(false_rate * len(lows)))]


def summarize(games: list[SelfPlayGame]) -> dict:
    """Counts for logs: games, positions, samples, wins by colour, resignations, and the winners' lows
    of the games played to the end without resigning allowed (``winner_low_winrate``)."""
    played_out = [g for g in games if g.would_resign]
    lows = [winner_low_winrate(g) for g in games if not g.resign_allowed]
    return {
        "games": len(games),
        "moves": sum(len(g.moves) for g in games),
        "samples": sum(1 for g in games for m in g.moves if m.target is not None),
        "black_wins": sum(1 for g in games if g.winner == BLACK),
        "white_wins": sum(1 for g in games if g.winner == -BLACK),
        "resigned": sum(1 for g in games if g.resigned),
        "played_out_checks": len(played_out),
        "false_resignations": sum(1 for g in played_out if g.false_resignation),
        "winner_lows": [low for low in lows if low is not None],
    }


def run_in_threads(batcher: SharedBatcher, seed: int | None, threads: int,
                   next_game, play, record) -> None:
    """Play games on ``threads`` threads that share ``batcher``.

    Each thread, with its own RNG, repeatedly takes ``next_game()`` (an index, or
    None to stop), runs ``play(index, rng)`` and hands the result to
    ``record(index, result)``; ``next_game`` and ``record`` run under one lock.
    The first error stops every thread and is raised once all have stopped.
    """
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(seq) -> None:
        rng = np.random.default_rng(seq)
        try:
            while True:
                with lock:
                    index = None if errors else next_game()
                if index is None:
                    return
                result = play(index, rng)
                with lock:
                    record(index, result)
        except Exception as exc:  # raised after every thread stops
            errors.append(exc)
        finally:
            batcher.leave()

    pool = [threading.Thread(target=worker, args=(q,), daemon=True)
            for q in np.random.SeedSequence(seed).spawn(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]


def run_games(evaluator: Evaluator, cfg: SelfPlayConfig, games: int, parallel: int,
              on_game=None) -> tuple[list[SelfPlayGame], SharedBatcher]:
    """Play ``games`` games, ``parallel`` at a time in threads sharing one batched evaluator.

    ``on_game(game)`` is called (under a lock) as each game finishes, e.g. to
    write it out and tick a progress bar.
    """
    if games < 0 or parallel < 1:
        raise ValueError("games must be >= 0 and parallel >= 1")
    parallel = max(1, min(parallel, games))
    batcher = SharedBatcher(evaluator, clients=parallel, max_wait=GAME_WAIT)
    done: list[SelfPlayGame] = []
    started = iter(range(games))

    def record(index: int, game: SelfPlayGame) -> None:
        done.append(game)
        if on_game is not None:
            on_game(game)

    run_in_threads(batcher, cfg.seed, parallel, lambda: next(started, None),
                   lambda index, rng: play_game(batcher, cfg, rng), record)
    return done, batcher
