"""The searcher and MctsPlayer: tactics, reuse, long games, time limits, early exit, self-play tools, play rules."""

import sys
import threading

import numpy as np
import pytest

from engine import coords
from engine.board import BLACK, WHITE
from engine.deadstones import DeadStoneConfig
from engine.evaluation import Evaluation, Evaluator, UniformEvaluator
from engine.game import Game
from engine.player import AnalysisRequest, MoveLimits
from engine.mcts_player import MctsPlayer
from engine.search import SearchConfig, Searcher
from engine.search_report import candidates, pruned_visits
from tests.conftest import game_from_diagram


class Material(Evaluator):
    """Uniform legal policy; value from the stone balance (side to move's view)."""

    def evaluate(self, positions):
        out = []
        for pos in positions:
            b = pos.board
            diff = b.stones.count(b.to_play) - b.stones.count(-b.to_play)
            mask = b.legal_mask().astype(float)
            out.append(Evaluation(mask / mask.sum(), float(np.tanh(diff / 4)), float(diff), None))
        return out


class Constant(Evaluator):
    """Uniform legal policy, a fixed value and ownership for the side to move."""

    def __init__(self, value, ownership=None):
        self.value, self.own = value, ownership

    def evaluate(self, positions):
        out = []
        for pos in positions:
            mask = pos.board.legal_mask().astype(float)
            own = None if self.own is None else self.own * pos.board.to_play
            out.append(Evaluation(mask / mask.sum(), self.value, 0.0, own))
        return out


class FakeClock:
    """Advances ``step`` seconds on every reading."""

    def __init__(self, step):
        self.t, self.step = 0.0, step

    def __call__(self):
        self.t += self.step
        return self.t


CAPTURE_OR_DIE = """
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . . . . . . .
    O O . . . . .
    X X O X . . .
    . X O X . . .
"""


def test_capture_or_die_finds_the_capture():
    game = game_from_diagram(CAPTURE_OR_DIE, 7)
    searcher = Searcher(Material(), SearchConfig(visits=400, seed=0))
    result = searcher.search(game, MoveLimits(visits=400))
    assert coords.to_gtp(result.move, 7, 7) == "C3"
    assert result.winrate > 0.5


def test_tree_reuse_keeps_the_subtree_across_the_opponent_reply():
    game = Game(9)
    searcher = Searcher(Material(), SearchConfig(seed=0, lcb=False, early_stop=False))
    searcher.search(game, MoveLimits(visits=600))
    root = searcher.tree.root
    i = int(np.argmax(root.child_N))
    child = root.children[i]
    j = int(np.argmax(child.child_N))
    kept = int(child.child_N[j])
    assert kept > 1
    game.play(int(root.moves[i]))
    game.play(int(child.moves[j]))
    tree = searcher.prepare(game)
    assert tree.root.visits == kept
    result = searcher.search(game, MoveLimits(visits=kept + 50))
    assert result.root_visits == kept + 50 and result.playouts == 50


def test_a_thousand_move_game_has_no_recursion_limit():
    game = Game(9, rules="chinese")
    player = MctsPlayer(UniformEvaluator(), SearchConfig(visits=6, seed=1, resign_threshold=0))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(__import__("inspect").stack()) + 100)
    try:
        for _ in range(1000):
            d = player.genmove(game, game.to_play, MoveLimits(visits=6))
            assert not d.resign and game.is_legal(d.move)
            game.play(d.move)
    finally:
        sys.setrecursionlimit(limit)
    assert len(game.moves) == 1000


def test_time_limits_with_a_fake_clock():
    game = Game(9)
    searcher = Searcher(UniformEvaluator(), SearchConfig(batch_size=4, early_stop=False))
    clock = FakeClock(0.01)
    result = searcher.search(game, MoveLimits(seconds_max=1.0), clock=clock)
    # the fake clock moves on at every reading, so a batch "takes" 0.01 s: it stops within one
    assert result.stop_reason == "time" and 0.98 <= result.seconds <= 1.05
    emergency = Searcher(UniformEvaluator()).search(game, MoveLimits(seconds_max=0.0), clock=FakeClock(0.01))
    assert emergency.playouts == 0 and game.is_legal(emergency.move)


class SlowBatches(Evaluator):
    """Uniform policy; every call (one batch) moves a shared clock on by ``seconds``."""

    def __init__(self, seconds):
        self.t, self.seconds = 0.0, seconds

    def clock(self):
        return self.t

    def evaluate(self, positions):
        self.t += self.seconds
        return UniformEvaluator().evaluate(positions)


@pytest.mark.parametrize("root_policy", ["puct", "gumbel"])
def test_a_batch_that_would_end_past_the_time_limit_is_not_started(root_policy):
    """0.3 s batches against a 1 s hard limit: stop at 0.9 s, not 1.2 s (the old overrun)."""
    net = SlowBatches(0.3)
    searcher = Searcher(net, SearchConfig(batch_size=4, early_stop=False, root_policy=root_policy,
                                          gumbel_m=4, seed=0))
    result = searcher.search(Game(9), MoveLimits(seconds_max=1.0), clock=net.clock)
    assert result.stop_reason == "time"
    assert result.seconds == pytest.approx(0.9) and result.playouts > 0


def test_one_slow_batch_does_not_cut_the_move_short():
    """0.1 s batches and one of 1 s (a GC pause) at 2.5 s of a 3 s limit: go on to 2.9 s."""
    class OneSlowBatch(SlowBatches):
        def evaluate(self, positions):
            out = super().evaluate(positions)
            if abs(self.t - 1.6) < 1e-9:     # the batch that ends at 1.6 s takes 1 s more
                self.t += 0.9
            return out

    net = OneSlowBatch(0.1)
    searcher = Searcher(net, SearchConfig(batch_size=4, early_stop=False, seed=0))
    result = searcher.search(Game(9), MoveLimits(seconds_max=3.0), clock=net.clock)
    assert result.stop_reason == "time" and result.seconds == pytest.approx(2.9)


def test_the_time_target_is_met_on_average_not_overshot_by_a_batch():
    """0.3 s batches, 1 s target: ending at 0.9 s misses by less than going on to 1.2 s would."""
    net = SlowBatches(0.3)
    searcher = Searcher(net, SearchConfig(batch_size=4, early_stop=False, seed=0))
    result = searcher.search(Game(9), MoveLimits(seconds_target=1.0), clock=net.clock)
    assert result.stop_reason == "time" and result.seconds == pytest.approx(0.9)
    net = SlowBatches(0.1)    # fast batches: the target itself decides (1.0 s, not earlier)
    result = Searcher(net, SearchConfig(batch_size=4, early_stop=False, seed=0)).search(
        Game(9), MoveLimits(seconds_target=1.0), clock=net.clock)
    assert result.seconds == pytest.approx(1.0)


def test_early_exit_when_the_leader_cannot_be_caught():
    class OneMove(Evaluator):
        def evaluate(self, positions):
            p = np.full(82, 0.001)
            p[40] = 1.0
            return [Evaluation(p / p.sum(), 0.0) for _ in positions]

    searcher = Searcher(OneMove(), SearchConfig(batch_size=1))
    result = searcher.search(Game(9), MoveLimits(visits=1000))
    assert result.stop_reason == "early" and result.playouts < 1000 and result.move == 40
    n = searcher.tree.root.child_N
    second = np.sort(n)[-2]
    assert n.max() - second > 1000 - result.root_visits


def test_playout_cap_randomization_records_targets_only_for_full_searches():
    cfg = SearchConfig(playout_cap=True, full_visits=40, fast_visits=10, full_probability=0.5,
                       seed=5, reuse_tree=False)
    searcher = Searcher(UniformEvaluator(), cfg)
    kinds = set()
    for _ in range(12):
        r = searcher.search(Game(7))
        kinds.add(r.full)
        assert (r.policy_target is not None) == r.full
        assert r.root_visits == (40 if r.full else 10)
    assert kinds == {True, False}


def test_forced_playouts_are_pruned_from_the_policy_target():
    cfg = SearchConfig(forced_playouts_k=2.0, dirichlet_eps=0.25, seed=2, lcb=False)
    searcher = Searcher(Material(), cfg)
    r = searcher.search(game_from_diagram(CAPTURE_OR_DIE, 7), MoveLimits(visits=300))
    root = searcher.tree.root
    pruned = pruned_visits(searcher.tree, 2.0, cfg.puct(True))
    best = int(np.argmax(root.child_N))
    assert pruned[best] == root.child_N[best]
    assert (pruned <= root.child_N).all() and pruned.sum() < root.child_N.sum()
    assert r.policy_target.sum() == pytest.approx(1.0)
    assert r.policy_target[root.moves] == pytest.approx(pruned / pruned.sum(), abs=1e-6)


def test_pruning_takes_back_what_puct_would_not_have_given():
    searcher = Searcher(UniformEvaluator(), SearchConfig())
    searcher.search(Game(5), MoveLimits(visits=2))
    root = searcher.tree.root
    root.child_N[:], root.child_W[:], root.prior[:] = 0, 0, 0
    root.child_N[:2], root.child_W[:2], root.prior[:2] = [100, 10], [50, -5], [0.5, 0.5]
    # c = 1.25 + log((110 + 19653) / 19652); best's PUCT 0.5 + c sqrt(110) 0.5 / 101;
    # the other keeps the fewest visits at which its PUCT stays below that: ceil(5.18) = 6
    pruned = pruned_visits(searcher.tree, 2.0, searcher.config.puct(True))
    assert list(pruned[:2]) == [100, 6]


def test_gumbel_root_policy_search():
    cfg = SearchConfig(root_policy="gumbel", gumbel_m=8, seed=4)
    r = Searcher(Material(), cfg).search(game_from_diagram(CAPTURE_OR_DIE, 7), MoveLimits(visits=64))
    assert coords.to_gtp(r.move, 7, 7) == "C3"
    assert r.policy_target.sum() == pytest.approx(1.0)


def test_lcb_prefers_the_reliable_move():
    searcher = Searcher(UniformEvaluator(), SearchConfig())
    searcher.search(Game(5), MoveLimits(visits=2))
    root = searcher.tree.root
    root.child_N[:] = 0
    root.child_N[:2] = [100, 12]
    root.child_W[:2] = [100 * 0.2, 12 * 0.3]
    root.child_W2[:2] = [100 * 0.05, 12 * 0.8]
    cands = candidates(searcher.tree, searcher.config)
    assert cands[0].move == int(root.moves[0]) and cands[0].lcb > cands[1].lcb


def test_resignation_needs_consecutive_low_values_and_not_the_opening():
    class BlackLoses(Evaluator):
        def evaluate(self, positions):
            out = []
            for pos in positions:
                mask = pos.board.legal_mask().astype(float)
                out.append(Evaluation(mask / mask.sum(), -0.99 * pos.board.to_play))
            return out

    cfg = SearchConfig(resign_threshold=0.1, resign_consecutive=3, resign_min_move_fraction=0.4, seed=0)
    player = MctsPlayer(BlackLoses(), cfg)
    game = Game(5)
    resigned_at = None
    for ply in range(0, 30, 2):
        d = player.genmove(game, BLACK, MoveLimits(visits=16))
        assert player.last_result.winrate < 0.1
        if d.resign:
            resigned_at = ply
            break
        game.play(d.move, BLACK)
        game.play(game.board.pass_move, WHITE)
    assert resigned_at is not None and resigned_at >= 25 * 0.4
    assert not player.genmove(game, BLACK, MoveLimits(visits=16), cleanup=True).resign


def test_no_losing_pass_after_the_opponent_passed():
    text = """
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        X X X X X X X
        O O O O O O O
        . . . . . . .
    """
    game = game_from_diagram(text, 7, to_play=WHITE)   # black 35 points, white 14 + 7.5: white must not pass
    game.play(game.board.pass_move, WHITE)
    game.play(game.board.pass_move, BLACK)
    player = MctsPlayer(UniformEvaluator(), SearchConfig(resign_threshold=0, seed=0))
    for _ in range(3):
        d = player.genmove(game, WHITE, MoveLimits(visits=30))
        assert d.move != game.board.pass_move
        player.clear()


def test_a_hopeless_count_after_the_opponent_passed_resigns_even_when_the_net_is_hopeful():
    """The net thinks it wins (value +0.9), the count says 13.5 behind with no neutral point left."""
    text = """
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        X X X X X X X
        O O O O O O O
        . . . . . . .
    """
    status = DeadStoneConfig(playouts=16, min_playouts=16, status_net="none")

    def decide(komi: float, resign_threshold: float):
        game = game_from_diagram(text, 7, komi=komi, to_play=WHITE)
        game.play(game.board.pass_move, WHITE)
        game.play(game.board.pass_move, BLACK)
        cfg = SearchConfig(seed=0, resign_threshold=resign_threshold, resign_min_move_fraction=0.0)
        return game, MctsPlayer(Constant(0.9), cfg, status_config=status).genmove(game, WHITE, MoveLimits(visits=30))

    game, d = decide(7.5, 0.05)
    assert d.resign                                        # 35 - (14 + 7.5): hopeless
    game, d = decide(7.5, 0.0)
    assert not d.resign and d.move != game.board.pass_move  # resignation off: play on, never pass into it
    game, d = decide(19.5, 0.05)
    assert not d.resign and d.move != game.board.pass_move  # 1.5 behind: within a wrong count's margin


def test_the_pass_decision_s_play_outs_fit_in_what_the_move_s_time_limit_leaves():
    """A clock's limit or a per-move target cuts the pass decision's play-outs (a byo-yomi period is not
    lost to them, a 1 s move does not take 2 s once the opponent passes); no limit, no cut."""
    text = """
        . . . . . . .
        . . . . . . .
        . . . . . . .
        X X X X X X X
        O O O O O O O
        . . . . . . .
        . . . . . . .
    """
    status = DeadStoneConfig(status_net="none")

    def playouts(limits: MoveLimits) -> int:
        game = game_from_diagram(text, 7, komi=7.5, to_play=BLACK)
        game.play(game.board.pass_move, BLACK)              # white's pass would end the game
        cfg = SearchConfig(seed=0, resign_threshold=0.05, resign_min_move_fraction=0.0)
        player = MctsPlayer(Constant(0.0), cfg, clock=lambda: 100.0, status_config=status)
        assert not player.genmove(game, WHITE, limits).resign   # white wins the count: the check weighed it
        assert player.last_pass_status is not None
        return player.last_pass_status.playouts

    assert playouts(MoveLimits(visits=30)) >= status.min_playouts
    assert playouts(MoveLimits(visits=30, seconds_max=5.0)) >= status.min_playouts
    assert playouts(MoveLimits(visits=30, seconds_max=0.001)) < status.min_playouts
    # --time-per-move alone (a target, no clock): the move's target bounds them too
    assert playouts(MoveLimits(visits=30, seconds_target=0.001)) < status.min_playouts


def test_cleanup_captures_dead_stones_instead_of_passing():
    text = """
        . . . . .
        . O . . .
        . . . . .
        X X X X X
        . . . . .
    """
    own = np.array([[1.0] * 5] * 3 + [[1.0] * 5] + [[1.0] * 5])     # black owns everything
    game = game_from_diagram(text, 5, to_play=BLACK)
    game.play(game.board.pass_move, BLACK)
    game.play(game.board.pass_move, WHITE)
    player = MctsPlayer(Constant(0.9, own), SearchConfig(resign_threshold=0, seed=0))
    d = player.genmove(game, BLACK, MoveLimits(visits=30), cleanup=True)
    assert d.move != game.board.pass_move and not d.resign


def test_ponder_then_genmove_reuses_the_tree():
    game = Game(7)
    game.play(coords.from_gtp("D4", 7, 7))
    player = MctsPlayer(Material(), SearchConfig(seed=0, ponder_max_visits=300))
    stop = threading.Event()
    worker = threading.Thread(target=player.ponder, args=(game, stop))
    worker.start()
    while player.searcher.tree is None or player.searcher.tree.root.visits < 300:
        worker.join(0.01)
    stop.set()
    worker.join()
    best = int(player.searcher.tree.root.moves[np.argmax(player.searcher.tree.root.child_N)])
    kept = player.searcher.tree.root.children[np.argmax(player.searcher.tree.root.child_N)].visits
    game.play(best)
    d = player.genmove(game, game.to_play, MoveLimits(visits=kept + 10))
    assert player.last_result.playouts == 10 and game.is_legal(d.move)


def test_analyze_reports_until_stopped():
    game = Game(7)
    clock = FakeClock(0.001)
    player = MctsPlayer(Material(), SearchConfig(seed=0, ponder_max_visits=400), clock=clock)
    reports, stop = [], threading.Event()

    def report(rep):
        reports.append(rep)
        if len(reports) >= 3:
            stop.set()

    req = AnalysisRequest(interval=0.05, max_moves=3, want_ownership=True)
    player.analyze(game, BLACK, req, report, stop)
    assert len(reports) >= 3
    last = reports[-1]
    assert 0 < len(last.candidates) <= 3 and last.root_visits > 0
    c = last.candidates[0]
    assert c.pv[0] == c.move and 0 <= c.winrate <= 1 and 0 <= c.prior <= 1


def test_final_status_uses_ownership():
    text = """
        . . . . .
        . O . . .
        . . . . .
        X X X X X
        . . . . .
    """
    own = np.ones((5, 5))
    game = game_from_diagram(text, 5)
    player = MctsPlayer(Constant(0.5, own), SearchConfig(seed=0))
    dead, seki = player.final_status(game)
    assert dead == {coords.from_gtp("B4", 5, 5)} and not seki
    assert player.ownership(game)[0, 0] == pytest.approx(1.0)


def test_a_reused_tree_is_not_stopped_early_before_a_rate_is_measured():
    game = Game(9)
    searcher = Searcher(Material(), SearchConfig(batch_size=4, seed=0))
    searcher.search(game, MoveLimits(visits=200))
    result = searcher.search(game, MoveLimits(seconds_target=0.5, seconds_max=1.0), clock=FakeClock(0.001))
    assert result.playouts >= 8


def test_a_policy_temperature_out_of_range_is_refused():
    from click.testing import CliRunner

    from gtp.server.cli import gtp_command
    with pytest.raises(ValueError, match="policy_temperature"):
        SearchConfig(policy_temperature=0)
    out = CliRunner().invoke(gtp_command, ["--policy-temperature", "0"])
    assert out.exit_code == 2 and "--policy-temperature" in out.output
