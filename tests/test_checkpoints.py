"""Bad checkpoints give one-line errors; a failed write leaves no temporary file; resumed metrics match."""

from __future__ import annotations

import csv
import errno

import pytest
import torch
from click.testing import CliRunner

from nets import checkpoints
from nets.checkpoints import CheckpointError, atomic_save, read_checkpoint
from nets.data import convert
from nets.model import build_model, load_checkpoint
from nets.train import Trainer, TrainSettings
from nets.cli import train_command
from tests.test_data import write_games

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def shard_dir(tmp_path_factory):
    """Shards from 6 random 7x7 games."""
    root = tmp_path_factory.mktemp("ckpt")
    write_games(root / "sgf", 6)
    convert([root / "sgf"], root / "shards", progress_bar=False)
    return root / "shards"


def _settings(shard_dir, run_dir, **kw) -> TrainSettings:
    base = {"data_dirs": [str(shard_dir)], "run_dir": str(run_dir), "config": "b2c16",
            "batch_size": 16, "steps": 6, "warmup_steps": 2, "lr": 0.05, "log_every": 4,
            "checkpoint_minutes": 60, "tensorboard": False}
    base.update(kw)
    return TrainSettings(**base)


@pytest.fixture(scope="module")
def good_checkpoint(shard_dir, tmp_path_factory):
    run = tmp_path_factory.mktemp("good")
    Trainer(_settings(shard_dir, run, steps=2)).run()
    return run / "checkpoint.pt"


def _bad_files(good: bytes) -> dict:
    weights = build_model("b2c16").state_dict()
    return {
        "empty": (b"", "is empty"),
        "truncated": (good[: len(good) // 2], "not a readable checkpoint"),
        "zeroed": (b"\0" * len(good), "not a readable checkpoint"),
        "random": (bytes(range(256)) * 64, "not a readable checkpoint"),
        "weights-only": (weights, "bare weights"),
        "export-only": ({"config": "b2c16", "model": weights}, "lacks step, optimizer"),
    }


@pytest.mark.parametrize("kind", ["empty", "truncated", "zeroed", "random", "weights-only",
                                  "export-only"])
def test_train_resume_from_a_bad_checkpoint_is_one_clear_line(kind, shard_dir, good_checkpoint,
                                                               tmp_path):
    content, message = _bad_files(good_checkpoint.read_bytes())[kind]
    run = tmp_path / "run"
    run.mkdir()
    path = run / "checkpoint.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    result = CliRunner().invoke(train_command, [
        "--data", str(shard_dir), "--run-dir", str(run), "--config", "b2c16", "--batch-size", "16",
        "--steps", "4", "--no-tensorboard"])
    assert result.exit_code == 1, result.output
    lines = [x for x in result.output.splitlines() if x.startswith("Error:")]
    assert len(lines) == 1 and str(path) in lines[0] and message in lines[0], result.output
    assert "move it away" in lines[0] and "Traceback" not in result.output
    assert path.read_bytes() == content if isinstance(content, bytes) else True   # left as it was


@pytest.mark.parametrize("kind", ["empty", "truncated", "zeroed", "random", "weights-only"])
def test_load_checkpoint_names_the_file_and_the_fault(kind, good_checkpoint, tmp_path):
    content, message = _bad_files(good_checkpoint.read_bytes())[kind]
    path = tmp_path / f"{kind}.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_directory_and_misfit_weights(tmp_path, good_checkpoint):
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        read_checkpoint(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match="not a regular file"):
        read_checkpoint(tmp_path)
    ck = torch.load(good_checkpoint, weights_only=False)
    ck["config"] = "b4c32"
    path = tmp_path / "misfit.pt"
    torch.save(ck, path)
    with pytest.raises(CheckpointError, match="weights do not fit"):
        load_checkpoint(path)


def test_full_disk_leaves_no_temporary_file_and_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pt"
    atomic_save({"config": "b2c16", "model": {}, "n": 1}, path)
    old = path.read_bytes()
    real_save = torch.save

    def full_disk(obj, f, *a, **kw):
        real_save(obj, f, *a, **kw)
        with open(f, "r+b") as fh:             # half written, then the disk is full
            fh.truncate(10)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoints.torch, "save", full_disk)
    with pytest.raises(CheckpointError, match="No space left on device.*previous checkpoint"):
        atomic_save({"n": 2}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]
    assert path.read_bytes() == old


def test_trainer_on_a_full_disk_exits_with_one_line(shard_dir, tmp_path, monkeypatch):
    def no_space(obj, f, *a, **kw):
        with open(f, "wb") as fh:
            fh.write(b"partial")
        raise RuntimeError("[enforce fail at inline_container.cc:595] . unexpected pos 64 vs 0")

    monkeypatch.setattr(checkpoints.torch, "save", no_space)
    result = CliRunner().invoke(train_command, [
        "--data", str(shard_dir), "--run-dir", str(tmp_path / "run"), "--config", "b2c16",
        "--batch-size", "16", "--steps", "2", "--no-tensorboard"])
    assert result.exit_code == 1 and "cannot write checkpoint" in result.output, result.output
    assert not list((tmp_path / "run").glob("*.tmp"))


def _rows(run) -> list[dict]:
    with open(run / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_metrics_after_a_resume_match_an_uninterrupted_run(shard_dir, tmp_path):
    # Checkpoints every 3 steps, a metrics row every 4: the resume at step 6
    # falls inside the row of steps 5..8, which must average all four steps.
    kw = {"steps": 12, "log_every": 4, "checkpoint_every": 3}
    Trainer(_settings(shard_dir, tmp_path / "ref", **kw)).run()
    killed = Trainer(_settings(shard_dir, tmp_path / "run", **kw))
    real_step = killed._one_step

    def die_at_step_8():
        if killed.step == 7:
            raise KeyboardInterrupt   # killed between the checkpoint of step 6 and the row of 8
        return real_step()

    killed._one_step = die_at_step_8
    with pytest.raises(KeyboardInterrupt):
        killed.run()
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)["step"] == 6
    Trainer(_settings(shard_dir, tmp_path / "run", **kw)).run()
    ref, run = _rows(tmp_path / "ref"), _rows(tmp_path / "run")
    assert [r["step"] for r in run] == [r["step"] for r in ref] == ["4", "8", "12"]
    assert run == ref
