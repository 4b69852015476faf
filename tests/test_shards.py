"""Shard format: write/read round trip, writer flushing, errors, load-time symmetry, epoch plans."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.features import NUM_GLOBALS, NUM_PLANES
from engine.symmetry import apply_symmetry_planes, apply_symmetry_policy
from nets.shards import (ShardError, ShardSet, ShardWriter, epoch_plan, list_shards,
                         load_shard, pick_replay, write_shard)


def _position(rng, h=5, w=5):
    planes = rng.integers(0, 2, (NUM_PLANES, h, w)).astype(np.float32)
    policy = rng.random(h * w + 1).astype(np.float32)
    return dict(planes=planes, globals_=rng.random(NUM_GLOBALS).astype(np.float32),
                policy=policy / policy.sum(), value=float(rng.choice([-1, 1])),
                score=float(rng.integers(-20, 20)), ownership=rng.integers(-1, 2, (h, w)),
                score_valid=bool(rng.integers(2)), ownership_valid=True,
                policy_valid=bool(rng.integers(2)))


def test_writer_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    rows = [_position(rng) for _ in range(7)]
    with ShardWriter(tmp_path, "t", positions_per_shard=3) as w:
        for r in rows:
            w.add(**r)
    paths = list_shards(tmp_path)
    assert [p.name for p in paths] == ["t-000000.npz", "t-000001.npz", "t-000002.npz"]
    assert not list(tmp_path.glob("*.tmp"))
    shards = [load_shard(p) for p in paths]
    assert [len(s) for s in shards] == [3, 3, 1]
    a = {k: np.concatenate([s.arrays[k] for s in shards]) for k in shards[0].arrays}
    assert a["planes"].dtype == np.uint8 and a["ownership"].dtype == np.int8
    for i, r in enumerate(rows):
        np.testing.assert_array_equal(a["planes"][i], r["planes"])
        np.testing.assert_allclose(a["policy"][i], r["policy"])
        np.testing.assert_array_equal(a["ownership"][i], r["ownership"])
        assert a["value"][i] == r["value"] and a["score"][i] == r["score"]
        assert a["policy_valid"][i] == r["policy_valid"]
        assert a["score_valid"][i] == r["score_valid"]
    assert shards[0].size == (5, 5) and shards[0].meta["positions"] == 3


def test_writer_flushes_on_size_change_and_keeps_numbering(tmp_path):
    rng = np.random.default_rng(1)
    w = ShardWriter(tmp_path, "s", positions_per_shard=100, start_index=7)
    w.add(**_position(rng, 5, 5))
    w.add(**_position(rng, 4, 6))
    w.close()
    assert [p.name for p in w.written] == ["s-000007.npz", "s-000008.npz"]
    assert load_shard(w.written[1]).size == (4, 6)


def test_non_binary_planes_kept_as_float16(tmp_path):
    rng = np.random.default_rng(2)
    r = _position(rng)
    r["planes"] = r["planes"] * 0.5
    rec = {k.rstrip("_"): np.asarray(v)[None] for k, v in r.items()}
    shard = load_shard(write_shard(tmp_path / "x.npz", rec))
    assert shard.arrays["planes"].dtype == np.float16
    np.testing.assert_array_equal(shard.arrays["planes"][0], r["planes"])


def test_bad_shards_raise_shard_error(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ShardError):
        load_shard(tmp_path / "junk.npz")
    np.savez(tmp_path / "nometa.npz", value=np.zeros(3))
    with pytest.raises(ShardError, match="meta"):
        load_shard(tmp_path / "nometa.npz")
    meta = json.dumps({"width": 5, "height": 5, "feature_version": -1, "positions": 1})
    np.savez(tmp_path / "old.npz", value=np.zeros(1), meta=np.array(meta))
    with pytest.raises(ShardError, match="feature version"):
        load_shard(tmp_path / "old.npz")
    with pytest.raises(ShardError):
        list_shards(tmp_path / "missing")


def test_sample_applies_one_symmetry_to_all_spatial_arrays(tmp_path):
    rng = np.random.default_rng(3)
    r = _position(rng)
    with ShardWriter(tmp_path, "t") as w:
        w.add(**r)
    s = ShardSet(list_shards(tmp_path))
    for k in range(8):
        x = s.sample(0, 0, k)
        np.testing.assert_array_equal(x["planes"], apply_symmetry_planes(r["planes"], k))
        np.testing.assert_allclose(x["policy"], apply_symmetry_policy(r["policy"], k, 5, 5))
        np.testing.assert_array_equal(x["ownership"], apply_symmetry_planes(r["ownership"], k))
        assert x["policy"][-1] == r["policy"][-1]  # pass is fixed


def test_epoch_plan_is_deterministic_and_covers_each_position_once():
    lengths, sizes = [10, 7, 5], [(9, 9), (9, 9), (7, 9)]
    a = epoch_plan(lengths, sizes, seed=1, epoch=0, batch_size=4)
    b = epoch_plan(lengths, sizes, seed=1, epoch=0, batch_size=4)
    c = epoch_plan(lengths, sizes, seed=1, epoch=1, batch_size=4)
    assert all((x == y).all() for x, y in zip(a, b)) and len(a) == len(b)
    assert any((x != y).any() for x, y in zip(a, c))
    rows = np.concatenate(a)
    pairs = {(int(i), int(r)) for i, r, _ in rows}
    assert len(pairs) == len(rows) == 4 * (17 // 4) + 4 * (5 // 4)
    for batch in a:
        assert len({sizes[i] for i in batch[:, 0]}) == 1  # one board size per batch
        if sizes[batch[0, 0]] == (7, 9):
            assert batch[:, 2].max() < 4  # a rectangle keeps its shape
    assert rows[:, 2].max() >= 4  # squares get the transposing symmetries too


def test_shard_set_with_a_small_cache_serves_the_same_samples(tmp_path):
    rng = np.random.default_rng(4)
    rows = [_position(rng) for _ in range(6)]
    with ShardWriter(tmp_path, "t", positions_per_shard=2) as w:
        for r in rows:
            w.add(**r)
    full, small = ShardSet(list_shards(tmp_path)), ShardSet(list_shards(tmp_path), cache_size=1)
    items = [(i, j, (3 * i + j) % 8) for i in (0, 2, 1, 0) for j in (1, 0)]
    a, b = full.batch(items), small.batch(items)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    np.testing.assert_array_equal(a["planes"][0], apply_symmetry_planes(rows[1]["planes"], 1))
    assert len(small._cache) == 1 and len(full._cache) == 3


def _records(rng, n, h=5, w=5, teacher=True, halves=False):
    rows = [_position(rng, h, w) for _ in range(n)]
    rec = {k.rstrip("_"): np.stack([np.asarray(r[k]) for r in rows]) for k in rows[0]}
    if halves:
        rec["planes"] = rec["planes"] * 0.5      # not binary: kept as float16, not bit-packed
    if teacher:
        rec.update(teacher_value=rng.uniform(-1, 1, n), teacher_score=rng.normal(0, 9, n),
                   teacher_ownership=rng.uniform(-1, 1, (n, h, w)), teacher_valid=rng.random(n) < 0.8)
    return rec


def test_batch_serves_what_sample_serves_row_by_row(tmp_path):
    rng = np.random.default_rng(5)
    paths = [write_shard(tmp_path / "a.npz", _records(rng, 6)),
             write_shard(tmp_path / "b.npz", _records(rng, 5), compact=True),
             write_shard(tmp_path / "c.npz", _records(rng, 4, teacher=False)),
             write_shard(tmp_path / "d.npz", _records(rng, 3, halves=True))]
    s = ShardSet(paths)
    for shards in (3, 4):     # bit-packed planes only (unpacked once), then with d's float16 planes too
        items = [(int(i), int(rng.integers(s.lengths[i])), int(rng.integers(8)))
                 for i in rng.integers(0, shards, 64)]
        got, reference = s.batch(items), s.batch_row_by_row(items)
        assert set(got) == set(reference)
        for key in got:
            np.testing.assert_array_equal(got[key], reference[key], err_msg=key)
        np.testing.assert_array_equal(reference["planes"][0], s.sample(*items[0])["planes"])
        assert got["planes"].dtype == np.float32 and got["teacher_valid"].dtype == bool


def test_batch_on_a_rectangle_keeps_or_transposes_its_shape_as_sample_does(tmp_path):
    rng = np.random.default_rng(6)
    s = ShardSet([write_shard(tmp_path / "r.npz", _records(rng, 4, h=4, w=6))])
    for syms in ((0, 1, 2, 3), (4, 5, 6, 7)):
        items = [(0, r, k) for r, k in zip((0, 1, 2, 3), syms)]
        got = s.batch(items)
        assert got["planes"].shape[-2:] == ((4, 6) if syms[0] < 4 else (6, 4))
        for key in got:
            np.testing.assert_array_equal(got[key], np.stack([s.sample(*i)[key] for i in items]))


def test_pick_replay_takes_whole_shards_for_the_fraction_and_a_new_pick_each_epoch(tmp_path):
    rng = np.random.default_rng(5)
    with ShardWriter(tmp_path, "r", positions_per_shard=10) as w:
        for _ in range(100):
            w.add(**_position(rng))
    shards = list_shards(tmp_path)                 # 10 shards of 10 positions
    picks = [pick_replay(shards, 90, 0.25, seed=3, epoch=e) for e in range(4)]
    assert all(len(p) == 3 for p in picks)         # 30 positions of 90 + 30: a quarter
    assert picks[0] == pick_replay(shards, 90, 0.25, seed=3, epoch=0)   # a pure function
    assert len({tuple(p) for p in picks}) > 1      # a fresh pick each epoch
    assert all(len(set(p)) == len(p) and set(p) <= set(shards) for p in picks)
    assert len(pick_replay(shards, 1, 0.1, seed=0, epoch=0)) == 1          # at least one
    assert sorted(pick_replay(shards, 10_000, 0.5, seed=0, epoch=0)) == shards   # all when too few
