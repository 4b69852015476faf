"""Export a checkpoint (or a randomly initialised net) to ONNX, and check it against torch.

The ONNX file is the contract read by ``engine.evaluator``:

* inputs ``planes [N, NUM_PLANES, H, W]`` and ``globals [N, NUM_GLOBALS]``
  (float32, or float16 with ``--fp16``); N, H and W are dynamic;
* outputs ``policy_logits [N, H*W + 1]``, ``value [N]`` (tanh, side to move),
  ``score_lead [N]`` (points), ``ownership [N, H, W]`` (tanh);
* metadata ``feature_version``, ``config``, ``board_sizes`` (``"9,13,19"``),
  ``training_step``, ``provenance`` and ``precision`` (``fp32``/``fp16``).

Usage::

    zerogo export runs/ck_00012000.pt -o weights/zerogo-9x9.onnx --board-sizes 9
    zerogo export --random b6c64 -o /tmp/b6c64.onnx       # random weights, for benchmarks
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import torch

from engine import features as F
from engine.evaluation import Position
from engine.game import Game
from engine.rules import rules_by_name
from nets.model import ExportWrapper, ZeroGoNet, build_model

log = logging.getLogger(__name__)

INPUT_NAMES = ("planes", "globals")
OUTPUT_NAMES = ExportWrapper.OUTPUTS
META_KEYS = ("feature_version", "config", "board_sizes", "training_step", "provenance")
OPSET = 17
TOLERANCE = {False: 1e-3, True: 5e-2}  # largest |torch - onnxruntime| accepted (fp32, fp16)


class ExportError(RuntimeError):
    """The exported file does not agree with torch, or the export itself failed."""


def random_net(config_name: str, seed: int = 0) -> ZeroGoNet:
    """A randomly initialised net of the named config in eval mode (non-trivial BatchNorm)."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = build_model(config_name)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=gen) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) * 0.5 + 0.75)
    return model.eval()


def random_positions(count: int, width: int, height: int | None = None, seed: int = 0,
                     max_moves: int | None = None) -> list[Position]:
    """``count`` positions reached by random legal moves (for parity checks and benchmarks)."""
    height = width if height is None else height
    rng = np.random.default_rng(seed)
    max_moves = (width * height) // 2 if max_moves is None else max_moves
    rules = rules_by_name("chinese")
    out = []
    for _ in range(count):
        g = Game(width, height, rules=rules)
        for _ in range(int(rng.integers(0, max_moves + 1))):
            legal = np.flatnonzero(g.board.legal_mask()[:-1])
            if legal.size == 0:
                break
            g.play(int(rng.choice(legal)))
        out.append(Position.from_game(g, F.HISTORY))
    return out


def _dummy_inputs(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    planes = torch.zeros(2, F.NUM_PLANES, 9, 9, dtype=dtype)
    planes[:, F.MASK_PLANE] = 1
    return planes, torch.zeros(2, F.NUM_GLOBALS, dtype=dtype)


def _write_metadata(path: Path, meta: dict) -> None:
    """Store ``meta`` (stringified) in the ONNX file's metadata_props."""
    import onnx
    model = onnx.load(str(path))
    del model.metadata_props[:]
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = str(key), str(value)
    onnx.save(model, str(path))


def full_meta(model: ZeroGoNet, meta: dict | None, fp16: bool) -> dict:
    """The metadata to store: defaults for every required key, overridden by ``meta``."""
    out = {"feature_version": F.FEATURE_VERSION, "config": model.config.name,
           "board_sizes": "9,13,19", "training_step": 0,
           "provenance": "randomly initialised (untrained)"}
    out.update(meta or {})
    out["feature_version"] = F.FEATURE_VERSION
    out["precision"] = "fp16" if fp16 else "fp32"
    return out


def export_onnx(model: ZeroGoNet, path, meta: dict | None = None, fp16: bool = False,
                check_sizes: tuple[int, ...] = (9, 13, 19)) -> float:
    """Write ``model`` to ONNX at ``path`` with metadata; return the largest |torch - ORT| diff.

    Raises ExportError when the difference exceeds ``TOLERANCE[fp16]``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dtype = torch.float16 if fp16 else torch.float32
    wrapper = ExportWrapper(model).eval().to(dtype)
    axes = {"planes": {0: "N", 2: "H", 3: "W"}, "globals": {0: "N"},
            "policy_logits": {0: "N", 1: "moves"}, "value": {0: "N"},
            "score_lead": {0: "N"}, "ownership": {0: "N", 1: "H", 2: "W"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapper, _dummy_inputs(dtype), str(path), input_names=list(INPUT_NAMES),
                          output_names=list(OUTPUT_NAMES), dynamic_axes=axes,
                          opset_version=OPSET, dynamo=False)
    _write_metadata(path, full_meta(model, meta, fp16))
    model.float()
    diff = parity(model, path, check_sizes)
    if not diff <= TOLERANCE[fp16]:
        raise ExportError(f"ONNX Runtime and torch disagree by {diff:.3g} "
                          f"(tolerance {TOLERANCE[fp16]}) for {path}")
    return diff


def parity(model: ZeroGoNet, path, sizes=(9, 13, 19), per_size: int = 4) -> float:
    """Largest |torch - ONNX Runtime (CPU)| over all outputs on random positions."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    in_type = np.float16 if "float16" in session.get_inputs()[0].type else np.float32
    worst = 0.0
    model = model.float().eval()
    for i, size in enumerate(sizes):
        planes, glob = F.encode_batch(random_positions(per_size, size, seed=i))
        with torch.no_grad():
            ref = ExportWrapper(model)(torch.from_numpy(planes), torch.from_numpy(glob))
        got = session.run(list(OUTPUT_NAMES), {"planes": planes.astype(in_type),
                                               "globals": glob.astype(in_type)})
        for r, g in zip(ref, got):
            worst = max(worst, float(np.max(np.abs(r.numpy() - g.astype(np.float32)))))
    return worst
