"""Surprise weighting (``zerogo data surprise``): rows a student gets wrong are copied more often."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from engine.evaluator import EvaluatorConfig, OnnxEvaluator
from engine.features import encode
from nets.distil_eval import net_outputs
from nets.export import export_onnx, random_net, random_positions
from nets.shards import is_compact, list_shards, load_shard, write_shard
from nets.surprise import SurpriseSettings, repeat_counts, surprise_weights


def test_weights_average_one_and_follow_each_surprise():
    kl = np.array([0.0, 0.0, 1.0, 3.0])
    flat = np.zeros(4)
    w = surprise_weights(kl, flat, SurpriseSettings(policy_share=0.5, value_share=0.1))
    assert w == pytest.approx([0.5, 0.5, 1.0, 2.0])        # a zero value surprise shares evenly
    gap = np.array([4.0, 0.0, 0.0, 0.0])
    w = surprise_weights(flat, gap, SurpriseSettings(policy_share=0.0, value_share=0.5))
    assert w == pytest.approx([2.5, 0.5, 0.5, 0.5]) and w.mean() == pytest.approx(1.0)


def test_repeat_counts_are_floor_or_ceiling_and_right_on_average():
    w = np.concatenate([np.full(20000, 0.5), np.full(20000, 2.25)])
    c = repeat_counts(w, np.random.default_rng(3))
    assert set(c[:20000]) == {0, 1} and set(c[20000:]) == {2, 3}
    assert c[:20000].mean() == pytest.approx(0.5, abs=0.02)
    assert c[20000:].mean() == pytest.approx(2.25, abs=0.02)
    assert np.array_equal(c, repeat_counts(w, np.random.default_rng(3)))   # seeded: a rerun draws alike


def test_settings_refuse_shares_beyond_the_whole():
    with pytest.raises(ValueError, match="add up to at most 1"):
        SurpriseSettings(policy_share=0.7, value_share=0.4)


def _student_shard(tmp_path, rows=40):
    """A student net and a teacher-labelled 9x9 shard: the even rows agree with it, the odd ones do not."""
    net = tmp_path / "student.onnx"
    export_onnx(random_net("b2c16"), net)
    encoded = [encode(p) for p in random_positions(rows, 9, seed=2)]
    arrays = {"planes": np.stack([e[0] for e in encoded]), "globals": np.stack([e[1] for e in encoded])}
    ev = OnnxEvaluator(net, EvaluatorConfig(threads=1, batch_size=64, cache_size=0))
    (_, policy, value, score), = net_outputs(ev, arrays, 64)
    odd = np.arange(rows) % 2 == 1
    target = policy.copy()
    worst = policy.argmin(1)            # the odd rows' teacher puts everything on the student's least-liked point
    target[odd] = 0.0
    target[odd, worst[odd]] = 1.0
    teacher_value = np.where(odd, -np.sign(value + 1e-3), value)   # and disagrees on the value
    records = {**arrays, "policy": target, "value": teacher_value, "score": score,
               "ownership": np.zeros((rows, 9, 9)), "score_valid": np.ones(rows, bool),
               "ownership_valid": np.zeros(rows, bool), "teacher_value": teacher_value,
               "teacher_score": score, "teacher_ownership": np.zeros((rows, 9, 9)),
               "teacher_valid": np.ones(rows, bool)}
    src = tmp_path / "labelled"
    write_shard(src / "sgf-000000.npz", records, compact=True)
    return net, src, odd


def test_surprising_rows_are_copied_more_and_a_rerun_keeps_the_copies(tmp_path):
    from nets.cli import data_group

    net, src, odd = _student_shard(tmp_path)
    out = tmp_path / "weighted"
    args = ["surprise", str(net), "--shards", str(src), "--out", str(out), "--seed", "5", "--threads", "1"]
    res = CliRunner().invoke(data_group, args)
    assert res.exit_code == 0, res.output
    assert "40 rows ->" in res.output and "1 new shards" in res.output
    (copy,) = list_shards(out)
    assert copy.name == "labelled-sgf-000000.npz" and is_compact(copy)
    original = load_shard(src / "sgf-000000.npz").arrays
    weighted = load_shard(copy).arrays
    # every copy is one original row, whole: match rows by their teacher value and planes
    sources = [next(i for i in range(40) if np.array_equal(original["planes"][i], weighted["planes"][j])
                    and original["teacher_value"][i] == weighted["teacher_value"][j])
               for j in range(len(weighted["value"]))]
    copies = np.bincount(sources, minlength=40)
    assert copies[odd].sum() > 3 * copies[~odd].sum()       # the student's misses dominate the copies
    assert copies[~odd].sum() > 0                           # the even share still keeps agreed rows
    res = CliRunner().invoke(data_group, args)
    assert res.exit_code == 0 and "0 new shards (1 kept)" in res.output


def test_bad_shares_and_an_output_in_a_source_folder_are_refused(tmp_path):
    from nets.cli import data_group

    net, src, _ = _student_shard(tmp_path, rows=4)
    res = CliRunner().invoke(data_group, ["surprise", str(net), "--shards", str(src), "--out", str(src)])
    assert res.exit_code != 0 and "must not be a folder the shards come from" in res.output
    res = CliRunner().invoke(data_group, ["surprise", str(net), "--shards", str(src), "--out",
                                          str(tmp_path / "o"), "--policy-share", "0.8", "--value-share", "0.5"])
    assert res.exit_code != 0 and "add up to at most 1" in res.output
