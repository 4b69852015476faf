"""Stop a training run (kill -9 after a checkpoint, or SIGTERM at any step), resume it: the step
counter and data order continue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from nets.data import convert
from nets.model import load_checkpoint
from tests.test_data import write_games

STEPS = 160


def _cmd(shards, run_dir, batch_log, every: int = 7) -> list[str]:
    return [sys.executable, "-m", "gtp.cli", "train", "--data", str(shards), "--run-dir",
            str(run_dir), "--config", "b2c16", "--batch-size", "16", "--steps", str(STEPS),
            "--warmup-steps", "5", "--checkpoint-every", str(every), "--log-every", "10",
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


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Shards and an uninterrupted run over them: (shards, batch log, checkpoint)."""
    tmp = tmp_path_factory.mktemp("resume")
    write_games(tmp / "sgf", 6)
    convert([tmp / "sgf"], tmp / "shards", progress_bar=False)
    subprocess.run(_cmd(tmp / "shards", tmp / "ref", tmp / "ref.log"), env=_env(),
                   check=True, capture_output=True, timeout=120)
    return tmp / "shards", tmp / "ref.log", tmp / "ref" / "checkpoint.pt"


def _resume_matches_reference(reference, run_dir, run_log, stopped_at: int) -> None:
    """Run the same command again: it carries on from ``stopped_at`` and ends as the reference."""
    shards, ref_log, ref_ckpt = reference
    logged_before = len(run_log.read_text().splitlines())
    subprocess.run(_cmd(shards, run_dir, run_log), env=_env(), check=True, capture_output=True,
                   timeout=120)
    resumed_lines = run_log.read_text().splitlines()[logged_before:]
    assert int(resumed_lines[0].split()[0]) == stopped_at + 1  # the step counter continues
    assert _last_per_step(run_log) == _last_per_step(ref_log)  # same batches, in order
    assert sorted(_last_per_step(run_log)) == list(range(1, STEPS + 1))

    ref, _ = load_checkpoint(ref_ckpt)
    run, ck = load_checkpoint(run_dir / "checkpoint.pt")
    assert ck["step"] == STEPS
    for (name, a), b in zip(ref.state_dict().items(), run.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-4), name


def test_kill_and_resume_continues_steps_and_data_order(reference, tmp_path):
    run_log = tmp_path / "run.log"
    proc = subprocess.Popen(_cmd(reference[0], tmp_path / "run", run_log), env=_env(),
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
    assert len(run_log.read_text().splitlines()) >= killed_at
    _resume_matches_reference(reference, tmp_path / "run", run_log, killed_at)


def test_sigterm_saves_the_step_in_flight_and_resumes(reference, tmp_path):
    """No periodic checkpoint: SIGTERM alone must save, after the step it interrupts."""
    run_log = tmp_path / "run.log"
    proc = subprocess.Popen(_cmd(reference[0], tmp_path / "run", run_log, every=0), env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while (not run_log.exists() or len(run_log.read_text().splitlines()) < 3) \
            and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "run the same command to carry on" in err
    stopped_at = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)["step"]
    assert 3 <= stopped_at < STEPS
    assert len(run_log.read_text().splitlines()) == stopped_at  # the step in flight was finished
    _resume_matches_reference(reference, tmp_path / "run", run_log, stopped_at)
