"""TorchEvaluator: the engine's Evaluator on a live torch model (self-play on a GPU or CPU).

Batching, symmetries and the legal-move policy come from
``engine.evaluator.NetEvaluator``, so a torch model and its ONNX export give
the same ``Evaluation`` for the same position (up to float rounding).
"""

from __future__ import annotations

import torch

from engine.evaluator import NetEvaluator
from nets.model import ZeroGoNet, load_checkpoint


def best_device() -> torch.device:
    """CUDA if present, then Apple MPS, else CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class TorchEvaluator(NetEvaluator):
    """Evaluate positions with a torch ``ZeroGoNet`` (eval mode, no grad, optional fp16 on GPU)."""

    def __init__(self, model: ZeroGoNet, device: str | torch.device | None = None,
                 batch_size: int = 64, random_symmetry: bool = False,
                 seed: int | None = None, fp16: bool | None = None):
        super().__init__(batch_size, random_symmetry, seed)
        self.device = torch.device(device) if device is not None else best_device()
        self.model = model.to(self.device).eval()
        self.fp16 = (self.device.type == "cuda") if fp16 is None else fp16

    @classmethod
    def from_checkpoint(cls, path, **kwargs) -> "TorchEvaluator":
        """A TorchEvaluator for a checkpoint in the shared format (see ``nets.model``)."""
        model, _ = load_checkpoint(path)
        return cls(model, **kwargs)

    def set_model(self, model: ZeroGoNet) -> None:
        """Swap in new weights (e.g. after a training step) on this evaluator's device."""
        self.model = model.to(self.device).eval()

    def run(self, planes, glob):
        """Raw net outputs as float32 numpy arrays (see ``NetEvaluator.run``)."""
        p = torch.from_numpy(planes).to(self.device, non_blocking=True)
        g = torch.from_numpy(glob).to(self.device, non_blocking=True)
        with torch.inference_mode(), torch.autocast(self.device.type, torch.float16,
                                                    enabled=self.fp16):
            out = self.model(p, g)
        return [out[k].float().cpu().numpy()
                for k in ("policy_logits", "value", "score_lead", "ownership")]
