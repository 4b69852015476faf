"""Elo, the gate's SPRT and the ratings file."""

from __future__ import annotations

import json

import pytest

from gtp.match.stats import Sprt, fit_elo, match_elo, score_to_elo
from gtp.match.stats import score_from_elo as elo_to_score
from nets.ratings import RatingsFile


def test_elo_and_score_are_inverse():
    for elo in (-300.0, -35.0, 0.0, 100.0, 400.0):
        assert score_to_elo(elo_to_score(elo)) == pytest.approx(elo, abs=1e-6)
    assert score_to_elo(0.75) == pytest.approx(190.8, abs=0.1)
    diff, half = match_elo(30, 10, 0)
    assert diff == pytest.approx(190.8, abs=0.1) and 0 < half < 200


def test_sprt_needs_evidence_and_then_decides():
    test = Sprt(0.0, 35.0)
    assert test.decide(0, 2) == ""           # two losses decide nothing
    assert test.decide(2, 0) == ""
    assert test.decide(300, 150) == "H1"
    assert test.decide(150, 300) == "H0"
    lo, hi = test.bounds()
    assert lo == pytest.approx(-2.944, abs=1e-3) and hi == pytest.approx(2.944, abs=1e-3)


def test_fit_elo_between_anchors():
    anchors = {"weak": 0.0, "strong": 400.0}
    x = fit_elo({"weak": (9, 1, 0), "strong": (1, 9, 0)}, anchors)
    assert 150 < x < 250
    assert fit_elo({"weak": (5, 5, 0)}, anchors) == pytest.approx(0.0, abs=2)


def test_ratings_file_round_trip(tmp_path):
    path = tmp_path / "r" / "ratings.json"
    rf = RatingsFile(path)
    e = rf.add(1, "gen1.onnx", {"gen000": (6, 4, 0)}, {"gen000": 0.0})
    assert e["anchors"]["gen000"]["wins"] == 6 and e["elo"] > 0
    rf.add(1, "gen1b.onnx", {"gen000": (5, 5, 0)}, {"gen000": 0.0})   # replaces generation 1
    data = json.loads(path.read_text())
    assert len(data) == 1 and data[0]["network"] == "gen1b.onnx"
    assert RatingsFile(path).entries == data
