"""Search benchmark parts (``zerogo bench search``): MCTS visits per second, beside Leela Zero on the same machine.

For each board size and net shape (``b6c64``, ``b6c128``: blocks x channels)
a random-weight network is exported to ONNX and searched from the empty board
with ``zerogo``'s searcher; the evaluator is timed apart, so each visit's time
splits into network and search overhead. Leela Zero (``leelaz --cpu-only
--benchmark``) runs in the same invocation on random weights of the same
size, written here in its version-1 text format; Leela Zero is built for
19x19 only. Both sides use ``--threads`` CPU threads (Leela Zero's ``-t``). ``--settings``
searches with each CPU runtime/precision (``engine.runtimes``); each row also
times the bare network on the search's own batch, so ``search/net`` is the
share of the network's evaluations/s that the search keeps, and the time
inside the network run itself, so ``us/visit beside net`` is the search's
own work per visit (tree, boards, features, legal masks, softmax).

Making a random ONNX net needs the training extras (torch), so the command
itself and ``make_random_onnx`` live in ``nets.bench_search``; this module
holds the torch-free measuring parts.
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.evaluation import Evaluator, Position
from engine.game import Game
from engine.player import MoveLimits
from engine.search import SearchConfig, Searcher
from engine.tree_choice import compiled_reason

NET_SHAPES = {"b6c64": (6, 64), "b6c128": (6, 128)}
LZ_BOARD = 19


# ------------------------------------------------------------ Leela Zero
def leelaz_weights_lines(blocks: int, channels: int, seed: int = 0) -> list[str]:
    """Random weights in Leela Zero's v1 text format (input 18 planes, 19x19).

    Layout: ``1``; input conv (weights, biases, BN means, BN variances);
    per block two such convs; policy head conv (4 lines) + FC (2 lines);
    value head conv (4 lines) + FC1 (2) + FC2 (2).
    """
    rng = np.random.default_rng(seed)
    area = LZ_BOARD * LZ_BOARD

    def row(n, scale):
        return " ".join(f"{x:.4g}" for x in rng.normal(0.0, scale, n))

    def conv(cin, cout, k):
        fan = cin * k * k
        return [row(cout * fan, (2.0 / fan) ** 0.5), row(cout, 0.01), row(cout, 0.05),
                " ".join("1" for _ in range(cout))]

    lines = ["1"] + conv(18, channels, 3)
    for _ in range(blocks):
        lines += conv(channels, channels, 3) + conv(channels, channels, 3)
    lines += conv(channels, 2, 1) + [row((area + 1) * 2 * area, 0.01), row(area + 1, 0.01)]
    lines += conv(channels, 1, 1) + [row(256 * area, 0.01), row(256, 0.01), row(256, 0.05), row(1, 0.01)]
    return lines


def run_leelaz(binary: str, weights: Path, visits: int, timeout: float = 900.0,
               threads: int = 1) -> tuple[float | None, str]:
    """Run ``leelaz --cpu-only --benchmark -t THREADS -v N``; (visits per second or None, its last output)."""
    cmd = [binary, "--cpu-only", "--benchmark", "-w", str(weights), "-t", str(threads), "-v", str(visits)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    text = proc.stdout + proc.stderr
    visits = re.findall(r"(\d+) visits", text)
    rate = re.findall(r"([\d.]+) n/s", text)
    if rate:
        return float(rate[-1]), text[-400:]
    secs = re.findall(r"([\d.]+) seconds", text)
    if visits and secs:
        return int(visits[-1]) / float(secs[-1]), text[-400:]
    return None, text[-400:]


# ---------------------------------------------------------------- zerogo
class TimedEvaluator(Evaluator):
    """Wraps an evaluator and adds up the seconds spent in it."""

    def __init__(self, inner: Evaluator):
        self.inner, self.seconds, self.calls, self.positions = inner, 0.0, 0, 0
        self.largest: list = []   # the largest batch seen (for timing the bare network)

    @property
    def overlaps(self) -> bool:
        """The inner evaluator's (a pipelined search when True)."""
        return getattr(self.inner, "overlaps", False)

    def evaluate(self, positions):
        """Evaluate through the inner evaluator, timing the call."""
        self._count(positions)
        t = time.perf_counter()
        out = self.inner.evaluate(positions)
        self.seconds += time.perf_counter() - t
        return out

    def begin(self, positions):
        """The inner evaluator's job, its calls (encoding, starting, waiting, decoding) timed."""
        self._count(positions)
        t = time.perf_counter()
        job = _TimedJob(self, self.inner.begin(positions))
        self.seconds += time.perf_counter() - t
        return job

    def _count(self, positions) -> None:
        if len(positions) > len(self.largest):
            self.largest = list(positions)
        self.calls += 1
        self.positions += len(positions)


class _TimedJob:
    """A job whose calls add their seconds to a ``TimedEvaluator`` (time the search spends in the evaluator)."""

    def __init__(self, timer: TimedEvaluator, job):
        self.timer, self.job = timer, job

    def _timed(self, call):
        t = time.perf_counter()
        try:
            return call()
        finally:
            self.timer.seconds += time.perf_counter() - t

    def start(self) -> None:
        """Start the inner job."""
        self._timed(self.job.start)

    def wait(self) -> None:
        """Wait for the inner job."""
        self._timed(self.job.wait)

    def result(self):
        """The inner job's evaluations."""
        return self._timed(self.job.result)


@dataclass
class SearchBench:
    """One measurement: visits per second and where the time went."""

    visits: int
    seconds: float
    net_seconds: float
    bare_rate: float = 0.0     # the bare network's evaluations/s at the search's batch size
    run_seconds: float = 0.0   # inside the network run alone (``evaluator.run``: no features, no softmax)
    tree: str = "python"       # the search tree that ran (engine.tree_choice)

    @property
    def rate(self) -> float:
        """Visits per second."""
        return self.visits / self.seconds if self.seconds else 0.0

    @property
    def beside_net_us(self) -> float:
        """Microseconds per visit spent outside the network run: the search's own Python work."""
        return 1e6 * (self.seconds - self.run_seconds) / self.visits if self.visits and self.run_seconds else 0.0

    @property
    def overhead(self) -> float:
        """Share of the time spent outside the network (search, board, features glue)."""
        return 1.0 - self.net_seconds / self.seconds if self.seconds else 0.0


def bare_rate(evaluator, positions, seconds: float = 1.0) -> float:
    """Evaluations/s of ``evaluator.run`` (the network alone) on ``positions``, median of runs."""
    from engine import features as F
    planes, glob = getattr(evaluator, "encode_batch", F.encode_batch)(positions)   # the net's own encoder
    evaluator.run(planes, glob)
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        evaluator.run(planes, glob)
        times.append(time.perf_counter() - t)
    return len(positions) / float(np.median(times))


def _time_runs(evaluator) -> list[float] | None:
    """Wrap ``evaluator.run`` (the network alone) to add up its seconds; None if it has none."""
    run = getattr(evaluator, "run", None)
    if run is None or "run" in vars(evaluator):
        return None
    total = [0.0]

    def timed_run(planes, glob):
        t = time.perf_counter()
        try:
            return run(planes, glob)
        finally:
            total[0] += time.perf_counter() - t
    evaluator.run = timed_run
    return total


def bench_zerogo(evaluator: Evaluator, size: int, visits: int, batch_size: int,
                 game: Game | None = None, pipeline: bool = True, tree: str = "python") -> SearchBench:
    """Search the empty board (or ``game``'s position) for ``visits`` visits (the same search once
    before, untimed), then time the bare network on the search's largest batch (``SearchBench.bare_rate``).

    ``pipeline``: pipelined or serial throughout (``SearchConfig.pipeline`` on or off; on only where
    the evaluator overlaps); a pipelined search never calls ``run``, so ``run_seconds`` stays 0.
    ``tree``: ``SearchConfig.tree``; the compiled tree runs the network itself (no evaluator calls
    to time), so its network time is the time inside ``run``.
    """
    game = game if game is not None else Game(size)
    timed = TimedEvaluator(evaluator)
    cfg = SearchConfig(batch_size=batch_size, early_stop=False, reuse_tree=False, seed=0,
                       pipeline="on" if pipeline else "off", tree=tree)
    compiled = tree != "python" and compiled_reason(cfg, evaluator) is None
    searched = evaluator if compiled else timed
    # the same search first: OpenVINO compiles a static copy for each batch size on its first use
    # (0.15-0.2 s each), and a pipelined search's last batches come in sizes a shorter one never asks for
    Searcher(searched, cfg).search(game, MoveLimits(visits=visits))
    timed.seconds = 0.0
    run_seconds = None if (pipeline and timed.overlaps and not compiled) else _time_runs(evaluator)
    start = time.perf_counter()
    try:
        result = Searcher(searched, cfg).search(game, MoveLimits(visits=visits))
    finally:
        if run_seconds is not None:
            del evaluator.run          # back to the class's own method
    ran = run_seconds[0] if run_seconds is not None else 0.0
    bench = SearchBench(result.playouts, time.perf_counter() - start, ran if compiled else timed.seconds,
                        run_seconds=ran, tree="compiled" if compiled else "python")
    if compiled:   # no batches seen: the network timed on the root position, a full batch of it
        timed.largest = [Position.from_game(game)] * batch_size
    if hasattr(evaluator, "run") and timed.largest:
        bench.bare_rate = bare_rate(evaluator, timed.largest)
    return bench
