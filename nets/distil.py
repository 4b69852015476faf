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

Diversity: board sizes drawn by weight, rules drawn from a list (Chinese and
Japanese by default), komi spread around the rules' usual komi, some handicap
games on 13x13 and larger (fixed points, komi 0.5, no resignation),
0..``opening_moves`` uniformly random first moves (never filling an own eye),
the teacher's policy sampled at ``temperature`` for the first
``temperature_moves`` plies (auto: area / 7) and at ``late_temperature``
after (raw mode; the search picks its own moves).

Resumable: ``OUT/{prefix}-progress.json`` counts the games whose rows are in
shards; shards (one writer per board size, ``{prefix}-{W}x{H}-NNNNNN.npz``)
are flushed after whole games every ``positions_per_shard`` rows or
``flush_minutes``, and on SIGINT/SIGTERM (which then exit with 128 + the
signal number, dropping only the games still in flight). ``games`` is the total to reach, so
rerunning the same command carries on; a SIGKILL loses at most the games of
the last ``flush_minutes``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine import coords
from engine.batching import SharedBatcher
from engine.board import BLACK, EMPTY
from engine.evaluation import Evaluator, Position
from engine.evaluator import EvaluatorConfig, load_evaluator
from engine.features import encode
from engine.game import Game
from engine.handicap import max_fixed_handicap
from engine.rules import AREA, rules_by_name
from engine.scoring import area_ownership
from engine.sgf import game_to_sgf
from nets.selfplay import GAME_WAIT, SelfPlayConfig, play_game, run_in_threads
from nets.selfplay_search import MoveResult, MoveSearch, SearchSettings
from nets.shards import ShardWriter

log = logging.getLogger(__name__)
DEAD_THRESHOLD = 0.5     # a stone is dead when the teacher gives its point this much to the other side
HANDICAP_LIMIT = {9: 0, 13: 3, 19: 5}   # most handicap stones per size (9x9: none)


@dataclass
class DistilSettings:
    """What teacher games to play and how to record them."""

    teacher: str = ""
    out_dir: str = "data/distil"
    games: int = 100                       # total to reach (a rerun carries on)
    minutes: float = 0.0                   # stop starting games after this long (0: no limit)
    parallel: int = 16                     # games in flight (one batched teacher)
    sizes: tuple = (9,)
    size_weights: tuple = ()               # default: equal
    rules: tuple = ("chinese", "japanese")
    komi_spread: float = 1.5               # komi = usual komi + a multiple of 0.5 in +-spread
    handicap_prob: float = 0.05
    opening_moves: int = 2                 # 0..N random first moves
    policy: str = "raw"                    # raw or search
    visits: int = 16                       # search mode
    temperature: float = 1.0
    temperature_moves: int = -1            # -1: area // 7
    late_temperature: float = 0.3
    resign_threshold: float = 0.0          # teacher's win rate (0: never); never in handicap games
    resign_playout_fraction: float = 0.1
    max_moves: int = 0                     # 0: 2 * area
    positions_per_shard: int = 4096
    flush_minutes: float = 5.0
    prefix: str = "distil"
    seed: int = 0
    threads: int = 0                       # ONNX Runtime threads (0: physical cores)
    batch_size: int = 64
    cache_size: int = 100_000
    log_seconds: float = 60.0              # throughput line on the log this often (0: never)

    def check(self) -> None:
        """Raise ValueError for settings that cannot work."""
        if self.policy not in ("raw", "search"):
            raise ValueError(f"policy must be raw or search, not {self.policy!r}")
        if not self.sizes or any(not 2 <= s <= 25 for s in self.sizes):
            raise ValueError("board sizes must be between 2 and 25")
        if self.size_weights and len(self.size_weights) != len(self.sizes):
            raise ValueError("give one size weight per board size")
        for r in self.rules:
            rules_by_name(r)
        if self.games < 0 or self.parallel < 1 or self.visits < 1 or self.temperature <= 0 \
                or self.late_temperature <= 0:
            raise ValueError("games >= 0, parallel >= 1, visits >= 1 and temperatures > 0 needed")


@dataclass
class GameSetup:
    """One game's board, rules, komi, handicap and random opening, drawn from the settings."""

    size: int
    rules: str
    komi: float
    handicap: int
    opening: int

    def start(self, rng: np.random.Generator) -> Game:
        """The starting position: handicap stones, then the random opening moves."""
        game = Game(self.size, rules=self.rules, komi=self.komi)
        if self.handicap >= 2:
            game.fixed_handicap(self.handicap)
        for _ in range(self.opening):
            mask = game.legal_mask()[:-1]
            board = game.board
            choices = [p for p in np.flatnonzero(mask) if not board.is_eye(int(p), board.to_play)]
            if not choices:
                break
            game.play(int(choices[rng.integers(len(choices))]))
        return game


def draw_setup(s: DistilSettings, rng: np.random.Generator) -> GameSetup:
    """A random game setup (size by weight, rules, komi spread, maybe a handicap)."""
    w = np.asarray(s.size_weights or [1.0] * len(s.sizes), float)
    size = int(s.sizes[rng.choice(len(s.sizes), p=w / w.sum())])
    rules = s.rules[rng.integers(len(s.rules))]
    area_scoring = rules_by_name(rules).scoring == AREA
    limit = min(HANDICAP_LIMIT.get(size, 0 if size < 13 else 3), max_fixed_handicap(size, size))
    handicap = 0
    if limit >= 2 and rng.random() < s.handicap_prob:
        handicap = int(rng.integers(2, limit + 1))
    if handicap:
        komi = 0.5
    else:
        base = (7.0 if size <= 9 else 7.5) if area_scoring else 6.5
        steps = round(2 * s.komi_spread)
        komi = base + 0.5 * int(rng.integers(-steps, steps + 1))
    opening = int(rng.integers(0, s.opening_moves + 1)) if s.opening_moves > 0 else 0
    return GameSetup(size, rules, komi, handicap, opening)


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
        legal = game.legal_mask()
        policy = np.where(legal, ev.policy, 0.0).astype(np.float64)
        policy = policy / policy.sum() if policy.sum() > 0 else legal / legal.sum()
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


@dataclass
class FinishedGame:
    """A teacher game and its outcome targets."""

    start: Game
    game: Game
    records: list
    setup: GameSetup
    winner: int
    result: str
    margin: float | None          # black minus white, None if unknown
    ownership: np.ndarray | None  # black view, (h, w), None if unknown
    resigned: bool


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


def add_rows(writer: ShardWriter, fg: FinishedGame) -> int:
    """Every teacher move of the game as a training row in zerogo's features; returns how many."""
    replay = fg.start.copy()
    known = fg.margin is not None
    for rec in fg.records:
        planes, glob = encode(Position.from_game(replay))
        writer.add(planes, glob, np.asarray(rec.target, np.float32), float(fg.winner * rec.color),
                   score=(fg.margin or 0.0) * rec.color,
                   ownership=None if fg.ownership is None else fg.ownership * rec.color,
                   score_valid=known, ownership_valid=known, teacher=rec.teacher)
        replay.play(rec.move, rec.color)
    return len(fg.records)


def sgf_bytes(fg: FinishedGame, teacher: str) -> bytes:
    """The game as SGF; each teacher move carries its value, score and top policy moves."""
    g, w, h = fg.game, fg.game.width, fg.game.height
    g.record.black_player = g.record.white_player = teacher
    first = len(fg.start.moves)
    comments = {0: f"distil {json.dumps(asdict(fg.setup))} resigned={fg.resigned}"}
    for i, rec in enumerate(fg.records):
        top = np.argsort(-rec.target)[:4]
        moves = ", ".join(f"{coords.to_gtp(int(m), w, h)} {rec.target[m]:.2f}" for m in top
                          if rec.target[m] > 0)
        t = rec.teacher
        comments[first + i + 1] = (f"v={t.value:+.3f} lead={t.score_lead:+.1f} policy: {moves}"
                                   if t is not None else f"policy: {moves}")
    return game_to_sgf(g, fg.result, comments)


@dataclass
class Progress:
    """What is safely on disk: games and rows in shards, shard numbers, time spent."""

    games: int = 0
    positions: int = 0
    next_index: dict = field(default_factory=dict)   # "WxH" -> next shard number
    wall_s: float = 0.0
    cpu_s: float = 0.0
    evals: int = 0
    by_size: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Progress:
        """The saved progress, or a fresh one."""
        return cls(**json.loads(path.read_text())) if path.exists() else cls()

    def save(self, path: Path) -> None:
        """Write atomically."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        os.replace(tmp, path)


class DistilSink:
    """Buffers finished games into one ShardWriter per board size; commits whole games."""

    def __init__(self, s: DistilSettings):
        self.s = s
        self.out = Path(s.out_dir)
        (self.out / "sgf").mkdir(parents=True, exist_ok=True)
        self.path = self.out / f"{s.prefix}-progress.json"
        self.progress = Progress.load(self.path)
        if not self.path.exists() and any(self.out.glob(f"{s.prefix}-*.npz")):
            raise FileExistsError(f"{self.out} holds {s.prefix}-*.npz shards that no distil run "
                                  "there recorded: choose another --prefix or folder")
        self.writers: dict[str, ShardWriter] = {}
        self.pending_games = 0
        self.pending_rows = 0
        self.pending_by_size: dict[str, int] = {}
        self.last_flush = time.monotonic()
        self.t0, self.c0 = time.monotonic(), time.process_time()
        self.base_wall, self.base_cpu = self.progress.wall_s, self.progress.cpu_s
        self.base_evals = self.progress.evals
        self.evals = lambda: 0   # teacher evaluations so far in this run (set by run_distil)

    def _writer(self, key: str) -> ShardWriter:
        if key not in self.writers:
            self.writers[key] = ShardWriter(self.out, f"{self.s.prefix}-{key}", 1 << 62,
                                            self.progress.next_index.get(key, 0),
                                            source=f"distil:{Path(self.s.teacher).name}")
        return self.writers[key]

    def __call__(self, fg: FinishedGame) -> None:
        """Buffer one game's rows and write its SGF; commit when a shard is due."""
        key = f"{fg.game.width}x{fg.game.height}"
        n = add_rows(self._writer(key), fg)
        index = self.progress.games + self.pending_games
        sgf = self.out / "sgf" / f"{self.s.prefix}-{index:07d}.sgf"
        sgf.with_name(sgf.name + ".tmp").write_bytes(sgf_bytes(fg, Path(self.s.teacher).name))
        os.replace(sgf.with_name(sgf.name + ".tmp"), sgf)
        self.pending_games += 1
        self.pending_rows += n
        self.pending_by_size[key] = self.pending_by_size.get(key, 0) + 1
        due = any(len(w) >= self.s.positions_per_shard for w in self.writers.values())
        if due or time.monotonic() - self.last_flush > 60 * self.s.flush_minutes:
            self.commit()

    def commit(self) -> None:
        """Flush every writer, then record the games they held as done."""
        for key, w in self.writers.items():
            w.flush()
            self.progress.next_index[key] = w.index
        p = self.progress
        p.games += self.pending_games
        p.positions += self.pending_rows
        for key, n in self.pending_by_size.items():
            p.by_size[key] = p.by_size.get(key, 0) + n
        p.wall_s = self.base_wall + time.monotonic() - self.t0
        p.cpu_s = self.base_cpu + time.process_time() - self.c0
        p.evals = self.base_evals + self.evals()
        p.save(self.path)
        self.pending_games = self.pending_rows = 0
        self.pending_by_size = {}
        self.last_flush = time.monotonic()


def load_teacher(s: DistilSettings) -> Evaluator:
    """The teacher network (a KataGo model file, converted once, or an ONNX file), cached."""
    return load_evaluator(s.teacher, EvaluatorConfig(threads=s.threads, batch_size=s.batch_size,
                                                     cache_size=s.cache_size))


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
        os._exit(128 + signum)  # threads inside ONNX Runtime cannot be unwound cleanly

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
