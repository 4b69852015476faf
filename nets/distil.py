"""Teacher data: games played by a strong network (a KataGo net), written as zerogo shards.

The teacher plays both colours through the self-play machinery
(``nets.selfplay.play_game`` with a ``TeacherMover``; many games in flight in
threads sharing one ``SharedBatcher``, a transposition cache behind it).
Every move of the teacher becomes a training row in ZERO-GO'S OWN features
(``engine.features.encode``), with these targets:

* policy: the teacher's raw policy over the legal moves (``policy="raw"``, one
  network call per move), or the pruned visit distribution of a small search
  with root noise and forced playouts (``policy="search"``, ``visits`` each);
* value / score / ownership: the game's result, final margin and final area
  ownership (dead stones: the teacher's final ownership says a stone is the
  opponent's), for games ended by two passes; resigned or capped games give
  the result only;
* teacher_value / teacher_score / teacher_ownership: the teacher's own raw
  evaluation of the position (``nets.shards`` optional keys), always present.

Diversity (``nets.distil_setup``): board sizes drawn by weight, rules drawn
from a list (Chinese and Japanese by default), komi spread around the rules'
usual komi, some handicap games on 13x13 and larger (fixed points, komi 0.5,
no resignation), 0..``opening_moves`` uniformly random first moves (never
filling an own eye); the teacher's policy sampled at ``temperature`` for the first
``temperature_moves`` plies (auto: area / 7) and at ``late_temperature``
after (raw mode; the search picks its own moves).

Resumable (``nets.distil_io``): ``OUT/{prefix}-progress.json`` counts the games whose rows are in
shards; shards (one writer per board size, ``{prefix}-{W}x{H}-NNNNNN.npz``)
are flushed after whole games every ``positions_per_shard`` rows or
``flush_minutes``, and on SIGINT/SIGTERM (which then exit with 128 + the
signal number, dropping only the games still in flight). ``games`` is the total to reach, so
rerunning the same command carries on; a SIGKILL loses at most the games of
the last ``flush_minutes``.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

import numpy as np

from engine.batching import SharedBatcher
from engine.board import BLACK, EMPTY
from engine.evaluation import Evaluator, Position
from engine.evaluator import EvaluatorConfig, load_evaluator
from engine.game import Game
from engine.scoring import area_ownership
from nets.distil_io import DistilSink, FinishedGame, Progress
from nets.distil_setup import DistilSettings, GameSetup, draw_setup
from nets.relabel import legal_policy
from nets.selfplay import GAME_WAIT, SelfPlayConfig, play_game, run_in_threads
from nets.selfplay_search import MoveResult, MoveSearch, SearchSettings
from gtp.match.stop_signals import signal_exit_code

log = logging.getLogger(__name__)
DEAD_THRESHOLD = 0.5     # a stone is dead when the teacher gives its point this much to the other side


class TeacherMover:
    """Picks a game's moves with the teacher and records its evaluation (``play_game``'s mover)."""

    def __init__(self, evaluator: Evaluator, s: DistilSettings, rng: np.random.Generator,
                 counter: list | None = None):
        self.evaluator = evaluator
        self.s = s
        self.rng = rng
        self.counter = counter if counter is not None else [0]   # moves played, shared
        self.search = None
        if s.policy == "search":
            self.search = MoveSearch(evaluator, SearchSettings(
                visits=s.visits, fast_visits=s.visits, temperature=s.temperature,
                temperature_moves=max(0, s.temperature_moves)), rng)

    def _temperature_moves(self, game: Game) -> int:
        return game.board.area // 7 if self.s.temperature_moves < 0 else self.s.temperature_moves

    def run(self, game: Game, full: bool = True) -> MoveResult:
        """The teacher's move and training target at ``game``'s position (left unchanged)."""
        self.counter[0] += 1
        if self.search is not None:
            self.search.searcher.config.temperature_moves = self._temperature_moves(game)
        ev = self.evaluator.evaluate([Position.from_game(game)])[0]
        policy = legal_policy(ev.policy, game.legal_mask())
        if self.search is not None:
            res = self.search.run(game, full=True)
            target = res.target if res.target is not None else policy
            return MoveResult(res.move, res.visits, target, res.value, ev)
        plies = len(game.moves)
        t = self.s.temperature if plies < self._temperature_moves(game) else self.s.late_temperature
        p = np.power(policy, 1.0 / t)
        p /= p.sum()
        move = int(self.rng.choice(len(p), p=p))
        return MoveResult(move, np.zeros(len(p)), policy, ev.value, ev)


def finish(sp, start: Game, setup: GameSetup, evaluator: Evaluator) -> FinishedGame:
    """Score a finished ``SelfPlayGame``: dead stones from the teacher's final ownership."""
    g = sp.game
    if sp.resigned:
        return FinishedGame(start, g, sp.moves, setup, sp.winner, sp.result, None, None, True)
    final = evaluator.evaluate([Position.from_game(g)])[0]
    black_own = np.asarray(final.ownership, np.float32).reshape(-1) * g.to_play
    stones = g.board.stones
    dead = {p for p in range(g.board.area)
            if stones[p] != EMPTY and stones[p] * black_own[p] < -DEAD_THRESHOLD}
    if not g.is_over():  # move cap: the teacher's verdict, no margin
        winner = BLACK * int(np.sign(final.value * g.to_play)) if final.value else 0
        result = "Void" if winner == 0 else ("B" if winner == BLACK else "W") + "+T"
        return FinishedGame(start, g, sp.moves, setup, winner, result, None, None, False)
    margin = g.score(dead=dead)
    winner = 0 if margin == 0 else (BLACK if margin > 0 else -BLACK)
    own = area_ownership(g.board, dead)
    return FinishedGame(start, g, sp.moves, setup, winner, g.result_string(dead=dead), margin,
                        own, False)


def load_teacher(s: DistilSettings) -> Evaluator:
    """The teacher network (a KataGo model file, converted once, or an ONNX file), cached."""
    return load_evaluator(s.teacher, EvaluatorConfig(threads=s.threads, batch_size=s.batch_size,
                                                     cache_size=s.cache_size, runtime=s.runtime,
                                                     precision=s.precision),
                           width=max(s.sizes), height=max(s.sizes))   # int8/bf16 checked on the largest board


def run_distil(s: DistilSettings, teacher: Evaluator | None = None) -> Progress:
    """Play teacher games until ``s.games`` are on disk (or ``s.minutes`` pass); returns progress."""
    s.check()
    teacher = teacher if teacher is not None else load_teacher(s)
    sink = DistilSink(s)
    todo = s.games - sink.progress.games
    if todo <= 0:
        return sink.progress
    parallel = max(1, min(s.parallel, todo))
    batcher = SharedBatcher(teacher, clients=parallel, max_wait=GAME_WAIT)
    sink.evals = lambda: batcher.positions
    deadline = time.monotonic() + 60 * s.minutes if s.minutes > 0 else None
    started = [0]
    moves = [0]
    stop = threading.Event()
    if s.log_seconds > 0:
        threading.Thread(target=_monitor, args=(s.log_seconds, stop, moves, batcher, sink),
                         daemon=True).start()

    def next_game():
        if stop.is_set() or started[0] >= todo or (deadline and time.monotonic() > deadline):
            return None
        started[0] += 1
        return started[0]

    def play(index: int, rng: np.random.Generator) -> FinishedGame:
        setup = draw_setup(s, rng)
        start = setup.start(rng)
        cfg = SelfPlayConfig(board_size=setup.size, rules=setup.rules, komi=setup.komi,
                             full_prob=1.0,
                             resign_threshold=0.0 if setup.handicap else s.resign_threshold,
                             resign_playout_fraction=s.resign_playout_fraction,
                             max_moves=s.max_moves or None)
        sp = play_game(batcher, cfg, rng, game=start.copy(),
                       mover=TeacherMover(batcher, s, rng, moves))
        return finish(sp, start, setup, batcher)

    lock = threading.Lock()

    def record(index: int, fg: FinishedGame) -> None:
        with lock:
            sink(fg)

    def on_signal(signum, frame):
        """Write out every finished game, then exit at once (games in flight are dropped)."""
        stop.set()
        with lock:
            sink.commit()
        sys.stderr.write(f"distil: signal {signum}: {sink.progress.games} games, "
                         f"{sink.progress.positions} positions on disk; run the same command "
                         "to carry on\n")
        sys.stderr.flush()
        os._exit(signal_exit_code(signum))  # threads inside ONNX Runtime cannot be unwound cleanly

    old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    seed = [s.seed, sink.progress.games]
    try:
        run_in_threads(batcher, int(np.random.SeedSequence(seed).generate_state(1)[0]), parallel,
                       next_game, play, record)
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    stop.set()
    with lock:
        sink.commit()
    log.info("mean teacher batch %.1f positions", batcher.mean_batch())
    return sink.progress


def _monitor(every: float, stop: threading.Event, moves: list, batcher, sink) -> None:
    """Log the throughput of this run (in-flight games included) every ``every`` seconds."""
    t0, c0 = time.monotonic(), time.process_time()
    while not stop.wait(every):
        wall, cpu = time.monotonic() - t0, time.process_time() - c0
        log.info("%.0f s: %d games finished, %d moves (%.0f/h), %d teacher evals (%.1f/s), "
                 "%.0f CPU-s (%.2f cores), mean batch %.1f, load %.1f", wall,
                 sink.pending_games + sink.progress.games, moves[0], moves[0] / wall * 3600,
                 batcher.positions, batcher.positions / wall, cpu, cpu / wall,
                 batcher.mean_batch(), os.getloadavg()[0])
