"""Compact shards: the same arrays in about a sixth of the bytes, so teacher data can be kept in git.

A compact shard is an ordinary ``.npz`` holding ``meta`` and ``data``, one
lzma-compressed byte string of every array; ``meta["codec"]`` records how
each array was coded and where its bytes lie, and ``nets.shards.load_shard`` decodes it, so every reader (training,
``distil-eval``) takes either kind. The codings:

==================  ============================================================
array               coding
==================  ============================================================
planes (uint8)      bit-packed per row (exact)
policy              log-scale uint8 codes: 0 = exactly 0 (an illegal move stays
                    impossible), 1..L over ``[floor, 1]``; decoded rows sum to 1.
                    Relative error at most half a step (``POLICY_LEVELS`` = 127
                    over ln 1e-7: +-6.5%); mean KL to the original about 5e-4 nats
teacher_ownership   ``round(x * 15)`` int8 (error at most 1/30)
everything else     its own dtype (exact)
==================  ============================================================

Policy and ownership are stored point-major (transposed): consecutive rows
are consecutive moves of one game and alike, which lzma finds. Measured on
run 3's 19x19 teacher shards: 1,595 bytes a position as a plain shard, about
240 bytes compact.
"""

from __future__ import annotations

import lzma

import numpy as np

CODEC_NAME = "zerogo-compact"
CODEC_VERSION = 1
POLICY_FLOOR = 1e-7          # smallest policy value kept; smaller ones are coded as 0
POLICY_LEVELS = 127          # codes 1..127 over [ln POLICY_FLOOR, 0]
OWNERSHIP_SCALE = 15         # teacher ownership in steps of 1/15
_LZMA_PRESET = 9


def policy_to_codes(policy: np.ndarray) -> np.ndarray:
    """Log-scale uint8 codes of a policy array (0 only where the value is below the floor)."""
    p = np.asarray(policy, np.float64)
    log_floor = np.log(POLICY_FLOOR)
    scaled = (np.log(np.maximum(p, POLICY_FLOOR)) - log_floor) / -log_floor * (POLICY_LEVELS - 1)
    codes = np.rint(scaled) + 1
    return np.where(p >= POLICY_FLOOR, codes, 0).astype(np.uint8)


def codes_to_policy(codes: np.ndarray, floor: float = POLICY_FLOOR, levels: int = POLICY_LEVELS) -> np.ndarray:
    """float32 policy rows from their codes, each renormalised to sum to 1 (last axis)."""
    c = np.asarray(codes, np.float64)
    log_floor = np.log(floor)
    p = np.where(c > 0, np.exp(log_floor * (1 - (c - 1) / (levels - 1))), 0.0)
    total = p.sum(axis=-1, keepdims=True)
    return (p / np.where(total > 0, total, 1.0)).astype(np.float32)


def _layout(a: np.ndarray, transpose: bool) -> bytes:
    """The bytes of ``a``, rows first or, transposed, points first."""
    flat = a.reshape(len(a), -1) if a.ndim > 1 else a.reshape(-1, 1)
    return np.ascontiguousarray(flat.T if transpose else flat).tobytes()


def _unlayout(raw: bytes, dtype: str, shape: list, transpose: bool) -> np.ndarray:
    """Inverse of ``_layout``."""
    n = shape[0]
    width = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    flat = np.frombuffer(raw, np.dtype(dtype))
    flat = flat.reshape(width, n).T if transpose else flat.reshape(n, width)
    return np.ascontiguousarray(flat).reshape(shape)


def encode(arrays: dict) -> tuple[dict, dict]:
    """(entries to save, the codec description for ``meta["codec"]``) of a shard's arrays."""
    parts, described, offset = [], {}, 0
    for key, a in arrays.items():
        a = np.asarray(a)
        coding, stored, transpose = "raw", a, False
        if key == "planes" and a.dtype == np.uint8:
            coding, stored = "bits", np.packbits(a.reshape(len(a), -1), axis=1)
        elif key == "policy":
            coding, stored, transpose = "log_policy", policy_to_codes(a), True
        elif key == "teacher_ownership":
            coding, transpose = "scaled", True
            stored = np.rint(np.clip(a.astype(np.float32), -1, 1) * OWNERSHIP_SCALE).astype(np.int8)
        elif key == "ownership":
            transpose = True
        parts.append(_layout(stored, transpose))
        described[key] = {"coding": coding, "dtype": str(a.dtype), "shape": list(a.shape),
                          "stored_dtype": str(stored.dtype), "stored_shape": list(stored.shape),
                          "transposed": transpose, "offset": offset, "bytes": len(parts[-1])}
        offset += len(parts[-1])
    codec = {"name": CODEC_NAME, "version": CODEC_VERSION, "policy_floor": POLICY_FLOOR,
             "policy_levels": POLICY_LEVELS, "ownership_scale": OWNERSHIP_SCALE,
             "arrays": described}
    blob = lzma.compress(b"".join(parts), preset=_LZMA_PRESET)
    return {"data": np.frombuffer(blob, np.uint8)}, codec


def _constants(codec: dict) -> tuple[float, int, float]:
    """(policy floor, policy levels, ownership scale) as the shard recorded them; ValueError if unusable.

    A shard decodes by its own constants, so shards written before a change
    of the defaults stay readable.
    """
    try:
        floor, levels = float(codec["policy_floor"]), int(codec["policy_levels"])
        scale = float(codec["ownership_scale"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"codec constants missing or not numbers ({exc})") from None
    if not (0 < floor < 1 and 2 <= levels <= 255 and scale > 0):
        raise ValueError(f"codec constants out of range: floor {floor}, levels {levels}, scale {scale}")
    return floor, levels, scale


def decode(entries: dict, codec: dict) -> dict:
    """The shard's arrays from the entries ``encode`` made; ValueError when they do not fit."""
    if codec.get("name") != CODEC_NAME or codec.get("version") != CODEC_VERSION:
        raise ValueError(f"unknown shard codec {codec.get('name')!r} "
                         f"version {codec.get('version')!r}")
    floor, levels, scale = _constants(codec)
    if "data" not in entries:
        raise ValueError("no 'data' entry")
    try:
        raw = lzma.decompress(np.asarray(entries["data"], np.uint8).tobytes())
    except (lzma.LZMAError, EOFError) as exc:
        raise ValueError(f"damaged data ({exc})") from exc
    arrays = {}
    for key, d in codec["arrays"].items():
        part = raw[d["offset"]:d["offset"] + d["bytes"]]
        try:
            stored = _unlayout(part, d["stored_dtype"], d["stored_shape"], d["transposed"])
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from exc
        shape = tuple(d["shape"])
        if d["coding"] == "bits":
            size = int(np.prod(shape[1:]))
            stored = np.unpackbits(stored, axis=1, count=size).reshape(shape)
        elif d["coding"] == "log_policy":
            stored = codes_to_policy(stored, floor, levels)
        elif d["coding"] == "scaled":
            stored = (stored.astype(np.float32) / scale).astype(d["dtype"])
        arrays[key] = stored.reshape(shape).astype(d["dtype"], copy=False)
    return arrays
