"""Which shipped network ``zerogo gtp --network auto`` plays with, per board size."""

from __future__ import annotations

import shutil

import pytest

from engine.evaluator import default_network_path
from engine.player import SimplePlayer
from gtp.server import players
from gtp.server.commands import GtpEngine
from gtp.server.players import EngineOptions, PlayerError, make_player
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
    # Nothing shipped: --network auto is an error, not random play.
    with pytest.raises(PlayerError, match="no network for 19x19.*--network none"):
        make_player(options)
    # Only the 9x9 net: it serves 19x19 too (better than random play).
    shutil.copy(SHIPPED_9X9, weights / "zerogo-9x9.onnx")
    engine = GtpEngine(options, make_player(options))
    assert engine.network_path == weights / "zerogo-9x9.onnx"
    # A net for 13x13 appears: a later boardsize 13 must pick it up.
    shutil.copy(SHIPPED_9X9, weights / "zerogo-13x13.onnx")
    replies = session(["boardsize 13", "clear_board", "genmove b"], engine)
    assert all(r.startswith("=") for r in replies)
    assert engine.network_path == weights / "zerogo-13x13.onnx"
    assert not isinstance(engine.player, SimplePlayer)
    assert ok(replies[-1]).upper() != "RESIGN"


def test_boardsize_refused_when_the_net_does_not_fit(tmp_path, monkeypatch):
    """A player that cannot serve a size answers 'unacceptable size' and keeps its board."""
    class NineOnly(SimplePlayer):
        def check_board_size(self, width, height):
            if (width, height) != (9, 9):
                raise ValueError("this net plays 9x9 only")

    engine = GtpEngine(EngineOptions(size=9, network="none", seed=1), NineOnly(1))
    replies = session(["play b E5", "boardsize 19", "list_stones b", "boardsize 9"], engine)
    assert replies == ["= ", "? unacceptable size", "= E5", "= "]


def test_bad_network_files_exit_non_zero_with_the_reason(tmp_path):
    import subprocess
    import sys

    from tests.gtp_session import REPO
    (tmp_path / "empty.onnx").write_bytes(b"")
    (tmp_path / "cut.onnx").write_bytes(SHIPPED_9X9.read_bytes()[:5000])
    (tmp_path / "random.onnx").write_bytes(bytes(range(256)) * 40)
    cases = {tmp_path / "missing.onnx": "does not exist", tmp_path / "empty.onnx": "is empty",
             tmp_path / "cut.onnx": "truncated or corrupt", tmp_path / "random.onnx": "corrupt",
             tmp_path: "is a directory"}
    for path, reason in cases.items():
        proc = subprocess.run([sys.executable, "-c", "from gtp.cli import main; main()", "gtp",
                               "--network", str(path)], input="name\nquit\n", text=True,
                              capture_output=True, cwd=REPO, timeout=60, check=False)
        assert proc.returncode != 0 and proc.stdout == "", (path, proc.stdout)
        assert reason in proc.stderr and "--network none" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


def test_network_none_never_switches():
    options = EngineOptions(size=19, network="none", seed=1)
    engine = GtpEngine(options, make_player(options))
    session(["boardsize 9"], engine)
    assert isinstance(engine.player, SimplePlayer)
