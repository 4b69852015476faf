"""The trainer: losses fall on a fixed batch, schedule, checkpoints in the shared format, metrics."""

from __future__ import annotations

import csv
import logging
import os
import signal

import numpy as np
import pytest
import torch

from nets.data import DataSettings, convert
from nets.losses import autocast_dtype, compute_losses, lr_at, make_optimizer, to_torch, train_step
from nets.metrics import MetricsLogger, read_ratings
from nets.model import build_model, load_checkpoint
from nets.shards import ShardSet, epoch_plan, list_shards, shard_length
from nets.train import FIT_MARGIN, FIT_MIN_STEPS, FIT_SKIP_STEPS, TrainError, Trainer, TrainSettings, fitted_steps
from tests.test_data import write_games

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def shard_dir(tmp_path_factory):
    """Shards from 6 random 7x7 games."""
    root = tmp_path_factory.mktemp("train")
    write_games(root / "sgf", 6)
    convert([root / "sgf"], root / "shards", progress_bar=False)
    return root / "shards"


def _settings(shard_dir, run_dir, **kw) -> TrainSettings:
    base = dict(data_dirs=[str(shard_dir)], run_dir=str(run_dir), config="b2c16",
                batch_size=16, steps=6, warmup_steps=2, lr=0.05, log_every=2,
                checkpoint_minutes=60, tensorboard=False)
    base.update(kw)
    return TrainSettings(**base)


def test_train_step_lowers_the_loss_on_a_fixed_batch(shard_dir, tmp_path):
    s = _settings(shard_dir, tmp_path, optimizer="adamw", lr=3e-3)
    shards = ShardSet(list_shards(shard_dir))
    rows = epoch_plan(shards.lengths, shards.sizes, 0, 0, 32)[0]
    batch = to_torch(shards.batch(rows), "cpu")
    torch.manual_seed(0)
    model = build_model("b2c16")
    opt = make_optimizer(model, s)
    first = train_step(model, opt, batch, s)
    for _ in range(30):
        last = train_step(model, opt, batch, s)
    assert last["loss"] < 0.8 * first["loss"]
    assert last["loss_policy"] < first["loss_policy"]
    assert last["loss_value"] < first["loss_value"]


def test_autocast_dtype_follows_the_device_and_the_cpu():
    amx = frozenset({"avx512f", "amx_bf16", "amx_tile"})
    assert autocast_dtype("cpu", True, amx) is torch.bfloat16
    assert autocast_dtype("cpu", True, frozenset({"avx512f", "avx512_bf16"})) is None  # no AMX: fp32
    assert autocast_dtype("cpu", False, amx) is None
    assert autocast_dtype("cuda", True, frozenset(), gpu_bf16=True) is torch.bfloat16   # Ampere and later
    assert autocast_dtype("cuda", True, frozenset(), gpu_bf16=False) is torch.float16   # older: fp16 + scaler
    assert autocast_dtype("cuda", False, frozenset()) is None


def test_bf16_train_step_lowers_the_loss(shard_dir, tmp_path):
    s = _settings(shard_dir, tmp_path, optimizer="adamw", lr=3e-3)
    shards = ShardSet(list_shards(shard_dir))
    batch = to_torch(shards.batch(epoch_plan(shards.lengths, shards.sizes, 0, 0, 32)[0]), "cpu")
    torch.manual_seed(0)
    model = build_model("b2c16").to(memory_format=torch.channels_last)
    batch["planes"] = batch["planes"].contiguous(memory_format=torch.channels_last)
    opt = make_optimizer(model, s)
    first = train_step(model, opt, batch, s, dtype=torch.bfloat16)
    for _ in range(30):
        last = train_step(model, opt, batch, s, dtype=torch.bfloat16)
    assert last["loss"] < 0.8 * first["loss"]
    assert all(p.dtype == torch.float32 for p in model.parameters())  # the weights stay fp32


def test_run_on_an_amx_cpu_trains_in_bf16_and_resumes(shard_dir, tmp_path, monkeypatch):
    monkeypatch.setattr("nets.losses.cpu_flags", lambda: frozenset({"amx_bf16"}))
    trainer = Trainer(_settings(shard_dir, tmp_path / "run"))
    assert trainer.dtype is torch.bfloat16 and trainer.channels_last
    last = trainer.run()
    assert np.isfinite(last["loss"])
    model, ck = load_checkpoint(tmp_path / "run" / "checkpoint.pt")  # a plain fp32 model reads it
    assert ck["step"] == 6
    for a, b in zip(model.state_dict().values(), trainer.model.state_dict().values()):
        assert torch.equal(a, b)
    again = Trainer(_settings(shard_dir, tmp_path / "run", steps=8))
    assert again.step == 6
    again.run()
    assert again.step == 8
    off = Trainer(_settings(shard_dir, tmp_path / "off", amp=False))
    assert off.dtype is None and not off.channels_last


def test_losses_ignore_rows_without_targets(shard_dir):
    s = TrainSettings(data_dirs=["x"])
    shards = ShardSet(list_shards(shard_dir))
    batch = to_torch(shards.batch(epoch_plan(shards.lengths, shards.sizes, 0, 0, 8)[0]), "cpu")
    model = build_model("b2c16").eval()
    with torch.no_grad():
        out = model(batch["planes"], batch["globals"])
    for key, loss in (("policy_valid", "loss_policy"), ("score_valid", "loss_score"),
                      ("ownership_valid", "loss_ownership")):
        masked = dict(batch, **{key: torch.zeros_like(batch[key])})
        assert compute_losses(out, batch, s)[loss] > 0
        assert compute_losses(out, masked, s)[loss] == 0


def test_lr_schedule():
    s = TrainSettings(data_dirs=["x"], lr=0.1, steps=100, warmup_steps=10, lr_schedule="cosine")
    assert lr_at(0, s) == pytest.approx(0.01) and lr_at(9, s) == pytest.approx(0.1)
    assert lr_at(50, s) < lr_at(20, s) < 0.1 and lr_at(100, s) == pytest.approx(0.002)
    s.lr_schedule = "step"
    assert [lr_at(i, s) for i in (20, 60, 90)] == pytest.approx([0.1, 0.01, 0.001])


def test_run_writes_checkpoint_metrics_and_plot(shard_dir, tmp_path):
    trainer = Trainer(_settings(shard_dir, tmp_path / "run"))
    trainer.run()
    model, ck = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert ck["step"] == 6 and ck["config"] == "b2c16"
    assert ck["meta"]["board_sizes"] == [(7, 7)] and ck["meta"]["feature_version"] == 1
    for a, b in zip(model.state_dict().values(), trainer.model.state_dict().values()):
        assert torch.equal(a, b)
    with open(tmp_path / "run" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [2, 4, 6]
    assert all(float(r["loss"]) > 0 for r in rows)
    assert (tmp_path / "run" / "losses.png").stat().st_size > 1000
    again = Trainer(_settings(shard_dir, tmp_path / "run", steps=8))  # resumes at step 6
    assert again.step == 6
    again.run()
    assert again.step == 8


def test_fitted_steps_fill_the_time_left_within_the_cap():
    assert fitted_steps(100, 10.0, 60.0, 10**6) == 100 + int(600 * FIT_MARGIN)
    assert fitted_steps(100, 10.0, 60.0, 300) == 300
    assert fitted_steps(100, 0.01, 1.0, 10**6) == 101


def test_fit_steps_ends_the_schedule_with_the_time(shard_dir, tmp_path, caplog):
    s = _settings(shard_dir, tmp_path / "run", steps=10**6, minutes=0.05, fit_steps=True,
                  log_every=25, lr_schedule="cosine")
    trainer = Trainer(s)
    with caplog.at_level(logging.INFO, logger="nets.train"):
        trainer.run()
    fitted = trainer.s.steps
    assert FIT_SKIP_STEPS + FIT_MIN_STEPS < fitted < 10**6
    assert any(f"--steps {fitted})" in r.getMessage() for r in caplog.records)
    _, ck = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert ck["settings"]["steps"] == fitted and ck["step"] >= 0.8 * fitted
    with open(tmp_path / "run" / "metrics.csv") as f:
        last_lr = float(list(csv.DictReader(f))[-1]["lr"])
    assert last_lr < 0.2 * s.lr       # the cosine ran (nearly) to its end within the 3 s


def test_a_second_signal_stops_at_once_and_keeps_the_last_checkpoint(shard_dir, tmp_path, caplog):
    trainer = Trainer(_settings(shard_dir, tmp_path / "run", steps=10, checkpoint_every=2))
    one_step = trainer._one_step

    def step_then_two_signals():
        losses = one_step()
        if trainer.step == 5:
            os.kill(os.getpid(), signal.SIGTERM)    # recorded: finish the step, save, exit
            os.kill(os.getpid(), signal.SIGINT)     # the user will not wait: stop here
        return losses

    trainer._one_step = step_then_two_signals
    before = signal.getsignal(signal.SIGINT)
    with caplog.at_level(logging.WARNING, logger="nets.train"), pytest.raises(SystemExit) as stop:
        trainer.run()
    assert stop.value.code == 128 + signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is before
    _, ck = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert ck["step"] == 4            # the periodic save before the signals; step 5 never saved
    assert "second signal at step 5: the checkpoint of step 4 stands" in caplog.text


def test_bad_settings_and_missing_data(tmp_path, shard_dir):
    with pytest.raises(TrainError, match="no shards"):
        (tmp_path / "empty").mkdir()
        Trainer(_settings(tmp_path / "empty", tmp_path / "r1")).run()
    with pytest.raises(TrainError, match="not one batch"):
        Trainer(_settings(shard_dir, tmp_path / "r2", batch_size=100000)).run()
    with pytest.raises(TrainError, match="optimizer"):
        Trainer(_settings(shard_dir, tmp_path / "r3", optimizer="rmsprop"))
    with pytest.raises(TrainError, match="needs --minutes"):
        Trainer(_settings(shard_dir, tmp_path / "r3", fit_steps=True))
    Trainer(_settings(shard_dir, tmp_path / "r4", steps=1)).run()
    with pytest.raises(TrainError, match="b2c16"):
        Trainer(_settings(shard_dir, tmp_path / "r4", config="b4c32"))


def test_metrics_resume_drops_later_rows_and_plots_elo(tmp_path):
    m = MetricsLogger(tmp_path, tensorboard=False)
    for step in (1, 2, 3):
        m.log(step, {"loss": 1.0 / step})
    m2 = MetricsLogger(tmp_path, resume_step=2, tensorboard=False)
    m2.log(3, {"loss": 0.3, "loss_value": 0.2})
    with open(tmp_path / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["step"] for r in rows] == ["1", "2", "3"] and rows[-1]["loss_value"] == "0.2"
    (tmp_path / "ratings.csv").write_text("step,elo\n0,0\n100,55\n200,80\n")
    written = m2.plot(tmp_path / "ratings.csv")
    assert {p.name for p in written} == {"losses.png", "elo.png"}
    assert np.all([p.stat().st_size > 1000 for p in written])
    (tmp_path / "elo.png").unlink()
    (tmp_path / "ratings.json").write_text(
        '[{"generation": 0, "elo": 0.0}, {"generation": 1, "elo": null}, '
        '{"generation": 2, "elo": 35.5}]')
    assert read_ratings(tmp_path / "ratings.json") == ("generation", [(0.0, 0.0), (2.0, 35.5)])
    assert (tmp_path / "elo.png") in m2.plot(tmp_path / "ratings.json")


def test_window_slides_to_newer_shards(shard_dir, tmp_path):
    data = tmp_path / "shards"
    data.mkdir()
    for p in list_shards(shard_dir):
        (data / p.name).write_bytes(p.read_bytes())
    t = Trainer(_settings(data, tmp_path / "run", steps=2, epoch_steps=2, window=1))
    t.run()
    old = t.window
    write_games(tmp_path / "sgf2", 3, first_seed=50)
    with pytest.raises(FileExistsError):  # never overwrites shards it did not write
        convert([tmp_path / "sgf2"], data, progress_bar=False)
    convert([tmp_path / "sgf2"], data, DataSettings(prefix="new"), progress_bar=False)
    newest = [str(list_shards(data)[-1])]
    assert old != newest
    t2 = Trainer(_settings(data, tmp_path / "run", steps=3, epoch_steps=2, window=1))
    assert t2.window == old  # resumes the interrupted pass first...
    t2.run()
    assert t2.window == newest and t2.epoch == 1  # ...then the pass ends and the window moves
    t3 = Trainer(_settings(data, tmp_path / "run2", steps=1, window=1))
    t3.run()
    convert([tmp_path / "sgf2"], tmp_path / "other", progress_bar=False)
    t4 = Trainer(_settings(tmp_path / "other", tmp_path / "run2", steps=2, window=1,
                           new_window=True))
    t4.run()
    assert t4.window == [str(list_shards(tmp_path / "other")[-1])] and t4.epoch == 1


def test_replay_shards_join_every_window_at_their_fraction(shard_dir, tmp_path):
    write_games(tmp_path / "sgf", 12, first_seed=80)
    convert([tmp_path / "sgf"], tmp_path / "teacher", DataSettings(positions_per_shard=40, prefix="teacher"),
            progress_bar=False)
    replays = {str(p) for p in list_shards(tmp_path / "teacher")}
    assert len(replays) >= 4
    newest = [str(p) for p in list_shards(shard_dir)]
    settings = _settings(shard_dir, tmp_path / "run", steps=8, epoch_steps=2, replay_dirs=[str(tmp_path / "teacher")],
                         replay_fraction=0.2)
    t = Trainer(settings)
    windows = []
    for steps in (2, 4, 6, 8):      # a pass of 2 steps each, so four windows
        t.s.steps = steps
        t.run()
        windows.append(t.window)
    own, largest = sum(shard_length(p) for p in newest), max(shard_length(p) for p in replays)
    want = own * 0.2 / 0.8                                     # a fifth of the window
    for w in windows:
        assert w[:len(newest)] == newest and set(w[len(newest):]) <= replays
        mixed = sum(shard_length(p) for p in w[len(newest):])
        assert want <= mixed < want + largest                 # whole shards, the last one tips it over
    assert len({tuple(w) for w in windows}) > 1
    resumed = Trainer(settings)       # the checkpoint holds the window: a resumed run keeps it
    assert resumed.window == windows[-1]
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)["meta"]["replay_dirs"] == \
        [str(tmp_path / "teacher")]
    with pytest.raises(TrainError, match="no shards in the replay dirs"):
        (tmp_path / "none").mkdir()
        Trainer(_settings(shard_dir, tmp_path / "r2", replay_dirs=[str(tmp_path / "none")])).run()
