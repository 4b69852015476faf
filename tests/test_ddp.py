"""torchrun with two CPU processes (gloo): both ranks hold identical weights after training."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from nets.data import convert
from nets.model import build_model, load_checkpoint
from tests.test_data import write_games

WORKER = textwrap.dedent("""
    import hashlib, os, sys
    import torch
    torch.set_num_threads(1)
    from nets.train import Trainer, TrainSettings
    shards, run_dir, out, replay = (sys.argv[1:] + [""])[:4]
    t = Trainer(TrainSettings(data_dirs=[shards], run_dir=run_dir, config="b2c16",
                              batch_size=16, steps=2, warmup_steps=1, lr=0.1,
                              replay_dirs=[replay] if replay else [],
                              tensorboard=False, checkpoint_minutes=60))
    assert t.dist.world == 2 and t.net is not t.model
    t.run()
    h = hashlib.sha256()
    for k, v in t.model.state_dict().items():
        h.update(k.encode()); h.update(v.detach().cpu().numpy().tobytes())
    with open(os.path.join(out, f"rank{t.dist.rank}.txt"), "w") as f:
        f.write(f"{t.step} {h.hexdigest()}")
    t.close()
""")


def _digest(model) -> str:
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    return h.hexdigest()


def _torchrun(tmp_path, *extra):
    """Run WORKER on two gloo processes; the completed process."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    return subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
         str(script), str(tmp_path / "shards"), str(tmp_path / "run"), str(tmp_path), *extra],
        env=env, capture_output=True, text=True, timeout=120)


def test_torchrun_two_cpu_processes_keep_identical_weights(tmp_path):
    write_games(tmp_path / "sgf", 2)
    convert([tmp_path / "sgf"], tmp_path / "shards", progress_bar=False)
    res = _torchrun(tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    r0 = (tmp_path / "rank0.txt").read_text().split()
    r1 = (tmp_path / "rank1.txt").read_text().split()
    assert r0 == r1 and r0[0] == "2"
    model, ck = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert ck["meta"]["world_size"] == 2 and ck["step"] == 2
    assert _digest(model) == r0[1]  # rank 0 saved the shared weights
    torch.manual_seed(0)
    assert _digest(build_model("b2c16")) != r0[1]  # the steps did change the initial weights


def test_a_data_problem_found_by_rank_0_stops_every_rank(tmp_path):
    """Rank 0 lists the shards; when the replay dirs hold none, both ranks raise instead of one hanging."""
    write_games(tmp_path / "sgf", 2)
    convert([tmp_path / "sgf"], tmp_path / "shards", progress_bar=False)
    (tmp_path / "empty").mkdir()
    res = _torchrun(tmp_path, str(tmp_path / "empty"))      # the 120 s timeout fails a hang
    assert res.returncode != 0
    assert res.stderr.count("no shards in the replay dirs") >= 2, res.stderr[-3000:]
