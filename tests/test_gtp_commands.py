"""GTP commands: moves, undo, handicap, SGF, scoring, rules, clocks, inspection, analysis, players."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

from engine import coords
from engine.board import BLACK, WHITE
from engine.evaluator import EvaluatorConfig, load_evaluator
from engine.game import Game
from engine.player import AnalysisReport, AnalysisRequest, CandidateInfo, SimplePlayer
from gtp.server.commands_analysis import format_kata, format_lz, parse_analyze_args
from gtp.server.kata_values import ownership_after
from gtp.server.players import EngineOptions, PlayerError, make_player
from gtp.server.protocol import GtpFailure
from tests.fake_gtp_player import BrokenPlayer, StreamingPlayer
from tests.gtp_session import REPO, make_engine, ok, session


def test_play_on_an_occupied_point_is_illegal_and_changes_nothing():
    replies = session(["play b D4", "play w D4", "play b D4", "list_stones b", "list_stones w"])
    assert replies == ["= ", "? illegal move", "? illegal move", "= D4", "= "]


def test_suicide_and_ko_are_illegal_moves():
    setup = ["play b A2", "play b B1", "play w A1"]  # white A1 is suicide
    assert session(setup)[2] == "? illegal move"
    ko = ["play b D5", "play w E5", "play b C4", "play w F4", "play b D3", "play w E3",
          "play b E4", "play w D4", "play b E4"]  # white takes the ko; black retakes at once
    assert session(ko)[-1] == "? illegal move"


def test_undo_past_the_start_and_handicap_cannot_be_undone():
    replies = session(["undo", "fixed_handicap 2", "undo", "play w E5", "undo", "undo", "list_stones b"])
    assert replies == ["? cannot undo", "= C3 G7", "? cannot undo", "= ", "= ", "? cannot undo", "= G7 C3"]


@pytest.mark.parametrize("n", [2, 3, 5, 9, 10, 30, 80])
def test_place_free_handicap_gives_exactly_n_distinct_vertices(n):
    replies = session([f"place_free_handicap {n}", "list_stones b"])
    stones = ok(replies[0]).split()
    assert len(stones) == len(set(stones)) == n
    assert sorted(ok(replies[1]).split()) == sorted(stones)


def test_handicap_errors():
    replies = session(["fixed_handicap 10", "place_free_handicap 81", "place_free_handicap 1",
                       "set_free_handicap D4", "set_free_handicap D4 D4", "set_free_handicap D4 pass",
                       "play b E5", "fixed_handicap 2", "set_free_handicap C3 G7"])
    assert replies[:6] == ["? invalid number of stones"] * 3 + ["? bad vertex list"] * 3
    assert replies[7:] == ["? board not empty", "? board not empty"]


def test_set_free_handicap_then_white_to_move():
    replies = session(["set_free_handicap C3 G7 E5", "genmove w", "showboard"])
    assert replies[0] == "= "
    assert "white to play" not in replies[2] and "black to play" in replies[2]


def test_genmove_always_legal_even_with_a_broken_player(caplog):
    engine = make_engine(BrokenPlayer())
    lines = ["play b E5", "genmove w", "genmove b", "genmove w", "genmove b"]
    replies = session(lines, engine)
    moves = [ok(r) for r in replies[1:]]
    assert all(m != "E5" and m != "resign" for m in moves)
    assert len(set(moves)) == 4
    assert "move generator" in caplog.text


def test_genmove_plays_for_either_colour_and_reg_genmove_does_not_play():
    replies = session(["genmove w", "genmove w", "reg_genmove b", "list_stones b", "list_stones w"])
    assert replies[3] == "= "
    assert len(ok(replies[4]).split()) == 2


def test_simple_player_never_fills_its_own_eye():
    # Black owns the whole 3x3 board but two eyes: genmove passes instead of filling one.
    engine = make_engine(size=3)
    lines = ["boardsize 3"] + [f"play b {v}" for v in ("A3", "B3", "C3", "B2", "A1", "B1", "C1")]
    replies = session(lines + ["genmove b"], engine)
    assert replies[-1] == "= pass"


def test_loadsgf_missing_broken_and_good_files(tmp_path):
    broken = tmp_path / "broken.sgf"
    broken.write_text("(;FF[4]SZ[9];B[ee];W[ee])")   # second move on an occupied point
    garbage = tmp_path / "garbage.sgf"
    garbage.write_bytes(b"\x00\x01 not sgf at all")
    good = tmp_path / "good.sgf"
    good.write_text("(;FF[4]GM[1]SZ[9]KM[6.5];B[ee];W[cc];B[gg])")
    replies = session([f"loadsgf {tmp_path / 'missing.sgf'}", f"loadsgf {broken}",
                       f"loadsgf {garbage}", "name", f"loadsgf {good}", "list_stones b",
                       f"loadsgf {good} 3", "list_stones b", "list_stones w"],
                      make_engine(sgf_dir=str(tmp_path)))
    assert all(r.startswith("? cannot load file") for r in replies[:3])
    assert replies[3] == "= zerogo"
    assert replies[4] == "= white" and sorted(ok(replies[5]).split()) == ["E5", "G3"]
    assert replies[6] == "= black" and ok(replies[7]) == "E5" and ok(replies[8]) == "C7"


def test_printsgf_round_trips_through_loadsgf(tmp_path):
    path = tmp_path / "out.sgf"
    replies = session(["komi 5.5", "play b D4", "play w F6", "play b pass", f"printsgf {path}",
                       "printsgf", "clear_board", f"loadsgf {path}", "list_stones w"],
                      make_engine(sgf_dir=str(tmp_path)))
    assert "KM[5.5]" in ok(replies[5]) and "\n\n" not in replies[5]
    assert replies[7] == "= white" and replies[8] == "= F6"


def test_final_score_and_final_status_list_with_a_dead_stone():
    # Black walls off the left, white the right; a lone black stone deep in white's area is dead.
    lines = ["boardsize 9", "komi 0.5"]
    for i, (b, w) in enumerate(zip("987654321", "987654321")):
        lines += [f"play b D{b}", f"play w F{w}"]
    lines += ["play b H5", "play w pass", "play b pass"]
    replies = session(lines + ["final_status_list dead", "final_status_list alive",
                               "final_status_list seki", "final_score", "final_status_list bogus"])
    dead, alive, seki, score = (ok(r) for r in replies[-5:-1])
    assert dead == "H5"
    assert "H5" not in alive and len(alive.split("\n")) == 2
    assert seki == ""
    # black: columns A-D (36 points); white: F-J (36) once H5 is removed; E is dame; komi 0.5
    assert score == "W+0.5"
    assert replies[-1].startswith("? syntax error")


def test_rules_commands():
    replies = session(["kgs-rules japanese", "kata-get-rules", "kgs-rules martian",
                       'kata-set-rules {"ko":"SIMPLE","scoring":"AREA","suicide":true,"komi":6}',
                       "kata-get-rules", "kata-set-rules tromp-taylor", "kata-get-rules"])
    assert json.loads(ok(replies[1]))["scoring"] == "TERRITORY"
    assert replies[2].startswith("? unknown rules")
    rules = json.loads(ok(replies[4]))
    assert (rules["ko"], rules["scoring"], rules["suicide"]) == ("SIMPLE", "AREA", True)
    assert json.loads(ok(replies[6])) == {"friendlyPassOk": False, "hasButton": False, "ko": "POSITIONAL",
                                          "scoring": "AREA",
                                          "suicide": True, "tax": "NONE", "whiteHandicapBonus": "0"}


def test_inspection_commands():
    lines = ["play b D4", "play w D5", "play b C5", "play w pass", "play b E5", "play w pass",
             "play b D6", "captures b", "captures w", "countlib D4", "countlib E5", "countlib A1",
             "is_legal w D5", "is_legal b D5", "is_legal b D4", "all_legal b"]
    replies = session(lines)
    assert [ok(r) for r in replies[7:10]] == ["1", "0", "4"]
    assert ok(replies[10]) == "4" and replies[11] == "? vertex must not be empty"
    assert [ok(r) for r in replies[12:15]] == ["0", "1", "0"]
    assert len(ok(replies[15]).split()) == 81 - 4


def test_rectangular_board_and_showboard():
    replies = session(["rectangular_boardsize 7 11", "play b G11", "play w A1", "showboard",
                       "play b H1"])
    board = replies[3]
    assert board.startswith("= \n") and "11 . . . . . . X 11" in board
    assert replies[4] == "? invalid vertex"


def test_clock_commands_turn_into_move_limits():
    player = StreamingPlayer()
    engine = make_engine(player, lag=0.5)
    replies = session(["time_settings 60 10 5", "genmove b", "time_left w 3 0", "genmove w",
                       "kgs-time_settings byoyomi 0 30 3", "time_left b 30 2", "genmove b",
                       "kata-list_time_settings", "kata-time_settings fischer 100 5", "genmove w",
                       "kgs-time_settings none", "genmove b", "kgs-time_settings hourglass 3",
                       "kata-time_settings fischer-capped 60 5 120 -1", "time_left b -5 0"], engine)
    assert all(r.startswith("=") for r in replies[:12]), replies
    lim = player.limits
    assert 0 < lim[0].seconds_max < 60 and lim[0].seconds_target <= lim[0].seconds_max
    assert lim[1].seconds_max < 3
    assert 14 <= lim[2].seconds_target <= 29.5 and lim[2].seconds_max <= 29.5
    assert "fischer-capped" in ok(replies[7]).split("\n")
    assert 2 < lim[3].seconds_target < 50
    assert lim[4].seconds_max is None and lim[4].seconds_target is None
    assert replies[12].startswith("? syntax error") and replies[13] == "= "
    assert replies[14] == "= "


def test_engine_time_options_cap_the_limits():
    player = StreamingPlayer()
    session(["genmove b"], make_engine(player, time_per_move=2.0, max_time=1.5, visits=50))
    lim = player.limits[0]
    assert (lim.visits, lim.seconds_target, lim.seconds_max) == (50, 1.5, 1.5)


def _report(engine):
    cands = StreamingPlayer()._candidates(engine.game, 1, 2)
    return AnalysisReport(cands, np.full((9, 9), -0.5), 20)


def test_lz_and_kata_formats():
    engine = make_engine()
    req = AnalysisRequest(want_ownership=True)
    lz = format_lz(engine, _report(engine), req)
    assert lz.startswith("info move A9 visits 23 winrate 6000 prior 5000 lcb 5500 order 0 pv A9 B9 info move B9")
    kata = format_kata(engine, _report(engine), req)
    # KataGo's keys in KataGo's order (cpp/command/gtp.cpp), values for the side to move
    assert kata.startswith("info move A9 visits 23 edgeVisits 23 utility 0.2 winrate 0.6 scoreMean 2.5 "
                           "scoreStdev 0.0 scoreLead 2.5 scoreSelfplay 2.5 prior 0.5 lcb 0.55 utilityLcb 0.1 "
                           "weight 23.0 order 0 pv A9 B9 info move B9 ")
    own = kata.split(" ownership ")[1].split()
    assert len(own) == 81 and set(own) == {"-0.5"}
    assert " ownership " not in format_kata(engine, _report(engine), AnalysisRequest())
    for optional in ("pvVisits", "pvEdgeVisits", "rootInfo", "movesOwnership"):
        assert optional not in kata


def test_kata_optional_outputs_printed_when_asked():
    engine = make_engine()
    _, req = parse_analyze_args(engine, ["b", "10", "pvVisits", "true", "pvEdgeVisits", "true",
                                         "rootInfo", "true", "ownership", "true"])
    report = _report(engine)
    report.root = report.candidates[0]
    line = format_kata(engine, report, req)
    first = line.split(" info ")[0]
    assert first.endswith("order 0 pv A9 B9 pvVisits 23 pvEdgeVisits 23")
    assert " rootInfo visits 23 utility 0.2 winrate 0.6 scoreMean 2.5 " in line
    assert line.index(" rootInfo ") < line.index(" ownership ")
    for unsupported in ("ownershipStdev", "movesOwnershipStdev"):
        with pytest.raises(GtpFailure, match="not supported"):
            parse_analyze_args(engine, ["b", unsupported, "true"])


def test_analysis_arguments_avoid_allow_maxmoves():
    engine = make_engine()
    color, req = parse_analyze_args(engine, ["W", "25", "maxmoves", "1", "avoid", "w", "A9,B9", "3",
                                             "avoid", "b", "C9", "1", "minmoves", "2", "ownership", "true"])
    assert color == -1 and req.interval == 0.25 and req.max_moves == 1 and req.min_moves == 2
    assert set(req.avoid) == {0, 1} and req.want_ownership
    line = format_lz(engine, _report(engine), req)
    assert line.startswith("info move C9 ") and line.count("info move") == 1
    _, req = parse_analyze_args(engine, ["b", "allow", "b", "B9", "10"])
    assert format_lz(engine, _report(engine), req).startswith("info move B9 ")
    for bad in (["b", "avoid", "b", "A9"], ["b", "frob", "1"], ["b", "ownership", "maybe"],
                ["b", "interval", "99999999999999999999"]):
        with pytest.raises(GtpFailure):
            parse_analyze_args(engine, bad)


@pytest.mark.parametrize("command", ["lz-genmove_analyze b 10", "kata-genmove_analyze b 10"])
def test_genmove_analyze_ends_with_play_and_plays_it(command):
    engine = make_engine(StreamingPlayer())
    replies = session([command, "list_stones b"], engine)
    lines = replies[0].split("\n")
    assert lines[0] == "= " and lines[1].startswith("info move A9") and lines[-1] == "play A9"
    assert replies[1] == "= A9"


def test_gogui_views_without_a_network():
    replies = session(["play b E5", "zerogo-ownership", "zerogo-policy"])
    rows = ok(replies[1]).split("\n")
    assert len(rows) == 9 and all(len(r.split()) == 9 for r in rows)
    assert replies[2].startswith("? no network")


def test_make_player_choices(tmp_path, caplog):
    assert isinstance(make_player(EngineOptions(network="none")), SimplePlayer)
    # Random play only on request: a missing or bad network is an error, never a silent fallback.
    with pytest.raises(PlayerError, match="does not exist"):
        make_player(EngineOptions(network=str(tmp_path / "nope.onnx")))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a network")
    with pytest.raises(PlayerError, match="not a readable ONNX network"):
        make_player(EngineOptions(network=str(bad)))
    custom = make_player(EngineOptions(player="tests.fake_gtp_player:make_streaming"))
    assert isinstance(custom, StreamingPlayer)
    for spec in ("nomodule", "tests.fake_gtp_player:nothing", "engine.player:MoveLimits"):
        with pytest.raises(PlayerError):
            make_player(EngineOptions(player=spec))


def test_candidate_info_fields_match_the_contract():
    c = CandidateInfo(move=1, visits=2, winrate=0.5, score_lead=0.0, prior=0.1, lcb=0.4, pv=[1])
    engine = make_engine()
    assert "info move B9 visits 2 winrate 5000 prior 1000 lcb 4000 order 0 pv B9" == \
        format_lz(engine, AnalysisReport([c]), AnalysisRequest())


@pytest.fixture(scope="module")
def tiny_net(tmp_path_factory):
    """A random b2c16 network exported to ONNX (the real searcher's input)."""
    import torch

    from nets.export import export_onnx, random_net
    torch.set_num_threads(1)
    path = tmp_path_factory.mktemp("net") / "tiny.onnx"
    export_onnx(random_net("b2c16", seed=3), path, {"provenance": "test"}, check_sizes=(9,))
    return path


def test_network_file_gives_the_searcher_behind_the_same_protocol(tiny_net):
    from engine.mcts_player import MctsPlayer
    player = make_player(EngineOptions(size=9, network=str(tiny_net), visits=16, threads=1, seed=2))
    assert isinstance(player, MctsPlayer)
    engine = make_engine(player, visits=16)
    replies = session(["play b E5", "genmove w", "zerogo-policy", "final_score", "lz-genmove_analyze b 10"],
                      engine)
    assert replies[1] not in ("= resign", "= E5") and replies[1].startswith("= ")
    rows = ok(replies[2]).split("\n")
    values = [float(x) for r in rows for x in r.split()]   # drawn as sqrt(p / p_best): the best is 1
    assert len(rows) == 9 and max(values) == pytest.approx(1.0) and min(values) >= 0.0
    assert re.match(r"^= (B\+|W\+|0)", replies[3])
    lines = replies[4].split("\n")
    assert lines[0] == "= " and lines[1].startswith("info move ") and lines[-1].startswith("play ")


def test_searcher_analysis_stream_is_interruptible(tiny_net):
    from tests.gtp_session import LiveSession
    player = make_player(EngineOptions(size=9, network=str(tiny_net), threads=1, seed=2))
    live = LiveSession(make_engine(player))
    try:
        live.send("kata-analyze b 5 ownership true\n")
        assert live.line(timeout=30) == "= "
        info = live.line(timeout=30)
        assert info.startswith("info move ") and "scoreLead" in info and " ownership " in info
        live.send("name\n")
        while live.line(timeout=30) != "":
            pass
        assert live.line(timeout=30) == "= zerogo"
    finally:
        live.close()


class _Ponderer(SimplePlayer):
    """Records pondering: started after genmove, stopped by the next command."""

    def __init__(self):
        super().__init__(1)
        import threading
        self.started, self.stopped = threading.Event(), threading.Event()

    def ponder(self, game, stop):
        self.started.set()
        stop.wait(30)
        self.stopped.set()


def test_pondering_runs_between_commands_only_when_asked():
    player = _Ponderer()
    replies = session(["genmove b", "name"], make_engine(player, ponder=True))
    assert replies == [replies[0], "= zerogo"]
    assert player.started.is_set() and player.stopped.is_set()
    quiet = _Ponderer()
    session(["genmove b", "name"], make_engine(quiet))
    assert not quiet.started.is_set()


def test_ownership_after_each_move_is_from_the_movers_view_and_none_where_illegal():
    evaluator = load_evaluator(os.path.join(REPO, "weights", "zerogo-9x9.onnx"), EvaluatorConfig(threads=1))
    game = Game(9)
    centre, taken = coords.from_gtp("E5", 9, 9), coords.from_gtp("C3", 9, 9)
    game.play(taken, BLACK)
    for color in (BLACK, WHITE):
        own = ownership_after(game, [centre, taken], color, evaluator)
        assert own[1] is None                                      # C3 is taken
        assert own[0].shape == (9, 9) and own[0][4, 4] > 0.5       # the new stone at E5 is the mover's
