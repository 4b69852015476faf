"""What a search tree says: candidate moves (LCB order), principal variations, analysis reports, policy targets.

Values are for the side to move at the root (see the convention at the top of
``engine.mcts_node``). ``engine.search.Searcher`` calls these at the end of a
search and for each analysis report.
"""

from __future__ import annotations

import math

import numpy as np

from engine.mcts import Tree
from engine.mcts_node import PuctConfig, score_bonus
from engine.player import AnalysisReport, CandidateInfo
from engine.search_config import SearchConfig

def root_score(tree: Tree) -> float:
    """The root's mean score lead for its side to move."""
    stub = tree.stub
    return float(-stub.child_S[0] / stub.child_N[0]) if stub.child_N[0] > 0 else 0.0


def lcb_values(node, z: float) -> np.ndarray:
    """Lower confidence bounds of the children's values (-inf below two visits)."""
    n = node.child_N
    q = node.child_W / np.maximum(n, 1.0)
    var = (np.maximum(node.child_W2 - n * q * q, 0.0) + 0.25) / np.maximum(n, 1.0)
    return np.where(n >= 2, q - z * np.sqrt(var / np.maximum(n, 1.0)), -np.inf)


def candidates(tree: Tree, cfg: SearchConfig) -> list[CandidateInfo]:
    """The visited root moves, best first (LCB among well-visited moves, then visits)."""
    root = tree.root
    if not root.expanded:
        return []
    n = root.child_N
    lcb = lcb_values(root, cfg.lcb_z)
    bonus = np.zeros(len(n))   # the score utility the search selected by (0 without one)
    if tree.score_utility is not None:
        score_bonus(root, tree.score_utility, bonus)
    ranked = lcb + bonus
    eligible = n >= max(2.0, cfg.lcb_min_visit_ratio * (n.max() if len(n) else 0))
    key = np.where(eligible, ranked, -np.inf) if cfg.lcb else np.full(len(n), -np.inf)
    order = sorted(np.flatnonzero(n > 0), key=lambda i: (-key[i] if eligible[i] and cfg.lcb else math.inf, -n[i]))
    out = []
    for i in order:
        q = root.child_W[i] / n[i]
        out.append(CandidateInfo(
            move=int(root.moves[i]), visits=int(n[i]), winrate=float((q + 1) / 2),
            score_lead=float(root.child_S[i] / n[i]), prior=float(root.raw_prior[i]),
            lcb=float(np.clip((lcb[i] + 1) / 2, 0.0, 1.0)) if np.isfinite(lcb[i]) else 0.0,
            pv=tree.principal_variation(root, int(i), cfg.pv_length),
            pv_visits=tree.pv_visits(root, int(i), cfg.pv_length), score_stdev=reply_score_stdev(root, int(i)),
            score_utility=float(bonus[i])))
    return out


def reply_score_stdev(node, i: int) -> float:
    """Standard deviation of the mean score over child ``i``'s searched replies (0 below two)."""
    return score_spread(node.children[i])


def score_spread(node) -> float:
    """Visit-weighted standard deviation of the children's mean scores (0 below two visits)."""
    if node is None or not node.expanded:
        return 0.0
    n = node.child_N
    if n.sum() < 2:
        return 0.0
    means = node.child_S / np.maximum(n, 1.0)
    mean = float((n * means).sum() / n.sum())
    return float(np.sqrt((n * (means - mean) ** 2).sum() / n.sum()))


def analysis_report(tree: Tree, cfg: SearchConfig) -> AnalysisReport:
    """A snapshot for the analysis commands (values and ownership: side to move's view)."""
    own = tree.ownership()
    root = tree.root
    winrate = (root.q() + 1) / 2
    score = root_score(tree)
    utility = tree.score_utility
    stats = CandidateInfo(root.board.pass_move, root.visits, winrate, score, 1.0, winrate, [],
                          score_stdev=score_spread(root),
                          score_utility=0.0 if utility is None else utility.value(score, root.board.to_play))
    raw = root.expanded and root.visits > 0
    return AnalysisReport(candidates(tree, cfg), None if own is None else own * root.board.to_play,
                          root.visits, stats, (root.net_value + 1) / 2 if raw else None,
                          root.net_score if raw else None)


def pruned_visits(tree: Tree, k: float, puct: PuctConfig) -> np.ndarray:
    """KataGo's policy target pruning: take back forced playouts that PUCT would not have given."""
    root = tree.root
    n = root.child_N.copy()
    if k <= 0 or n.sum() == 0:
        return n
    total = n.sum()
    best = int(np.argmax(n))
    c = puct.c_init + math.log((total + puct.c_base + 1.0) / puct.c_base)
    sq = c * math.sqrt(total)
    q = root.child_W / np.maximum(n, 1.0)
    if tree.score_utility is not None:
        score_bonus(root, tree.score_utility, q)
    best_puct = q[best] + sq * root.prior[best] / (1.0 + n[best])
    for i in np.flatnonzero(n > 0):
        if i == best:
            continue
        forced = math.sqrt(k * root.prior[i] * total)
        gap = best_puct - q[i]
        needed = sq * root.prior[i] / gap - 1.0 if gap > 0 else n[i]
        n[i] = min(n[i], max(n[i] - forced, math.ceil(needed), 0.0))
        if n[i] <= 1:
            n[i] = 0.0
    return n


def policy_target(tree: Tree, cfg: SearchConfig, halving) -> np.ndarray:
    """The training policy target over area + 1 moves."""
    root = tree.root
    out = np.zeros(root.board.area + 1, dtype=np.float32)
    if halving is not None:
        out[root.moves] = halving.improved_policy(root)
        return out
    n = pruned_visits(tree, cfg.forced_playouts_k, cfg.puct(True))
    if n.sum() <= 0:
        n = root.child_N
    if n.sum() > 0:
        out[root.moves] = n / n.sum()
    return out
