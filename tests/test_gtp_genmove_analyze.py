"""``*-genmove_analyze`` streams info lines while the searcher thinks, then plays."""

from __future__ import annotations

import pytest

from engine.player import AnalysisReport, Decision, SimplePlayer
from gtp.server import players
from gtp.server.players import EngineOptions, make_player
from tests.gtp_session import make_engine, ok, session

SHIPPED_9X9 = players.WEIGHTS_DIR / "zerogo-9x9.onnx"


@pytest.mark.parametrize("command,unit", [("lz-genmove_analyze b 10", "winrate \\d+ "),
                                          ("kata-genmove_analyze b 10", "winrate \\d\\.\\d+ ")])
def test_lines_stream_during_a_timed_search(command, unit):
    import re
    options = EngineOptions(size=9, network=str(SHIPPED_9X9), time_per_move=1.5, threads=1, seed=3)
    engine = make_engine(make_player(options), time_per_move=1.5, network=str(SHIPPED_9X9))
    reply = session([command, "list_stones black"], engine)
    lines = reply[0].split("\n")
    infos = [line for line in lines if line.startswith("info move ")]
    # 1.5 s at 0.1 s a report: many reports, not one summary after the search.
    assert len(infos) >= 4, lines
    assert all(re.search(unit, line) for line in infos)
    assert lines[0] == "= " and lines[-1].startswith("play ")
    played = lines[-1].split()[1]
    assert played.upper() in ok(reply[1]).upper().split()


class _Silent(SimplePlayer):
    """A player without streaming: the default genmove_analyze reports its info once."""

    def genmove(self, game, color, limits=None, cleanup=False):
        decision = super().genmove(game, color, limits, cleanup)
        from engine.player import CandidateInfo
        info = [CandidateInfo(decision.move, 7, 0.5, 0.0, 1.0, 0.4, [decision.move])]
        return Decision(decision.move, info=info)


def test_players_without_streaming_report_once():
    reports: list[AnalysisReport] = []
    player = _Silent(1)
    from engine.game import Game
    decision = player.genmove_analyze(Game(9), 1, None, reports.append, 0.1)
    assert len(reports) == 1 and reports[0].candidates[0].move == decision.move
    reply = session(["lz-genmove_analyze b 10"], make_engine(_Silent(1)))[0].split("\n")
    assert reply[1].startswith("info move ") and " visits 7 " in reply[1]
    assert reply[-1].startswith("play ")
