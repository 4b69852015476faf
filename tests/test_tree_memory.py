"""The search tree stays within --max-tree-mb by pruning, and memory comes back after a new game."""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np

from engine.evaluation import UniformEvaluator
from engine.evaluator import CachedEvaluator
from engine.game import Game
from engine.mcts_node import node_bytes
from engine.mcts_player import MctsPlayer
from engine.player import AnalysisRequest, MoveLimits
from engine.search import SearchConfig, Searcher


def _count(tree) -> int:
    todo, n = [tree.root], 0
    while todo:
        node = todo.pop()
        n += 1
        todo.extend(c for c in node.children if c is not None)
    return n


def test_prune_keeps_statistics_and_the_count_right():
    searcher = Searcher(UniformEvaluator(), SearchConfig(batch_size=8, early_stop=False, max_tree_mb=0))
    game = Game(9, 9)
    searcher.search(game, MoveLimits(visits=2000))
    tree = searcher.tree
    assert tree.node_count == _count(tree) > 1000
    n_before = tree.root.child_N.copy()
    w_before = tree.root.child_W.copy()
    dropped = tree.prune(500)
    assert tree.node_count == _count(tree) <= 500 and dropped > 500
    assert np.array_equal(tree.root.child_N, n_before) and np.array_equal(tree.root.child_W, w_before)
    # The search goes on over the pruned tree, rebuilding what it needs.
    result = searcher.search(game, MoveLimits(visits=3000))
    assert result.root_visits >= 3000 and tree.node_count == _count(tree)
    assert game.is_legal(result.move, game.to_play)


def test_search_stays_under_the_tree_limit():
    cfg = SearchConfig(batch_size=8, early_stop=False, max_tree_mb=1)
    budget = (1 << 20) // node_bytes(13 * 13)
    searcher = Searcher(UniformEvaluator(), cfg)
    tracemalloc.start()
    result = searcher.search(Game(13, 13), MoveLimits(visits=800))
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert result.root_visits >= 800
    assert searcher.tree.node_count <= budget < 100 and result.extra["pruned_nodes"] > 500
    assert held < 2 * (1 << 20), held                   # the tree plus a little working memory


def test_analysis_without_visit_cap_runs_past_the_old_30k_cap_in_bounded_memory():
    cfg = SearchConfig(batch_size=16, max_tree_mb=1)
    assert cfg.ponder_max_visits > 30_000
    player = MctsPlayer(UniformEvaluator(), cfg)
    stop = threading.Event()
    seen = []

    def report(rep):
        seen.append(rep.root_visits)
        if rep.root_visits >= 3000:
            stop.set()

    threading.Timer(60, stop.set).start()
    player.analyze(Game(9, 9), 1, AnalysisRequest(interval=0.05), report, stop)
    assert max(seen) >= 3000
    assert player.searcher.tree.node_count <= (1 << 20) // node_bytes(81)


def test_clear_returns_tree_and_cache():
    cache = CachedEvaluator(UniformEvaluator(), size=100_000)
    player = MctsPlayer(cache, SearchConfig(batch_size=8, early_stop=False))
    tracemalloc.start()
    player.genmove(Game(13, 13), 1, MoveLimits(visits=400))
    grown = tracemalloc.get_traced_memory()[0]
    player.clear()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert player.searcher.tree is None and not cache.cache and cache.bytes == 0
    assert grown > 4e6 and after < grown / 10, (grown, after)


def test_cache_bounded_in_bytes():
    cache = CachedEvaluator(UniformEvaluator(), size=10**9, max_bytes=1 << 20)
    searcher = Searcher(cache, SearchConfig(batch_size=8, early_stop=False))
    searcher.search(Game(19, 19), MoveLimits(visits=800))
    entry = cache.entry_bytes(next(iter(cache.cache.values())))
    assert cache.bytes <= 1 << 20 and len(cache.cache) <= (1 << 20) // entry + 1
    assert cache.misses > len(cache.cache)       # it had to evict


def test_max_tree_mb_reaches_the_searcher_from_the_command_line_options():
    from engine.evaluator import WEIGHTS_DIR
    from gtp.server.players import EngineOptions, make_player
    player = make_player(EngineOptions(size=9, network=str(WEIGHTS_DIR / "zerogo-9x9.onnx"),
                                       max_tree_mb=7, threads=1))
    assert player.searcher.config.max_tree_mb == 7
