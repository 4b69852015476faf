"""The compiled search tree (engine.compiled.tree) against the Python one (engine.mcts.Tree)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from engine import coords, features
from engine.board import Board
from engine.evaluation import Position
from engine.evaluator import NetEvaluator
from engine.game import Game
from engine.player import AnalysisRequest, MoveLimits
from engine.search import SearchConfig, Searcher

compiled_tree = pytest.importorskip("engine.compiled.tree", reason="numba is not installed")
from engine.compiled import pool as K  # noqa: E402


class LinearNet(NetEvaluator):
    """A deterministic stand-in for a network: linear maps of the input planes (every input matters)."""

    def __init__(self, width: int, height: int | None = None, batch_size: int = 8, seed: int = 0):
        super().__init__(batch_size=batch_size)
        rng = np.random.default_rng(seed)
        self.width, self.height = width, height or width
        area = self.width * self.height
        inputs = features.NUM_PLANES * area
        self.policy = rng.normal(0, 0.4, (inputs, area + 1)).astype(np.float32)
        self.value = rng.normal(0, 0.05, inputs).astype(np.float32)
        self.glob = rng.normal(0, 0.3, features.NUM_GLOBALS).astype(np.float32)
        self.own = rng.normal(0, 0.5, area).astype(np.float32)
        self.runs: list[np.ndarray] = []

    def run(self, planes, glob):
        """Logits, value, score and ownership from the planes and globals."""
        self.runs.append(planes.copy())
        x = planes.reshape(len(planes), -1)
        value = np.tanh(x @ self.value + glob @ self.glob)
        own = np.tanh(x[:, :self.width * self.height] * self.own).reshape(len(planes), self.height, self.width)
        return [x @ self.policy, value, 12.0 * value, own]


def random_game(size: int, moves: int, seed: int, rules: str = "chinese", height: int | None = None) -> Game:
    """A game of ``moves`` random legal moves (no passes) on a ``size`` x ``height`` board."""
    rng = np.random.default_rng(seed)
    game = Game(size, height, rules=rules)
    for _ in range(moves):
        legal = np.flatnonzero(game.board.legal_mask()[:-1])
        for move in rng.permutation(legal):
            if game.is_legal(int(move)):
                game.play(int(move))
                break
    return game


def search(game: Game, tree: str, visits: int = 300, **settings):
    """One search of ``visits`` on a fresh searcher with the tree asked for: (result, searcher)."""
    config = SearchConfig(batch_size=8, seed=0, tree=tree, early_stop=False, **settings)
    searcher = Searcher(LinearNet(game.board.width, game.board.height), config)
    return searcher.search(game, MoveLimits(visits=visits)), searcher


@pytest.mark.parametrize("size,height,moves,rules", [(9, 9, 20, "chinese"), (9, 9, 45, "japanese"),
                                                     (19, 19, 60, "chinese"), (7, 7, 30, "tromp-taylor"),
                                                     (7, 5, 12, "chinese"), (9, 9, 30, "aga"),
                                                     (9, 9, 25, "new-zealand")])
def test_the_same_search_as_the_python_tree(size, height, moves, rules):
    """Same visits per root move, values and choice as engine.mcts.Tree, on the same network."""
    game = random_game(size, moves, seed=size + moves, rules=rules, height=height)
    ours, searcher = search(game, "compiled")
    theirs, _ = search(game, "python")
    assert type(searcher.tree).__name__ == "CompiledTree"
    assert ours.move == theirs.move
    assert [(c.move, c.visits) for c in ours.candidates] == [(c.move, c.visits) for c in theirs.candidates]
    assert ours.winrate == pytest.approx(theirs.winrate, abs=1e-6)
    assert ours.score_lead == pytest.approx(theirs.score_lead, abs=1e-4)
    assert [c.pv for c in ours.candidates] == [c.pv for c in theirs.candidates]
    assert np.allclose(ours.ownership, theirs.ownership, atol=1e-5)


def test_a_handicap_game_near_its_end_scores_as_the_python_tree():
    """Handicap compensation (AGA: N - 1 points) in the terminal scores, passes at the root's children."""
    game = Game(9, rules="aga")
    game.fixed_handicap(3)
    rng = np.random.default_rng(4)
    while len(game.moves) < 70:
        legal = [int(m) for m in np.flatnonzero(game.board.legal_mask()[:-1]) if game.is_legal(int(m))
                 and not game.board.is_eye(int(m), game.to_play)]
        game.play(int(rng.choice(legal)) if legal else game.board.pass_move)
    game.play(game.board.pass_move)
    ours, searcher = search(game, "compiled", visits=300)
    theirs, _ = search(game, "python", visits=300)
    assert [(c.move, c.visits) for c in ours.candidates] == [(c.move, c.visits) for c in theirs.candidates]
    assert ours.score_lead == pytest.approx(theirs.score_lead, abs=1e-4)
    root = searcher.tree.root
    passed = root.children[root.child_index(game.board.pass_move)]
    assert passed is not None and passed.terminal is not None


def test_score_utility_and_forced_playouts_match_too():
    """KataGo's score utility and forced playouts at the root select as the Python tree does."""
    game = random_game(9, 25, seed=3)
    settings = dict(static_score_utility=0.1, dynamic_score_utility=0.3, forced_playouts_k=2.0, visits=400)
    ours, _ = search(game, "compiled", **settings)
    theirs, _ = search(game, "python", **settings)
    assert [(c.move, c.visits) for c in ours.candidates] == [(c.move, c.visits) for c in theirs.candidates]
    assert np.allclose(ours.policy_target, theirs.policy_target)


@pytest.mark.parametrize("tree", ["python", "compiled"])
def test_policy_temperature_flattens_the_priors_the_search_starts_from(tree):
    """Each tree's root priors are the net's legal-move policy to the power 1/T, renormalised."""
    game = random_game(9, 20, seed=5)
    _, plain = search(game, tree, visits=50)
    _, warm = search(game, tree, visits=50, policy_temperature=1.6)
    p = plain.tree.root.prior
    expected = p ** (1 / 1.6) / (p ** (1 / 1.6)).sum()
    assert np.allclose(warm.tree.root.prior, expected, atol=1e-5)
    assert warm.tree.root.prior.max() < p.max()      # flatter: the top move's share falls


def test_policy_temperature_searches_as_the_python_tree():
    game = random_game(9, 25, seed=6)
    ours, _ = search(game, "compiled", visits=400, policy_temperature=1.4)
    theirs, _ = search(game, "python", visits=400, policy_temperature=1.4)
    assert [(c.move, c.visits) for c in ours.candidates] == [(c.move, c.visits) for c in theirs.candidates]
    plain, _ = search(game, "compiled", visits=400)
    assert [(c.move, c.visits) for c in plain.candidates] != [(c.move, c.visits) for c in ours.candidates]


def test_the_leaves_get_the_features_of_engine_features():
    """Every position the compiled tree sent to the network is encoded exactly as engine.features encodes it."""
    game = random_game(9, 12, seed=5)
    _, searcher = search(game, "compiled", visits=120)
    tree, net = searcher.tree, searcher.tree.net
    pool = tree.pool
    sent = np.concatenate(net.runs)
    seen = {planes.tobytes() for planes in sent}
    checked = 0
    for node in range(pool.counts[K.NODES]):
        if pool.degree[node] < 0:
            continue
        moves = []
        j = node
        while j != 0:
            moves.append(int(pool.move[pool.edge[j]]))
            j = int(pool.parent[j])
        replay = Game(9)
        for move in game.moves:
            replay.play(move[1])
        for move in reversed(moves):
            replay.play(move)
        planes, _ = features.encode(Position.from_game(replay))
        assert planes.tobytes() in seen
        checked += 1
    assert checked > 50


def test_tree_reuse_over_a_game_matches_the_python_tree():
    """Move after move with the tree kept (re-rooted, compacted), the same searches as the Python tree."""
    game = random_game(9, 10, seed=11)
    searchers = {}
    for kind in ("compiled", "python"):
        config = SearchConfig(batch_size=8, seed=0, tree=kind, early_stop=False, reuse_tree=True)
        searchers[kind] = Searcher(LinearNet(9), config)
    playouts = []
    for _ in range(6):
        results = {kind: s.search(game, MoveLimits(visits=200)) for kind, s in searchers.items()}
        ours, theirs = results["compiled"], results["python"]
        assert [(c.move, c.visits) for c in ours.candidates] == [(c.move, c.visits) for c in theirs.candidates]
        assert ours.playouts == theirs.playouts
        playouts.append(ours.playouts)
        game.play(ours.move)
    assert max(playouts[1:]) < 200                           # the reused subtrees' visits counted
    assert searchers["compiled"].tree.node_count < 1200       # the old root's other subtrees were dropped


def test_a_capped_tree_is_pruned_and_the_search_goes_on():
    """Past the memory cap the least-visited subtrees collapse (their statistics kept) and the search continues."""
    game = random_game(9, 10, seed=2)
    config = SearchConfig(batch_size=8, seed=0, tree="compiled", early_stop=False, max_tree_mb=1)
    searcher = Searcher(LinearNet(9), config)
    result = searcher.search(game, MoveLimits(visits=3000))
    tree = searcher.tree
    cap = (1 << 20) // tree.bytes_per_node
    assert result.extra["pruned_nodes"] > 0
    assert tree.node_count <= cap
    assert result.root_visits == 3000
    pool = tree.pool
    used = pool.counts[K.NODES]
    assert np.all(pool.vl[:used] == 0) and not pool.pending[:used].any()
    children = sum(pool.n[c] for c in pool.child[pool.first[0]:pool.first[0] + pool.degree[0]] if c >= 0)
    assert children == pool.n[0] - 1          # every visit but the root's own went to a child
    assert game.is_legal(result.move)


def test_superko_moves_are_never_chosen():
    """A move repeating an earlier position of the game is left out (positional superko)."""
    game = Game(5, rules="chinese")
    banned = coords.from_gtp("C3", 5, 5)
    after = game.board.copy()
    after.play(banned)
    game.seen_positions[after.hash] = 1      # as if the game had been there
    result, searcher = search(game, "compiled", visits=200)
    assert searcher.tree.root.child_index(banned) is None
    assert result.move != banned


def test_two_passes_end_the_game_with_the_area_score():
    """A pass after a pass is a terminal node scored by Tromp-Taylor area, as in engine.mcts."""
    board = Board.from_ascii("""
        . X O .
        . X O .
        . X O .
        . X O .
    """)
    game = Game(4, rules="chinese", komi=0.5)
    game.setup([(board.stones[p], p) for p in range(16) if board.stones[p]])
    game.play(game.board.pass_move)
    _, searcher = search(game, "compiled", visits=60)
    root = searcher.tree.root
    child = root.children[root.child_index(root.board.pass_move)]
    assert child.terminal == (-1.0, -0.5)   # black 8, white 8 + 0.5: black to move after white's pass


def test_the_python_tree_stands_in_where_the_compiled_one_cannot_run(caplog):
    """An evaluator without zerogo's features: the Python tree, one warning when asked for."""
    from engine.evaluation import UniformEvaluator
    game = random_game(9, 5, seed=1)
    config = SearchConfig(batch_size=8, seed=0, tree="compiled")
    searcher = Searcher(UniformEvaluator(), config)
    searcher.search(game, MoveLimits(visits=24))
    searcher.clear()
    searcher.search(game, MoveLimits(visits=24))
    assert type(searcher.tree).__name__ == "Tree"
    assert caplog.text.count("features are not zerogo's") == 1
    _, searcher = search(game, "auto", visits=40)
    assert type(searcher.tree).__name__ == "CompiledTree"


class PointNet(LinearNet):
    """A network that commutes with the board's symmetries: each point's logit and ownership from its own
    planes, the value from plane counts (exact sums), so turning the board turns its outputs."""

    def __init__(self, width: int, height: int | None = None, seed: int = 0):
        super().__init__(width, height, seed=seed)
        rng = np.random.default_rng(seed + 1)
        self.point = rng.normal(0, 1.0, features.NUM_PLANES).astype(np.float32)
        self.count = rng.normal(0, 0.02, features.NUM_PLANES).astype(np.float32)
        self.pass_logit = np.float32(-1.0)

    def run(self, planes, glob):
        """Logits, value, score and ownership that turn with the planes."""
        self.runs.append(planes.copy())
        n = len(planes)
        points = np.einsum("bchw,c->bhw", planes, self.point)
        value = np.tanh(planes.sum(axis=(2, 3)) @ self.count + glob @ self.glob)
        logits = np.concatenate([points.reshape(n, -1), np.full((n, 1), self.pass_logit, np.float32)], axis=1)
        return [logits, value, 12.0 * value, np.tanh(points)]


@pytest.mark.parametrize("size,height", [(9, 9), (7, 5)])
def test_random_symmetries_turn_the_leaves_and_turn_the_outputs_back(size, height):
    """Self-play's random symmetries on the compiled tree: the network sees turned boards, and with a network
    that turns with them the search is the one without symmetries, on square and rectangular boards."""
    game = random_game(size, 14, seed=2, height=height)
    config = SearchConfig(batch_size=8, seed=0, tree="compiled", early_stop=False)
    plain, turned = PointNet(size, height), PointNet(size, height)
    turned.random_symmetry, turned.rng = True, np.random.default_rng(1)
    searches = [Searcher(net, config) for net in (plain, turned)]
    ours, theirs = (s.search(game, MoveLimits(visits=200)) for s in searches)
    assert all(type(s.tree).__name__ == "CompiledTree" for s in searches)
    assert [(c.move, c.visits) for c in ours.candidates] == [(c.move, c.visits) for c in theirs.candidates]
    assert ours.winrate == pytest.approx(theirs.winrate, abs=1e-6)
    assert np.allclose(ours.ownership, theirs.ownership, atol=1e-6)
    assert len(plain.runs) == len(turned.runs)
    differ = sum(not np.array_equal(a, b) for a, b in zip(plain.runs, turned.runs))
    assert differ >= len(plain.runs) - 2   # all but the smallest batches have turned leaves
    broken = LinearNet(size, height)       # a network that does not turn with the board: another search
    broken.random_symmetry, broken.rng = True, np.random.default_rng(1)
    other = Searcher(broken, config).search(game, MoveLimits(visits=200))
    alone = Searcher(LinearNet(size, height), config).search(game, MoveLimits(visits=200))
    assert [(c.move, c.visits) for c in other.candidates] != [(c.move, c.visits) for c in alone.candidates]


def test_gumbel_sequential_halving_matches_the_python_tree():
    """Gumbel at the root (forced root children a batch): the same halving, visits and improved policy."""
    game = random_game(9, 18, seed=8)
    settings = dict(root_policy="gumbel", gumbel_m=8, visits=160)
    ours, searcher = search(game, "compiled", **settings)
    theirs, _ = search(game, "python", **settings)
    assert type(searcher.tree).__name__ == "CompiledTree"
    assert ours.move == theirs.move
    assert [(c.move, c.visits) for c in ours.candidates] == [(c.move, c.visits) for c in theirs.candidates]
    assert np.allclose(ours.policy_target, theirs.policy_target)


NET9 = Path(__file__).resolve().parents[1] / "weights" / "zerogo-9x9.onnx"


def test_bench_search_runs_both_trees_side_by_side():
    """zerogo bench search --tree both: a row for each tree on a shipped network, each with its visits, visits
    a second and microseconds a visit beside the network (which is faster is the benchmark's to say: under
    load the 64-visit sample flipped it)."""
    from click.testing import CliRunner

    from nets.cli import bench_search_command
    result = CliRunner().invoke(bench_search_command, ["--nets", "", "--leelaz", "", "--sizes", "9", "--visits",
                                                       "64", "--network", str(NET9), "--tree", "both"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.strip().splitlines()[-2:]]
    assert [r[14] for r in rows] == ["python", "compiled"]
    assert all(int(r[5]) >= 63 and float(r[7]) > 0 and float(r[12]) > 0 for r in rows)


def test_zerogo_gtp_plays_and_analyses_on_the_compiled_tree():
    """The --tree setting reaches the searcher; a real network plays legal moves and answers lz-analyze."""
    from click.testing import CliRunner

    from gtp.server import cli
    from gtp.server.players import EngineOptions, make_player
    seen = []
    original = cli.run_engine
    try:
        cli.run_engine = lambda options, *a, **k: seen.append(options)
        for args in (["--tree", "compiled"], ["--tree", "auto"], []):
            assert CliRunner().invoke(cli.gtp_command, args + ["--size", "9"]).exit_code == 0
        assert CliRunner().invoke(cli.gtp_command, ["--tree", "fast"]).exit_code == 2
        assert CliRunner().invoke(cli.gtp_command, ["--size", "9"], env={"ZEROGO_TREE": None}).exit_code == 0
    finally:
        cli.run_engine = original
    assert [o.tree for o in seen] == ["compiled", "auto", "python", "auto"]   # (the suite pins python)
    player = make_player(EngineOptions(size=9, network=str(NET9), threads=1, tree="compiled", visits=64))
    assert player.searcher.config.tree == "compiled"
    game = Game(9)
    for _ in range(8):
        move = player.genmove(game, game.to_play).move
        assert game.illegal_reason(move) is None
        game.play(move)
    assert type(player.searcher.tree).__name__ == "CompiledTree"
    reports = []
    stop = threading.Event()
    request = AnalysisRequest(interval=0.05, max_visits=200, keep_reporting=False)
    player.analyze(game, game.to_play, request, reports.append, stop)
    assert reports and reports[-1].root_visits >= 200
    best = reports[-1].candidates[0]
    assert best.visits > 0 and len(best.pv) >= 1 and game.illegal_reason(best.move) is None


def test_a_removed_root_move_is_never_searched_again():
    """analyze's allow/avoid filter (MctsPlayer._filter_root): a removed move, even a visited one, is skipped."""
    game = random_game(9, 8, seed=6)
    config = SearchConfig(batch_size=8, seed=0, tree="compiled", early_stop=False)
    searcher = Searcher(LinearNet(9), config)
    first = searcher.search(game, MoveLimits(visits=200))
    root = searcher.tree.root
    banned = first.candidates[0].move
    root.remove_child(root.child_index(banned))
    again = searcher.search(game, MoveLimits(visits=600))      # the same position: the same tree, grown
    assert searcher.tree.root.child_index(banned) is None
    assert banned not in [c.move for c in again.candidates] and again.move != banned
    assert again.root_visits >= 600


def test_a_gtp_session_on_the_compiled_tree():
    """A real network through the GTP server: moves, undo and a count, every reply well formed."""
    from gtp.server.commands import GtpEngine
    from gtp.server.players import EngineOptions, make_player
    from tests.gtp_session import ok, session
    options = EngineOptions(size=9, network=str(NET9), threads=1, tree="compiled", visits=48, seed=1)
    engine = GtpEngine(options, make_player(options))
    replies = session(["boardsize 9", "clear_board", "komi 7", "genmove b", "play w E5", "genmove b", "undo",
                       "genmove b", "genmove w", "final_score", "showboard"], engine)
    assert all(r.startswith("=") for r in replies), replies
    moves = [ok(replies[i]) for i in (3, 5, 7, 8)]
    assert all(m and m.lower() != "resign" for m in moves)
    assert ok(replies[9])[:2] in ("B+", "W+", "0")
    assert type(engine.player.searcher.tree).__name__ == "CompiledTree"


def test_a_short_history_runs_on_the_python_tree():
    """SearchConfig.history below the features' eight boards: the Python tree (which honours it)."""
    game = random_game(9, 5, seed=1)
    _, searcher = search(game, "auto", visits=24, history=4)
    assert type(searcher.tree).__name__ == "Tree"


class RowNet(LinearNet):
    """LinearNet computed row by row: a position's outputs do not depend on what it is batched with."""

    def run(self, planes, glob):
        """Each row through the same vector-matrix products."""
        rows = [super(RowNet, self).run(planes[i:i + 1], glob[i:i + 1]) for i in range(len(planes))]
        return [np.concatenate([r[k] for r in rows]) for k in range(4)]


def test_threads_batch_their_compiled_trees_through_one_shared_batcher():
    """Self-play's set-up: games on threads, one SharedBatcher; each search as it would be alone, batches merged."""
    from engine.batching import SharedBatcher
    batcher = SharedBatcher(RowNet(9), clients=3, max_wait=1.0)     # (a flush waits for all three)
    games = [random_game(9, 10 + k, seed=k) for k in range(3)]
    config = SearchConfig(batch_size=8, seed=0, tree="compiled", early_stop=False)
    results, kinds, errors = [None] * 3, [None] * 3, []

    def play(k):
        try:
            searcher = Searcher(batcher, config)
            results[k] = searcher.search(games[k], MoveLimits(visits=200))
            kinds[k] = type(searcher.tree).__name__
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            batcher.leave()
    threads = [threading.Thread(target=play, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and kinds == ["CompiledTree"] * 3
    assert batcher.mean_batch() > 8             # leaves of different games in one network run
    for game, result in zip(games, results):
        alone = Searcher(RowNet(9), config).search(game, MoveLimits(visits=200))
        assert [(c.move, c.visits) for c in result.candidates] == [(c.move, c.visits) for c in alone.candidates]


def test_self_play_runs_its_games_on_compiled_trees(tmp_path):
    """zerogo selfplay's games with --tree compiled: legal games, targets that sum to one, shards written."""
    from engine import search as search_module
    from engine.sgf import load_sgf_file
    from nets.selfplay import SelfPlayConfig, run_games
    from nets.selfplay_io import GameSink
    from nets.selfplay_search import SearchSettings
    made = []
    original = search_module.make_tree
    search_module.make_tree = lambda *args: made.append(original(*args)) or made[-1]
    try:
        settings = SearchSettings(visits=24, fast_visits=6, tree="compiled")
        config = SelfPlayConfig(board_size=7, komi=7.5, search=settings, full_prob=0.5, seed=3, max_moves=80)
        sink = GameSink(tmp_path)
        games, batcher = run_games(RowNet(7), config, games=3, parallel=3, on_game=sink)
        sink.close()
    finally:
        search_module.make_tree = original
    assert made and all(type(tree).__name__ == "CompiledTree" for tree in made)
    assert len(games) == 3 and batcher.mean_batch() > 1.0
    for game in games:
        for record in game.moves:
            if record.target is not None:
                assert record.target.sum() == pytest.approx(1.0)
                assert record.target[record.visits == 0].sum() == 0
    for sgf in sorted((tmp_path / "sgf").glob("*.sgf")):
        load_sgf_file(sgf)         # raises on an illegal move


class FailsOnce(LinearNet):
    """LinearNet whose third network run raises (a transient runtime error)."""

    def __init__(self, size: int):
        super().__init__(size)
        self.calls = 0

    def run(self, planes, glob):
        """Raise on the third call, else answer."""
        self.calls += 1
        if self.calls == 3:
            raise RuntimeError("the runtime failed")
        return super().run(planes, glob)


@pytest.mark.parametrize("tree", ["compiled", "python"])
def test_a_failed_network_run_leaves_the_tree_searchable(tree):
    """The batch's virtual losses are taken back: the next search on the same tree finishes its visits."""
    game = random_game(9, 6, seed=9)
    searcher = Searcher(FailsOnce(9), SearchConfig(batch_size=8, seed=0, tree=tree, early_stop=False))
    with pytest.raises(RuntimeError, match="runtime failed"):
        searcher.search(game, MoveLimits(visits=100))
    result = searcher.search(game, MoveLimits(visits=100))       # the same tree, reused
    assert result.root_visits >= 100
    root = searcher.tree.root
    assert not root.child_VL.any() and root.child_N.sum() == root.visits - 1


def test_without_numba_auto_searches_on_the_python_tree(monkeypatch, caplog):
    """No numba (or one that cannot load): auto falls back silently, compiled with one warning naming the extra."""
    monkeypatch.setitem(sys.modules, "numba", None)          # import numba now raises ImportError
    game = random_game(9, 4, seed=2)
    _, searcher = search(game, "auto", visits=24)
    assert type(searcher.tree).__name__ == "Tree" and not caplog.text
    _, searcher = search(game, "compiled", visits=24)
    assert type(searcher.tree).__name__ == "Tree"
    assert "numba is not installed" in caplog.text and "cpu-fast" in caplog.text

