"""Does a runtime let Python work overlap its network run? Serial against asynchronous, per runtime.

A pipelined search (``engine.search``, ``SearchConfig.pipeline``) gathers
the next batch while the network runs the last; it only pays where the
runtime runs the net on its own threads and hands the CPU back to Python
meanwhile. This script times a static-shape batch three ways: the net alone;
the net then ``--work`` microseconds of pure-Python work (a serial search);
the net started asynchronously, the work done, then waited for. OpenVINO's
``start_async``/``wait`` and ONNX Runtime's ``run_async`` (its callback on an
intra-op pool thread) are measured side by side, so the choice in
``OnnxEvaluator.overlaps`` (OpenVINO only) can be checked on another CPU.

Example (any ONNX net of zerogo's; b6c64 19x19, 2 threads)::

    python benchmarks/overlap_runtime.py weights/zerogo-19x19.onnx --threads 2 --work 1000,2000,3000
"""

from __future__ import annotations

import threading
import time

import click
import numpy as np


def _busy(us: float) -> None:
    """Pure-Python work for ``us`` microseconds (holds the GIL, like a search's descents)."""
    end = time.perf_counter() + us * 1e-6
    x = 0
    while time.perf_counter() < end:
        for i in range(50):
            x += i * i


class _OpenVino:
    """One static-shape OpenVINO request: ``infer``, or ``start`` then ``wait``."""

    def __init__(self, path: str, feeds: dict, threads: int, precision: str):
        import openvino as ov
        core = ov.Core()
        model = core.read_model(path)
        model.reshape({k: list(v.shape) for k, v in feeds.items()})
        config = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1",
                  "ENABLE_CPU_PINNING": "NO", "INFERENCE_NUM_THREADS": str(threads)}
        self.request = core.compile_model(model, "CPU", config).create_infer_request()
        self.feeds = feeds

    def infer(self) -> None:
        self.request.infer(self.feeds)

    def start(self) -> None:
        self.request.start_async(self.feeds)

    def wait(self) -> None:
        self.request.wait()


class _OnnxRuntime:
    """An ONNX Runtime CPU session: ``run``, or ``run_async`` with a callback that sets an event."""

    def __init__(self, path: str, feeds: dict, threads: int):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.names = [o.name for o in self.session.get_outputs()]
        self.feeds, self.done = feeds, threading.Event()

    def infer(self) -> None:
        self.session.run(self.names, self.feeds)

    def start(self) -> None:
        self.done.clear()
        self.session.run_async(self.names, self.feeds, lambda *_: self.done.set(), None)

    def wait(self) -> None:
        self.done.wait()


def _ms_per_batch(runner, mode: str, work_us: float, batches: int) -> float:
    """Best of three: milliseconds a batch run ``mode`` (net, serial or async)."""
    for _ in range(5):
        runner.infer()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(batches):
            if mode == "net":
                runner.infer()
            elif mode == "serial":
                runner.infer()
                _busy(work_us)
            else:
                runner.start()
                _busy(work_us)
                runner.wait()
        best = min(best, (time.perf_counter() - start) / batches)
    return 1e3 * best


@click.command()
@click.argument("network", type=click.Path(exists=True, dir_okay=False))
@click.option("--size", default=19, show_default=True, help="Board size.")
@click.option("--batch", default=16, show_default=True, help="Positions a batch.")
@click.option("--threads", default=2, show_default=True, help="Runtime threads.")
@click.option("--work", default="1000,2000,3000", show_default=True, help="Microseconds of Python a batch.")
@click.option("--batches", default=100, show_default=True, help="Batches a timing.")
@click.option("--runtimes", default="openvino:bf16,onnxruntime:fp32", show_default=True,
              help="runtime:precision pairs (OpenVINO takes f32/bf16 hints as fp32/bf16).")
def main(network: str, size: int, batch: int, threads: int, work: str, batches: int, runtimes: str) -> None:
    """Evaluations/s of the net alone, serial with Python work, and overlapped with it."""
    import onnx
    model = onnx.load(network, load_external_data=False)
    channels = {i.name: i.type.tensor_type.shape.dim[1].dim_value for i in model.graph.input}
    rng = np.random.default_rng(0)
    feeds = {"planes": (rng.random((batch, channels["planes"], size, size)) > 0.5).astype(np.float32),
             "globals": np.zeros((batch, channels["globals"]), np.float32)}
    feeds["planes"][:, 0] = 1.0
    for pair in runtimes.split(","):
        runtime, precision = pair.split(":")
        runner = (_OpenVino(network, feeds, threads, {"fp32": "f32"}.get(precision, precision))
                  if runtime == "openvino" else _OnnxRuntime(network, feeds, threads))
        net = _ms_per_batch(runner, "net", 0, batches)
        click.echo(f"{pair}, {threads} threads: net alone {net:.2f} ms a batch ({batch / net * 1e3:.0f} evals/s)")
        for us in (float(x) for x in work.split(",")):
            serial = _ms_per_batch(runner, "serial", us, batches)
            overlapped = _ms_per_batch(runner, "async", us, batches)
            click.echo(f"  {us:.0f} us of Python a batch: serial {batch / serial * 1e3:.0f} evals/s "
                       f"({net / serial:.0%} of the net), overlapped {batch / overlapped * 1e3:.0f} evals/s "
                       f"({net / overlapped:.0%})")


if __name__ == "__main__":
    main()
