"""Teacher data (nets.distil): KataGo-played games become zerogo shards the trainer reads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from engine.evaluation import Position
from engine.features import NUM_GLOBALS, NUM_PLANES
from engine.game import Game
from nets.distil import DistilSettings, GameSetup, draw_setup, run_distil
from nets.losses import compute_losses, teacher_targets, to_torch
from nets.shards import ShardSet, is_compact, list_shards, load_shard
from nets.train import TrainSettings

B15 = "g170e-b15c192-s1672170752-d466197061.bin.gz"


def _settings(teacher, out, **kw) -> DistilSettings:
    base = {"teacher": str(teacher), "out_dir": str(out), "games": 2, "parallel": 2,
            "sizes": (5,), "max_moves": 12, "threads": 1, "positions_per_shard": 16, "seed": 3,
            "opening_moves": 1, "resign_threshold": 0.0}
    base.update(kw)
    return DistilSettings(**base)


def _check_rows(paths):
    """Every row: a probability policy on legal-looking moves, targets in range."""
    rows = 0
    for p in paths:
        a = load_shard(p).arrays
        n = len(a["value"])
        rows += n
        assert a["planes"].shape[1] == NUM_PLANES and a["globals"].shape[1] == NUM_GLOBALS
        np.testing.assert_allclose(a["policy"].sum(1), 1.0, atol=1e-5)
        assert (a["policy"] >= 0).all()
        # no probability on an occupied point (planes 1 and 2: the current stones)
        occupied = (a["planes"][:, 1] + a["planes"][:, 2]).reshape(n, -1) > 0
        assert (a["policy"][:, :-1][occupied] == 0).all()
        assert set(np.unique(a["value"])) <= {-1.0, 0.0, 1.0}
        assert a["teacher_valid"].all()
        assert (np.abs(a["teacher_value"]) <= 1).all()
        assert (np.abs(a["teacher_ownership"].astype(np.float32)) <= 1).all()
        assert np.isfinite(a["teacher_score"]).all()
    return rows


def test_distil_writes_shards_the_trainer_reads_and_resumes(tiny_teacher, tmp_path):
    out = tmp_path / "distil"
    prog = run_distil(_settings(tiny_teacher, out))
    assert prog.games == 2 and prog.positions > 0 and prog.evals >= prog.positions
    paths = list_shards(out)
    assert _check_rows(paths) == prog.positions
    assert all(is_compact(p) for p in paths)     # small enough to keep (nets.shard_codec)
    assert len(list((out / "sgf").glob("distil-*.sgf"))) == 2
    saved = json.loads((out / "distil-progress.json").read_text())
    assert saved["games"] == 2 and saved["by_size"] == {"5x5": 2}

    # the trainer reads them, with and without the teacher's targets
    shards = ShardSet(paths)
    batch = to_torch(shards.batch([(0, r, r % 8) for r in range(8)]), "cpu")
    for mix in (0.0, 1.0):
        from nets.model import build_model
        out_ = build_model("b2c16")(batch["planes"], batch["globals"])
        losses = compute_losses(out_, batch, TrainSettings(data_dirs=["x"], teacher_mix=mix))
        assert all(torch.isfinite(v) for v in losses.values())

    # a rerun with a higher total carries on: two more games, new shard numbers, nothing lost
    prog2 = run_distil(_settings(tiny_teacher, out, games=4))
    assert prog2.games == 4 and prog2.positions > prog.positions
    paths2 = list_shards(out)
    assert set(paths) < set(paths2)
    assert _check_rows(paths2) == prog2.positions
    # reaching the total already: nothing to do
    assert run_distil(_settings(tiny_teacher, out, games=4)).games == 4


def test_search_policy_targets(tiny_teacher, tmp_path):
    prog = run_distil(_settings(tiny_teacher, tmp_path / "s", policy="search", visits=4, games=1,
                                parallel=1, max_moves=6))
    assert prog.games == 1
    assert _check_rows(list_shards(tmp_path / "s")) == prog.positions
    # a 4-visit search's target puts weight on at most 4 moves (forced playouts pruned)
    a = load_shard(list_shards(tmp_path / "s")[0]).arrays
    assert ((a["policy"] > 0).sum(1) <= 4).all()


def test_cli_runs_and_reports_throughput(tiny_teacher, tmp_path):
    from nets.cli import data_group

    res = CliRunner().invoke(data_group, [
        "distil", "--teacher", str(tiny_teacher), "--out", str(tmp_path / "c"), "--games", "2",
        "--parallel", "2", "--sizes", "5,7", "--size-weights", "1,3", "--max-moves", "8", "--threads", "1", "--quiet",
        "--plain-shards"])
    assert res.exit_code == 0, res.output
    assert "games: 2" in res.output and "positions/h" in res.output
    assert not any(is_compact(p) for p in list_shards(tmp_path / "c"))
    bad = CliRunner().invoke(data_group, ["distil", "--teacher", str(tiny_teacher), "--out",
                                          str(tmp_path / "d"), "--policy", "search",
                                          "--sizes", "1"])
    assert bad.exit_code != 0 and "board sizes" in bad.output
    wide = CliRunner().invoke(data_group, ["distil", "--teacher", str(tiny_teacher), "--out",
                                           str(tmp_path / "w"), "--komi-wide-prob", "2"])
    assert wide.exit_code != 0 and "komi-wide probability" in wide.output


def test_teacher_runs_on_the_chosen_runtime(tiny_teacher, tmp_path, caplog):
    """--runtime openvino --precision bf16 loads the teacher through OpenVINO and still writes valid rows."""
    from nets.cli import data_group

    with caplog.at_level("INFO", logger="engine.evaluator"):
        res = CliRunner().invoke(data_group, [
            "distil", "--teacher", str(tiny_teacher), "--out", str(tmp_path / "ov"), "--games", "2",
            "--parallel", "2", "--sizes", "5", "--max-moves", "8", "--threads", "1",
            "--positions-per-shard", "4", "--runtime", "openvino", "--precision", "bf16"])
    assert res.exit_code == 0, res.output
    assert any("OpenVINO CPU bf16" in r.getMessage() for r in caplog.records)
    assert _check_rows(list_shards(tmp_path / "ov")) > 0


def test_setups_cover_sizes_rules_komi_and_handicap():
    s = DistilSettings(sizes=(9, 13, 19), rules=("chinese", "japanese"), handicap_prob=0.3)
    rng = np.random.default_rng(0)
    setups = [draw_setup(s, rng) for _ in range(300)]
    assert {x.size for x in setups} == {9, 13, 19}
    assert {x.rules for x in setups} == {"chinese", "japanese"}
    assert len({x.komi for x in setups if not x.handicap}) >= 5
    assert not any(x.handicap for x in setups if x.size == 9)
    hc = [x for x in setups if x.handicap]
    assert hc and all(2 <= x.handicap <= 5 and x.komi == 0.5 for x in hc)
    game = GameSetup(13, "japanese", 0.5, 3, 2).start(rng)
    assert game.handicap == 3 and len(game.moves) == 2


def test_wide_komi_tail_reaches_far_komi_and_leaves_old_draws_alone():
    base = DistilSettings(sizes=(9,), rules=("chinese",), handicap_prob=0.0)
    old = [draw_setup(base, np.random.default_rng(3)) for _ in range(50)]
    again = [draw_setup(DistilSettings(sizes=(9,), rules=("chinese",), handicap_prob=0.0, komi_wide_spread=3),
                        np.random.default_rng(3)) for _ in range(50)]
    assert old == again     # the tail off: the same draws as before it existed
    wide = DistilSettings(sizes=(9,), rules=("chinese",), handicap_prob=0.0, komi_wide_prob=0.5,
                          komi_wide_spread=7)
    rng = np.random.default_rng(0)
    komis = [draw_setup(wide, rng).komi for _ in range(400)]
    assert min(komis) == 0.0 and max(komis) == 14.0
    assert all((2 * k) == int(2 * k) for k in komis)
    near = sum(5.5 <= k <= 8.5 for k in komis) / len(komis)
    assert 0.5 < near < 0.8     # half the games in the usual +-1.5, the rest spread over +-7
    with pytest.raises(ValueError):
        DistilSettings(komi_wide_prob=1.5).check()


def test_teacher_targets_blend():
    b = {"value": torch.tensor([1.0, -1.0]), "teacher_value": torch.tensor([0.5, 0.2]),
         "score": torch.tensor([4.0, 0.0]), "teacher_score": torch.tensor([2.0, 6.0]),
         "score_valid": torch.tensor([1.0, 0.0]),
         "ownership": torch.ones(2, 2, 2), "teacher_ownership": torch.zeros(2, 2, 2),
         "ownership_valid": torch.tensor([1.0, 0.0]), "teacher_valid": torch.tensor([1.0, 1.0])}
    t = teacher_targets(b, 0.25)
    np.testing.assert_allclose(t["value"], [0.875, -0.7])
    np.testing.assert_allclose(t["score"], [3.5, 6.0])   # unknown game score: the teacher's
    np.testing.assert_allclose(t["score_valid"], [1, 1])
    np.testing.assert_allclose(t["ownership"][:, 0, 0], [0.75, 0.0])
    assert teacher_targets(b, 0.0) is b


def test_real_teacher_on_9x9():
    """The b15c192 teacher: its first move on an empty 9x9 board is central, rows are valid."""
    folder = Path(os.environ.get("ZEROGO_KATAGO_NETS", "~/.cache/zerogo/katago-nets")).expanduser()
    path = folder / B15
    if not path.is_file():
        pytest.fail(f"KataGo network {path} is missing: set ZEROGO_KATAGO_NETS or fetch it as "
                    ".ci/run does (pip download --no-deps katrain==1.9.0; unzip "
                    "katrain/models/*.bin.gz)")
    from engine.evaluator import load_evaluator

    ev = load_evaluator(path)
    empty = ev.evaluate([Position.from_game(Game(9, rules="chinese", komi=7))])[0]
    rows, cols = np.unravel_index(np.argsort(-empty.policy[:81])[:3], (9, 9))
    assert all(2 <= r <= 6 and 2 <= c <= 6 for r, c in zip(rows, cols))
    assert abs(empty.value) < 0.8 and abs(empty.score_lead) < 5


def test_sigterm_keeps_finished_games_and_a_rerun_carries_on(tiny_teacher, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "k"
    cmd = [sys.executable, "-c", "from gtp.cli import main; main()", "data", "distil",
           "--teacher", str(tiny_teacher), "--out", str(out), "--games", "100000", "--parallel",
           "2", "--sizes", "5", "--max-moves", "10", "--threads", "1", "--flush-minutes", "0",
           "--quiet"]
    env = dict(os.environ, ZEROGO_ONNX_CACHE=os.environ["ZEROGO_ONNX_CACHE"])
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=Path(__file__).resolve().parent.parent)
    progress = out / "distil-progress.json"
    deadline = time.monotonic() + 120
    while not (progress.exists() and json.loads(progress.read_text())["games"] >= 3):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 128 + signal.SIGTERM and "positions on disk" in err
    saved = json.loads(progress.read_text())
    assert _check_rows(list_shards(out)) == saved["positions"]   # every row is of a counted game
    total = saved["games"] + 2
    prog = run_distil(_settings(tiny_teacher, out, games=total, sizes=(5,), max_moves=10))
    assert prog.games == total and _check_rows(list_shards(out)) == prog.positions


def test_distil_eval_scores_a_net_against_the_teacher(tiny_teacher, tmp_path):
    from nets.distil_eval import evaluate_net
    from nets.export import export_onnx, random_net

    prog = run_distil(_settings(tiny_teacher, tmp_path / "e"))
    net = tmp_path / "net.onnx"
    export_onnx(random_net("b2c16"), net)
    r = evaluate_net(net, list_shards(tmp_path / "e"))
    assert r["rows"] == prog.positions
    assert 0 <= r["top1_teacher"] <= 1 and r["policy_ce"] > 0
    assert 0 <= r["value_mse_teacher"] <= 4 and 0 <= r["value_mse_game"] <= 4
    legal_most = np.log(5 * 5 + 1)                      # every point and pass
    assert 0 < r["policy_entropy"] <= legal_most and 0 <= r["teacher_policy_entropy"] <= legal_most
    assert r["policy_ce"] >= r["teacher_policy_entropy"] - 1e-6   # Gibbs: no net beats the target's own entropy
    from nets.cli import data_group

    res = CliRunner().invoke(data_group, ["distil-eval", str(net), "--shards", str(tmp_path / "e")])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output.strip().splitlines()[-1]) == r
    one = CliRunner().invoke(data_group, ["distil-eval", str(net), "--shards", str(tmp_path / "e"),
                                          "--threads", "1"])
    assert one.exit_code == 0, one.output
    assert json.loads(one.output.strip().splitlines()[-1]) == pytest.approx(r, rel=1e-4)
    bad = CliRunner().invoke(data_group, ["distil-eval", str(net), "--shards", str(tmp_path / "e"),
                                          "--threads", "-1"])
    assert bad.exit_code == 2 and "--threads" in bad.output
