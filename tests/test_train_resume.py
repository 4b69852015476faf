"""Kill -9 a training run after a checkpoint, resume it: the step counter and data order continue."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import torch

from nets.data import convert
from nets.model import load_checkpoint
from tests.test_data import write_games

STEPS = 160


def _cmd(shards, run_dir, batch_log) -> list[str]:
    return [sys.executable, "-m", "gtp.cli", "train", "--data", str(shards), "--run-dir",
            str(run_dir), "--config", "b2c16", "--batch-size", "16", "--steps", str(STEPS),
            "--warmup-steps", "5", "--checkpoint-every", "7", "--log-every", "10",
            "--batch-log", str(batch_log), "--threads", "1", "--no-tensorboard"]


def _env() -> dict:
    return dict(os.environ, OMP_NUM_THREADS="1")


def _last_per_step(path) -> dict[int, str]:
    """step -> the batch logged for it (checking repeats of a step logged the same batch)."""
    seen: dict[int, str] = {}
    for line in path.read_text().splitlines():
        step, rest = line.split(" ", 1)
        assert seen.get(int(step), rest) == rest, f"step {step} trained on another batch"
        seen[int(step)] = rest
    return seen


def test_kill_and_resume_continues_steps_and_data_order(tmp_path):
    write_games(tmp_path / "sgf", 6)
    convert([tmp_path / "sgf"], tmp_path / "shards", progress_bar=False)
    ref_log, run_log = tmp_path / "ref.log", tmp_path / "run.log"
    subprocess.run(_cmd(tmp_path / "shards", tmp_path / "ref", ref_log), env=_env(),
                   check=True, capture_output=True, timeout=120)

    proc = subprocess.Popen(_cmd(tmp_path / "shards", tmp_path / "run", run_log), env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = tmp_path / "run" / "checkpoint.pt"
    deadline = time.monotonic() + 60
    while not ckpt.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.kill()  # SIGKILL: no chance to save anything
    proc.wait()
    killed_at = torch.load(ckpt, weights_only=False)["step"]
    assert 0 < killed_at < STEPS and killed_at % 7 == 0
    logged_before = len(run_log.read_text().splitlines())
    assert logged_before >= killed_at

    subprocess.run(_cmd(tmp_path / "shards", tmp_path / "run", run_log), env=_env(),
                   check=True, capture_output=True, timeout=120)
    resumed_lines = run_log.read_text().splitlines()[logged_before:]
    assert int(resumed_lines[0].split()[0]) == killed_at + 1  # the step counter continues
    assert _last_per_step(run_log) == _last_per_step(ref_log)  # same batches, in order
    assert sorted(_last_per_step(run_log)) == list(range(1, STEPS + 1))

    ref, _ = load_checkpoint(tmp_path / "ref" / "checkpoint.pt")
    run, ck = load_checkpoint(ckpt)
    assert ck["step"] == STEPS
    for (name, a), b in zip(ref.state_dict().items(), run.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-4), name
