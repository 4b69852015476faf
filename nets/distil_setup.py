"""Teacher data settings and the start of each game: board size, rules, komi, handicap, random opening.

Diversity: board sizes drawn by weight, rules drawn from a list (Chinese and
Japanese by default), komi spread around the rules' usual komi, some handicap
games on 13x13 and larger (fixed points, komi 0.5, no resignation),
0..``opening_moves`` uniformly random first moves (never filling an own eye).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.game import Game
from engine.handicap import max_fixed_handicap
from engine.rules import AREA, rules_by_name


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
    komi_wide_prob: float = 0.0            # share of games whose komi spread is komi_wide_spread instead
    komi_wide_spread: float = 10.0         # (a wide tail, as KataGo's, so the net knows odd komi too)
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
    compact: bool = True                   # compact shards (nets.shard_codec): small enough to keep
    prefix: str = "distil"
    seed: int = 0
    threads: int = 0                       # ONNX Runtime threads (0: physical cores)
    batch_size: int = 64
    runtime: str = "onnxruntime"           # CPU inference runtime (engine.runtimes)
    precision: str = "fp32"                # fp32, bf16, int8 or auto
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
        if not 0 <= self.komi_wide_prob <= 1 or self.komi_spread < 0 or self.komi_wide_spread < 0:
            raise ValueError("komi spreads >= 0 and a komi-wide probability in [0, 1] needed")
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
        spread = s.komi_spread
        if s.komi_wide_prob > 0 and rng.random() < s.komi_wide_prob:   # no draw when off: old runs replay
            spread = s.komi_wide_spread
        steps = round(2 * spread)
        komi = base + 0.5 * int(rng.integers(-steps, steps + 1))
    opening = int(rng.integers(0, s.opening_moves + 1)) if s.opening_moves > 0 else 0
    return GameSetup(size, rules, komi, handicap, opening)
