"""Surprise weighting: copies of teacher-labelled shards with each row repeated by how much it surprises a student.

KataGo's policy surprise weighting, turned to distillation: of the total
weight, a ``value_share`` goes to rows in proportion to the squared gap
between the student's value and the row's value target (the teacher's where
the row has one, else the game result), a ``policy_share`` in proportion to
the KL divergence of the row's policy target from the student's policy, and
the rest evenly to every row. Weights average 1. A row of weight ``w`` is
written ``floor(w)`` times and once more with probability ``w - floor(w)``
(KataGo's frequency weighting), so ``zerogo train`` reads the copies like
any shards and gives each copy its own random symmetry. The draw is seeded:
a rerun writes the same copies and keeps those already written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.evaluator import EvaluatorConfig, OnnxEvaluator
from nets.archive import policy_kl
from nets.distil_eval import net_outputs
from nets.shards import is_compact, load_shard, write_shard


@dataclass(frozen=True)
class SurpriseSettings:
    """How the weight is shared out, the draw's seed, the student's batch size and threads (0: every core)."""

    policy_share: float = 0.5
    value_share: float = 0.1
    seed: int = 0
    batch_size: int = 256
    threads: int = 0

    def __post_init__(self):
        if self.policy_share < 0 or self.value_share < 0 or self.policy_share + self.value_share > 1:
            raise ValueError(f"the policy and value shares must be >= 0 and add up to at most 1 "
                             f"(got {self.policy_share} and {self.value_share})")
        if self.batch_size < 1 or self.threads < 0:
            raise ValueError(f"the batch size must be at least 1 and the threads at least 0 "
                             f"(got {self.batch_size} and {self.threads})")


@dataclass(frozen=True)
class SurpriseReport:
    """What ``write_surprise_weighted`` read and wrote."""

    rows_in: int
    rows_out: int
    policy_kl_mean: float
    value_gap_mean: float
    weight_max: float
    shards_written: int
    shards_kept: int


def student_surprise(ev: OnnxEvaluator, arrays: dict, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a shard: KL(policy target || student policy) and (value target - student value)^2.

    Rows without a policy target (``policy_valid`` False) have policy surprise 0.
    """
    n = len(arrays["value"])
    kl, gap = np.zeros(n), np.zeros(n)
    teacher = arrays.get("teacher_valid", np.zeros(n, bool))
    target_value = np.where(teacher, arrays.get("teacher_value", 0.0), arrays["value"])
    for rows, p, value, _ in net_outputs(ev, arrays, batch):
        kl[rows] = np.maximum(0.0, policy_kl(arrays["policy"][rows], p)) * arrays["policy_valid"][rows]
        gap[rows] = (target_value[rows] - value) ** 2
    return kl, gap


def surprise_weights(policy_kl: np.ndarray, value_gap: np.ndarray, s: SurpriseSettings) -> np.ndarray:
    """Row weights averaging 1: the even share plus the shares in proportion to each surprise.

    A surprise that is zero on every row gives its share evenly.
    """
    weights = np.full(len(policy_kl), 1.0 - s.policy_share - s.value_share)
    for surprise, share in ((policy_kl, s.policy_share), (value_gap, s.value_share)):
        mean = float(np.mean(surprise)) if len(surprise) else 0.0
        weights += share * (surprise / mean if mean > 0 else 1.0)
    return weights


def repeat_counts(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """How many times each row is written: floor(w), plus one with probability w - floor(w)."""
    whole = np.floor(weights)
    return (whole + (rng.random(len(weights)) < weights - whole)).astype(np.int64)


def copy_name(path: Path) -> str:
    """The copy's file name: the source folder's name and the shard's (folders reuse shard names)."""
    return f"{path.parent.name}-{path.name}"


def write_surprise_weighted(student: Path, shards: list[Path], out_dir: Path,
                            s: SurpriseSettings = SurpriseSettings()) -> SurpriseReport:
    """Write the surprise-weighted copies of ``shards`` for ``student`` (an ONNX net) into ``out_dir``."""
    ev = OnnxEvaluator(student, EvaluatorConfig(threads=s.threads, batch_size=s.batch_size, cache_size=0))
    surprises = [student_surprise(ev, load_shard(p).arrays, s.batch_size) for p in shards]
    kl = np.concatenate([np.zeros(0)] + [k for k, _ in surprises])
    gap = np.concatenate([np.zeros(0)] + [g for _, g in surprises])
    weights = surprise_weights(kl, gap, s)
    counts = repeat_counts(weights, np.random.default_rng(s.seed))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = kept = 0
    ends = np.cumsum([len(k) for k, _ in surprises])
    for path, mine in zip(shards, np.split(counts, ends[:-1])):
        dst = out_dir / copy_name(path)
        if dst.exists():
            kept += 1
            continue
        rows = np.repeat(np.arange(len(mine)), mine)
        if len(rows) == 0:
            continue
        arrays = load_shard(path).arrays
        write_shard(dst, {key: a[rows] for key, a in arrays.items()},
                    source=f"surprise-weighted for {student.name}: {path}", compact=is_compact(path))
        written += 1
    return SurpriseReport(rows_in=len(kl), rows_out=int(counts.sum()),
                          policy_kl_mean=float(kl.mean()) if len(kl) else 0.0,
                          value_gap_mean=float(gap.mean()) if len(gap) else 0.0,
                          weight_max=float(weights.max()) if len(weights) else 0.0,
                          shards_written=written, shards_kept=kept)
