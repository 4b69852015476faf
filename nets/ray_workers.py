"""Self-play on more than one machine: Ray actors writing SGF and shards to shared storage.

Start a cluster with ``ray start --head`` on one machine and
``ray start --address=HEAD:6379`` on the others; every machine must see
``out_dir`` (NFS or similar) and the network file at the same path. Then::

    zerogo selfplay --ray-address auto --ray-workers 8 --network /shared/best.onnx \\
        --games 1000 --out-dir /shared/gen3

With no address, Ray starts a local cluster on this machine. Each actor is
one process running ``nets.selfplay_jobs.run_job`` (its own evaluator, several
games at once); actors get distinct file prefixes so they never clash. No
networking of our own: Ray moves only the job settings and the counts.
"""

from __future__ import annotations

import logging
import time

from nets.selfplay import SelfPlayConfig
from nets.selfplay_jobs import SelfPlayJob, merge_counts, plan_jobs, run_job

log = logging.getLogger(__name__)


class SelfPlayActor:
    """A Ray actor (see ``remote_actor_class``) that plays self-play jobs."""

    def __init__(self, worker_id: int):
        self.worker_id = worker_id

    def play(self, job: SelfPlayJob) -> dict:
        """Run one job and return its counts, tagged with the host that ran it."""
        import os
        import socket
        out = run_job(job)
        out["host"] = socket.gethostname()
        out["pid"] = os.getpid()
        out["worker"] = self.worker_id
        return out


def remote_actor_class(num_cpus: float = 1.0):
    """``SelfPlayActor`` wrapped by ``ray.remote``."""
    import ray
    return ray.remote(num_cpus=num_cpus)(SelfPlayActor)


def connect(address: str | None = None, num_cpus: int | None = None) -> None:
    """Join the cluster at ``address`` ("auto", "host:port") or start a local one."""
    import ray
    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)


def ray_jobs(network: str, cfg: SelfPlayConfig, games: int, workers: int, parallel: int, out_dir: str,
             tag: str, device: str = "cpu", threads: int = 1, runtime: str = "onnxruntime",
             precision: str = "fp32") -> list[SelfPlayJob]:
    """The actors' jobs: the same plan as local self-play (``plan_jobs``), file prefixes ``{tag}-w{i}``."""
    if workers < 1 or games < 1:
        raise ValueError("workers and games must be at least 1")
    return plan_jobs(network, cfg, games, workers, parallel, out_dir, f"{tag}-w", device, threads,
                     runtime, precision)


def ray_selfplay(network: str, cfg: SelfPlayConfig, games: int, workers: int, parallel: int,
                 out_dir: str, address: str | None = None, num_cpus: int | None = None,
                 device: str = "cpu", threads: int = 1, runtime: str = "onnxruntime",
                 precision: str = "fp32") -> dict:
    """Play ``games`` games over ``workers`` Ray actors; returns merged counts and throughput.

    ``runtime``/``precision`` reach every actor's evaluator as in local self-play
    (``summary["runtimes"]`` says what the actors ran).
    """
    jobs = ray_jobs(network, cfg, games, workers, parallel, out_dir, f"ray{int(time.time())}", device,
                    threads, runtime, precision)
    import ray
    connect(address, num_cpus)
    actor_cls = remote_actor_class()
    actors = [actor_cls.remote(i) for i in range(len(jobs))]
    start = time.perf_counter()
    outs = ray.get([a.play.remote(j) for a, j in zip(actors, jobs)])
    summary = merge_counts(outs, time.perf_counter() - start)
    summary["hosts"] = sorted({o["host"] for o in outs})
    summary["workers"] = len(outs)
    summary["pids"] = sorted({o["pid"] for o in outs})
    for a in actors:
        ray.kill(a)
    return summary
