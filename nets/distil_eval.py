"""How close a zerogo net comes to the teacher on held-out teacher shards.

``zerogo data distil-eval NET.onnx [NET2.onnx ...] --shards DIR_OR_FILE ...`` prints, per
net, over every row of the shards (identity symmetry): the policy cross-entropy
against the teacher's policy target, the share of rows where the net's top
move is the teacher's top move, the value MSE against the teacher's value and
against the game result, and the mean absolute score error against the
teacher's score lead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.evaluator import EvaluatorConfig, OnnxEvaluator, softmax_legal
from nets.shards import load_shard


def _legal(planes: np.ndarray) -> np.ndarray:
    """Empty points and pass (zerogo planes 1 and 2: the current stones); ko ignored."""
    n = planes.shape[0]
    empty = (planes[:, 1] + planes[:, 2]).reshape(n, -1) == 0
    return np.concatenate([empty, np.ones((n, 1), bool)], 1)


def evaluate_net(net: Path, shards: list[Path], batch: int = 256) -> dict:
    """Agreement of ``net`` with the teacher targets of ``shards`` (see the module docstring)."""
    ev = OnnxEvaluator(net, EvaluatorConfig(threads=1, batch_size=batch, cache_size=0))
    ce = top1 = v_teacher = v_game = s_err = 0.0
    rows = 0
    for path in shards:
        a = load_shard(path).arrays
        for i in range(0, len(a["value"]), batch):
            planes = a["planes"][i:i + batch].astype(np.float32)
            glob = a["globals"][i:i + batch]
            logits, value, score, _ = ev.run(planes, glob)
            p = softmax_legal(logits, _legal(planes))
            target = a["policy"][i:i + batch]
            ce += float(-(target * np.log(np.maximum(p, 1e-9))).sum())
            top1 += float((p.argmax(1) == target.argmax(1)).sum())
            v_teacher += float(((value - a["teacher_value"][i:i + batch]) ** 2).sum())
            v_game += float(((value - a["value"][i:i + batch]) ** 2).sum())
            s_err += float(np.abs(score - a["teacher_score"][i:i + batch]).sum())
            rows += len(planes)
    return {"net": str(net), "rows": rows, "policy_ce": ce / rows, "top1_teacher": top1 / rows,
            "value_mse_teacher": v_teacher / rows, "value_mse_game": v_game / rows,
            "score_mae_teacher": s_err / rows}
