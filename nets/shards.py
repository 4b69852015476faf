"""Training shards: compressed ``.npz`` files of positions and targets, and their loader.

Shard contract (shared by ``nets.data``, ``nets.selfplay`` and ``nets.train``).
A shard holds ``N`` positions of ONE board size ``h x w`` (``A = h * w``):

================  =================  =============================================
key               dtype, shape       meaning
================  =================  =============================================
planes            uint8 [N,C,h,w]    ``engine.features.encode`` planes (binary;
                  (float16 if not)   stored as uint8 when every value is 0 or 1)
globals           float32 [N,G]      ``engine.features.encode`` globals
policy            float32 [N,A+1]    target distribution (visits, or one-hot), pass last
value             float32 [N]        game result for the side to move: +1 win, -1 loss, 0 draw
score             float32 [N]        final margin for the side to move (points)
ownership         int8 [N,h,w]       final owner, +1 = side to move, -1 opponent, 0 neither
policy_valid      bool [N]           False: no policy target (e.g. a fast playout-cap search)
score_valid       bool [N]           False: margin unknown (resignation, time-out)
ownership_valid   bool [N]           False: final ownership unknown (game not played out)
meta              str (JSON)         width, height, feature_version, created, source
================  =================  =============================================

Optional teacher targets (``nets.distil``: a stronger network's own outputs at
the position, side to move's view); a shard has all four or none, and
``ShardSet`` serves zeros with ``teacher_valid`` False for shards without them:

================  =================  =============================================
teacher_value     float32 [N]        teacher's P(win) - P(loss), in [-1, 1]
teacher_score     float32 [N]        teacher's score lead (points)
teacher_ownership float16 [N,h,w]    teacher's ownership in [-1, 1] (+1 = side to move)
teacher_valid     bool [N]           False: no teacher evaluation for this row
================  =================  =============================================

Shards are written atomically (``*.tmp`` then ``os.replace``), so a reader
never sees half a file. "Newest" means highest modification time, name as
the tie-break (``list_shards``).

Compact shards (``write_shard(..., compact=True)``, ``nets.shard_codec``) hold
the same arrays coded smaller (policy and teacher ownership quantised);
``load_shard`` decodes them, so readers see the contract above either way.

Symmetries are applied at load time: ``ShardSet.batch`` takes
``(shard, row, symmetry)`` triples and transforms planes, policy and
ownership together (``engine.symmetry``), so the stored data stays canonical.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.atomic_files import replacing
from engine.features import FEATURE_VERSION
from engine.symmetry import (
    apply_symmetry_planes,
    apply_symmetry_policy,
    transformed_shape,
)
from nets import shard_codec

SHARD_SUFFIX = ".npz"
KEYS = ("planes", "globals", "policy", "value", "score", "ownership",
        "policy_valid", "score_valid", "ownership_valid")
TEACHER_KEYS = ("teacher_value", "teacher_score", "teacher_ownership", "teacher_valid")


class ShardError(ValueError):
    """A shard that is missing keys, has inconsistent shapes or another feature version."""


@dataclass
class Shard:
    """One loaded shard: arrays keyed as in ``KEYS`` plus its metadata."""

    path: Path
    arrays: dict
    meta: dict

    def __len__(self) -> int:
        return int(self.arrays["value"].shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the shard's board."""
        return int(self.meta["height"]), int(self.meta["width"])


def _atomic_savez(path: Path, arrays: dict) -> None:
    """np.savez_compressed to ``path`` atomically and durably (engine.atomic_files)."""
    with replacing(path, durable=True) as tmp, open(tmp, "wb") as f:   # a file: a name would get ".npz" added
        np.savez_compressed(f, **arrays)


def _compact_planes(planes: np.ndarray) -> np.ndarray:
    """uint8 when every plane value is 0 or 1 (the usual case), else float16."""
    if np.all((planes == 0) | (planes == 1)):
        return planes.astype(np.uint8)
    return planes.astype(np.float16)


def write_shard(path: Path | str, records: dict, source: str = "", compact: bool = False) -> Path:
    """Write stacked arrays (keys as in KEYS, first axis N) as one shard; returns the path.

    ``compact``: the ``nets.shard_codec`` coding (policy and teacher ownership
    quantised, about a sixth of the bytes); ``load_shard`` reads either kind.
    """
    path = Path(path)
    planes = np.asarray(records["planes"])
    n, _, h, w = planes.shape
    arrays = {
        "planes": _compact_planes(planes),
        "globals": np.asarray(records["globals"], np.float32),
        "policy": np.asarray(records["policy"], np.float32),
        "value": np.asarray(records["value"], np.float32).reshape(n),
        "score": np.asarray(records["score"], np.float32).reshape(n),
        "ownership": np.rint(np.asarray(records["ownership"], np.float32)).astype(np.int8),
        "policy_valid": np.asarray(records.get("policy_valid", np.ones(n, bool)), bool),
        "score_valid": np.asarray(records["score_valid"], bool).reshape(n),
        "ownership_valid": np.asarray(records["ownership_valid"], bool).reshape(n),
    }
    if "teacher_valid" in records:
        arrays["teacher_value"] = np.asarray(records["teacher_value"], np.float32).reshape(n)
        arrays["teacher_score"] = np.asarray(records["teacher_score"], np.float32).reshape(n)
        arrays["teacher_ownership"] = np.clip(np.asarray(records["teacher_ownership"],
                                                         np.float32), -1, 1).astype(np.float16)
        arrays["teacher_valid"] = np.asarray(records["teacher_valid"], bool).reshape(n)
    meta = {"width": w, "height": h, "feature_version": FEATURE_VERSION,
            "created": time.time(), "source": source, "positions": n}
    _check_arrays(arrays, meta, path)
    if compact:
        arrays, meta["codec"] = shard_codec.encode(arrays)
    arrays["meta"] = np.array(json.dumps(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_savez(path, arrays)
    return path


def _check_arrays(arrays: dict, meta: dict, path) -> None:
    """Raise ShardError unless every array has N rows and the board's shape."""
    n, h, w = meta["positions"], meta["height"], meta["width"]
    expect = {"planes": (n, None, h, w), "globals": (n, None), "policy": (n, h * w + 1),
              "value": (n,), "score": (n,), "ownership": (n, h, w), "policy_valid": (n,),
              "score_valid": (n,), "ownership_valid": (n,)}
    present = [k for k in TEACHER_KEYS if k in arrays]
    if present:
        if len(present) != len(TEACHER_KEYS):
            raise ShardError(f"{path}: has {present} but not all of {list(TEACHER_KEYS)}")
        expect.update({"teacher_value": (n,), "teacher_score": (n,),
                       "teacher_ownership": (n, h, w), "teacher_valid": (n,)})
    for key, shape in expect.items():
        if key not in arrays:
            raise ShardError(f"{path}: missing array {key!r}")
        got = arrays[key].shape
        if len(got) != len(shape) or any(s is not None and s != g for s, g in zip(shape, got)):
            raise ShardError(f"{path}: {key} has shape {got}, expected {shape} (None = any)")


def load_shard(path: Path | str) -> Shard:
    """Read a shard; raises ShardError when it is malformed or of another feature version."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as exc:
        raise ShardError(f"{path}: not a readable shard ({exc})") from exc
    if "meta" not in arrays:
        raise ShardError(f"{path}: no 'meta' entry")
    meta = json.loads(str(arrays.pop("meta")))
    if meta.get("feature_version") != FEATURE_VERSION:
        raise ShardError(f"{path}: feature version {meta.get('feature_version')}, "
                         f"this code uses {FEATURE_VERSION}")
    if "codec" in meta:
        try:
            arrays = shard_codec.decode(arrays, meta["codec"])
        except (ValueError, KeyError, TypeError) as exc:   # damaged data or description
            raise ShardError(f"{path}: not a readable compact shard ({exc})") from exc
    _check_arrays(arrays, meta, path)
    return Shard(path, arrays, meta)


def _read_meta(path: Path | str) -> dict:
    """A shard's metadata alone (ShardError when unreadable)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return json.loads(str(z["meta"]))
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise ShardError(f"{path}: not a readable shard ({exc})") from exc


def shard_length(path: Path | str) -> int:
    """Number of positions in a shard, read from its metadata only."""
    return int(_read_meta(path)["positions"])


def is_compact(path: Path | str) -> bool:
    """True for a compact shard (``nets.shard_codec``), from its metadata only."""
    return "codec" in _read_meta(path)


def list_shards(*dirs: Path | str) -> list[Path]:
    """Every shard in the given directories, oldest first (mtime, then name)."""
    found = []
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            raise ShardError(f"{d}: not a directory")
        found.extend(p for p in d.iterdir() if p.suffix == SHARD_SUFFIX and p.is_file())
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


class ShardWriter:
    """Buffers positions and writes ``{prefix}-{index:06d}.npz`` shards of about N positions.

    ``add`` one position at a time; a shard is flushed when it reaches
    ``positions_per_shard`` (None: only when ``flush`` is called, so that a
    caller can cut between games) or when the board size changes. ``close`` (or the
    context manager) flushes the rest. ``start_index`` lets a resumed job carry on
    numbering; ``written`` lists the shard paths produced; ``compact`` writes
    compact shards (``write_shard``).
    """

    def __init__(self, out_dir: Path | str, prefix: str = "shard",
                 positions_per_shard: int | None = 4096, start_index: int = 0, source: str = "",
                 compact: bool = False):
        self.out_dir = Path(out_dir)
        self.compact = compact
        self.prefix = prefix
        self.positions_per_shard = positions_per_shard
        self.index = start_index
        self.source = source
        self.written: list[Path] = []
        self._buf: dict[str, list] = {k: [] for k in KEYS + TEACHER_KEYS}

    def __len__(self) -> int:
        return len(self._buf["value"])

    def add(self, planes, globals_, policy, value, score=0.0, ownership=None,
            score_valid=False, ownership_valid=False, policy_valid=True, teacher=None) -> None:
        """Buffer one position: planes [C,h,w], globals [G], policy [A+1], scalars, ownership [h,w].

        ``teacher``: an ``engine.evaluation.Evaluation`` (side to move's view)
        whose value, score lead and ownership become the teacher targets.
        """
        planes = np.asarray(planes)
        h, w = planes.shape[-2:]
        if len(self) and self._buf["planes"][0].shape[-2:] != (h, w):
            self.flush()
        own = np.zeros((h, w), np.int8) if ownership is None else np.asarray(ownership)
        row = (planes, globals_, policy, value, score, own, policy_valid, score_valid,
               ownership_valid and ownership is not None)
        for k, v in zip(KEYS, row):
            self._buf[k].append(v)
        t_own = None if teacher is None else teacher.ownership
        t_row = ((0.0, 0.0, np.zeros((h, w), np.float32), False) if teacher is None else
                 (teacher.value, teacher.score_lead,
                  np.zeros((h, w), np.float32) if t_own is None else t_own, True))
        for k, v in zip(TEACHER_KEYS, t_row):
            self._buf[k].append(v)
        if self.positions_per_shard is not None and len(self) >= self.positions_per_shard:
            self.flush()

    def flush(self) -> Path | None:
        """Write the buffered positions as a shard (None if the buffer is empty)."""
        if not len(self):
            return None
        records = {k: np.stack([np.asarray(v) for v in vals]) for k, vals in self._buf.items()}
        if not records["teacher_valid"].any():
            for k in TEACHER_KEYS:
                del records[k]
        path = self.out_dir / f"{self.prefix}-{self.index:06d}{SHARD_SUFFIX}"
        write_shard(path, records, self.source, compact=self.compact)
        self.index += 1
        self.written.append(path)
        self._buf = {k: [] for k in KEYS + TEACHER_KEYS}
        return path

    def close(self) -> None:
        """Flush what is left."""
        self.flush()

    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ShardSet:
    """A window of shards served as augmented batches.

    A batch draws from every shard of the window (the plan shuffles across
    all of them), so by default every shard stays loaded (``cache_size`` None);
    binary planes are kept bit-packed in memory (8x smaller): about 2 MB per
    8192 9x9 positions, 20 MB per 8192 19x19 positions.
    """

    def __init__(self, paths: list[Path | str], cache_size: int | None = None):
        self.paths = [Path(p) for p in paths]
        self.cache_size = len(self.paths) if cache_size is None else cache_size
        self._cache: OrderedDict[int, Shard] = OrderedDict()
        metas = [_read_meta(p) for p in self.paths]
        self.lengths = [int(m["positions"]) for m in metas]
        self.sizes = [(int(m["height"]), int(m["width"])) for m in metas]

    def shard(self, i: int) -> Shard:
        """The i-th shard of the window (loaded on first use; planes bit-packed)."""
        if i in self._cache:
            self._cache.move_to_end(i)
            return self._cache[i]
        shard = load_shard(self.paths[i])
        planes = shard.arrays["planes"]
        if planes.dtype == np.uint8:
            shard.arrays["planes"] = np.packbits(planes.reshape(len(planes), -1), axis=1)
            shard.meta["planes_shape"] = planes.shape[1:]
        self._cache[i] = shard
        if len(self._cache) > max(1, self.cache_size):
            self._cache.popitem(last=False)
        return shard

    def _planes(self, s: Shard, row: int) -> np.ndarray:
        shape = s.meta.get("planes_shape")
        if shape is None:
            return s.arrays["planes"][row].astype(np.float32)
        return _unpacked(s.arrays["planes"][row], shape).astype(np.float32)

    def sample(self, i: int, row: int, sym: int) -> dict:
        """One position with symmetry ``sym`` applied (float32 arrays)."""
        s = self.shard(i)
        a = s.arrays
        h, w = s.size
        return {
            "planes": apply_symmetry_planes(self._planes(s, row), sym),
            "globals": a["globals"][row],
            "policy": apply_symmetry_policy(a["policy"][row], sym, w, h),
            "value": a["value"][row], "score": a["score"][row],
            "ownership": apply_symmetry_planes(a["ownership"][row].astype(np.float32), sym),
            "policy_valid": a["policy_valid"][row], "score_valid": a["score_valid"][row],
            "ownership_valid": a["ownership_valid"][row],
            **self._teacher(s, row, sym),
        }

    @staticmethod
    def _teacher(s: Shard, row: int, sym: int) -> dict:
        """The teacher targets of one row (zeros and ``teacher_valid`` False if the shard has none)."""
        a = s.arrays
        if "teacher_valid" not in a:
            shape = transformed_shape(sym, *s.size)
            return {"teacher_value": np.float32(0), "teacher_score": np.float32(0),
                    "teacher_ownership": np.zeros(shape, np.float32),
                    "teacher_valid": False}
        own = a["teacher_ownership"][row].astype(np.float32)
        return {"teacher_value": a["teacher_value"][row], "teacher_score": a["teacher_score"][row],
                "teacher_ownership": apply_symmetry_planes(own, sym),
                "teacher_valid": a["teacher_valid"][row]}

    def batch(self, items) -> dict:
        """Stack samples for ``(shard, row, sym)`` triples into numpy batch arrays (``sample``'s, row by row).

        Each shard's rows are taken with one index per array, the batch is put
        back in order with one more, binary planes are unpacked once, and each
        symmetry is applied to all its rows at once: a few numpy calls per
        shard rather than a dozen per position (what a GPU waits for between
        steps).
        """
        items = np.asarray(items, dtype=np.int64).reshape(-1, 3)
        ids, where = np.unique(items[:, 0], return_inverse=True)
        shards = [self.shard(int(i)) for i in ids]
        h, w = shards[0].size
        if any(s.size != (h, w) for s in shards) or (h != w and (items[:, 2] >= 4).any()):
            return self.batch_row_by_row(items)     # shapes that differ: stacked as they come
        grouped = np.argsort(where, kind="stable")          # the batch's positions, shard by shard
        rows = np.split(items[grouped, 1], np.cumsum(np.bincount(where))[:-1])
        packed_shapes = {tuple(s.meta["planes_shape"]) if "planes_shape" in s.meta else None for s in shards}
        packed = len(packed_shapes) == 1 and None not in packed_shapes    # unpack all rows at once
        parts: dict[str, list] = {}
        for s, r in zip(shards, rows):
            for key, value in self._rows(s, r, packed).items():
                parts.setdefault(key, []).append(value)
        back = np.empty_like(grouped)
        back[grouped] = np.arange(len(grouped))
        out = {key: np.concatenate(value)[back] for key, value in parts.items()}
        if packed:
            out["planes"] = _unpacked(out["planes"], shards[0].meta["planes_shape"])
        for key in ("planes", "policy", "ownership", "teacher_ownership", "teacher_value", "teacher_score"):
            out[key] = out[key].astype(np.float32, copy=False)
        for k in np.unique(items[:, 2]):
            at = items[:, 2] == k
            for key in ("planes", "ownership", "teacher_ownership"):
                out[key][at] = apply_symmetry_planes(out[key][at], int(k))
            out["policy"][at] = apply_symmetry_policy(out["policy"][at], int(k), w, h)
        return out

    def batch_row_by_row(self, items) -> dict:
        """The same batch as ``batch``, built with ``sample`` one position at a time (the reference)."""
        samples = [self.sample(int(i), int(r), int(k)) for i, r, k in items]
        return {key: np.stack([np.asarray(x[key]) for x in samples]) for key in samples[0]}

    def _rows(self, s: Shard, rows: np.ndarray, packed: bool) -> dict:
        """A shard's ``rows`` before any symmetry: planes still bit-packed if ``packed``, else float32."""
        a = s.arrays
        planes = a["planes"][rows]
        if not packed:
            shape = s.meta.get("planes_shape")
            planes = (planes if shape is None else _unpacked(planes, shape)).astype(np.float32)
        out = {"planes": planes}
        out.update({k: a[k][rows] for k in KEYS[1:]})
        if "teacher_valid" in a:
            out.update({k: a[k][rows] for k in TEACHER_KEYS})
        else:
            out.update(teacher_value=np.zeros(len(rows), np.float32),
                       teacher_score=np.zeros(len(rows), np.float32),
                       teacher_ownership=np.zeros((len(rows),) + s.size, np.float16),
                       teacher_valid=np.zeros(len(rows), bool))
        return out


def _unpacked(packed: np.ndarray, shape) -> np.ndarray:
    """Bit-packed planes (last axis: one shard row's packed bytes) back to uint8 ``[..., *shape]``."""
    flat = np.unpackbits(packed, axis=-1, count=int(np.prod(shape)))
    return flat.reshape(packed.shape[:-1] + tuple(shape))


def epoch_plan(lengths: list[int], sizes: list[tuple[int, int]], seed: int, epoch: int,
               batch_size: int) -> list[np.ndarray]:
    """The batches of one pass over a window, as int64 arrays ``[batch_size, 3]``.

    Each row is ``(shard index, row, symmetry)``. The plan depends only on its
    arguments (so a resumed or distributed run can recompute it); positions of
    different board sizes never share a batch; a rectangular board only gets
    the 4 symmetries that keep its shape; the incomplete last batch of each
    size is dropped.
    """
    rng = np.random.default_rng([seed, epoch])
    batches = []
    for size in sorted(set(sizes)):
        ids = [i for i, s in enumerate(sizes) if s == size]
        pairs = np.concatenate([np.stack([np.full(lengths[i], i), np.arange(lengths[i])], 1)
                                for i in ids]) if ids else np.zeros((0, 2), np.int64)
        pairs = pairs[rng.permutation(len(pairs))]
        n_sym = 8 if size[0] == size[1] else 4
        syms = rng.integers(0, n_sym, len(pairs))
        rows = np.concatenate([pairs, syms[:, None]], 1).astype(np.int64)
        for start in range(0, len(rows) - batch_size + 1, batch_size):
            batches.append(rows[start:start + batch_size])
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]


def pick_replay(replays: list[Path | str], window_positions: int, fraction: float, seed: int,
                 epoch: int) -> list[Path]:
    """Replay shards to mix into a window of ``window_positions`` so they make about ``fraction`` of it.

    A fresh random pick each epoch (a pure function of its arguments, like
    ``epoch_plan``), whole shards, at least one; all of them when they hold
    too few positions.
    """
    want = window_positions * fraction / (1.0 - fraction)
    order = np.random.default_rng([seed, epoch, 1]).permutation(len(replays))
    picked, have = [], 0
    for i in order:
        if picked and have >= want:
            break
        picked.append(Path(replays[i]))
        have += shard_length(replays[i])
    return picked
