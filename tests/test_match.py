"""The match runner: statistics, time parsing, and real matches (zerogo vs GNU Go, GNU Go vs GNU Go)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sgfmill import sgf

from engine.timecontrol import Clock, TimeSettings
from gtp.match.referee import MatchConfig, move_deadline, play_game
from gtp.match.cli import match_command, parse_sprt, parse_time
from gtp.match.runner import JournalError, run_match, table
from gtp.match.stats import Tally, elo_from_score, elo_with_interval, score_from_elo, sprt, wilson_interval
from tests.gtp_session import REPO

GNUGO = shutil.which("gnugo") or "/usr/games/gnugo"
GNUGO_CMD = f"{GNUGO} --mode gtp --level 1 --chinese-rules"
ZEROGO_CMD = f"{sys.executable} -c 'from gtp.cli import main; main()' gtp --network none --seed 5"
FAKE = os.path.join(REPO, "tests", "fake_gtp_engine.py")


def fake(mode: str) -> str:
    """Command line of the misbehaving test engine."""
    return f"{sys.executable} {FAKE} {mode}"


# ------------------------------------------------------------------ statistics
def test_elo_and_score_are_inverse_and_signed():
    for elo in (-400, -35, 0, 12.5, 300):
        assert elo_from_score(score_from_elo(elo)) == pytest.approx(elo)
    assert elo_from_score(0.75) == pytest.approx(190.85, abs=0.01)
    assert elo_from_score(1.0) == math.inf and elo_from_score(0.0) == -math.inf


def test_wilson_interval_matches_the_textbook_value():
    lo, hi = wilson_interval(0.5, 100)
    assert (lo, hi) == (pytest.approx(0.4038, abs=1e-4), pytest.approx(0.5962, abs=1e-4))
    lo, hi = wilson_interval(1.0, 4)
    assert hi == 1.0 and lo == pytest.approx(0.5101, abs=1e-4)


def test_elo_interval_contains_the_estimate_and_narrows_with_games():
    small = elo_with_interval(Tally(6, 0, 4))
    large = elo_with_interval(Tally(600, 0, 400))
    for elo, lo, hi in (small, large):
        assert lo < elo < hi
    assert small[0] == pytest.approx(large[0])
    assert large[2] - large[1] < (small[2] - small[1]) / 5


def test_sprt_decides_both_ways_and_waits_when_unclear():
    assert sprt(Tally(100, 20, 40), 0, 20).decision == "H1"
    assert sprt(Tally(40, 20, 100), 0, 20).decision == "H0"
    assert sprt(Tally(5, 0, 5), 0, 20).decision == "continue"
    r = sprt(Tally(0, 0, 0), 0, 20)
    assert r.llr == 0 and r.lower == pytest.approx(-2.944, abs=1e-3) and r.upper == pytest.approx(2.944, abs=1e-3)


def test_parse_time_and_sprt_options():
    assert parse_time(None) == TimeSettings("none")
    assert parse_time("90") == TimeSettings("absolute", 90)
    assert parse_time("5m+30/10") == TimeSettings("canadian", 300, 30, 0, 10)
    assert parse_time("1m+10sx3") == TimeSettings("byoyomi", 60, 10, 3)
    for bad in ("fast", "5+", "5+10x0"):
        with pytest.raises(click.BadParameter):
            parse_time(bad)
    assert parse_sprt("0,10") == (0.0, 10.0)
    with pytest.raises(click.BadParameter):
        parse_sprt("10,0")


def test_move_deadline_includes_overtime_and_lag():
    assert move_deadline(TimeSettings("none"), Clock(), 1.0, 42.0) == 42.0
    byo = TimeSettings("byoyomi", 60, 10, 3)
    assert move_deadline(byo, Clock.start(byo), 0.5, 9) == pytest.approx(60 + 30 + 0.5)
    can = TimeSettings("canadian", 0, 20, 0, 5)
    assert move_deadline(can, Clock.start(can), 1.0, 9) == pytest.approx(21.0)


# ------------------------------------------------------------ game endings
@pytest.mark.parametrize("mode, reason, result", [
    ("resign", "resign", "W+R"), ("illegal", "illegal", "W+F"), ("crash", "crash", "W+F"),
])
def test_bad_black_engine_loses(mode, reason, result):
    out = play_game(MatchConfig(fake(mode), GNUGO_CMD, size=9), 0)
    assert (out.reason, out.result, out.winner, out.winner_engine()) == (reason, result, "W", "B")


def test_timeout_is_a_loss_on_time():
    out = play_game(MatchConfig(GNUGO_CMD, fake("slow"), size=9, move_timeout=1.0), 0)
    assert (out.reason, out.result, out.winner_engine()) == ("time", "B+T", "A")


def test_sprt_stops_the_match_early():
    config = MatchConfig(fake("resign"), GNUGO_CMD, games=20, size=9, sprt=(0.0, 50.0))
    results, summary = run_match(config, progress=False)
    assert len(results) < 20 and summary.sprt["decision"] == "H0"


def test_a_killed_match_resumes_from_its_journal(tmp_path):
    journal = str(tmp_path / "games.jsonl")
    config = MatchConfig(fake("resign"), GNUGO_CMD, games=2, size=9, alternate=True)
    first, _ = run_match(config, progress=False, journal=journal)
    assert [r.index for r in first] == [0, 1]
    with open(journal, "a", encoding="utf-8") as f:
        f.write('{"index": 2, "black_e')          # a line cut by a kill: that game is played again
    more = MatchConfig(fake("resign"), GNUGO_CMD, games=4, size=9, alternate=True)
    results, summary = run_match(more, progress=False, journal=journal, resume=True)
    assert [r.index for r in results] == [0, 1, 2, 3] and summary.games == 4
    assert [r.result for r in results[:2]] == [r.result for r in first]
    assert summary.tally.losses == 4 and summary.a_wins_as_black == 0
    again, _ = run_match(more, progress=False, journal=journal, resume=True)
    assert [r.result for r in again] == [r.result for r in results]   # nothing left to play
    other = MatchConfig(fake("resign"), GNUGO_CMD, games=4, size=13, alternate=True)
    with pytest.raises(JournalError, match="other settings"):
        run_match(other, progress=False, journal=journal, resume=True)


def test_each_game_records_the_machine_it_was_played_on(tmp_path):
    """Matches that span sessions (and machines) say where each game was played: journal, results, SGF."""
    from engine.runtimes import machine_summary
    sgf_dir, journal = tmp_path / "sgf", str(tmp_path / "games.jsonl")
    config = MatchConfig(fake("resign"), GNUGO_CMD, games=2, size=9, alternate=True, sgf_dir=str(sgf_dir))
    results, _ = run_match(config, progress=False, journal=journal)
    here = machine_summary()
    assert "CPUs" in here and all(r.machine == here for r in results)
    rows = [json.loads(line) for line in open(journal, encoding="utf-8")][1:]
    assert [row["machine"] for row in rows] == [here, here]
    root = sgf.Sgf_game.from_bytes((sgf_dir / "game0000.sgf").read_bytes()).get_root()
    assert root.get("C").endswith(f"played on {here}")
    header = Path(journal).read_text(encoding="utf-8").splitlines()[0]   # as written before games named
    old = [json.dumps({k: v for k, v in row.items() if k != "machine"}) for row in rows]   # their machine
    Path(journal).write_text("\n".join([header, *old]) + "\n", encoding="utf-8")
    more = dataclasses.replace(config, games=3)
    kept, summary = run_match(more, progress=False, journal=journal, resume=True)
    assert [r.machine for r in kept] == ["", "", here] and [r.result for r in kept[:2]] == [r.result for r in results]
    assert summary.machines == {"not recorded": 2, here: 1}
    assert f"played on {here}: 1 game" in table(more, summary)


def test_a_game_an_engine_died_in_is_played_again_when_asked(tmp_path):
    marker = tmp_path / "crashed-once"
    black = fake(f"crash-once:{marker}")
    config = MatchConfig(black, GNUGO_CMD, games=1, size=9, sgf_dir=str(tmp_path / "sgf"), replay_crashes=1)
    journal = str(tmp_path / "sgf" / "games.jsonl")
    os.makedirs(config.sgf_dir)
    (result,), summary = run_match(config, progress=False, journal=journal)
    assert marker.exists() and (result.reason, result.result) == ("resign", "W+R") and summary.errors == 0
    assert sorted(os.listdir(config.sgf_dir)) == ["game0000-crash1.sgf", "game0000.sgf", "games.jsonl"]
    assert [json.loads(line).get("reason") for line in open(journal)][1:] == ["resign"]   # the crash not kept
    marker.unlink()
    (result,), _ = run_match(dataclasses.replace(config, replay_crashes=0, sgf_dir=None), progress=False)
    assert (result.reason, result.result) == ("crash", "W+F")        # without replays the engine loses
    again = dataclasses.replace(config, replay_crashes=2)            # the journal's settings: replays may change
    results, _ = run_match(dataclasses.replace(again, games=2), progress=False, journal=journal, resume=True)
    assert [r.index for r in results] == [0, 1]


def test_match_cli_resume_needs_an_sgf_dir():
    result = CliRunner().invoke(match_command, ["--black", fake("resign"), "--white", GNUGO_CMD, "--resume"])
    assert result.exit_code != 0 and "--resume needs --sgf-dir" in result.output


def test_move_times_sit_on_their_own_moves_when_a_game_ends_by_resignation(tmp_path):
    config = MatchConfig(ZEROGO_CMD, fake("resign-after:2"), games=1, size=9, sgf_dir=str(tmp_path))
    (result,), _ = run_match(config, progress=False)
    assert result.reason == "resign" and result.winner == "B" and result.moves == 5
    assert len(result.move_seconds) == result.moves          # the resignation is not a move
    nodes = _read_sgf(result.sgf).get_main_sequence()[1:]
    assert [n.get("C") for n in nodes] == [f"time {t:.2f} s" for t in result.move_seconds]


def test_missing_engine_is_an_error_not_a_crash():
    out = play_game(MatchConfig("/no/such/engine --gtp", GNUGO_CMD, size=9), 0)
    assert out.reason == "error" and out.winner is None and "cannot start" in out.detail


# ---------------------------------------------------------------- real matches
def _read_sgf(path):
    with open(path, "rb") as f:
        return sgf.Sgf_game.from_bytes(f.read())


def _assert_scored_by_the_rules(agreed, scores, result):
    """Agreeing claims stand; a disagreement is settled by play-out (or the referee's count)."""
    assert agreed == (scores["black_engine"] == scores["white_engine"])
    if agreed:
        assert result == scores["black_engine"]
    else:
        assert "played_out" in scores
        assert result in (scores["played_out"], scores["referee"])


def test_zerogo_vs_gnugo_with_sgfs_and_scores_by_the_rules(tmp_path):
    runner = CliRunner()
    result = runner.invoke(match_command, [
        "--black", ZEROGO_CMD, "--white", GNUGO_CMD, "--games", "2", "--alternate", "--size", "9",
        "--sgf-dir", str(tmp_path), "--parallel", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Elo A-B" in result.output and "as black" in result.output
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["summary"]["games"] == 2
    for game in data["games"]:
        assert game["reason"] in ("score", "resign"), game
        if game["reason"] == "score":
            _assert_scored_by_the_rules(game["agreed"], game["scores"], game["result"])
        tree = _read_sgf(game["sgf"])
        root = tree.get_root()
        assert root.get("RE") == game["result"] and tree.get_size() == 9
        moves = [n for n in tree.get_main_sequence()[1:] if n.get_move()[0]]
        assert len(moves) == game["moves"]
        assert all("time" in n.get("C") for n in moves)
        assert len(game["move_seconds"]) == game["moves"]
    engines = {(g["black_engine"], g["white_engine"]) for g in data["games"]}
    assert engines == {("A", "B"), ("B", "A")}


def test_gnugo_vs_gnugo_runner_is_engine_agnostic(tmp_path):
    config = MatchConfig(GNUGO_CMD, f"{GNUGO_CMD} --level 0", games=2, size=9, alternate=True,
                         sgf_dir=str(tmp_path), max_moves=40)
    results, summary = run_match(config, progress=False)
    assert summary.games == 2 and summary.errors == 0 and summary.tally.games == 2
    for r in results:
        assert r.reason in ("score", "resign", "max-moves")
        assert r.seconds["B"] < 30 and os.path.exists(r.sgf)
        assert r.scores["black_engine"] and r.scores["white_engine"]
        if r.reason == "score":
            _assert_scored_by_the_rules(r.agreed, r.scores, r.result)


def test_clock_under_byoyomi_with_parallel_games(tmp_path):
    config = MatchConfig(ZEROGO_CMD, ZEROGO_CMD.replace("--seed 5", "--seed 6"), games=2, size=7,
                         time=TimeSettings("byoyomi", 2, 1, 2), lag=0.5, parallel=2, max_moves=20,
                         log_dir=str(tmp_path))
    results, summary = run_match(config, progress=False)
    assert summary.time_losses == {"A": 0, "B": 0} and summary.errors == 0
    assert all(r.reason == "max-moves" and r.moves == 20 for r in results)
    logs = sorted(p.name for p in tmp_path.iterdir())
    assert logs == ["game0000-b.log", "game0000-w.log", "game0001-b.log", "game0001-w.log"]


def test_openings_are_replayed_to_both_engines_and_kept_in_the_sgf(tmp_path):
    openings = tmp_path / "openings"
    openings.mkdir()
    (openings / "a.sgf").write_text("(;FF[4]GM[1]SZ[9]HA[2]AB[cc][gg]PL[W];W[ee];B[ce])")
    (openings / "b.sgf").write_text("(;FF[4]GM[1]SZ[9];B[ef];W[df])")
    from gtp.match.cli import find_openings
    config = MatchConfig(GNUGO_CMD, ZEROGO_CMD, games=3, size=9, alternate=True, max_moves=12, parallel=3,
                         openings=find_openings(str(openings)), sgf_dir=str(tmp_path / "sgf"))
    results, summary = run_match(config, progress=False)
    assert summary.errors == 0 and [r.moves for r in results] == [12] * 3
    first = [n.get_move() for n in _read_sgf(results[1].sgf).get_main_sequence()[1:3]]
    assert first == [("w", (4, 4)), ("b", (4, 2))]
    root = _read_sgf(results[1].sgf).get_root()
    assert root.get("HA") == 2 and root.get_setup_stones()[0] == {(6, 2), (2, 6)}
    third = [n.get_move() for n in _read_sgf(results[2].sgf).get_main_sequence()[1:3]]
    assert third == [("b", (3, 4)), ("w", (3, 3))]
    bad = openings / "c.sgf"
    bad.write_text("(;FF[4]GM[1]SZ[9]AW[cc];B[ee])")
    out = play_game(MatchConfig(GNUGO_CMD, GNUGO_CMD, openings=[str(bad)]), 0)
    assert out.reason == "error" and "white setup stones" in out.detail


def test_sprt_is_not_decided_by_a_short_run_of_identical_results():
    # Two (or five) straight losses are weak evidence about a 0-vs-35 Elo question.
    for n in (1, 2, 5):
        assert sprt(Tally(0, 0, n), 0, 35).decision == "continue"
        assert sprt(Tally(n, 0, 0), 0, 35).decision == "continue"
    # A long one still decides.
    assert sprt(Tally(0, 0, 60), 0, 35).decision == "H0"
    assert sprt(Tally(60, 0, 0), 0, 35).decision == "H1"
