"""Open a network for self-play, tuning or gating: ONNX file, torch checkpoint, or none.

``open_evaluator(spec)``: ``"uniform"`` gives ``UniformEvaluator``; a ``.onnx``
file goes to ``engine.evaluator.load_evaluator`` (ONNX Runtime, CPU or GPU,
with its transposition cache); a ``.pt`` checkpoint runs in torch
(``nets.torch_evaluator.TorchEvaluator``, for self-play on a GPU). Random
board symmetries are on: self-play games then see each position in a random
orientation, as in AlphaGo Zero.
"""

from __future__ import annotations

from pathlib import Path

from engine.evaluation import Evaluator, UniformEvaluator


class NetworkError(ValueError):
    """A network file that is missing or of an unknown kind."""


def open_evaluator(spec: str | Path, device: str = "cpu", threads: int = 1,
                   batch_size: int = 256, seed: int | None = None, runtime: str = "onnxruntime",
                   precision: str = "fp32") -> Evaluator:
    """An evaluator for ``spec``: "uniform", an ONNX file or a torch checkpoint.

    ``runtime``/``precision``: CPU inference settings for ONNX files (``engine.runtimes``).
    """
    if str(spec) == "uniform":
        return UniformEvaluator()
    path = Path(spec)
    if not path.is_file():
        raise NetworkError(f"no network file {path}")
    if path.suffix == ".onnx":
        from engine.evaluator import EvaluatorConfig, load_evaluator
        provider = "cpu" if device == "cpu" else "auto"
        cfg = EvaluatorConfig(provider=provider, threads=threads, batch_size=batch_size,
                              cache_size=100_000, random_symmetry=True, seed=seed,
                              runtime=runtime, precision=precision)
        return load_evaluator(path, cfg)
    if path.suffix in (".pt", ".pth"):
        from nets.torch_evaluator import TorchEvaluator
        return TorchEvaluator.from_checkpoint(path, device=device, batch_size=batch_size,
                                              random_symmetry=True, seed=seed)
    raise NetworkError(f"{path}: expected a .onnx file, a .pt checkpoint or 'uniform'")
