"""A search tree in flat arrays, in numba: batch descent with virtual loss, features, expansion, backup.

The same search as ``engine.mcts`` (PUCT with first-play urgency, virtual
loss, forced playouts at the root, KataGo's score utility, superko checks,
Tromp-Taylor terminal scores), with every visit's work compiled: one call
(``collect``) descends a whole batch, building the children it reaches and
writing the leaves' network inputs (zerogo's feature set, ``engine.features``)
and legal masks; one call (``finish``) turns the network's outputs into
priors and backs the values up. Python only moves the arrays to the network.

Layout: node ``j`` owns the edges ``first[j] .. first[j] + degree[j] - 1``
(``degree`` -1: not expanded) and a board (``stones[j]``, ``ko``, ``hash``,
``to_play``, ``passes``). An edge is a move, its prior and the node it leads
to (``child``: -1 while not built, ``ILLEGAL`` once the move proved illegal;
the Python tree deletes such a move, and skipping it is the same choice).
A node's visit statistics (``n``, ``w``, ``w2``, ``s``, ``vl``) are those of
the edge leading to it, from the point of view of the player choosing that
edge (the sign convention of ``engine.mcts_node``; the root's are its
``_Stub``'s); an edge without a node has none yet. So an expanded leaf costs
its edges' 12 bytes each and no statistics. ``Pool`` is the bundle of arrays
the kernels take.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from engine.compiled.board_kernels import OK, liberty_classes, legal_mask, play

ILLEGAL = -2
MAX_DEPTH = 4096            # a descent deeper than this stops there (no game is that long)

# params: the float settings of one search, in this order
C_INIT, C_BASE, FPU, FPU_ROOT, FORCED_K, UTILITY, K_STATIC, INV_STATIC, K_DYNAMIC, INV_DYNAMIC, \
    CENTRE_BLACK, KOMI_TOTAL, KOMI_NET, SCORING_TERRITORY, KO_SIMPLE, KO_SITUATIONAL, SUICIDE = range(17)
NUM_PARAMS = 17
# counts: int64 counters
NODES, EDGES = 0, 1


class Pool(NamedTuple):
    """The tree's arrays (see the module docstring); grown by copying into a bigger pool."""

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
    """A copy of ``pool`` with room for at least ``nodes`` nodes and ``edges`` edges."""
    cap_nodes, cap_edges = len(pool.parent), len(pool.move)
    new_nodes = max(cap_nodes, nodes) if nodes <= cap_nodes else max(nodes, 2 * cap_nodes)
    new_edges = max(cap_edges, edges) if edges <= cap_edges else max(edges, 2 * cap_edges)
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


# ----------------------------------------------------------------- selection
@numba.njit(cache=True)
def _utility(params, score, to_play):
    """KataGo's score utility of a mean score for ``to_play`` (``ScoreUtility.value``)."""
    centre = params[CENTRE_BLACK] * to_play
    return (params[K_STATIC] * math.atan(score * params[INV_STATIC])
            + params[K_DYNAMIC] * math.atan((score - centre) * params[INV_DYNAMIC]))


@numba.njit(cache=True)
def _best_unbuilt(pool, node):
    """The edge without a node with the highest prior (lowest index among equals), -1 if none; cached."""
    best = pool.best_unbuilt[node]
    if best >= 0:
        return best
    top = -np.inf
    first = pool.first[node]
    for e in range(first, first + pool.degree[node]):
        if pool.child[e] == -1 and pool.prior[e] > top:
            best, top = e, pool.prior[e]
    pool.best_unbuilt[node] = best
    return best


@numba.njit(cache=True)
def select(pool, node, is_root, params):
    """PUCT with virtual loss and first-play urgency (``engine.mcts_node.select_child``): an edge index.

    As in the Python tree, only the children built so far (``first_built``,
    ``next_built``) are scored one by one: every edge without a node has no
    visits and the same first-play urgency, so the best of them is the one
    with the highest prior. Ties go to the lowest edge index, as an argmax's.
    """
    first, k = pool.first[node], pool.degree[node]
    total = pool.total[node]
    best, best_value = -1, -np.inf
    if total == 0:
        for e in range(first, first + k):
            if pool.child[e] != ILLEGAL and pool.prior[e] > best_value:
                best, best_value = e, pool.prior[e]
        return best
    if is_root and params[FORCED_K] > 0:
        child = pool.first_built[node]
        while child >= 0:
            e = pool.edge[child]
            if pool.child[e] == child and pool.n[child] > 0 and pool.n[child] + pool.vl[child] < math.sqrt(
                    params[FORCED_K] * pool.prior[e] * total):
                if pool.prior[e] > best_value or (pool.prior[e] == best_value and e < best):
                    best, best_value = e, pool.prior[e]
            child = pool.next_built[child]
        if best >= 0:
            return best
    to_play = pool.to_play[node]
    reduction = params[FPU_ROOT] if is_root else params[FPU]
    fpu = pool.net_value[node] - reduction * math.sqrt(pool.visited_prior[node])
    utility = params[UTILITY] != 0
    if utility:
        fpu += _utility(params, pool.net_score[node], to_play)
    explore = params[C_INIT] + math.log((total + params[C_BASE] + 1.0) / params[C_BASE])
    scale = explore * math.sqrt(max(total, 1.0))
    best = _best_unbuilt(pool, node)
    if best >= 0:
        best_value = fpu + pool.prior[best] * scale / 1.0
    child = pool.first_built[node]
    while child >= 0:
        e = pool.edge[child]
        if pool.child[e] != child:          # removed since (``NodeView.remove_child``)
            child = pool.next_built[child]
            continue
        visits, vl = pool.n[child], pool.vl[child]
        n = visits + vl
        if n == 0:
            q = fpu
        else:
            q = (pool.w[child] - vl) / max(n, 1.0)
            if utility and visits > 0:
                q += _utility(params, pool.s[child] / visits, to_play)
        value = q + pool.prior[e] * scale / (1.0 + n)
        if value > best_value or (value == best_value and e < best):
            best, best_value = e, value
        child = pool.next_built[child]
    return best


# -------------------------------------------------------------- the boards
@numba.njit(cache=True)
def _area_score(stones, nbr):
    """Tromp-Taylor area: black's stones and regions minus white's (no komi)."""
    area = stones.shape[0]
    seen = np.zeros(area, np.bool_)
    todo = np.empty(area, np.int32)
    score = 0
    for p in range(area):
        if stones[p] != 0:
            score += stones[p]
            continue
        if seen[p]:
            continue
        seen[p] = True
        todo[0] = p
        size, top, border = 1, 0, 0       # border: bit 1 black, bit 2 white
        while top < size:
            q = todo[top]
            top += 1
            for k in range(4):
                r = nbr[q, k]
                if r < 0:
                    break
                s = stones[r]
                if s == 0:
                    if not seen[r]:
                        seen[r] = True
                        todo[size] = r
                        size += 1
                elif s == 1:
                    border |= 1
                else:
                    border |= 2
        if border == 1:
            score += size
        elif border == 2:
            score -= size
    return score


@numba.njit(cache=True)
def _repeats(pool, node, key, seen_keys):
    """True when ``key`` is one of the game's positions or on the path from the root to ``node``."""
    i = np.searchsorted(seen_keys, key)
    if i < len(seen_keys) and seen_keys[i] == key:
        return True
    while node >= 0:
        if pool.key[node] == key:
            return True
        node = pool.parent[node]
    return False


@numba.njit(cache=True)
def make_child(pool, node, e, params, nbr, zob, white_key, seen_keys):
    """Build the child at edge ``e``: its node index, or -1 (the edge marked ``ILLEGAL``) when illegal."""
    area = pool.stones.shape[1]
    child = pool.counts[NODES]
    move = pool.move[e]
    color = pool.to_play[node]
    board = pool.stones[child]
    board[:] = pool.stones[node]
    h = pool.hash[node]
    if move == area:
        ko, passes = -1, pool.passes[node] + 1
    else:
        status, delta, ko, _ = play(board, move, color, pool.ko[node], nbr, zob, params[SUICIDE] != 0)
        if status != OK:
            _drop_edge(pool, node, e)
            return -1
        h ^= delta
        passes = 0
    key = h
    if params[KO_SITUATIONAL] != 0 and color == 1:     # white to move in the child
        key ^= white_key
    if move != area and params[KO_SIMPLE] == 0 and _repeats(pool, node, key, seen_keys):
        _drop_edge(pool, node, e)
        return -1
    pool.counts[NODES] = child + 1
    pool.parent[child], pool.edge[child] = node, e
    pool.first[child], pool.degree[child] = -1, -1
    pool.ko[child], pool.hash[child], pool.key[child] = ko, h, key
    pool.to_play[child], pool.passes[child] = -color, min(passes, 2)
    pool.pending[child] = False
    pool.total[child], pool.visited_prior[child] = 0.0, 0.0
    pool.net_value[child], pool.net_score[child] = 0.0, 0.0
    pool.n[child] = pool.w[child] = pool.w2[child] = pool.s[child] = pool.vl[child] = 0.0
    pool.terminal[child] = passes >= 2
    if passes >= 2:
        score = (_area_score(board, nbr) - params[KOMI_TOTAL]) * -color
        pool.term_value[child] = 1.0 if score > 0 else (-1.0 if score < 0 else 0.0)
        pool.term_score[child] = score
    pool.child[e] = child
    pool.first_built[child], pool.best_unbuilt[child] = -1, -1
    pool.next_built[child] = pool.first_built[node]
    pool.first_built[node] = child
    if pool.best_unbuilt[node] == e:
        pool.best_unbuilt[node] = -1
    return child


@numba.njit(cache=True)
def _drop_edge(pool, node, e):
    """Mark edge ``e`` of ``node`` illegal."""
    pool.child[e] = ILLEGAL
    if pool.best_unbuilt[node] == e:
        pool.best_unbuilt[node] = -1


# ------------------------------------------------------------------ backup
@numba.njit(cache=True)
def backup(pool, leaf, value, score):
    """Add a leaf's value (its side to move's view) up to the root; each edge's virtual loss becomes a visit."""
    x, sc = -value, -score
    node = leaf
    while True:
        parent = pool.parent[node]
        if parent >= 0 and pool.n[node] == 0:
            pool.visited_prior[parent] += pool.prior[pool.edge[node]]
        pool.n[node] += 1.0
        pool.w[node] += x
        pool.w2[node] += x * x
        pool.s[node] += sc
        if parent < 0:
            return
        pool.vl[node] -= 1.0
        x, sc = -x, -sc
        node = parent


@numba.njit(cache=True)
def _undo(pool, path, depth):
    for d in range(depth):
        child = path[d]
        pool.vl[child] -= 1.0
        pool.total[pool.parent[child]] -= 1.0


@numba.njit(cache=True)
def descend(pool, root, params, nbr, zob, white_key, seen_keys, path):
    """Walk from the root to a leaf adding virtual loss: the leaf, or -1 on a collision (a leaf on the net)."""
    node, depth = root, 0
    while pool.degree[node] > 0 and not pool.terminal[node] and depth < MAX_DEPTH:
        e = select(pool, node, node == root, params)
        if e < 0:
            break
        child = pool.child[e]
        if child < 0:
            child = make_child(pool, node, e, params, nbr, zob, white_key, seen_keys)
            if child < 0:
                continue
        pool.vl[child] += 1.0
        pool.total[node] += 1.0
        path[depth] = child
        depth += 1
        node = child
    if pool.pending[node]:
        _undo(pool, path, depth)
        return -1
    return node


# ---------------------------------------------------------------- features
@numba.njit(cache=True)
def _stone_planes(board, me, mine, theirs):
    """One history step: ``board``'s stones of the side to move into ``mine``, the opponent's into ``theirs``."""
    for p in range(board.shape[0]):
        s = board[p]
        mine[p] = 1.0 if s == me else 0.0
        theirs[p] = 1.0 if s == -me else 0.0


@numba.njit(cache=True)
def encode(pool, leaf, root, root_history, params, nbr, planes, glob, libs, legal):
    """Write one leaf's planes ``[C, h, w]``, globals, liberty classes and legal mask (zerogo's features).

    The history is the leaf's board, its ancestors', then the root's game
    history (``root_history [k, area]``, newest first, the root's board not
    included), eight boards in all, zeros where the game is shorter. Every
    plane is written whole (the batch's array need not be cleared).
    """
    area = planes.shape[1] * planes.shape[2]
    flat = planes.reshape(planes.shape[0], area)
    me = pool.to_play[leaf]
    history = (planes.shape[0] - 5) // 2
    node, i = leaf, 0
    while i < history:
        _stone_planes(pool.stones[node], me, flat[1 + 2 * i], flat[2 + 2 * i])
        i += 1
        if node == root:
            break
        node = pool.parent[node]
    for j in range(min(history - i, root_history.shape[0])):
        _stone_planes(root_history[j], me, flat[1 + 2 * i], flat[2 + 2 * i])
        i += 1
    for k in range(1 + 2 * i, 1 + 2 * history):
        flat[k, :] = 0.0
    stones = pool.stones[leaf]
    liberty_classes(stones, nbr, libs)
    base = 1 + 2 * history
    for p in range(area):
        flat[0, p] = 1.0
        cls = libs[p]
        flat[base, p] = 1.0 if cls == 1 else 0.0
        flat[base + 1, p] = 1.0 if cls == 2 else 0.0
        flat[base + 2, p] = 1.0 if cls == 3 else 0.0
    flat[base + 3, :] = 0.0
    ko = pool.ko[leaf]
    if ko >= 0:
        flat[base + 3, ko] = 1.0
    glob[0] = (params[KOMI_NET] if me == -1 else -params[KOMI_NET]) / 20.0
    glob[1] = 1.0 if me == 1 else 0.0
    glob[2] = params[SCORING_TERRITORY]
    glob[3] = params[KO_SIMPLE]
    glob[4] = params[KO_SITUATIONAL]
    glob[5] = params[SUICIDE]
    glob[6] = 1.0 if pool.passes[leaf] >= 1 else 0.0
    legal_mask(stones, libs, me, ko, nbr, params[SUICIDE] != 0, legal)


@numba.njit(cache=True)
def collect(pool, root, params, nbr, zob, white_key, seen_keys, root_history, batch, leaves,
            planes, glob, legal):
    """Descend up to ``batch`` times: (leaves written to ``leaves``/inputs, visits backed up at once).

    Terminal leaves are backed up here; the others are marked pending, and
    their inputs written to row k of ``planes``, ``glob`` and ``legal``.
    """
    path = np.empty(MAX_DEPTH, np.int32)
    libs = np.empty(pool.stones.shape[1], np.int8)
    count, done, misses = 0, 0, 0
    for _ in range(batch):
        leaf = descend(pool, root, params, nbr, zob, white_key, seen_keys, path)
        if leaf < 0:
            misses += 1
            if misses > batch:
                break
            continue
        if pool.terminal[leaf]:
            backup(pool, leaf, pool.term_value[leaf], pool.term_score[leaf])
            done += 1
        elif pool.degree[leaf] >= 0:        # expanded without moves: cannot happen (pass); guard anyway
            backup(pool, leaf, pool.net_value[leaf], pool.net_score[leaf])
            done += 1
        else:
            pool.pending[leaf] = True
            leaves[count] = leaf
            encode(pool, leaf, root, root_history, params, nbr, planes[count], glob[count], libs,
                   legal[count])
            count += 1
    return count, done


@numba.njit(cache=True)
def expand(pool, node, policy):
    """Give ``node`` an edge for every empty point and pass (not the ko point), priors from ``policy``."""
    area = pool.stones.shape[1]
    stones = pool.stones[node]
    ko = pool.ko[node]
    first = pool.counts[EDGES]
    k = 0
    total = 0.0
    for p in range(area + 1):
        if p < area and (stones[p] != 0 or p == ko):
            continue
        e = first + k
        pool.move[e] = p
        pool.prior[e] = policy[p]
        total += policy[p]
        pool.child[e] = -1
        k += 1
    for e in range(first, first + k):
        pool.prior[e] = pool.prior[e] / total if total > 0 else 1.0 / k
        pool.raw_prior[e] = pool.prior[e]
    pool.first[node], pool.degree[node] = first, k
    pool.first_built[node], pool.best_unbuilt[node] = -1, -1
    pool.counts[EDGES] = first + k


@numba.njit(cache=True)
def finish(pool, leaves, count, logits, values, scores, legal, policy):
    """Softmax each leaf's logits over its legal moves (into ``policy``), expand it and back it up."""
    moves = logits.shape[1]
    for j in range(count):
        leaf = leaves[j]
        row = policy[j]
        top = np.float32(-np.inf)
        for m in range(moves):
            if legal[j, m] and logits[j, m] > top:
                top = logits[j, m]
        total = np.float32(0.0)
        for m in range(moves):
            if legal[j, m]:
                row[m] = np.exp(logits[j, m] - top)
                total += row[m]
            else:
                row[m] = 0.0
        for m in range(moves):
            row[m] /= total
        pool.pending[leaf] = False
        expand(pool, leaf, row)
        pool.net_value[leaf] = values[j]
        pool.net_score[leaf] = scores[j]
        backup(pool, leaf, np.float64(values[j]), np.float64(scores[j]))


# ------------------------------------------------------------- re-rooting, pruning
@numba.njit(cache=True)
def compact(pool, new_root, min_visits, out):
    """Copy the subtree of ``new_root`` into the empty pool ``out``, dropping detail: returns the new root (0).

    A node keeps its edges (stays expanded) when it is the root, has at least
    ``min_visits`` visits, or has virtual loss (a leaf below it is on the
    network); the children of such nodes are kept, the others' collapse to
    unexpanded nodes that keep their statistics and board (chosen again, they
    are evaluated again), and nothing below a collapsed node survives. Nodes
    are numbered parents first, in the same order as before, so one pass
    over ``pool`` does it; ``out`` needs room for what is kept.
    """
    used = pool.counts[NODES]
    inside = np.zeros(used, np.bool_)      # in the new root's subtree
    expanded = np.zeros(used, np.bool_)    # kept with its edges
    index = np.full(used, -1, np.int32)    # the node's number in ``out``
    inside[new_root] = True
    kept_nodes, kept_edges = 0, 0
    for j in range(new_root, used):
        if j != new_root:
            p = pool.parent[j]
            if p < new_root or not expanded[p]:
                continue
            inside[j] = True
        index[j] = kept_nodes
        kept_nodes += 1
        expanded[j] = pool.degree[j] >= 0 and (j == new_root or pool.n[j] >= min_visits or pool.vl[j] > 0)
        if expanded[j]:
            kept_edges += pool.degree[j]
    edges = 0
    for j in range(new_root, used):
        k = index[j]
        if k < 0:
            continue
        if j == new_root:
            out.parent[k], out.edge[k], out.next_built[k] = -1, -1, -1
        else:
            out.parent[k] = index[pool.parent[j]]     # (``edge`` was set with the parent's edges)
        out.ko[k], out.hash[k], out.key[k] = pool.ko[j], pool.hash[j], pool.key[j]
        out.to_play[k], out.passes[k] = pool.to_play[j], pool.passes[j]
        out.terminal[k] = pool.terminal[j] and j != new_root      # the game goes on from the root
        out.term_value[k], out.term_score[k] = pool.term_value[j], pool.term_score[j]
        out.net_value[k], out.net_score[k] = pool.net_value[j], pool.net_score[j]
        out.pending[k] = pool.pending[j]
        out.first_built[k], out.best_unbuilt[k] = -1, -1      # (``next_built``: set with the parent's edges)
        out.n[k], out.w[k], out.w2[k], out.s[k], out.vl[k] = pool.n[j], pool.w[j], pool.w2[j], pool.s[j], pool.vl[j]
        out.stones[k] = pool.stones[j]
        if expanded[j]:
            first, degree = pool.first[j], pool.degree[j]
            out.first[k], out.degree[k] = edges, degree
            out.total[k], out.visited_prior[k] = pool.total[j], pool.visited_prior[j]
            for e in range(first, first + degree):
                f = edges + e - first
                out.move[f], out.prior[f], out.raw_prior[f] = pool.move[e], pool.prior[e], pool.raw_prior[e]
                c = pool.child[e]
                out.child[f] = c if c < 0 else index[c]
                if c >= 0:
                    out.edge[index[c]] = f
                    out.next_built[index[c]] = out.first_built[k]
                    out.first_built[k] = index[c]
            edges += degree
        else:
            out.first[k], out.degree[k] = -1, -1
            out.total[k], out.visited_prior[k] = 0.0, 0.0
    out.counts[NODES], out.counts[EDGES] = kept_nodes, edges
    return 0


@numba.njit(cache=True)
def kept_by(pool, root, min_visits):
    """(nodes, edges) that ``compact(pool, root, min_visits, ...)`` would keep."""
    used = pool.counts[NODES]
    expanded = np.zeros(used, np.bool_)
    nodes, edges = 0, 0
    for j in range(root, used):
        if j != root:
            p = pool.parent[j]
            if p < root or not expanded[p]:
                continue
        nodes += 1
        expanded[j] = pool.degree[j] >= 0 and (j == root or pool.n[j] >= min_visits or pool.vl[j] > 0)
        if expanded[j]:
            edges += pool.degree[j]
    return nodes, edges


@numba.njit(cache=True)
def principal_variation(pool, edge, moves, visits):
    """From ``edge`` on, the most visited child at each step: fills ``moves`` and ``visits``; returns the length.

    As ``engine.mcts.Tree.principal_variation`` and ``search_report.pv_visits``:
    a step is taken while the child is expanded and its children have visits.
    """
    length = moves.shape[0]
    moves[0] = pool.move[edge]
    child = pool.child[edge]
    visits[0] = pool.n[child] if child >= 0 else 0.0
    count = 1
    while child >= 0 and pool.degree[child] >= 0 and count < length:
        best, best_n = -1, 0.0
        first = pool.first[child]
        for e in range(first, first + pool.degree[child]):
            c = pool.child[e]
            if c >= 0 and pool.n[c] > best_n:
                best, best_n = e, pool.n[c]
        if best < 0:
            break
        moves[count] = pool.move[best]
        visits[count] = best_n
        count += 1
        child = pool.child[best]
    return count
