"""Teacher games on disk: training rows in zerogo's features, SGF with the teacher's view, resumable progress.

Resumable: ``OUT/{prefix}-progress.json`` counts the games whose rows are in
shards; shards (one writer per board size, ``{prefix}-{W}x{H}-NNNNNN.npz``)
are flushed after whole games every ``positions_per_shard`` rows or
``flush_minutes``; ``nets.distil`` commits them on SIGINT/SIGTERM too.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine import coords
from engine.atomic_files import write_bytes_atomic, write_text_atomic
from engine.evaluation import Position
from engine.features import encode
from engine.game import Game
from engine.sgf import game_to_sgf
from nets.distil_setup import DistilSettings, GameSetup
from nets.shards import ShardWriter


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
        write_text_atomic(path, json.dumps(asdict(self), indent=1))


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
            self.writers[key] = ShardWriter(self.out, f"{self.s.prefix}-{key}", None,
                                            self.progress.next_index.get(key, 0),
                                            source=f"distil:{Path(self.s.teacher).name}",
                                            compact=self.s.compact)
        return self.writers[key]

    def __call__(self, fg: FinishedGame) -> None:
        """Buffer one game's rows and write its SGF; commit when a shard is due."""
        key = f"{fg.game.width}x{fg.game.height}"
        n = add_rows(self._writer(key), fg)
        index = self.progress.games + self.pending_games
        sgf = self.out / "sgf" / f"{self.s.prefix}-{index:07d}.sgf"
        write_bytes_atomic(sgf, sgf_bytes(fg, Path(self.s.teacher).name))
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
