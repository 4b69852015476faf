"""Every search setting in one dataclass (GTP options and the training package fill it in)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.mcts_node import PuctConfig, ScoreUtility


@dataclass
class SearchConfig:
    """Every search setting (GTP options and the training package fill these in)."""

    visits: int = 400                  # default visit limit when no limit is given
    batch_size: int = 8
    pipeline: str = "off"              # off/on/auto: gather the next batch while the net runs (engine.pipeline_choice)
    tree: str = "python"               # python/compiled/auto: the search tree (engine.tree_choice)
    c_init: float = 1.25
    c_base: float = 19652.0
    fpu_reduction: float = 0.25
    fpu_reduction_root: float = 0.25
    reuse_tree: bool = True
    early_stop: bool = True
    lcb: bool = True
    lcb_z: float = 1.96
    lcb_min_visit_ratio: float = 0.1
    # self-play tools
    dirichlet_eps: float = 0.0         # > 0: noise at the root (self-play)
    dirichlet_alpha_scale: float = 10.83   # alpha = scale / candidate moves (0.03 on 19x19)
    temperature: float = 1.0
    temperature_moves: int = 0         # plies at the start sampled with ``temperature``
    forced_playouts_k: float = 0.0     # > 0: forced playouts + policy target pruning
    root_policy: str = "puct"          # or "gumbel"
    gumbel_m: int = 16
    gumbel_c_visit: float = 50.0
    gumbel_c_scale: float = 1.0
    playout_cap: bool = False          # playout cap randomization
    full_visits: int = 600
    fast_visits: int = 100
    full_probability: float = 0.25
    # play
    resign_threshold: float = 0.05     # winrate; 0 disables
    resign_consecutive: int = 3
    resign_min_move_fraction: float = 0.25   # never before area * this plies (plus handicap)
    ponder_max_visits: int = 10_000_000   # cap without a visit limit (time, ponder, analysis)
    max_tree_mb: int = 1024            # tree memory; past it the least-visited subtrees are pruned (0: no cap)
    ladder_factor: float = 0.02        # root prior of a move that only runs a caught ladder, times this (1: off)
    policy_temperature: float = 1.0    # > 1 flattens the net's priors at every node (Lc0's PolicyTemperature)
    # KataGo's score utility (engine.mcts_node.ScoreUtility); 0 and 0: moves judged by value alone
    static_score_utility: float = 0.0
    dynamic_score_utility: float = 0.0
    static_score_scale: float = 2.0    # times the square root of the board's area, in points
    dynamic_score_scale: float = 0.75
    dynamic_score_zero_weight: float = 0.2   # the dynamic centre: the root's expected score, this much toward 0
    pv_length: int = 12
    history: int = 8
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.root_policy not in ("puct", "gumbel"):
            raise ValueError(f"root_policy must be 'puct' or 'gumbel', not {self.root_policy!r}")
        if self.tree not in ("python", "compiled", "auto"):
            raise ValueError(f"tree must be 'python', 'compiled' or 'auto', not {self.tree!r}")
        if self.pipeline not in ("auto", "on", "off"):
            raise ValueError(f"pipeline must be 'auto', 'on' or 'off', not {self.pipeline!r}")
        if self.batch_size < 1 or self.visits < 1:
            raise ValueError("batch_size and visits must be at least 1")
        if self.static_score_scale <= 0 or self.dynamic_score_scale <= 0:
            raise ValueError("score utility scales must be positive")
        if not 0 < self.policy_temperature <= 10:
            raise ValueError(f"policy_temperature must be in (0, 10], not {self.policy_temperature}")

    def puct(self, forced: bool, utility: ScoreUtility | None = None) -> PuctConfig:
        """The selection settings for one search."""
        return PuctConfig(self.c_init, self.c_base, self.fpu_reduction, self.fpu_reduction_root,
                          self.forced_playouts_k if forced else 0.0, utility)

    def score_utility(self, area: int, expected_score_black: float) -> ScoreUtility | None:
        """The score utility for a search on a board of ``area`` points (None when both factors are 0)."""
        if self.static_score_utility == 0 and self.dynamic_score_utility == 0:
            return None
        root = math.sqrt(area)
        return ScoreUtility(self.static_score_utility, self.dynamic_score_utility,
                            self.static_score_scale * root, self.dynamic_score_scale * root,
                            expected_score_black * (1.0 - self.dynamic_score_zero_weight))
