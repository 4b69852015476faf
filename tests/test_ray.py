"""Ray self-play: a local cluster of two worker processes writing to one shared directory, and the
actors' jobs carrying the same network settings (runtime, precision) as local self-play."""

from __future__ import annotations

import os

import pytest
import ray

from nets.ray_workers import SelfPlayActor, ray_jobs, ray_selfplay
from nets.selfplay import SelfPlayConfig
from nets.selfplay_jobs import plan_jobs
from nets.selfplay_search import SearchSettings
from nets.shards import list_shards, load_shard
from tests.gtp_session import REPO

NET = os.path.join(REPO, "weights", "zerogo-9x9.onnx")


def test_two_ray_workers_write_games_to_a_shared_dir(tmp_path):
    cfg = SelfPlayConfig(board_size=5, komi=0.5, search=SearchSettings(visits=6, fast_visits=2),
                         full_prob=1.0, max_moves=30, seed=3)
    try:
        summary = ray_selfplay("uniform", cfg, games=4, workers=2, parallel=2,
                               out_dir=str(tmp_path), num_cpus=2)
    finally:
        ray.shutdown()
    assert summary["games"] == 4 and summary["workers"] == 2
    assert len(summary["pids"]) == 2 and os.getpid() not in summary["pids"]
    sgfs = sorted((tmp_path / "sgf").glob("*.sgf"))
    assert len(sgfs) == 4
    prefixes = {p.name.rsplit("-", 1)[0] for p in sgfs}
    assert len(prefixes) == 2                      # one prefix per actor: no clashes
    shards = list_shards(tmp_path / "shards")
    assert sum(len(load_shard(p)) for p in shards) == summary["samples"] > 0


def test_ray_selfplay_rejects_no_workers(tmp_path):
    with pytest.raises(ValueError, match="workers"):
        ray_selfplay("uniform", SelfPlayConfig(board_size=5), games=1, workers=0, parallel=1,
                     out_dir=str(tmp_path))


def test_ray_jobs_carry_runtime_and_precision_to_the_actors_evaluator(tmp_path):
    cfg = SelfPlayConfig(board_size=9, komi=7, search=SearchSettings(visits=4, fast_visits=2),
                         full_prob=1.0, max_moves=6, seed=1)
    jobs = ray_jobs(NET, cfg, games=3, workers=2, parallel=2, out_dir=str(tmp_path), tag="t", threads=1,
                    runtime="openvino", precision="bf16")
    assert jobs == plan_jobs(NET, cfg, 3, 2, 2, str(tmp_path), "t-w", threads=1, runtime="openvino",
                             precision="bf16")           # the same plan as local self-play
    assert [(j.games, j.prefix, j.config.seed, j.threads, j.runtime, j.precision) for j in jobs] == \
        [(2, "t-w0", 1, 1, "openvino", "bf16"), (1, "t-w1", 2, 1, "openvino", "bf16")]
    out = SelfPlayActor(1).play(jobs[1])     # the actor's own code, in this process (no cluster)
    assert out["runtime"] == "openvino bf16" and out["games"] == 1 and out["worker"] == 1
    default = ray_jobs(NET, cfg, games=1, workers=1, parallel=1, out_dir=str(tmp_path), tag="d", threads=1)
    assert SelfPlayActor(0).play(default[0])["runtime"] == "onnxruntime fp32"
