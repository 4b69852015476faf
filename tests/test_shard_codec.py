"""Compact shards (nets.shard_codec, nets.archive): what survives the coding, within what error."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.features import NUM_GLOBALS, NUM_PLANES
from nets.archive import compact_shard, policy_kl
from nets import shard_codec
from nets.shard_codec import OWNERSHIP_SCALE, codes_to_policy, policy_to_codes
from nets.shards import (ShardError, ShardSet, ShardWriter, is_compact, list_shards, load_shard,
                         write_shard)


class _Teacher:
    """The fields of an engine.evaluation.Evaluation that ShardWriter records."""

    def __init__(self, rng, h, w):
        self.value = float(rng.uniform(-1, 1))
        self.score_lead = float(rng.normal(0, 10))
        self.ownership = np.tanh(rng.normal(0, 2, (h, w))).astype(np.float32)


def _teacher_rows(rng, n, h=7, w=7):
    """Rows like a teacher game's: a peaked policy with a long tail, zeros on occupied points."""
    rows = []
    for _ in range(n):
        planes = rng.integers(0, 2, (NUM_PLANES, h, w)).astype(np.float32)
        logits = rng.normal(0, 3, h * w + 1)
        policy = np.exp(logits - logits.max())
        policy[:-1][planes[1].reshape(-1) + planes[2].reshape(-1) > 0] = 0.0
        rows.append(dict(planes=planes, globals_=rng.random(NUM_GLOBALS).astype(np.float32),
                         policy=(policy / policy.sum()).astype(np.float32),
                         value=float(rng.choice([-1, 1])), score=float(rng.integers(-20, 20)),
                         ownership=rng.integers(-1, 2, (h, w)), score_valid=True,
                         ownership_valid=bool(rng.integers(2)), teacher=_Teacher(rng, h, w)))
    return rows


def _write(tmp_path, rows, compact, prefix="t"):
    with ShardWriter(tmp_path, prefix, positions_per_shard=len(rows), compact=compact) as w:
        for r in rows:
            w.add(**r)
    return w.written[0]


def test_compact_round_trip_keeps_every_array_within_its_bound(tmp_path):
    rows = _teacher_rows(np.random.default_rng(0), 40)
    plain = load_shard(_write(tmp_path / "p", rows, compact=False))
    path = _write(tmp_path / "c", rows, compact=True)
    assert is_compact(path) and not is_compact(plain.path)
    copy = load_shard(path)
    assert copy.size == (7, 7) and len(copy) == 40
    for key, a in plain.arrays.items():
        b = copy.arrays[key]
        assert b.dtype == a.dtype and b.shape == a.shape, key
        if key not in ("policy", "teacher_ownership"):
            np.testing.assert_array_equal(b, a, err_msg=key)
    p, q = plain.arrays["policy"], copy.arrays["policy"]
    np.testing.assert_allclose(q.sum(1), 1.0, atol=1e-5)
    assert ((p == 0) <= (q == 0)).all()            # an impossible move stays impossible
    assert policy_kl(p, q).max() < 2e-3
    err = np.abs(copy.arrays["teacher_ownership"].astype(np.float32)
                 - plain.arrays["teacher_ownership"].astype(np.float32))
    assert err.max() <= 0.5 / OWNERSHIP_SCALE + 1e-3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(1e-7, 1.0), min_size=2, max_size=30))
def test_policy_codes_keep_each_ratio_within_half_a_step(values):
    p = np.asarray(values) / np.sum(values)
    p = p[p >= 1e-7]
    q = codes_to_policy(policy_to_codes(p))
    ratio = q / p
    step = -np.log(1e-7) / 126                      # one code, in nats
    assert np.log(ratio.max() / ratio.min()) <= step + 1e-6


def test_one_hot_and_all_zero_policies_survive_exactly():
    one_hot = np.zeros((2, 10), np.float32)
    one_hot[0, 3] = 1.0
    np.testing.assert_array_equal(codes_to_policy(policy_to_codes(one_hot)), one_hot)


def test_shard_set_serves_compact_and_plain_shards_alike(tmp_path):
    rows = _teacher_rows(np.random.default_rng(1), 12)
    plain = ShardSet([_write(tmp_path / "p", rows, compact=False)])
    compact = ShardSet([_write(tmp_path / "c", rows, compact=True)])
    items = [(0, r, r % 8) for r in range(12)]
    a, b = plain.batch(items), compact.batch(items)
    for key in a:
        atol, rtol = {"policy": (1e-6, 0.14),      # one code step either way, renormalised
                      "teacher_ownership": (0.5 / OWNERSHIP_SCALE + 1e-3, 0)}.get(key, (0, 0))
        np.testing.assert_allclose(b[key].astype(np.float32), a[key].astype(np.float32),
                                   atol=atol, rtol=rtol, err_msg=key)


def test_compact_shard_reports_and_keeps_the_modification_time(tmp_path):
    rows = _teacher_rows(np.random.default_rng(2), 30)
    src = _write(tmp_path / "p", rows, compact=False)
    os.utime(src, (1_000_000, 1_000_000))
    report = compact_shard(src, tmp_path / "c" / src.name)
    assert report.positions == 30 and report.bytes_after < report.bytes_before
    assert 0 < report.policy_kl_mean <= report.policy_kl_max < 2e-3
    assert 0 < report.ownership_error_max <= 0.5 / OWNERSHIP_SCALE + 1e-3
    assert (tmp_path / "c" / src.name).stat().st_mtime == 1_000_000


def test_a_damaged_compact_shard_is_a_shard_error(tmp_path):
    path = _write(tmp_path, _teacher_rows(np.random.default_rng(3), 5), compact=True)
    with np.load(path) as z:
        entries = {k: z[k] for k in z.files}
    cut = dict(entries, data=entries["data"][: len(entries["data"]) // 2])
    np.savez(tmp_path / "cut.npz", **cut)
    with pytest.raises(ShardError, match="compact shard .*damaged"):
        load_shard(tmp_path / "cut.npz")
    meta = json.loads(str(entries["meta"]))
    del meta["codec"]["arrays"]["policy"]["offset"]
    np.savez(tmp_path / "bad-meta.npz", **dict(entries, meta=np.array(json.dumps(meta))))
    with pytest.raises(ShardError, match="compact shard"):
        load_shard(tmp_path / "bad-meta.npz")
    del entries["data"]
    np.savez(tmp_path / "lacking.npz", **entries)
    with pytest.raises(ShardError, match="data"):
        load_shard(tmp_path / "lacking.npz")


def test_a_shard_decodes_by_the_constants_it_recorded(tmp_path, monkeypatch):
    """Shards written with other codec constants stay readable after the defaults change."""
    rows = _teacher_rows(np.random.default_rng(5), 10)
    plain = load_shard(_write(tmp_path / "p", rows, compact=False))
    with monkeypatch.context() as m:
        m.setattr(shard_codec, "POLICY_FLOOR", 1e-5)
        m.setattr(shard_codec, "POLICY_LEVELS", 31)
        m.setattr(shard_codec, "OWNERSHIP_SCALE", 3)
        path = _write(tmp_path / "c", rows, compact=True)
    copy = load_shard(path)                          # read with today's defaults in place
    p, q = plain.arrays["policy"], copy.arrays["policy"]
    kept = p >= 1e-5
    step = -np.log(1e-5) / 30
    ratio = q[kept] / p[kept]
    assert np.abs(np.log(ratio) - np.log(ratio).mean()).max() <= step + 0.05
    assert (q[~kept] == 0).all()                     # below that floor: coded as impossible
    err = np.abs(copy.arrays["teacher_ownership"].astype(np.float32)
                 - plain.arrays["teacher_ownership"].astype(np.float32))
    assert 0.5 / OWNERSHIP_SCALE < err.max() <= 0.5 / 3 + 1e-3
    with np.load(path) as z:
        entries = {k: z[k] for k in z.files}
    meta = json.loads(str(entries["meta"]))
    meta["codec"]["policy_levels"] = 900
    np.savez(tmp_path / "odd.npz", **dict(entries, meta=np.array(json.dumps(meta))))
    with pytest.raises(ShardError, match="out of range"):
        load_shard(tmp_path / "odd.npz")


def test_shards_without_teacher_targets_compact_too(tmp_path):
    rows = _teacher_rows(np.random.default_rng(4), 6)
    for r in rows:
        r.pop("teacher")
    rec = {k.rstrip("_"): np.stack([np.asarray(r[k]) for r in rows]) for k in rows[0]}
    copy = load_shard(write_shard(tmp_path / "x.npz", rec, compact=True))
    assert "teacher_valid" not in copy.arrays
    np.testing.assert_array_equal(copy.arrays["planes"], rec["planes"])


def test_cli_compacts_a_folder_resumes_and_refuses_its_own_folder(tmp_path):
    from nets.cli import data_group

    rng = np.random.default_rng(5)
    src = tmp_path / "plain"
    for i in range(2):
        _write(src, _teacher_rows(rng, 8), compact=False, prefix=f"s{i}")
    out = tmp_path / "kept"
    res = CliRunner().invoke(data_group, ["compact", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "compacted 16 positions" in res.output and "policy KL mean" in res.output
    assert [p.name for p in list_shards(out)] == [p.name for p in list_shards(src)]
    assert all(is_compact(p) for p in list_shards(out))
    again = CliRunner().invoke(data_group, ["compact", str(src), "--out", str(out)])
    assert again.exit_code == 0 and again.output.count("already compacted") == 2
    own = CliRunner().invoke(data_group, ["compact", str(src), "--out", str(src)])
    assert own.exit_code != 0 and "must not be a folder" in own.output
