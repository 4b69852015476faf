"""Which shipped network ``zerogo gtp --network auto`` plays with, per board size."""

from __future__ import annotations

import shutil

from engine.evaluator import default_network_path
from engine.player import SimplePlayer
from gtp.server import players
from gtp.server.commands import GtpEngine
from gtp.server.players import EngineOptions, make_player
from tests.gtp_session import ok, session

SHIPPED_9X9 = players.WEIGHTS_DIR / "zerogo-9x9.onnx"


def test_default_path_prefers_size_then_any_shipped_net(tmp_path):
    assert default_network_path(9, 9, tmp_path) is None
    shutil.copy(SHIPPED_9X9, tmp_path / "zerogo-9x9.onnx")
    assert default_network_path(7, 7, tmp_path).name == "zerogo-9x9.onnx"
    # No 19x19 net: the 9x9 one still beats random play.
    assert default_network_path(19, 19, tmp_path).name == "zerogo-9x9.onnx"
    shutil.copy(SHIPPED_9X9, tmp_path / "zerogo-19x19.onnx")
    assert default_network_path(19, 19, tmp_path).name == "zerogo-19x19.onnx"
    assert default_network_path(9, 9, tmp_path).name == "zerogo-9x9.onnx"


def test_boardsize_loads_the_net_for_the_new_size(tmp_path, monkeypatch):
    weights = tmp_path / "weights"
    weights.mkdir()
    monkeypatch.setattr(players, "WEIGHTS_DIR", weights)
    options = EngineOptions(size=19, network="auto", visits=4, seed=1, threads=1)
    engine = GtpEngine(options, make_player(options))
    assert isinstance(engine.player, SimplePlayer) and engine.network_path is None
    # A net appears for 9x9 only: a later boardsize 9 must pick it up.
    shutil.copy(SHIPPED_9X9, weights / "zerogo-9x9.onnx")
    replies = session(["boardsize 9", "clear_board", "genmove b"], engine)
    assert all(r.startswith("=") for r in replies)
    assert engine.network_path == weights / "zerogo-9x9.onnx"
    assert not isinstance(engine.player, SimplePlayer)
    assert ok(replies[-1]).upper() != "RESIGN"


def test_network_none_never_switches():
    options = EngineOptions(size=19, network="none", seed=1)
    engine = GtpEngine(options, make_player(options))
    session(["boardsize 9"], engine)
    assert isinstance(engine.player, SimplePlayer)
