"""Re-rooting and pruning a compiled tree: its kept part copied into a fresh pool; principal variations."""

from __future__ import annotations

import numba
import numpy as np

from engine.compiled.pool import EDGES, NODES
from engine.compiled.numba_cache import configure as configure_numba_cache

configure_numba_cache()   # before this module's kernels are compiled or loaded from the cache


@numba.njit(cache=True)
def compact(pool, new_root, min_visits, out):
    """Copy the subtree of ``new_root`` into the empty pool ``out``, dropping detail: returns the new root (0).

    A node keeps its edges (stays expanded) when it is the root, has at least
    ``min_visits`` visits, or has virtual loss (a leaf below it is on the
    network); the children of such nodes are kept, the others' collapse to
    unexpanded nodes that keep their statistics and board (chosen again, they
    are evaluated again), and nothing below a collapsed node survives. Nodes
    are numbered parents first, in the same order as before, so one marking
    pass (``_marks``) and one copying pass do it; ``out`` needs room for what is kept.
    """
    used = pool.counts[NODES]
    index, expanded, kept_nodes, _ = _marks(pool, new_root, min_visits)
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
def _marks(pool, root, min_visits):
    """(each node's number in the compacted pool or -1, whether it keeps its edges, nodes kept, edges kept)."""
    used = pool.counts[NODES]
    index = np.full(used, -1, np.int32)
    expanded = np.zeros(used, np.bool_)
    nodes, edges = 0, 0
    for j in range(root, used):
        if j != root:
            p = pool.parent[j]
            if p < root or not expanded[p]:
                continue
        index[j] = nodes
        nodes += 1
        expanded[j] = pool.degree[j] >= 0 and (j == root or pool.n[j] >= min_visits or pool.vl[j] > 0)
        if expanded[j]:
            edges += pool.degree[j]
    return index, expanded, nodes, edges


@numba.njit(cache=True)
def kept_by(pool, root, min_visits):
    """(nodes, edges) that ``compact(pool, root, min_visits, ...)`` would keep."""
    _, _, nodes, edges = _marks(pool, root, min_visits)
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
