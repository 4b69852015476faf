"""The status net (a strong net's ownership for dead stones) loads near a game's end, in the background."""

from __future__ import annotations

from engine import status_net
from engine.game import Game
from engine.mcts_player import MctsPlayer
from engine.player import MoveLimits
from engine.search import SearchConfig
from gtp.server.players import EngineOptions, make_player
from tests.gtp_session import REPO


def _player(uniform_evaluator, spec: str) -> MctsPlayer:
    from engine.deadstones import DeadStoneConfig
    return MctsPlayer(uniform_evaluator, SearchConfig(batch_size=2, seed=1),
                      status_config=DeadStoneConfig(status_net=spec))


def test_preload_starts_after_half_the_board_or_a_pass_once(monkeypatch, uniform_evaluator):
    calls = []
    monkeypatch.setattr(status_net, "preload", lambda spec, w, h: calls.append((spec, w, h)))
    player = _player(uniform_evaluator, "some.bin.gz")
    game = Game(9)
    player.genmove(game, game.to_play, MoveLimits(visits=2))
    assert calls == []                                  # an opening: nothing loaded
    game.play(game.board.pass_move)
    player.genmove(game, game.to_play, MoveLimits(visits=2))
    assert calls == [("some.bin.gz", 9, 9)]             # a pass: the end may be near
    player.genmove(game, game.to_play, MoveLimits(visits=2))
    assert len(calls) == 1                              # once per net and size
    late = Game(7)
    for move in range(25):                              # half of 7x7 played on the first row and below
        late.play(move)
    player.genmove(late, late.to_play, MoveLimits(visits=2))
    assert calls[-1] == ("some.bin.gz", 7, 7)


def test_no_status_net_means_no_preload(monkeypatch, uniform_evaluator):
    calls = []
    monkeypatch.setattr(status_net, "preload", lambda *a: calls.append(a))
    player = _player(uniform_evaluator, "none")
    game = Game(9)
    game.play(game.board.pass_move)
    player.genmove(game, game.to_play, MoveLimits(visits=2))
    assert calls == []


def test_gtp_option_reaches_the_dead_stone_settings():
    net = f"{REPO}/weights/zerogo-9x9.onnx"
    player = make_player(EngineOptions(size=9, network=net, status_network="none"))
    assert player.status_config.status_net == "none"
    assert make_player(EngineOptions(size=9, network=net)).status_config.status_net == "auto"


def test_preload_runs_at_the_lowest_priority_without_touching_the_caller(monkeypatch, tmp_path):
    import os
    import threading
    seen = {}
    monkeypatch.setattr(status_net, "_evaluator",
                        lambda *a: seen.update(nice=os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    status_net.preload(str(tmp_path / "any.bin.gz"), 9, 9).join(30)
    assert seen["nice"] == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_preload_of_a_missing_file_is_logged_and_left_out(tmp_path, caplog):
    missing = str(tmp_path / "gone.bin.gz")
    thread = status_net.preload(missing, 9, 9)
    thread.join(30)
    assert not thread.is_alive() and "not used" in caplog.text
    assert status_net.ownership(Game(9), missing) is None


def test_a_player_on_the_status_net_file_shares_its_evaluator(monkeypatch, tmp_path):
    """A player running the KataGo file the status would load: one evaluator serves both (no second copy)."""
    import gzip

    from tests.katago_tiny import dump_model, random_model
    monkeypatch.setenv("ZEROGO_ONNX_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ZEROGO_KATAGO_NETS", str(tmp_path / "nets"))
    monkeypatch.setattr(status_net, "_loaded", {})
    (tmp_path / "nets").mkdir()
    net = tmp_path / "nets" / "tiny.bin.gz"
    net.write_bytes(gzip.compress(dump_model(random_model(14, seed=2))))
    player = make_player(EngineOptions(size=5, network=str(net), threads=1))
    assert list(status_net._loaded.values()) == [player.evaluator]
    monkeypatch.chdir(tmp_path)
    same = status_net._evaluator("nets/tiny.bin.gz", 5, 5)      # the same file, spelled another way
    assert same is player.evaluator and len(status_net._loaded) == 1
    own = status_net.ownership(Game(5))
    assert own is not None and own.shape == (5, 5) and len(status_net._loaded) == 1
    other = make_player(EngineOptions(size=5, network=f"{REPO}/weights/zerogo-9x9.onnx", threads=1))
    assert other.evaluator is not player.evaluator and len(status_net._loaded) == 1   # another net: nothing shared
