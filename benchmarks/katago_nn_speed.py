"""Speed of converted KataGo networks under ONNX Runtime: evals/s, GFLOP/s, share of the machine's peak.

Usage (from the repository root)::

    python3 benchmarks/katago_nn_speed.py ~/.cache/zerogo/katago-nets/*.bin.gz \
        --sizes 9,19 --batches 1,8,16 --threads 2

Each network is converted once (``engine.katago.cache.converted_path``), then
timed on random inputs: the median seconds per ``session.run`` (so a shared,
busy machine's stalls count less) over at least ``--seconds`` per row. FLOPs
come from the layer shapes (2 per multiply-add, convolutions and dense layers);
the peak is the best of a few large float32 matmuls with numpy on the same
number of threads, measured in the same run. ``--mish`` also times the other ways
of writing Mish (literal softplus, ONNX's Mish operator) beside the default. ``--search-visits N`` also
runs zerogo's MCTS from the empty board through the whole evaluator path
(KataGo's input features, batching, the net) and prints visits/s and the share
of time spent in the evaluator.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.katago.layers import KataModel
from engine.katago.modelfile import load_model


def flops_per_eval(model: KataModel, size: int) -> float:
    """Floating-point operations of one evaluation on a ``size`` x ``size`` board."""
    return model.flops(size, size)


def peak_gflops(threads: int, n: int = 1024) -> float:
    """Best GFLOP/s of a float32 ``n`` x ``n`` matmul (numpy's BLAS on its own threads)."""
    a = np.random.rand(n, n).astype(np.float32)
    b = np.random.rand(n, n).astype(np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(8))
    return 2 * n ** 3 / best / 1e9


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def session(path, threads: int):
    """An ONNX Runtime CPU session like zerogo's evaluator opens (no spinning)."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def bench(sess, size: int, batch: int, seconds: float) -> float:
    """Median seconds per run of ``batch`` random positions on a ``size`` board."""
    rng = np.random.default_rng(0)
    planes = (rng.random((batch, 22, size, size)) < 0.2).astype(np.float32)
    planes[:, 0] = 1.0
    feeds = {"planes": planes, "globals": rng.normal(0, 0.3, (batch, 19)).astype(np.float32)}
    sess.run(None, feeds)
    times, start = [], time.perf_counter()
    while len(times) < 3 or time.perf_counter() - start < seconds:
        times.append(_timed(lambda: sess.run(None, feeds)))
    return statistics.median(times)


def main(argv=None) -> None:
    """Print one row per network, board size and batch size."""
    from engine.katago.cache import converted_path

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+", type=Path)
    p.add_argument("--sizes", default="9,19")
    p.add_argument("--batches", default="1,8,16")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--mish", action="store_true", help="also time the other Mish forms")
    p.add_argument("--search-visits", type=int, default=0,
                   help="also time an MCTS search of this many visits per board size")
    p.add_argument("--search-batch", type=int, default=8, help="leaves per network call")
    args = p.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    peak = peak_gflops(args.threads)
    load = os.getloadavg()[0]
    print(f"peak (numpy float32 matmul, {args.threads} threads): {peak:.0f} GFLOP/s; "
          f"load average {load:.1f}", flush=True)
    for model_file in args.models:
        model = load_model(model_file)
        variants = ["sigmoid"]
        if args.mish and any(a == "mish" for a in _activations(model)):
            variants += ["softplus", "op"]
        for mish in variants:
            label = f"mish={mish}"
            path = converted_path(model_file, mish=mish)
            sess = session(path, args.threads)
            for size in (int(s) for s in args.sizes.split(",")):
                flops = flops_per_eval(model, size)
                for batch in (int(b) for b in args.batches.split(",")):
                    sec = bench(sess, size, batch, args.seconds)
                    rate = batch / sec
                    gf = rate * flops / 1e9
                    print(f"{model_file.name[:40]:40s} {label:20s} {size:2d}x{size:<2d} "
                          f"batch {batch:3d}: {rate:7.1f} evals/s  {gf:6.1f} GFLOP/s "
                          f"({100 * gf / peak:3.0f}% of peak)", flush=True)
        if args.search_visits:
            for size in (int(s) for s in args.sizes.split(",")):
                visits, sec, net = search_speed(model_file, size, args.search_visits,
                                                args.search_batch, args.threads)
                print(f"{model_file.name[:40]:40s} search {size:2d}x{size:<2d} batch "
                      f"{args.search_batch}: {visits} visits in {sec:.1f} s = "
                      f"{visits / sec:.1f} visits/s ({100 * net / sec:.0f}% in the evaluator)",
                      flush=True)


def search_speed(model_file, size: int, visits: int, batch: int, threads: int):
    """(visits, seconds, evaluator seconds) of one search from the empty board (after a warm-up)."""
    from engine.evaluator import EvaluatorConfig, load_evaluator
    from engine.game import Game
    from engine.player import MoveLimits
    from engine.search import SearchConfig, Searcher

    inner = load_evaluator(model_file, EvaluatorConfig(threads=threads, batch_size=batch,
                                                       cache_size=0))
    spent = [0.0]

    class Timed:
        def evaluate(self, positions):
            t = time.perf_counter()
            out = inner.evaluate(positions)
            spent[0] += time.perf_counter() - t
            return out

    cfg = SearchConfig(batch_size=batch, early_stop=False, reuse_tree=False, seed=0)
    Searcher(Timed(), cfg).search(Game(size), MoveLimits(visits=min(16, visits)))
    spent[0] = 0.0
    start = time.perf_counter()
    result = Searcher(Timed(), cfg).search(Game(size), MoveLimits(visits=visits))
    return result.playouts, time.perf_counter() - start, spent[0]


def _activations(model: KataModel):
    return [p.kind for p in model.parts()
            if hasattr(p, "kind") and hasattr(p, "name") and not hasattr(p, "weight")]


if __name__ == "__main__":
    main()
