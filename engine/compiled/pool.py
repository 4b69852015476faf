"""The compiled tree's arrays (``Pool``), their allocation and growth, and the kernels' shared constants.

See ``engine.compiled.tree_kernels`` for what the arrays mean.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

ILLEGAL = -2
MAX_DEPTH = 4096            # a descent deeper than this stops there (no game is that long)

# params: the float settings of one search, in this order
C_INIT, C_BASE, FPU, FPU_ROOT, FORCED_K, UTILITY, K_STATIC, INV_STATIC, K_DYNAMIC, INV_DYNAMIC, \
    CENTRE_BLACK, KOMI_TOTAL, KOMI_NET, KO_SIMPLE, KO_SITUATIONAL, SUICIDE, NET_RULES = range(17)
NUM_PARAMS = NET_RULES + 4   # NET_RULES..+3: the net's global inputs 2-5 (engine.features.rule_inputs)
# counts: int64 counters
NODES, EDGES = 0, 1


class Pool(NamedTuple):
    """The tree's arrays (their meaning: ``engine.compiled.tree_kernels``); grown by copying into a bigger pool."""

    parent: np.ndarray       # int32 [nodes]
    edge: np.ndarray         # int32 [nodes]: the parent's edge leading here (-1: the root)
    first: np.ndarray        # int32 [nodes]
    degree: np.ndarray       # int32 [nodes]: edges, -1 until expanded
    ko: np.ndarray           # int32 [nodes]: the point the side to move may not retake, -1 none
    hash: np.ndarray         # uint64 [nodes]: the stones' Zobrist hash (engine.board's keys)
    key: np.ndarray          # uint64 [nodes]: the superko key (engine.game.superko_key)
    to_play: np.ndarray      # int8 [nodes]
    passes: np.ndarray       # int8 [nodes]: consecutive passes ending here
    terminal: np.ndarray     # bool [nodes]: two passes
    term_value: np.ndarray   # float64 [nodes]: side to move's view
    term_score: np.ndarray   # float64 [nodes]
    net_value: np.ndarray    # float64 [nodes]
    net_score: np.ndarray    # float64 [nodes]
    pending: np.ndarray      # bool [nodes]: on the network now
    first_built: np.ndarray  # int32 [nodes]: the last child built (-1: none), the head of a list through
    next_built: np.ndarray   # int32 [nodes]: ... the next (earlier built) sibling (-1: the end)
    best_unbuilt: np.ndarray  # int32 [nodes]: ``_best_unbuilt``'s cached edge (-1: to be found again)
    total: np.ndarray        # float64 [nodes]: visits plus virtual losses over the edges
    visited_prior: np.ndarray  # float64 [nodes]: the prior of the edges with visits
    n: np.ndarray            # float64 [nodes]: visits through the node
    w: np.ndarray            # float64 [nodes]: their values summed (the chooser's view)
    w2: np.ndarray           # float64 [nodes]: their squares summed
    s: np.ndarray            # float64 [nodes]: their scores summed (the chooser's view)
    vl: np.ndarray           # float64 [nodes]: virtual losses (descents on the way to a leaf on the net)
    stones: np.ndarray       # int8 [nodes, area]
    move: np.ndarray         # int16 [edges]
    prior: np.ndarray        # float32 [edges]
    raw_prior: np.ndarray    # float32 [edges]: the network's, before noise and ladders
    child: np.ndarray        # int32 [edges]
    counts: np.ndarray       # int64 [2]: nodes and edges in use


_NODE_FIELDS = {"parent": np.int32, "edge": np.int32, "first": np.int32, "degree": np.int32, "ko": np.int32,
                "hash": np.uint64, "key": np.uint64, "to_play": np.int8, "passes": np.int8,
                "terminal": np.bool_, "term_value": np.float64, "term_score": np.float64,
                "net_value": np.float64, "net_score": np.float64, "pending": np.bool_,
                "first_built": np.int32, "next_built": np.int32, "best_unbuilt": np.int32,
                "total": np.float64, "visited_prior": np.float64, "n": np.float64, "w": np.float64,
                "w2": np.float64, "s": np.float64, "vl": np.float64}
_EDGE_FIELDS = {"move": np.int16, "prior": np.float32, "raw_prior": np.float32, "child": np.int32}


def new_pool(nodes: int, edges: int, area: int) -> Pool:
    """An empty pool with room for ``nodes`` nodes and ``edges`` edges on a board of ``area`` points.

    Uninitialised: ``make_child`` and ``expand`` write every field of what they add.
    """
    arrays = {name: np.empty(nodes, dtype) for name, dtype in _NODE_FIELDS.items()}
    arrays.update({name: np.empty(edges, dtype) for name, dtype in _EDGE_FIELDS.items()})
    return Pool(**arrays, stones=np.empty((nodes, area), np.int8), counts=np.zeros(2, np.int64))


def grown(pool: Pool, nodes: int, edges: int) -> Pool:
    """A copy of ``pool`` with room for at least ``nodes`` nodes and ``edges`` edges.

    Each array that must grow grows by half (not doubling: near the tree's
    memory cap the copy holds the old and the new arrays at once).
    """
    cap_nodes, cap_edges = len(pool.parent), len(pool.move)
    new_nodes = cap_nodes if nodes <= cap_nodes else max(nodes, cap_nodes + cap_nodes // 2)
    new_edges = cap_edges if edges <= cap_edges else max(edges, cap_edges + cap_edges // 2)
    if (new_nodes, new_edges) == (cap_nodes, cap_edges):
        return pool
    bigger = new_pool(new_nodes, new_edges, pool.stones.shape[1])
    used_nodes, used_edges = int(pool.counts[NODES]), int(pool.counts[EDGES])
    for name in _NODE_FIELDS:
        getattr(bigger, name)[:used_nodes] = getattr(pool, name)[:used_nodes]
    for name in _EDGE_FIELDS:
        getattr(bigger, name)[:used_edges] = getattr(pool, name)[:used_edges]
    bigger.stones[:used_nodes] = pool.stones[:used_nodes]
    bigger.counts[:] = pool.counts
    return bigger
