"""The pipelined search (engine.search): the next batch gathered while the net runs, with jobs from
Evaluator.begin (the base class, NetEvaluator on OpenVINO, CachedEvaluator)."""

import threading

import numpy as np
import pytest

from engine import calibration
from engine import features as F
from engine.eval_cache import CachedEvaluator
from engine.evaluation import Evaluation, EvaluationJob, Evaluator, UniformEvaluator
from engine.evaluator import OUTPUT_NAMES, WEIGHTS_DIR, EvaluatorConfig, OnnxEvaluator
from engine.game import Game
from engine.mcts import Tree
from engine.openvino_session import OpenVinoSession
from engine.player import MoveLimits
from engine.pipeline_choice import PipelineTrials
from engine.search import PIPELINE_AFTER, SearchConfig, Searcher
from tests.test_search import CAPTURE_OR_DIE, FakeClock, Material
from tests.conftest import game_from_diagram
from tests.test_mcts import walk
from engine import coords

NET9 = WEIGHTS_DIR / "zerogo-9x9.onnx"


class _ThreadJob(EvaluationJob):
    """Evaluates on a thread from ``start`` to ``wait``, as a runtime with its own threads does."""

    def __init__(self, owner, positions):
        super().__init__(positions, owner.inner.evaluate)
        self.owner = owner

    def start(self):
        self.owner.started += 1
        self.owner.running += 1
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self):
        try:
            self.out = self._evaluate(self.positions)
        except Exception as exc:  # noqa: BLE001 - raised again by result(), as a runtime's error would be
            self.error = exc

    def wait(self):
        if self.thread.is_alive() or not hasattr(self, "waited"):
            self.thread.join()
            if not hasattr(self, "waited"):
                self.waited = True
                self.owner.running -= 1

    def _finish(self):
        if hasattr(self, "error"):
            raise self.error
        return self.out


class Overlapping(Evaluator):
    """An evaluator whose jobs run while the caller works; counts batches gathered during a run."""

    overlaps = True

    def __init__(self, inner):
        self.inner, self.started, self.running, self.gathered_while_running = inner, 0, 0, 0

    def evaluate(self, positions):
        return self.inner.evaluate(positions)

    def begin(self, positions):
        self.gathered_while_running += self.running > 0
        assert self.running <= 1        # one batch on the net at a time
        return _ThreadJob(self, positions)


def assert_settled(tree):
    """No leaf pending, no virtual loss left, every node's total equal to its children's visits."""
    for n in walk(tree):
        assert not n.pending
        if n.expanded:
            assert not n.child_VL.any()
            assert n.total == n.child_N.sum()


def test_a_pipelined_search_overlaps_batches_and_does_exactly_its_visits():
    ev = Overlapping(Material())
    searcher = Searcher(ev, SearchConfig(batch_size=8, seed=0, early_stop=False, pipeline="on"))
    result = searcher.search(Game(9), MoveLimits(visits=400))
    assert result.root_visits == 400 and result.playouts == 399   # the root's own expansion is not a playout
    assert ev.gathered_while_running >= ev.started - 2 > 20
    assert_settled(searcher.tree)


def test_a_small_search_runs_its_batches_one_at_a_time():
    ev = Overlapping(Material())
    searcher = Searcher(ev, SearchConfig(batch_size=8, seed=0, early_stop=False, pipeline="on"))
    assert searcher.search(Game(9), MoveLimits(visits=PIPELINE_AFTER * 8)).root_visits == PIPELINE_AFTER * 8
    assert ev.started == 0                 # every batch backed up before the next was chosen
    searcher.search(Game(9), MoveLimits(visits=PIPELINE_AFTER * 8 + 40))
    assert ev.started >= 5 and ev.gathered_while_running >= ev.started - 1


def test_a_pipelined_search_still_finds_the_capture():
    game = game_from_diagram(CAPTURE_OR_DIE, 7)
    searcher = Searcher(Overlapping(Material()), SearchConfig(visits=400, seed=0, pipeline="on"))
    result = searcher.search(game, MoveLimits(visits=400))
    assert coords.to_gtp(result.move, 7, 7) == "C3" and result.winrate > 0.5


def test_without_overlap_or_with_pipeline_off_the_search_is_unchanged():
    def visits(ev, pipeline):
        searcher = Searcher(ev, SearchConfig(batch_size=8, seed=0, early_stop=False, pipeline=pipeline))
        searcher.search(Game(9), MoveLimits(visits=200))
        return searcher.tree.root.child_N.copy()
    base = visits(Material(), "off")
    np.testing.assert_array_equal(visits(Material(), "on"), base)      # Material does not overlap
    np.testing.assert_array_equal(visits(Overlapping(Material()), "off"), base)
    assert not np.array_equal(visits(Overlapping(Material()), "on"), base)   # virtual loss from the batch in flight


def test_a_timed_pipelined_search_finishes_the_batch_in_flight():
    ev = Overlapping(UniformEvaluator())
    searcher = Searcher(ev, SearchConfig(batch_size=4, early_stop=False, pipeline="on"))
    result = searcher.search(Game(9), MoveLimits(seconds_max=1.0), clock=FakeClock(0.01))
    assert result.stop_reason == "time" and result.root_visits == result.playouts + 1 > 20
    assert_settled(searcher.tree)


def test_pruning_keeps_the_paths_to_leaves_on_the_net():
    tree = Tree(Game(9))
    for _ in range(8):
        tree.run_batch(Material(), SearchConfig().puct(False), 16)
    leaves, _ = tree.collect(SearchConfig().puct(False), 8)
    assert leaves
    tree.prune(1)
    for leaf in leaves:
        node = leaf
        while node is not tree.root:     # still linked all the way up
            assert node.parent.children[node.index] is node
            node = node.parent
    tree.finish(leaves, Material().evaluate([leaf.position for leaf in leaves]))
    assert_settled(tree)


def _positions(n, size=9):
    return calibration.game_positions(calibration.SHIPPED_GAMES, n, seed=5, size=size, skip_games=300,
                                      max_games=10_000)


def _same(got: list[Evaluation], want: list[Evaluation], tol=1e-6):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.policy, w.policy, atol=tol)
        assert abs(g.value - w.value) <= tol and abs(g.score_lead - w.score_lead) <= 10 * tol
        np.testing.assert_allclose(g.ownership, w.ownership, atol=tol)


def test_the_base_job_evaluates_synchronously():
    positions = _positions(3)
    job = UniformEvaluator().begin(positions)
    with pytest.raises(RuntimeError):
        job.result()
    job.start()
    _same(job.result(), UniformEvaluator().evaluate(positions))


def test_openvino_jobs_run_asynchronously_and_match_evaluate():
    ov = OnnxEvaluator(NET9, EvaluatorConfig(threads=1, batch_size=8, runtime="openvino", precision="fp32"))
    ort = OnnxEvaluator(NET9, EvaluatorConfig(threads=1, batch_size=8))
    assert ov.overlaps and not ort.overlaps
    positions = _positions(13)
    first, second = ov.begin(positions[:8]), ov.begin(positions[8:])   # both encoded before either runs
    first.start()
    first.wait()
    second.start()                  # the same batch bucket's request, free again after the wait
    _same(first.result() + second.result(), ort.evaluate(positions), tol=2e-4)
    assert ov.evaluations == 13
    too_big = ov.begin(positions)   # more than one chunk: evaluated in start
    too_big.start()
    _same(too_big.result(), ov.evaluate(positions))


def test_openvino_session_start_gives_run_s_outputs():
    positions = _positions(5)
    planes, glob = F.encode_batch(positions)
    feeds = {"planes": planes, "globals": glob}
    session = OpenVinoSession(NET9, "fp32", 1, {})
    wait = session.start(list(OUTPUT_NAMES), feeds)
    got = wait()
    for g, w in zip(got, session.run(list(OUTPUT_NAMES), feeds)):
        assert g.shape[0] == 5
        np.testing.assert_array_equal(g, w)


def test_cached_jobs_share_hits_and_count_each_entry_once():
    positions = _positions(6)
    cache = CachedEvaluator(Overlapping(UniformEvaluator()), size=100)
    assert cache.overlaps
    a = cache.begin(positions[:4])
    b = cache.begin(positions[2:])      # two positions also in ``a``, which is still in flight
    a.start()
    b.start()
    _same(a.result() + b.result(), UniformEvaluator().evaluate(positions[:4] + positions[2:]))
    assert len(cache.cache) == 6 and cache.bytes == sum(cache.entry_bytes(e) for e in cache.cache.values())
    c = cache.begin(positions)          # all hits: no inner job
    assert c.inner is None and cache.hits == 6
    c.start()
    assert len(c.result()) == 6


def test_a_cached_hit_evicted_while_its_job_is_in_flight_is_still_returned():
    positions = _positions(3)
    cache = CachedEvaluator(UniformEvaluator(), size=1)
    cache.evaluate(positions[:1])
    job = cache.begin(positions[:2])     # position 0 a hit, 1 a miss
    cache.evaluate(positions[2:])        # evicts position 0
    job.start()
    _same(job.result(), UniformEvaluator().evaluate(positions[:2]))


def test_the_pipeline_setting_reaches_the_searcher_from_the_command_line():
    from click.testing import CliRunner

    from gtp.server import cli
    from gtp.server.players import EngineOptions, make_player
    seen = []
    original = cli.run_engine
    try:
        cli.run_engine = lambda options, *a, **k: seen.append(options)
        for args in (["--pipeline", "auto"], ["--pipeline", "on"], []):
            assert CliRunner().invoke(cli.gtp_command, args + ["--size", "9"]).exit_code == 0
        assert CliRunner().invoke(cli.gtp_command, ["--pipeline", "sometimes"]).exit_code == 2
    finally:
        cli.run_engine = original
    assert [o.pipeline for o in seen] == ["auto", "on", "off"]
    player = make_player(EngineOptions(size=9, network=str(NET9), threads=1, pipeline="auto"))
    assert player.searcher.config.pipeline == "auto"
    with pytest.raises(ValueError):
        SearchConfig(pipeline="yes")


class TimedOverlapping(Overlapping):
    """Overlapping, with a clock it moves on: ``serial`` seconds a serial batch, ``piped`` a pipelined one."""

    def __init__(self, inner, serial: float, piped: float):
        super().__init__(inner)
        self.now, self.serial, self.piped = 0.0, serial, piped

    def clock(self):
        return self.now

    def evaluate(self, positions):
        self.now += self.serial
        return super().evaluate(positions)

    def begin(self, positions):
        self.now += self.piped
        return super().begin(positions)


@pytest.mark.parametrize("serial, piped, chosen", [(0.010, 0.006, True), (0.010, 0.0099, False)])
def test_auto_keeps_the_pipeline_only_where_it_searches_faster(serial, piped, chosen):
    ev = TimedOverlapping(Material(), serial, piped)
    assert SearchConfig().pipeline == "off"         # serial unless asked (a 9x9 match lost pipelined)
    searcher = Searcher(ev, SearchConfig(batch_size=8, seed=0, early_stop=False, pipeline="auto"))
    searcher.pipeline_trials = PipelineTrials(trial_batches=4, needed_batches=12)
    searcher.search(Game(9), MoveLimits(visits=600), clock=ev.clock)
    trials = searcher.pipeline_trials
    assert trials.choice == {(9, 9): chosen}      # 1.67x faster: pipelined; 1% faster: not worth it
    assert all(row[0] >= 12 for row in trials.stats[(9, 9)].values())
    started = ev.started
    searcher.search(Game(9), MoveLimits(visits=900), clock=ev.clock)    # 300 more (tree reused): no more trials
    assert (ev.started > started) == chosen
    assert_settled(searcher.tree)


def test_auto_measures_each_board_size_apart():
    trials = PipelineTrials(trial_batches=2, needed_batches=4)
    assert trials.mode((9, 9)) == (False, 2)
    trials.record((9, 9), False, 2, 32, 0.01)
    assert trials.mode((9, 9)) == (True, 2)            # the way measured less goes next
    trials.record((9, 9), True, 4, 64, 0.01)
    trials.record((9, 9), False, 2, 32, 0.01)
    assert trials.choice == {(9, 9): True} and trials.mode((9, 9)) == (True, None)
    assert trials.mode((19, 19)) == (False, 2)         # another board: measured again


def test_a_pipelined_search_on_openvino_plays_legal_moves_through_the_cache():
    ev = CachedEvaluator(OnnxEvaluator(NET9, EvaluatorConfig(threads=1, batch_size=8, runtime="openvino",
                                                              precision="fp32")), size=5000)
    assert ev.overlaps
    searcher = Searcher(ev, SearchConfig(batch_size=8, seed=1, pipeline="on", early_stop=False))
    game = Game(9)
    for _ in range(6):
        result = searcher.search(game, MoveLimits(visits=120))
        assert result.root_visits >= 120 and game.illegal_reason(result.move) is None
        assert_settled(searcher.tree)
        game.play(result.move)
    assert len(ev.cache) == ev.misses > 300     # every evaluation came back through the cache


class FailsAt(Evaluator):
    """An evaluator whose ``at``-th call raises (a runtime error), the others answered by ``inner``."""

    def __init__(self, inner, at: int):
        self.inner, self.at, self.calls = inner, at, 0

    def evaluate(self, positions):
        self.calls += 1
        if self.calls == self.at:
            raise RuntimeError("the runtime failed")
        return self.inner.evaluate(positions)


def test_a_failed_run_in_a_pipelined_search_leaves_the_tree_settled():
    """Both batches in flight are taken back: no virtual loss left, and the next search reaches its visits."""
    ev = Overlapping(FailsAt(Material(), 30))             # past PIPELINE_AFTER: two batches on the way
    searcher = Searcher(ev, SearchConfig(batch_size=8, seed=0, early_stop=False, pipeline="on"))
    with pytest.raises(RuntimeError, match="runtime failed"):
        searcher.search(Game(9), MoveLimits(visits=600))
    assert ev.gathered_while_running > 0
    assert_settled(searcher.tree)
    result = searcher.search(Game(9), MoveLimits(visits=600))
    assert result.root_visits >= 600
    assert_settled(searcher.tree)
