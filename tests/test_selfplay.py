"""Self-play: legal game records, policy targets that sum to one, batching, resignation, TD."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from engine.board import BLACK, WHITE
from engine.evaluation import Evaluation, Evaluator, UniformEvaluator
from engine.game import Game
from engine.player import ResignCounter, value_to_winrate
from engine.sgf import load_sgf_file
from nets.selfplay import (RESIGN_CONSECUTIVE, MoveRecord, SelfPlayConfig, SelfPlayGame, play_game,
                           resign_threshold_for, run_games, summarize, value_targets, winner_low_winrate)
from nets.cli import selfplay_command
from nets.selfplay_jobs import default_processes, split_games
from nets.selfplay_io import GameSink, final_ownership
from nets.selfplay_search import SearchSettings
from nets.shards import list_shards, load_shard


def _cfg(**kw) -> SelfPlayConfig:
    base = dict(board_size=5, komi=0.5, search=SearchSettings(visits=12, fast_visits=3),
                full_prob=0.5, seed=7, max_moves=60)
    base.update(kw)
    return SelfPlayConfig(**base)


class BlackLoses(Evaluator):
    """Uniform policy; every position is lost for black (value from the mover's view)."""

    def __init__(self):
        self.inner = UniformEvaluator()

    def evaluate(self, positions):
        return [Evaluation(e.policy, -0.99 if p.board.to_play == BLACK else 0.99)
                for p, e in zip(positions, self.inner.evaluate(positions))]


def test_games_are_legal_and_targets_sum_to_one(tmp_path):
    sink = GameSink(tmp_path)
    games, batcher = run_games(UniformEvaluator(), _cfg(), games=4, parallel=2, on_game=sink)
    shards = sink.close()
    assert len(games) == 4
    for sp in games:
        assert sp.winner in (BLACK, WHITE, 0)
        for rec in sp.moves:
            if rec.target is not None:
                assert rec.target.sum() == pytest.approx(1.0)
                assert rec.target[rec.visits == 0].sum() == 0
        assert all(abs(v) == 1 for v in sp.value_targets) or sp.winner == 0
    # every SGF replays under the rules (load_sgf raises on an illegal move)
    files = sorted((tmp_path / "sgf").glob("*.sgf"))
    assert len(files) == 4
    for f in files:
        load_sgf_file(f)
    assert "visits:" in files[0].read_text()
    shard = load_shard(shards[0])
    assert len(shard) == sum(1 for g in games for m in g.moves if m.target is not None)
    np.testing.assert_allclose(shard.arrays["policy"].sum(axis=1), 1.0, atol=1e-5)
    assert set(np.unique(shard.arrays["value"])) <= {-1.0, 0.0, 1.0}
    assert batcher.mean_batch() > 1.0


def test_sgf_moves_match_the_game(tmp_path):
    sink = GameSink(tmp_path)
    games, _ = run_games(UniformEvaluator(), _cfg(), games=1, parallel=1, on_game=sink)
    sink.close()
    game = load_sgf_file(next((tmp_path / "sgf").glob("*.sgf")))
    assert [(c, m) for c, m in game.moves] == [(r.color, r.move) for r in games[0].moves]


def test_a_killed_sink_leaves_no_sgf_without_its_positions(tmp_path):
    """Shards are cut between games and a game's SGF follows its shard: whatever a worker killed
    outright left on disk, the SGFs are exactly the games whose positions are all in shards."""
    sink = GameSink(tmp_path, positions_per_shard=40)
    samples = []                                    # each finished game's sample count, in finishing order

    def on_game(sp):
        samples.append(sum(1 for m in sp.moves if m.target is not None))
        sink(sp)
        on_disk = sorted((tmp_path / "sgf").glob("*.sgf"))
        shards = list_shards(tmp_path / "shards") if (tmp_path / "shards").is_dir() else []
        in_shards = sum(len(load_shard(p)) for p in shards)
        assert in_shards == sum(samples[:len(on_disk)])        # never an SGF ahead of its positions
        assert in_shards + len(sink.writer) == sum(samples)    # the rest is buffered, not lost

    run_games(UniformEvaluator(), _cfg(), games=6, parallel=2, on_game=on_game)
    assert len(list_shards(tmp_path / "shards")) >= 2          # cut at least once before the end
    assert all(len(load_shard(p)) >= 40 for p in list_shards(tmp_path / "shards"))
    shards = sink.close()
    assert len(list((tmp_path / "sgf").glob("*.sgf"))) == 6 and sink.games == 6
    assert sum(len(load_shard(p)) for p in shards) == sum(samples) == sink.samples


def test_value_target_sign_follows_the_mover():
    recs = [MoveRecord(BLACK, 0, np.zeros(26), None, 0.5),
            MoveRecord(WHITE, 1, np.zeros(26), None, -0.5)]
    assert value_targets(recs, BLACK, 1.0) == [1.0, -1.0]
    # TD(0): target at t is the next search value seen from the mover at t
    td = value_targets(recs, WHITE, 0.0)
    assert td[0] == pytest.approx(0.5)      # white's -0.5 is +0.5 for black
    assert td[1] == pytest.approx(1.0)      # last move: the result
    mix = value_targets(recs, WHITE, 0.5)
    assert mix[0] == pytest.approx(0.5 * 0.5 + 0.5 * -1.0)


def test_resignation_and_played_out_checks():
    rng = np.random.default_rng(0)
    resign = _cfg(resign_threshold=0.05, resign_playout_fraction=0.0)
    sp = play_game(BlackLoses(), resign, rng)
    assert sp.resigned and sp.result == "W+R" and len(sp.moves) == 2
    keep = _cfg(resign_threshold=0.05, resign_playout_fraction=1.0)
    sp = play_game(BlackLoses(), keep, rng)
    assert not sp.resigned and sp.would_resign == BLACK and len(sp.moves) > 2


def _decided(values_of_winner: list[float], winner: int = BLACK, **kw) -> SelfPlayGame:
    """A finished game whose winner's searches saw ``values_of_winner`` (the loser's: their negation)."""
    moves = []
    for v in values_of_winner:
        moves += [MoveRecord(winner, 0, np.zeros(26), None, v), MoveRecord(-winner, 0, np.zeros(26), None, -v)]
    return SelfPlayGame(Game(5, komi=0.5), moves, winner, "B+1.5" if winner == BLACK else "W+1.5", **kw)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1.0, 1.0), min_size=RESIGN_CONSECUTIVE, max_size=30))
def test_winner_low_is_where_the_resignation_rule_would_have_resigned_falsely(values):
    """At the winner's low no threshold resigns the game; just above it the resignation rule does."""
    low = winner_low_winrate(_decided(values))
    rates = [value_to_winrate(v) for v in values]

    def resigns(threshold: float) -> bool:
        counter = ResignCounter()
        return any([counter.update(BLACK, r, threshold, RESIGN_CONSECUTIVE) for r in rates])

    assert not resigns(low)
    assert low >= 1.0 or resigns(low + 1e-9)


def test_resign_calibration_counts_only_games_played_to_the_end():
    """The summary's winner lows come from decided games where resigning was not allowed; the
    threshold for 5% false resignations resigns one game of twenty."""
    lows = [i / 100 for i in range(20)]
    games = [_decided([2 * low - 1.0] * 3) for low in lows]
    games.append(_decided([-0.99] * 3, resign_allowed=True))     # could not have resigned: not counted
    games.append(_decided([-0.99] * 3, resigned=True))           # resigned: no winner's view
    summary = summarize(games)
    assert summary["winner_lows"] == pytest.approx(lows)
    threshold = resign_threshold_for(summary["winner_lows"], 0.05)
    assert sum(low < threshold for low in summary["winner_lows"]) == 1 and threshold == pytest.approx(0.01)
    assert resign_threshold_for([], 0.05) is None


def test_run_games_propagates_network_errors():
    class Boom(Evaluator):
        def evaluate(self, positions):
            raise RuntimeError("net exploded")

    with pytest.raises(RuntimeError, match="exploded"):
        run_games(Boom(), _cfg(), games=2, parallel=2)


def test_final_ownership_counts_surrounded_points():
    from engine.game import Game
    g = Game(5, komi=0.5)
    for m in (2, 7, 12, 17, 22):           # a black wall on column C
        g.play(m, BLACK)
    g.play(4, WHITE)                       # a white stone at E5
    own = final_ownership(g)
    assert own[0, 0] == 1 and own[4, 1] == 1   # left side: black's
    assert own[0, 4] == -1 and own[2, 4] == 0  # white stone; the right side touches both


def test_bad_settings_are_named_errors():
    with pytest.raises(ValueError, match="full_prob"):
        SelfPlayConfig(full_prob=1.5)
    with pytest.raises(ValueError, match="root"):
        SearchSettings(root="alphabeta")
    assert split_games(7, 3) == [3, 2, 2]
    assert default_processes("cuda", 1) == 1 and default_processes("cpu", 10_000) == 1
    assert default_processes("cpu", 1) == len(os.sched_getaffinity(0))


def test_cli_writes_sgf_shards_and_summary(tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(selfplay_command, [
        "--games", "2", "--parallel-games", "2", "--board-size", "5", "--visits", "8",
        "--fast-visits", "2", "--full-prob", "1", "--max-moves", "40", "--seed", "1",
        "--td-lambda", "0.8", "--resign-threshold", "0", "--out-dir", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output[res.output.index("{"):])
    assert summary["games"] == 2 and summary["samples"] == summary["moves"]
    # no resigning: both games (komi 0.5, no draws) calibrate the threshold, which is a win rate
    assert summary["resign_calibration_games"] == 2 and 0.0 <= summary["resign_threshold_5pct"] <= 1.0
    assert 0.0 < summary["network_share"] <= 1.0 and summary["mean_batch"] >= 1.0
    assert summary["processes"] == min(2, default_processes("cpu", 1))   # one per core, games permitting
    assert len(list((out / "sgf").glob("*.sgf"))) == 2
    assert list_shards(out / "shards")
    bad = CliRunner().invoke(selfplay_command, ["--network", str(tmp_path / "none.onnx"),
                                                "--games", "1", "--out-dir", str(out)])
    assert bad.exit_code != 0 and "no network file" in str(bad.exception)


def test_gumbel_root_gives_normalised_targets():
    cfg = _cfg(search=SearchSettings(visits=12, fast_visits=3, root="gumbel", gumbel_m=4),
               full_prob=1.0)
    games, _ = run_games(UniformEvaluator(), cfg, games=2, parallel=2)
    targets = [m.target for g in games for m in g.moves]
    assert targets and all(t is not None and t.sum() == pytest.approx(1.0) for t in targets)


def _children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (from /proc)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.append(int(stat.parent.name))
    return kids


def test_workers_flush_their_games_and_exit_when_the_parent_is_killed(tmp_path):
    """zerogo selfplay killed outright (SIGKILL): its worker processes do not play on unwatched; every game
    they wrote as SGF has its samples in the shards."""
    out = tmp_path / "run"
    cmd = [sys.executable, "-c", "from gtp.cli import main; main()", "selfplay", "--network", "uniform",
           "--games", "100000", "--processes", "2", "--parallel-games", "2", "--board-size", "5",
           "--visits", "2", "--fast-visits", "1", "--full-prob", "1", "--max-moves", "30", "--out-dir", str(out)]
    parent = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list((out / "sgf").glob("*.sgf"))) < 4:
            time.sleep(0.2)
        workers = _children(parent.pid)
        assert len(list((out / "sgf").glob("*.sgf"))) >= 4 and len(workers) >= 2
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
            time.sleep(0.2)
        assert not any(Path(f"/proc/{w}").exists() for w in workers), "a worker plays on without its parent"
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
        for w in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(w, signal.SIGKILL)
    moves = sum(len(load_sgf_file(p).moves) for p in (out / "sgf").glob("*.sgf"))
    samples = sum(len(load_shard(p)) for p in list_shards(out / "shards"))
    assert samples == moves > 0
