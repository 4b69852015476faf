"""Open a network for self-play, tuning or gating: ONNX file, torch checkpoint, or none.

``open_evaluator(spec)``: ``"uniform"`` gives ``UniformEvaluator``; a ``.onnx``
file goes to ``engine.evaluator.load_evaluator`` (ONNX Runtime, CPU or GPU);
a ``.pt`` checkpoint runs in torch (``nets.torch_evaluator`` when present,
else ``TorchEvaluator`` below). Every evaluator is batched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from engine.evaluation import Evaluation, Evaluator, Position, UniformEvaluator
from engine.features import encode_batch
from nets.model import ZeroGoNet, load_checkpoint


class NetworkError(ValueError):
    """A network file that is missing or of an unknown kind."""


class TorchEvaluator(Evaluator):
    """Evaluates same-size positions with a torch ZeroGoNet (eval mode, no grad)."""

    def __init__(self, model: ZeroGoNet, device: str = "cpu"):
        self.model = model.to(device).eval()
        self.device = device

    @torch.no_grad()
    def evaluate(self, positions: list[Position]) -> list[Evaluation]:
        """Policy (softmax over legal moves), value, score lead and ownership per position."""
        if not positions:
            return []
        planes, glob = encode_batch(positions)
        out = self.model(torch.from_numpy(planes).to(self.device),
                         torch.from_numpy(glob).to(self.device))
        logits = out["policy_logits"].float().cpu().numpy()
        value = out["value"].float().cpu().numpy()
        score = out["score_lead"].float().cpu().numpy()
        own = out["ownership"].float().cpu().numpy()
        return [_evaluation(p, logits[i], value[i], score[i], own[i])
                for i, p in enumerate(positions)]


def _evaluation(pos: Position, logits: np.ndarray, value, score, own) -> Evaluation:
    """One Evaluation from a padded network output row."""
    b = pos.board
    pad_w = own.shape[-1]
    grid = logits[:-1].reshape(-1, pad_w)[:b.height, :b.width].reshape(-1)
    flat = np.concatenate([grid, logits[-1:]])
    legal = b.legal_mask()
    flat = np.where(legal, flat, -np.inf)
    p = np.exp(flat - flat.max())
    return Evaluation(p / p.sum(), float(value), float(score), own[:b.height, :b.width])


def open_evaluator(spec: str | Path, device: str = "cpu", threads: int = 1) -> Evaluator:
    """An evaluator for ``spec``: "uniform", an ONNX file or a torch checkpoint."""
    if str(spec) == "uniform":
        return UniformEvaluator()
    path = Path(spec)
    if not path.is_file():
        raise NetworkError(f"no network file {path}")
    if path.suffix == ".onnx":
        from engine import evaluator as ev
        return ev.load_evaluator(str(path), **_ort_kwargs(ev.load_evaluator, threads))
    if path.suffix in (".pt", ".pth"):
        try:
            from nets.torch_evaluator import TorchEvaluator as Shared
        except ImportError:
            Shared = None
        model, _ = load_checkpoint(path)
        return Shared(model, device=device) if Shared else TorchEvaluator(model, device)
    raise NetworkError(f"{path}: expected a .onnx file, a .pt checkpoint or 'uniform'")


def _ort_kwargs(fn, threads: int) -> dict:
    """Pass a thread count to load_evaluator if it takes one."""
    import inspect
    params = inspect.signature(fn).parameters
    for name in ("threads", "intra_op_threads", "num_threads"):
        if name in params:
            return {name: threads}
    return {}
