"""How close a zerogo net comes to the teacher on held-out teacher shards.

``zerogo data distil-eval NET.onnx [NET2.onnx ...] --shards DIR_OR_FILE ...`` prints, per
net, over every row of the shards (identity symmetry): the policy cross-entropy
against the teacher's policy target, the share of rows where the net's top
move is the teacher's top move, the value MSE against the teacher's value and
against the game result, and the mean absolute score error against the
teacher's score lead; and how sharp each policy is: the mean entropy of the
net's policy beside the teacher's (a student much flatter than its teacher
spreads its search thinner than the teacher's policy would).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.evaluator import EvaluatorConfig, OnnxEvaluator, softmax_legal
from nets.shards import load_shard


def legal_points(planes: np.ndarray) -> np.ndarray:
    """Empty points and pass (zerogo planes 1 and 2: the current stones); ko ignored."""
    n = planes.shape[0]
    empty = (planes[:, 1] + planes[:, 2]).reshape(n, -1) == 0
    return np.concatenate([empty, np.ones((n, 1), bool)], 1)


def net_outputs(ev: OnnxEvaluator, arrays: dict, batch: int):
    """Yield ``(rows, policy, value, score)`` of the net on a shard's rows, ``batch`` at a time.

    ``rows`` is the slice of the shard; the policy is softmaxed over
    ``legal_points`` (identity symmetry).
    """
    for i in range(0, len(arrays["planes"]), batch):
        planes = arrays["planes"][i:i + batch].astype(np.float32)
        logits, value, score, _ = ev.run(planes, arrays["globals"][i:i + batch])
        yield slice(i, i + len(planes)), softmax_legal(logits, legal_points(planes)), value, score


def _xlogy_sum(x: np.ndarray, y: np.ndarray, floor: float) -> float:
    """-sum(x * log y) over every row, y floored (cross-entropy; entropy when y is x)."""
    return float(-(x * np.log(np.maximum(y, floor))).sum())


def evaluate_net(net: Path, shards: list[Path], batch: int = 256, threads: int = 0) -> dict:
    """Agreement of ``net`` with the teacher targets of ``shards`` (see the module docstring; 0 threads: every core)."""
    ev = OnnxEvaluator(net, EvaluatorConfig(threads=threads, batch_size=batch, cache_size=0))
    ce = top1 = v_teacher = v_game = s_err = entropy = teacher_entropy = 0.0
    rows = 0
    for path in shards:
        a = load_shard(path).arrays
        for sl, p, value, score in net_outputs(ev, a, batch):
            target = a["policy"][sl]
            ce += _xlogy_sum(target, p, 1e-9)
            entropy += _xlogy_sum(p, p, 1e-12)
            teacher_entropy += _xlogy_sum(target, target, 1e-12)
            top1 += float((p.argmax(1) == target.argmax(1)).sum())
            v_teacher += float(((value - a["teacher_value"][sl]) ** 2).sum())
            v_game += float(((value - a["value"][sl]) ** 2).sum())
            s_err += float(np.abs(score - a["teacher_score"][sl]).sum())
            rows += len(target)
    return {"net": str(net), "rows": rows, "policy_ce": ce / rows, "top1_teacher": top1 / rows,
            "value_mse_teacher": v_teacher / rows, "value_mse_game": v_game / rows,
            "score_mae_teacher": s_err / rows, "policy_entropy": entropy / rows,
            "teacher_policy_entropy": teacher_entropy / rows}
