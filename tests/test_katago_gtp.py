"""GTP with KataGo networks: kata-raw-nn against KataGo's own output, errors without a net."""

import os

import numpy as np
import pytest

from engine.evaluator import EvaluatorConfig, load_evaluator
from engine.mcts_player import MctsPlayer
from engine.rules import rules_by_name
from engine.sgf import load_sgf_file
from gtp.server.commands_katago import cmd_kata_raw_nn
from gtp.server.protocol import GtpFailure
from tests.gtp_session import make_engine, ok, session
from tests.test_katago_parity import NETS, REFERENCE, _network, _reference
from tests.test_katago_rawnn import _parse


@pytest.fixture(scope="module")
def b15_engine(tmp_path_factory):
    os.environ.setdefault("ZEROGO_ONNX_CACHE", str(tmp_path_factory.mktemp("onnx")))
    ev = load_evaluator(_network(NETS["g170e-b15c192"][0]), EvaluatorConfig(threads=2))
    # loadsgf reads the reference positions from their own folder
    return make_engine(player=MctsPlayer(ev), sgf_dir=str(REFERENCE / "positions"))


def test_kata_raw_nn_reproduces_katago(b15_engine):
    entry = next(e for e in _reference("g170e-b15c192")["positions"]
                 if e["sgf"].startswith("03") and "19x19" in e["sgf"])
    game = load_sgf_file(REFERENCE / "positions" / entry["sgf"])
    game.set_rules(rules_by_name(entry["rules"], entry["komi"]))
    b15_engine.game = game
    got = _parse(cmd_kata_raw_nn(b15_engine, ["0"], None), game.width, game.height)
    assert got["whiteWin"] == pytest.approx(entry["whiteWin"], abs=2e-3)
    assert got["whiteLead"] == pytest.approx(entry["whiteLead"], abs=0.05)
    ref = np.array([[np.nan if p is None else p for p in row] for row in entry["policy"]])
    mine = np.array([[np.nan if p is None else p for p in row] for row in got["policy"]])
    assert np.array_equal(np.isnan(ref), np.isnan(mine))
    assert np.nanmax(np.abs(ref - mine)) <= 1e-3
    np.testing.assert_allclose(got["whiteOwnership"], entry["whiteOwnership"], atol=0.01)
    everything = cmd_kata_raw_nn(b15_engine, ["all"], None)
    assert everything.count("symmetry ") == 8 and everything.startswith("symmetry 0\n")


@pytest.mark.parametrize("arg", ["8", "-1", "x", ""])
def test_bad_symmetry(b15_engine, arg):
    with pytest.raises(GtpFailure, match="(?i)symmetry"):
        cmd_kata_raw_nn(b15_engine, [arg] if arg else [], None)


def test_without_a_network():
    with pytest.raises(GtpFailure, match="no neural network"):
        cmd_kata_raw_nn(make_engine(), ["0"], None)


def test_reference_procedure_through_the_protocol(b15_engine):
    """KataGo's own steps: loadsgf FILE, kata-set-rules RULES, komi KOMI, kata-raw-nn 0."""
    entry = next(e for e in _reference("g170e-b15c192")["positions"]
                 if e["handicap"] and "chinese" in e["sgf"])
    replies = session([f"loadsgf {REFERENCE / 'positions' / entry['sgf']}",
                       f"kata-set-rules {entry['rules']}", f"komi {entry['komi']}",
                       "kata-raw-nn 0", "kata-raw-nn 9", "list_commands"], b15_engine)
    assert all(r.startswith("=") for r in replies[:4]), replies[:4]
    assert replies[4].startswith("?") and "kata-raw-nn" in ok(replies[5]).split("\n")
    size = b15_engine.game.width
    got = _parse(ok(replies[3]), size, size)
    assert got["whiteWin"] == pytest.approx(entry["whiteWin"], abs=2e-3)
    assert got["whiteLead"] == pytest.approx(entry["whiteLead"], abs=0.05)
    np.testing.assert_allclose(got["whiteOwnership"], entry["whiteOwnership"], atol=0.01)
