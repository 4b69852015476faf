"""KataGo's GTP extensions: rules language, search parameters, cache, position, search without playing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.rules import POSITIONAL_SUPERKO, SIMPLE_KO, SITUATIONAL_SUPERKO, TERRITORY
from gtp.server.kata_rules import KataRulesError, kata_rules_dict, parse_kata_rules
from gtp.server.players import EngineOptions, make_player
from tests.gtp_session import REPO, make_engine, ok, session

NET = os.path.join(REPO, "weights", "zerogo-9x9.onnx")


@pytest.mark.parametrize("name, ko, scoring, suicide, bonus", [
    ("chinese", SIMPLE_KO, "area", False, "N"),              # KataGo: simple ko, unlike chinese-ogs/kgs
    ("chinese-ogs", POSITIONAL_SUPERKO, "area", False, "N"),
    ("japanese", SIMPLE_KO, TERRITORY, False, "0"),
    ("tromp-taylor", POSITIONAL_SUPERKO, "area", True, "0"),
    ("aga", SITUATIONAL_SUPERKO, "area", False, "N-1"),
    ("new_zealand", SITUATIONAL_SUPERKO, "area", True, "0"),
])
def test_katago_shorthands_mean_what_katago_says(name, ko, scoring, suicide, bonus):
    rules = parse_kata_rules(name)
    assert (rules.ko, rules.scoring, rules.suicide, rules.handicap_bonus) == (ko, scoring, suicide, bonus)


def test_kata_get_rules_prints_what_katago_printed():
    """KataGo 1.17's own kata-get-rules for each shorthand (shared/katago-reference)."""
    reference = json.loads((Path(REPO).parent / "shared" / "katago-reference" / "g170e-b15c192.json").read_text())
    printed = {p["rules"]: p["katago_rules"] for p in reference["positions"]}
    assert len(printed) == 5
    for name, katago in printed.items():
        assert kata_rules_dict(parse_kata_rules(name)) == katago, name


def test_rules_json_round_trip_and_refusals():
    rules = parse_kata_rules('{"ko":"SITUATIONAL","scoring":"AREA","suicide":true,"tax":"NONE",'
                             '"hasButton":false,"whiteHandicapBonus":"N-1"}')
    assert kata_rules_dict(rules) == {"friendlyPassOk": False, "hasButton": False, "ko": "SITUATIONAL",
                                      "scoring": "AREA",
                                      "suicide": True, "tax": "NONE", "whiteHandicapBonus": "N-1"}
    for bad in ("stone-scoring", "aga-button", '{"ko":"SUPER"}', '{"scoring":"TERRITORY","tax":"NONE"}',
                '{"colour":"blue"}', "martian"):
        with pytest.raises(KataRulesError):
            parse_kata_rules(bad)


def test_rules_commands_over_gtp():
    replies = session(["komi 6", "kata-set-rules japanese", "kata-get-rules", "kata-set-rule ko POSITIONAL",
                       "kata-get-rules", "get_komi", "kata-set-rules stone-scoring", "kata-set-rule tax ALL",
                       "kata-set-rule frob 1"])
    assert json.loads(ok(replies[2])) == {"friendlyPassOk": False, "hasButton": False, "ko": "SIMPLE",
                                          "scoring": "TERRITORY",
                                          "suicide": False, "tax": "SEKI", "whiteHandicapBonus": "0"}
    assert json.loads(ok(replies[4]))["ko"] == "POSITIONAL"
    assert ok(replies[5]) == "6"                 # rules never change komi
    assert all(r.startswith("?") for r in replies[6:])


def test_params_are_honoured_or_refused():
    player = make_player(EngineOptions(size=9, network=NET, threads=1, seed=1))
    engine = make_engine(player)
    replies = session(["kata-list-params", "kata-set-param maxVisits 30", "kata-get-param maxVisits",
                       "kata-set-param numSearchThreads 4", "kata-get-param numSearchThreads",
                       "kata-set-param cpuctExploration 2.5", "kata-get-params",
                       "kata-set-param wideRootNoise 0.04", "kata-set-param wideRootNoise 0",
                       "kata-set-param frobnicate 1", "kata-get-param frobnicate", "kata-set-param maxVisits 0"],
                      engine)
    listed = ok(replies[0]).split()
    assert {"maxVisits", "maxTime", "numSearchThreads", "cpuctExploration", "wideRootNoise"} <= set(listed)
    assert ok(replies[2]) == "30" and engine.options.visits == 30
    assert ok(replies[4]) == "4" and player.config.batch_size == 4
    assert player.config.c_init == 2.5 and json.loads(ok(replies[6]))["cpuctExploration"] == 2.5
    assert replies[7].startswith("? Could not set params: wideRootNoise") and replies[8] == "= "
    assert replies[9].startswith("? Could not set params") and replies[10] == "? Invalid parameter: frobnicate"
    assert replies[11].startswith("?")


def test_clear_cache_set_position_and_search_without_playing():
    player = make_player(EngineOptions(size=9, network=NET, threads=1, seed=1, visits=24))
    engine = make_engine(player, visits=24)
    replies = session(["set_position b C3 w G7 b E5", "list_stones black", "list_stones white",
                       "kata-search w", "list_stones white", "clear_cache", "kata-search_analyze w 5",
                       "set_position b C3 b C3", "set_position b Z1", "set_position", "list_stones black"],
                      engine)
    assert sorted(ok(replies[1]).split()) == ["C3", "E5"] and ok(replies[2]) == "G7"
    move = ok(replies[3])
    assert move not in ("C3", "G7", "E5", "resign") and ok(replies[4]) == "G7"   # not played
    lines = replies[6].split("\n")
    assert lines[0] == "= " and lines[1].startswith("info move ") and lines[-1].startswith("play ")
    assert ok(replies[10]) == ""   # set_position with no stones clears the board
    assert replies[7].startswith("?") and replies[8].startswith("?")


def test_undo_after_set_position_is_refused():
    replies = session(["set_position b C3", "undo", "list_stones black"])
    assert replies[1] == "? cannot undo" and ok(replies[2]) == "C3"
