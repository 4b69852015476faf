"""``zerogo bench nn``: network evaluations per second, GFLOP/s, and the machine's own peak.

For each named config and board size it times the bare network at several
batch sizes on torch and on every ONNX Runtime execution provider that loads,
and prints evaluations per second, the achieved GFLOP/s (FLOPs counted from
the conv shapes, ``nets.model.flops_per_eval``) and that as a share of the
peak: a large float32 matmul timed in the same run on the same threads (the
faster of torch and numpy). On the CPU each ``--settings`` pair
(``engine.runtimes``: ONNX Runtime fp32/int8, OpenVINO fp32/bf16/int8) gets
its own rows; GFLOP/s count the same FLOPs whatever the precision. A last line per config and size times the whole
``OnnxEvaluator.evaluate`` path (features, net, legal-move softmax).

Random-weight nets are built and exported with torch (``nets``), imported only
here and only when this command runs (never by ``zerogo gtp``). Timings are
medians over repeated runs, so a busy shared machine's stalls count less.

Example::

    zerogo bench nn --configs b6c64 --sizes 19 --batches 1,8,32,128
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import click
import numpy as np

from engine import features as F
from engine.evaluator import EvaluatorConfig, OnnxEvaluator
from engine.onnx_model import PROVIDERS, choose_providers


@dataclass
class BenchSettings:
    """What ``zerogo bench nn`` measures and for how long."""

    configs: list[str]
    sizes: list[int]
    batches: list[int]
    threads: int
    min_seconds: float = 0.5
    max_run_seconds: float = 4.0
    fp16: bool = False
    cpu_settings: list | None = None   # (runtime, precision) pairs swept on the CPU (engine.runtimes)


def echo_line(line: str) -> None:
    """Print one result line now (flushed: benchmarks run long)."""
    click.echo(line)
    sys.stdout.flush()


def time_call(fn, min_seconds: float, best: bool = False) -> float:
    """Seconds per call of ``fn``: one warm-up, then at least 3 calls and ``min_seconds``.

    Returns the median (so a busy shared machine's stalls count less), or with
    ``best`` the fastest call (for the peak, so that ratios err on the low side).
    """
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < min_seconds and len(times) < 50):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.min(times) if best else np.median(times))


def matmul_peak(threads: int, n: int = 2048, seconds: float = 0.5) -> tuple[float, str]:
    """GFLOP/s of the fastest ``n x n`` float32 matmul, torch (on ``threads``) or numpy."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    best = (2 * n ** 3 / time_call(lambda: a @ a, seconds, best=True) / 1e9, "numpy")
    if importlib.util.find_spec("torch") is not None:
        import torch
        torch.set_num_threads(threads)
        t = torch.from_numpy(a)
        got = 2 * n ** 3 / time_call(lambda: t @ t, seconds, best=True) / 1e9
        if got > best[0]:
            best = (got, "torch")
    return best


def gpu_peak(fp16: bool, n: int = 4096) -> float | None:
    """GFLOP/s of a CUDA matmul (fp16 or fp32 without TF32), or None without a GPU."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    torch.backends.cuda.matmul.allow_tf32 = False
    a = torch.randn(n, n, device="cuda", dtype=torch.float16 if fp16 else torch.float32)

    def mm():
        a @ a
        torch.cuda.synchronize()
    return 2 * n ** 3 / time_call(mm, 0.5, best=True) / 1e9


def sweep(label: str, run, flops: float, settings: BenchSettings, peak: float,
          size: int, inputs=None) -> None:
    """Time ``run(planes, glob)`` at each batch size and print one line per batch.

    ``inputs(batch, size)`` makes the encoded positions (default: zerogo's features).
    """
    inputs = inputs or _inputs
    gflops = None
    for batch in settings.batches:
        if gflops and batch * flops / (gflops * 1e9) > settings.max_run_seconds:
            echo_line(f"  {label:<28} {size:>2}x{size:<2} batch {batch:>4}: skipped "
                 f"(one run would take ~{batch * flops / (gflops * 1e9):.0f}s)")
            continue
        planes, glob = inputs(batch, size)
        per_run = time_call(lambda: run(planes, glob), settings.min_seconds)
        gflops = batch * flops / per_run / 1e9
        echo_line(f"  {label:<28} {size:>2}x{size:<2} batch {batch:>4}: {batch / per_run:9.1f} evals/s "
             f"{gflops:8.1f} GFLOP/s  {100 * gflops / peak:5.1f}% of peak")


_INPUTS: dict = {}


def _inputs(batch: int, size: int):
    """Encoded random positions (cached per batch and size)."""
    key = (batch, size)
    if key not in _INPUTS:
        from nets.export import random_positions
        _INPUTS[key] = F.encode_batch(random_positions(min(batch, 64), size, seed=batch))
        if batch > 64:
            reps = -(-batch // 64)
            _INPUTS[key] = tuple(np.concatenate([x] * reps)[:batch] for x in _INPUTS[key])
    return _INPUTS[key]


def onnx_providers(fp16: bool) -> list[tuple[str, bool]]:
    """(provider, fp16) pairs to try: every available one of TensorRT, CUDA, CPU."""
    import onnxruntime as ort
    out = []
    for key in choose_providers("auto", ort.get_available_providers()):
        out.append((key, False))
        if fp16 and key != PROVIDERS["cpu"]:
            out.append((key, True))
    return out


def bench_onnx(path32: Path, path16: Path | None, config: str, settings: BenchSettings,
               peaks: dict) -> None:
    """Sweep every ONNX Runtime provider that loads; on the CPU, every runtime/precision asked for."""
    from nets.model import flops_per_eval
    for provider, half in onnx_providers(settings.fp16):
        short = next(k for k, v in PROVIDERS.items() if v == provider)
        path = path16 if half else path32
        cpu_settings = (settings.cpu_settings or [("onnxruntime", "fp32")]) if short == "cpu" \
            else [("onnxruntime", "fp32")]
        for runtime, precision in cpu_settings:
            try:
                ev = OnnxEvaluator(path, EvaluatorConfig(provider=short, threads=settings.threads,
                                                         runtime=runtime, precision=precision))
            except Exception as exc:  # noqa: BLE001  (a provider listed as available may still fail)
                echo_line(f"  {runtime} {short} {precision}: did not load ({exc})")
                continue
            if ev.provider.startswith("CPUExecution") and provider != PROVIDERS["cpu"]:
                echo_line(f"  onnxruntime {short}: fell back to {ev.provider}; skipped")
                continue
            peak = peaks["cpu"] if short == "cpu" else peaks.get("gpu16" if half else "gpu32")
            label = f"{runtime} {short}" + (" fp16" if half else "" if (runtime, precision) ==
                                            ("onnxruntime", "fp32") else f" {precision}")
            for size in settings.sizes:
                sweep(label, ev.run, flops_per_eval(config, size, size), settings,
                      peak or float("nan"), size)


def bench_torch(model, config: str, settings: BenchSettings, peaks: dict) -> None:
    """Sweep the torch model on its best device."""
    import torch
    from nets.model import flops_per_eval
    from nets.torch_evaluator import TorchEvaluator
    ev = TorchEvaluator(model, fp16=False)
    gpu = ev.device.type == "cuda"
    peak = peaks.get("gpu32") if gpu else peaks["cpu"]
    torch.set_num_threads(settings.threads)
    for size in settings.sizes:
        sweep(f"torch {ev.device.type}", ev.run, flops_per_eval(config, size, size),
              settings, peak or float("nan"), size)


def bench_network(path: Path, settings: BenchSettings, peak: float) -> None:
    """Sweep a given network file (zerogo ONNX, or a KataGo model converted once) on the CPU.

    Each ``--settings`` runtime/precision pair gets its rows; one that cannot load here is reported.
    """
    from engine.evaluator import load_evaluator
    from engine.katago.cache import is_katago_model
    flops = None
    if is_katago_model(path):
        from engine.katago.modelfile import load_model
        flops = load_model(path).flops
    encoded: dict = {}      # (batch, size) -> inputs; every runtime reads the same encoding
    for runtime, precision in settings.cpu_settings or [("onnxruntime", "fp32")]:
        try:
            ev = load_evaluator(path, EvaluatorConfig(provider="cpu", threads=settings.threads, cache_size=0,
                                                      runtime=runtime, precision=precision))
        except Exception as exc:  # noqa: BLE001  (an optional runtime may be absent or refuse the net)
            echo_line(f"  {runtime} cpu {precision}: did not load ({exc})")
            continue
        inputs = partial(_network_inputs, ev.encode_batch, encoded)
        for size in settings.sizes:
            sweep(f"{runtime} cpu {precision} {path.name[:16]}", ev.run,
                  flops(size, size) if flops else float("nan"), settings, peak, size, inputs)


def _network_inputs(encode, encoded: dict, batch: int, size: int):
    """Random positions encoded by ``encode`` (cached in ``encoded`` per batch and size)."""
    from nets.export import random_positions
    if (batch, size) not in encoded:
        positions = random_positions(min(batch, 64), size, seed=batch)
        encoded[(batch, size)] = encode((positions * (-(-batch // len(positions))))[:batch])
    return encoded[(batch, size)]


def end_to_end(path: Path, settings: BenchSettings) -> None:
    """evaluate() rate at batch 32 (features + net + legal softmax) on the default provider."""
    from nets.export import random_positions
    ev = OnnxEvaluator(path, EvaluatorConfig(threads=settings.threads, batch_size=32))
    for size in settings.sizes:
        positions = random_positions(32, size, seed=7)
        per = time_call(lambda: ev.evaluate(positions), settings.min_seconds)
        echo_line(f"  OnnxEvaluator.evaluate ({ev.provider}) {size}x{size} batch 32: "
             f"{32 / per:.1f} evals/s end to end")


def run_configs(settings: BenchSettings, backends: list[str], peaks: dict) -> None:
    """Export each config once and run the chosen backends."""
    from nets.export import export_onnx, random_net
    with tempfile.TemporaryDirectory() as tmp:
        for config in settings.configs:
            model = random_net(config)
            echo_line(f"{config}:")
            path32 = Path(tmp) / f"{config}.onnx"
            export_onnx(model, path32, check_sizes=(9,))
            path16 = None
            if settings.fp16:
                path16 = Path(tmp) / f"{config}-fp16.onnx"
                export_onnx(random_net(config), path16, fp16=True, check_sizes=(9,))
            if "torch" in backends:
                bench_torch(model, config, settings, peaks)
            if "onnx" in backends:
                bench_onnx(path32, path16, config, settings, peaks)
                end_to_end(path32, settings)
