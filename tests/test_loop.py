"""The generation loop: a whole generation on 5x5, resuming from the state file, GTP gating."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import torch
from click.testing import CliRunner

from nets.gate import GateOutcome, GateSettings, make_openings
from nets.loop import Loop, LoopSettings
from nets.cli import loop_command


def _settings(run_dir, **kw) -> LoopSettings:
    base = dict(run_dir=str(run_dir), config="b2c16", board_size=5, komi=0.5, games=4,
                parallel=4, visits=4, fast_visits=2, full_prob=1.0, train_steps=3, batch_size=16,
                window=5, gate_backend="arena", gate_games=2, gate_visits=4, gate_parallel=2,
                min_score=0.0, anchor_games=0, anchor_gnugo=[1], processes=1)
    base.update(kw)
    return LoopSettings(**base)


def test_one_generation_promotes_and_records_everything(tmp_path):
    torch.set_num_threads(1)
    loop = Loop(_settings(tmp_path))
    history = loop.run_generations()
    state = json.loads((tmp_path / "loop_state.json").read_text())
    assert state["generation"] == 2 and state["stage"] == "selfplay"
    (gen,) = history
    assert gen["selfplay"]["games"] == 4 and gen["train"]["loss"] > 0
    assert gen["export"]["step"] == 3 and gen["promoted"] is True
    assert gen["gate"]["wins"] + gen["gate"]["losses"] + gen["gate"]["draws"] == 2
    assert (tmp_path / "best.onnx").read_bytes() == (tmp_path / "gen001" / "candidate.onnx").read_bytes()
    assert len(list((tmp_path / "gen001" / "selfplay" / "sgf").glob("*.sgf"))) == 4


def test_loop_resumes_at_the_recorded_stage(tmp_path):
    torch.set_num_threads(1)
    first = Loop(_settings(tmp_path, min_score=1.1))      # a candidate can never pass
    first.bootstrap()
    first.step()                                          # self-play only
    assert first.state.stage == "train"
    again = Loop(_settings(tmp_path, min_score=1.1))
    assert again.state.generation == 1 and again.state.stage == "train"
    history = again.run_generations()
    assert history[0]["selfplay"]["games"] == 4 and history[0]["promoted"] is False
    assert (tmp_path / "best.onnx").read_bytes() == (tmp_path / "gen000.onnx").read_bytes()


def test_selfplay_stage_uses_the_chosen_runtime(tmp_path):
    """--runtime/--precision reach the loop's self-play (the summary records what ran the net)."""
    torch.set_num_threads(1)
    loop = Loop(_settings(tmp_path, games=2, runtime="openvino", precision="bf16"))
    loop.bootstrap()
    loop.step()
    (gen,) = json.loads((tmp_path / "loop_state.json").read_text())["history"]
    selfplay = gen["selfplay"]
    assert selfplay["games"] == 2 and selfplay["runtimes"] == ["openvino bf16"]


def test_selfplay_stage_searches_on_the_chosen_tree(tmp_path, monkeypatch):
    """--tree reaches the loop's self-play: with compiled, its games search on compiled trees."""
    pytest.importorskip("numba")
    from engine import search as search_module
    torch.set_num_threads(1)
    made = []
    original = search_module.make_tree
    monkeypatch.setattr(search_module, "make_tree", lambda *args: made.append(original(*args)) or made[-1])
    loop = Loop(_settings(tmp_path, games=2, tree="compiled"))
    loop.bootstrap()
    loop.step()
    assert made and {type(tree).__name__ for tree in made} == {"CompiledTree"}


def test_gtp_gate_and_gnugo_rating(tmp_path):
    torch.set_num_threads(1)
    result = CliRunner().invoke(loop_command, [
        "--run-dir", str(tmp_path), "--config", "b2c16", "--board-size", "5", "--komi", "0.5",
        "--games", "2", "--parallel-games", "2", "--processes", "1", "--visits", "4", "--fast-visits", "2",
        "--full-prob", "1", "--train-steps", "2", "--batch-size", "16", "--window", "5",
        "--gate-backend", "gtp", "--gate-games", "2", "--gate-visits", "2",
        "--min-score", "0", "--anchor-games", "2", "--anchor-gnugo", "1"])
    assert result.exit_code == 0, result.output
    ratings = json.loads((tmp_path / "ratings.json").read_text())
    assert [e["generation"] for e in ratings] == [0, 1]
    assert set(ratings[1]["anchors"]) == {"gen000", "gnugo-1"}
    assert sum(ratings[1]["anchors"]["gnugo-1"][k] for k in ("wins", "losses", "draws")) == 2
    assert len(list((tmp_path / "gen001" / "openings").glob("*.sgf"))) == 1
    assert len(list((tmp_path / "rating_openings").glob("*.sgf"))) == 1


def test_gate_verdicts_and_bad_settings(tmp_path):
    assert GateOutcome(0, 0, 0, "H1").promote(0.99)
    assert not GateOutcome(10, 0, 0, "H0").promote(0.0)
    assert GateOutcome(6, 4, 0, "").promote(0.55) and not GateOutcome(5, 5, 0, "").promote(0.55)
    with pytest.raises(ValueError, match="backend"):
        GateSettings(backend="telepathy")
    with pytest.raises(ValueError, match="replay fraction"):
        _settings(tmp_path, replay_fraction=1.0)
    assert make_openings(tmp_path / "none", tmp_path / "o", 4, 3) == []


@pytest.mark.parametrize("threshold, resigned", [(1.0, 2), (0.0, 0)])
def test_selfplay_stage_resigns_at_the_chosen_threshold(tmp_path, threshold, resigned):
    """--resign-threshold reaches the loop's self-play: 1.0 resigns every game, 0 never resigns."""
    torch.set_num_threads(1)
    loop = Loop(_settings(tmp_path, games=2, resign_threshold=threshold, resign_playout_fraction=0.0))
    loop.bootstrap()
    loop.step()
    (gen,) = json.loads((tmp_path / "loop_state.json").read_text())["history"]
    assert gen["selfplay"]["games"] == 2 and gen["selfplay"]["resigned"] == resigned


def test_calibrated_resignation_follows_the_last_generations_played_out_games(tmp_path):
    """--resign-calibrate: generation 1 resigns at --resign-threshold (0: never, so every game calibrates);
    generation 2 at the threshold generation 1's games give for 5% false resignations."""
    torch.set_num_threads(1)
    loop = Loop(_settings(tmp_path, generations=2, games=24, resign_threshold=0.0))   # calibrates by default
    first, second = loop.run_generations()
    assert first["selfplay"]["resign_threshold"] == 0.0 and first["selfplay"]["resigned"] == 0
    assert first["selfplay"]["resign_calibration_games"] >= 20       # 5x5, komi 0.5: no draws
    assert second["selfplay"]["resign_threshold"] == first["selfplay"]["resign_threshold_5pct"]
    assert Loop(_settings(tmp_path, resign_calibrate=False)).resign_threshold(3) == 0.05   # --fixed-resign


def test_loop_command_logs_each_stage_with_the_time_on_stderr(tmp_path):
    """`zerogo loop` tells on stderr when each stage starts and how it went; stdout holds the history only."""
    cmd = [sys.executable, "-m", "gtp.cli", "loop", "--run-dir", str(tmp_path), "--config", "b2c16",
           "--board-size", "5", "--komi", "0.5", "--games", "2", "--parallel-games", "2", "--processes", "1",
           "--visits", "2", "--fast-visits", "2", "--full-prob", "1", "--train-steps", "1", "--batch-size", "8",
           "--window", "5", "--gate-backend", "arena", "--gate-games", "2", "--gate-visits", "2",
           "--min-score", "0", "--anchor-games", "0", "--resign-threshold", "0.02"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)[0]["generation"] == 1
    lines = [line for line in done.stderr.splitlines() if " nets.loop: " in line]
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO nets\.loop: generation 1: "
    assert re.match(stamp + r"self-play resigns below a 0\.0200 win rate$", lines[1]), lines
    assert re.match(stamp + r"2 games, \d+ samples, \d+ resigned", lines[2]), lines
    assert any(re.match(stamp + r"gate \d-\d-\d \(SPRT (undecided|H0|H1)\), (not )?promoted$", x) for x in lines), lines
    stages = ("selfplay", "train", "export", "gate", "rate")
    assert [x.split(": ")[-1] for x in lines if x.split(": ")[-1] in stages] == list(stages)


def test_train_stage_mixes_the_replay_data_into_its_window(tmp_path):
    """--replay-data/--replay-fraction/--teacher-mix reach the loop's trainer."""
    from nets.data import DataSettings, convert
    from nets.shards import list_shards
    from tests.test_data import write_games
    torch.set_num_threads(1)
    write_games(tmp_path / "teacher-sgf", 8, size=5)
    convert([tmp_path / "teacher-sgf"], tmp_path / "teacher", DataSettings(positions_per_shard=8, min_moves=5),
            progress_bar=False)
    loop = Loop(_settings(tmp_path / "run", games=2, replay_dirs=[str(tmp_path / "teacher")],
                          replay_fraction=0.5, teacher_mix=0.3))
    loop.bootstrap()
    loop.step()        # self-play
    loop.step()        # train
    ck = torch.load(tmp_path / "run" / "gen001" / "train" / "checkpoint.pt", weights_only=False)
    teacher = {str(p) for p in list_shards(tmp_path / "teacher")}
    window = set(ck["data"]["window"])
    assert window & teacher and window - teacher
    assert ck["settings"]["replay_fraction"] == 0.5 and ck["settings"]["teacher_mix"] == 0.3
    record = loop.state.data["history"][0]["train"]["window"]       # the loop's history says what it trained on
    assert record["shards"] == len(window) and 0 < record["replay_shards"] < record["shards"]
    assert record["replay_positions"] >= record["positions"] / 2   # half, in whole shards


def test_a_damaged_training_checkpoint_stops_the_export_with_advice_that_works(tmp_path):
    """Export refuses a torn train/checkpoint.pt by name; the advice (retrain the generation) recovers."""
    from nets.checkpoints import CheckpointError
    torch.set_num_threads(1)
    loop = Loop(_settings(tmp_path, games=2))
    loop.bootstrap()
    loop.step()        # self-play
    loop.step()        # train
    ckpt = tmp_path / "gen001" / "train" / "checkpoint.pt"
    ckpt.write_bytes(ckpt.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="checkpoint.pt is not a readable checkpoint.*stage back"):
        loop.step()
    assert loop.state.stage == "export" and not (tmp_path / "gen001" / "candidate.pt").exists()
    (tmp_path / "gen001" / "train").rename(tmp_path / "gen001" / "train-damaged")
    again = Loop(_settings(tmp_path, games=2))
    again.state.data["stage"] = "train"
    again.step()       # train again from the best network
    again.step()       # export
    assert again.state.stage == "gate" and (tmp_path / "gen001" / "candidate.onnx").stat().st_size > 0


def test_loop_command_reports_a_bad_start_checkpoint_in_one_line(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    result = CliRunner().invoke(loop_command, ["--run-dir", str(tmp_path / "run"), "--start", str(bad),
                                               "--generations", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{bad} is not a readable checkpoint" in result.output
