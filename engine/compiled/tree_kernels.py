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
its edges' 14 bytes each and no statistics. ``Pool`` is the bundle of arrays
the kernels take.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from engine.compiled.board_kernels import OK, play
from engine.compiled.feature_kernels import encode
from engine.compiled.pool import (
    C_BASE, C_INIT, CENTRE_BLACK, EDGES, FORCED_K, FPU, FPU_ROOT, ILLEGAL, INV_DYNAMIC, INV_STATIC, K_DYNAMIC,
    K_STATIC, KO_SIMPLE, KO_SITUATIONAL, KOMI_TOTAL, MAX_DEPTH, NODES, SUICIDE, UTILITY,
)
from engine.compiled.numba_cache import configure as configure_numba_cache

configure_numba_cache()   # before this module's kernels are compiled or loaded from the cache


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
def abandon(pool, leaves, count):
    """Take back ``collect``'s virtual losses and pending marks of leaves that will not be evaluated."""
    for j in range(count):
        node = leaves[j]
        pool.pending[node] = False
        while pool.parent[node] >= 0:
            pool.vl[node] -= 1.0
            pool.total[pool.parent[node]] -= 1.0
            node = pool.parent[node]


@numba.njit(cache=True)
def _undo(pool, path, depth):
    for d in range(depth):
        child = path[d]
        pool.vl[child] -= 1.0
        pool.total[pool.parent[child]] -= 1.0


@numba.njit(cache=True)
def descend(pool, root, params, nbr, zob, white_key, seen_keys, path, root_edge):
    """Walk from the root to a leaf adding virtual loss: the leaf, or -1 on a collision (a leaf on the net).

    ``root_edge`` >= 0 forces the first step (Gumbel's sequential halving);
    -1 also when that move proves illegal.
    """
    node, depth = root, 0
    while pool.degree[node] > 0 and not pool.terminal[node] and depth < MAX_DEPTH:
        forced = node == root and root_edge >= 0
        e = root_edge if forced else select(pool, node, node == root, params)
        if e < 0:
            break
        child = pool.child[e]
        if child < 0:
            child = make_child(pool, node, e, params, nbr, zob, white_key, seen_keys)
            if child < 0:
                if forced:
                    _undo(pool, path, depth)
                    return -1
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


@numba.njit(cache=True, nogil=True)     # other threads' Python runs meanwhile (self-play's games)
def collect(pool, root, params, nbr, zob, white_key, seen_keys, root_history, batch, root_edges, leaves,
            planes, glob, legal):
    """Descend up to ``batch`` times: (leaves written to ``leaves``/inputs, visits backed up at once).

    ``root_edges`` (when not empty): one descent through each of these root
    edges instead (Gumbel). Terminal leaves are backed up here; the others
    are marked pending, and their inputs written to row k of ``planes``,
    ``glob`` and ``legal``.
    """
    path = np.empty(MAX_DEPTH, np.int32)
    libs = np.empty(pool.stones.shape[1], np.int8)
    count, done, misses = 0, 0, 0
    forced = len(root_edges) > 0
    for k in range(len(root_edges) if forced else batch):
        leaf = descend(pool, root, params, nbr, zob, white_key, seen_keys, path, root_edges[k] if forced else -1)
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


@numba.njit(cache=True, nogil=True)     # other threads' Python runs meanwhile (self-play's games)
def finish(pool, leaves, count, logits, values, scores, legal, policy, inverse_temperature):
    """Softmax each leaf's logits times ``inverse_temperature`` over its legal moves (into ``policy``),
    expand it and back it up."""
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
                row[m] = np.exp((logits[j, m] - top) * inverse_temperature)
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
