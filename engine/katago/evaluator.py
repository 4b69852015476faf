"""A KataGo network as a zerogo ``Evaluator``: V7 features -> ONNX session -> Evaluation.

Minimal adapter (issue 15, the teacher for distillation), written beside the
KataGo reader, converter and features of issue 11: it encodes positions with
``engine.katago.features`` (KataGo's "V7" inputs), runs a network converted by
``engine.katago.onnx_build`` (``zerogo import-katago`` or the SHA-256 cache
``engine.katago.cache``), and returns ``Evaluation`` objects from the side to
move's point of view like every other evaluator: policy softmaxed over the
board's legal moves (``Board.legal_mask``: superko is the caller's job), value
= P(win) - P(loss), score lead in points, tanh ownership ``[h, w]``.

No random symmetry (symmetry 0, as ``kata-raw-nn 0``); batches are grouped by
board shape like ``engine.evaluator.NetEvaluator`` does.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from engine.evaluation import Evaluation, Position
from engine.evaluator import (
    EvaluatorConfig,
    ModelLoadError,
    NetEvaluator,
    _open_session,
    softmax_legal,
)

log = logging.getLogger(__name__)

KATAGO_FEATURE_SET = "katago-v7"
OUTPUTS = ("policy_logits", "value", "score_lead", "ownership")


def katago_onnx_path(network) -> Path:
    """The ONNX file for ``network``: itself if it is ONNX, else its cached conversion."""
    from engine.katago.cache import converted_path, is_katago_model

    network = Path(network)
    return converted_path(network) if is_katago_model(network) else network


class KataGoEvaluator(NetEvaluator):
    """Runs a converted KataGo network (``feature_set`` metadata ``katago-v7``)."""

    def __init__(self, network, config: EvaluatorConfig | None = None):
        config = config or EvaluatorConfig()
        super().__init__(config.batch_size, False, config.seed)
        self.source = Path(network)
        self.path = katago_onnx_path(network)
        self.session = _open_session(self.path, config)
        self.meta = dict(self.session.get_modelmeta().custom_metadata_map)
        if self.meta.get("feature_set") != KATAGO_FEATURE_SET:
            raise ModelLoadError(f"{self.path} is not a converted KataGo network (metadata "
                                 f"feature_set={self.meta.get('feature_set')!r}, expected "
                                 f"{KATAGO_FEATURE_SET!r})")
        log.info("loaded KataGo network %s (%s) on %s", self.source.name,
                 self.meta.get("config"), self.session.get_providers()[0])

    def describe(self) -> str:
        """One line: source file and config."""
        return f"{self.source.name}: {self.meta.get('config')} (KataGo, {self.path.name})"

    def run(self, planes: np.ndarray, glob: np.ndarray):
        """Raw outputs (policy logits, value, score lead, ownership) for V7 inputs."""
        outs = self.session.run(list(OUTPUTS), {"planes": planes.astype(np.float32, copy=False),
                                                "globals": glob.astype(np.float32, copy=False)})
        return [np.asarray(o, np.float32) for o in outs]

    def _evaluate_chunk(self, positions: list[Position]) -> list[Evaluation]:
        """One network run over positions of one board shape (KataGo's features)."""
        from engine.katago.features import encode_batch

        planes, glob = encode_batch(positions)
        logits, value, score, own = self.run(planes, glob)
        legal = np.stack([p.board.legal_mask() for p in positions])
        policy = softmax_legal(logits, legal)
        return [Evaluation(policy[j], float(value[j]), float(score[j]), own[j])
                for j in range(len(positions))]

    def close(self) -> None:
        """Drop the session."""
        self.session = None
