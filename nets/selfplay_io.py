"""Writing self-play games out: SGF with the search's visit counts, and training shards.

Each game's SGF carries, on every move node, a comment ``visits: D4 31, C3 12,
...`` (the root's most visited moves, ``full`` or ``fast`` search, root value);
the root comment gives the resignation and false-resignation facts.

Samples go through ``nets.shards.ShardWriter`` (the shared shard contract):
one per move whose search was full (playout cap randomization), planes and
globals from ``engine.features.encode`` at the position before the move,
policy = the search's policy target, value = ``SelfPlayGame.value_targets``.
Score and final ownership are valid only for games played to two passes.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from engine import coords
from engine.atomic_files import write_bytes_atomic
from engine.evaluation import Position
from engine.features import encode
from engine.game import Game
from engine.scoring import area_ownership
from engine.sgf import game_to_sgf
from nets.selfplay import SelfPlayGame
from nets.shards import ShardWriter


def visit_comment(rec, width: int, height: int, top: int = 8) -> str:
    """``full v=+0.12 visits: D4 31, C3 12`` for one move record."""
    order = np.argsort(-rec.visits)[:top]
    parts = [f"{coords.to_gtp(int(m), width, height)} {int(rec.visits[m])}"
             for m in order if rec.visits[m] > 0]
    kind = "full" if rec.target is not None else "fast"
    return f"{kind} v={rec.value:+.3f} visits: " + ", ".join(parts)


def sgf_bytes(sp: SelfPlayGame, player: str = "zerogo") -> bytes:
    """The game as SGF with one visit-count comment per move."""
    g = sp.game
    g.record.black_player = g.record.white_player = player
    w, h = g.width, g.height
    comments = {i + 1: visit_comment(rec, w, h) for i, rec in enumerate(sp.moves)}
    root = [f"selfplay moves={len(sp.moves)} resigned={sp.resigned}"]
    if sp.would_resign:
        root.append(f"played out after a resignation by {coords.color_name(sp.would_resign)}; "
                    f"false_resignation={sp.false_resignation}")
    comments[0] = "; ".join(root)
    return game_to_sgf(g, sp.result, comments)


def final_ownership(game: Game) -> np.ndarray:
    """Area ownership (h, w) of the final board, +1 black, -1 white, 0 neither (no dead stones)."""
    return area_ownership(game.board)


def add_samples(writer: ShardWriter, sp: SelfPlayGame) -> int:
    """Add the game's full-search positions to ``writer``; returns how many."""
    g = sp.game
    played_out = not sp.resigned and g.is_over()
    own = final_ownership(g) if played_out else None
    margin = g.score() if played_out else 0.0
    replay = Game(g.width, g.height, rules=g.rules)
    added = 0
    for rec, value in zip(sp.moves, sp.value_targets):
        if rec.target is not None:
            planes, glob = encode(Position.from_game(replay))
            writer.add(planes, glob, rec.target.astype(np.float32), value,
                       score=margin * rec.color,
                       ownership=None if own is None else own * rec.color,
                       score_valid=played_out, ownership_valid=played_out)
            added += 1
        replay.play(rec.move, rec.color)
    return added


class GameSink:
    """Writes finished games to ``out_dir/sgf`` and ``out_dir/shards`` (with a prefix per worker).

    A game's SGF is written only once the shard holding its positions is on
    disk, and shards are cut between games, so a worker killed outright
    (SIGKILL, out of memory) leaves no SGF whose positions were lost: the
    SGFs count the games a resumed run has, and it plays the lost ones again.
    """

    def __init__(self, out_dir: Path | str, prefix: str = "sp", positions_per_shard: int = 2048):
        self.out_dir = Path(out_dir)
        self.sgf_dir = self.out_dir / "sgf"
        self.sgf_dir.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.positions_per_shard = positions_per_shard
        start = _next_index(self.out_dir / "shards", prefix)
        self.writer = ShardWriter(self.out_dir / "shards", prefix, None,      # cut by the sink, between games
                                  start_index=start, source=f"selfplay:{prefix}")
        self.games = len(list(self.sgf_dir.glob(f"{prefix}-*.sgf")))
        self.samples = 0
        self.closed = False
        self._pending: list[bytes] = []      # SGFs of games whose positions are not on disk yet
        self._lock = threading.Lock()     # games end on several threads; close may come from a watchdog

    def __call__(self, sp: SelfPlayGame) -> None:
        """Buffer one game's samples and SGF; write both once a shard's worth is buffered (nothing once closed)."""
        with self._lock:
            if self.closed:
                return
            self._pending.append(sgf_bytes(sp))
            self.samples += add_samples(self.writer, sp)
            if len(self.writer) >= self.positions_per_shard:
                self._commit()

    def _commit(self) -> None:
        """Write the buffered positions as a shard, then the SGFs of the games they came from."""
        self.writer.flush()
        for data in self._pending:
            path = self.sgf_dir / f"{self.prefix}-{self.games:06d}.sgf"
            write_bytes_atomic(path, data)
            self.games += 1
        self._pending = []

    def close(self) -> list[Path]:
        """Write the last shard and its games' SGFs (once); returns every shard written."""
        with self._lock:
            if not self.closed:
                self.closed = True
                self._commit()
            return self.writer.written


def _next_index(shard_dir: Path, prefix: str) -> int:
    """The next free shard number for ``prefix`` (so reruns add, never overwrite)."""
    if not shard_dir.is_dir():
        return 0
    nums = []
    for p in shard_dir.glob(f"{prefix}-*.npz"):
        tail = p.stem[len(prefix) + 1:]
        if tail.isdigit():
            nums.append(int(tail))
    return max(nums) + 1 if nums else 0
