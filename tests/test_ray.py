"""Ray self-play: a local cluster of two worker processes writing to one shared directory."""

from __future__ import annotations

import os

import pytest
import ray

from nets.ray_workers import ray_selfplay
from nets.selfplay import SelfPlayConfig
from nets.selfplay_search import SearchSettings
from nets.shards import list_shards, load_shard


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
