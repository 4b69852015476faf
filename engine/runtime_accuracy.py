"""How close a faster CPU setting stays to fp32, and how much faster it is: the check ``auto`` runs.

``Probe`` holds real positions, encoded (calibration feeds for int8, check
feeds with their legal masks); ``check_accuracy`` compares a session with the
fp32 one on them (``compare``, ``summarize``) and ``AccuracyBounds`` says
what passes. Like ``engine.runtimes`` it knows nothing of Go: feeds and outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLEAR_MARGIN = 0.05   # bump when the quantization recipe changes (cache key)


@dataclass
class AccuracyBounds:
    """What a faster setting must keep against fp32 on the check positions for ``auto``.

    Means over the positions: policy top-1 agreement at least ``min_top1``
    (counted where fp32's best move leads its second by at least
    ``CLEAR_MARGIN`` in probability: on a near-flat policy, such as a random
    net's, which of two equal moves comes first says nothing),
    KL(fp32 || setting) at most ``max_kl`` nats, absolute value error at most
    ``max_value_error`` (value in [-1, 1]), absolute score error at most
    ``max_score_error`` points.
    """

    min_top1: float = 0.90
    max_kl: float = 0.02
    max_value_error: float = 0.03
    max_score_error: float = 1.0
    min_speedup: float = 1.1     # and at least this much faster than fp32 on the check batch

    def passes(self, m: dict) -> bool:
        """True when the metrics ``m`` (see ``compare``) are within the accuracy bounds."""
        return (m["top1_clear"] >= self.min_top1 and m["kl"] <= self.max_kl
                and m["value_mae"] <= self.max_value_error
                and m["score_mae"] <= self.max_score_error)


@dataclass
class Probe:
    """Real positions, encoded: ``calibration`` feeds for int8, ``check`` feeds and legal masks."""

    calibration: list[dict]
    check: list[dict]
    legal: list[np.ndarray]          # [B, moves] bool per check feed
    key: str = ""                    # names the positions (``RuntimeRequest.probe_key``)


def log_softmax_legal(logits: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax over legal moves (illegal -> -inf)."""
    x = np.where(legal, logits.astype(np.float64), -np.inf)
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def compare(ref: list[np.ndarray], got: list[np.ndarray], legal: np.ndarray) -> dict:
    """Per-position errors of ``got`` against ``ref`` (outputs: policy logits, value, score, ...).

    Returns arrays: ``top1`` (1 where the best legal move agrees), ``clear``
    (1 where fp32's best move leads its second by ``CLEAR_MARGIN``), ``kl``
    (KL(ref || got) over legal moves, nats), ``value_err`` and ``score_err``
    (absolute).
    """
    lp, lq = log_softmax_legal(ref[0], legal), log_softmax_legal(got[0], legal)
    p = np.exp(lp)
    with np.errstate(invalid="ignore"):
        kl = np.where(legal, p * (lp - lq), 0.0).sum(axis=1)
    two = -np.partition(-p, 1, axis=1)[:, :2] if p.shape[1] > 1 else np.concatenate([p, 0 * p], 1)
    return {"top1": (lp.argmax(1) == lq.argmax(1)).astype(float), "kl": np.maximum(kl, 0.0),
            "clear": (two[:, 0] - two[:, 1] >= CLEAR_MARGIN).astype(float),
            "value_err": np.abs(np.ravel(ref[1]) - np.ravel(got[1])),
            "score_err": np.abs(np.ravel(ref[2]) - np.ravel(got[2]))}


def summarize(parts: list[dict]) -> dict:
    """Means (and maxima) of ``compare`` results over several batches."""
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    clear = cat["clear"] > 0
    return {"positions": len(cat["top1"]), "top1": float(cat["top1"].mean()),
            "clear": int(clear.sum()),
            "top1_clear": float(cat["top1"][clear].mean()) if clear.any() else 1.0,
            "kl": float(cat["kl"].mean()), "value_mae": float(cat["value_err"].mean()),
            "value_max": float(cat["value_err"].max()), "score_mae": float(cat["score_err"].mean()),
            "score_max": float(cat["score_err"].max())}


def measure_speedup(base, session, names: list[str], feeds: dict, min_seconds: float = 1.0) -> float:
    """How many times faster ``session`` runs ``feeds`` than ``base``.

    Interleaved runs; the ratio of the fastest run of each, which other
    processes on a shared machine disturb least (medians swung from 0.1x to
    1.1x between two loads of the same net on a busy 2-core machine).
    """
    import time
    base.run(names, feeds)
    session.run(names, feeds)
    tb: list[float] = []
    ts: list[float] = []
    start = time.perf_counter()
    while len(tb) < 5 or (time.perf_counter() - start < min_seconds and len(tb) < 30):
        t = time.perf_counter()
        base.run(names, feeds)
        tb.append(time.perf_counter() - t)
        t = time.perf_counter()
        session.run(names, feeds)
        ts.append(time.perf_counter() - t)
    return float(min(tb) / min(ts))


def check_accuracy(base, session, names: list[str], probe: Probe) -> dict:
    """``summarize`` of ``session`` against the fp32 ``base`` on the probe's check feeds."""
    parts = [compare(base.run(names, feeds), session.run(names, feeds), legal)
             for feeds, legal in zip(probe.check, probe.legal)]
    return summarize(parts)
