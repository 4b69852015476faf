"""Teacher data archives: plain shards rewritten as compact shards and checked against the originals.

Teacher games are the slowest thing this project makes (about 90,000 19x19
positions an hour on two cores), and a student's value head needs the games
of many runs at once, so the data has to outlive the machine it was made on.
``zerogo data compact`` rewrites a run's shards with ``nets.shard_codec``
(about a sixth of the bytes), small enough to commit, and checks each copy:
every array exact except the policy (KL to the original reported) and the
teacher ownership (largest error reported). The copies keep the originals'
names and modification times, so "newest first" windows see the same order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nets.shard_codec import OWNERSHIP_SCALE
from nets.shards import ShardError, is_compact, load_shard, shard_length, write_shard

LOSSY = ("policy", "teacher_ownership")


@dataclass
class CompactReport:
    """One shard compacted: sizes and the coding's measured error."""

    name: str
    positions: int
    bytes_before: int
    bytes_after: int
    policy_kl_mean: float      # nats, original policy against the decoded one
    policy_kl_max: float
    ownership_error_max: float  # teacher ownership, largest absolute error


def policy_kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(p || q) per row, in nats (rows of probabilities; 0 log 0 = 0)."""
    p = np.asarray(p, np.float64)
    q = np.asarray(q, np.float64)
    ratio = np.log(np.maximum(p, 1e-30)) - np.log(np.maximum(q, 1e-30))
    return np.where(p > 0, p * ratio, 0.0).sum(axis=-1)


def already_compacted(src: Path | str, dst: Path | str) -> bool:
    """True when ``dst`` is a readable compact copy of ``src`` (same number of positions)."""
    try:
        return Path(dst).exists() and is_compact(dst) and shard_length(dst) == shard_length(src)
    except ShardError:
        return False


def compact_shard(src: Path | str, dst: Path | str) -> CompactReport:
    """Write ``src`` as a compact shard at ``dst`` and check it; ShardError when the copy is wrong."""
    src, dst = Path(src), Path(dst)
    plain = load_shard(src)
    write_shard(dst, plain.arrays, plain.meta.get("source", ""), compact=True)
    copy = load_shard(dst)
    for key, a in plain.arrays.items():
        b = copy.arrays.get(key)
        if b is None or b.shape != a.shape or b.dtype != a.dtype:
            raise ShardError(f"{dst}: {key} did not survive compaction")
        if key not in LOSSY and not np.array_equal(a, b):
            raise ShardError(f"{dst}: {key} differs from {src}")
    kl = policy_kl(plain.arrays["policy"], copy.arrays["policy"])
    own_err = 0.0
    if "teacher_ownership" in plain.arrays:
        own_err = float(np.abs(plain.arrays["teacher_ownership"].astype(np.float32)
                               - copy.arrays["teacher_ownership"].astype(np.float32)).max(initial=0))
    kl_max, kl_mean = float(kl.max(initial=0.0)), float(kl.mean()) if len(kl) else 0.0
    if own_err > 0.5 / OWNERSHIP_SCALE + 1e-3 or kl_max > 0.01:
        raise ShardError(f"{dst}: coding error too large (policy KL {kl_max:.3g}, "
                         f"ownership {own_err:.3g})")
    st = src.stat()
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
    return CompactReport(src.name, len(plain), st.st_size, dst.stat().st_size, kl_mean, kl_max,
                         own_err)
