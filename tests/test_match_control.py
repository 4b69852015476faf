"""Long matches by hand: Ctrl-C once finishes the games in progress, twice stops at once; ``zerogo match-status``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

from gtp.match.cli import match_status_command
from gtp.match.referee import MatchConfig
from gtp.match.runner import read_journal, run_match, table
from nets.net_ladder import load
from tests.gtp_session import REPO
from tests.test_match import fake
from tests.test_net_ladder import _manifest


def test_a_stop_request_finishes_the_games_in_progress_and_the_match_resumes(tmp_path):
    journal = str(tmp_path / "games.jsonl")
    config = MatchConfig(fake("slow-pass:1"), fake("pass"), games=5, size=5, komi=0.5, parallel=2)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()      # both first games have started, neither has ended
    results, summary = run_match(config, progress=False, journal=journal, stop_request=stop)
    assert [r.index for r in results] == [0, 1] and summary.stopped
    assert all(r.reason == "score" and r.result == "W+0.5" for r in results)
    assert [g.index for g in read_journal(journal)[1]] == [0, 1]
    assert "stopped on request after 2 of 5 games: --resume" in table(config, summary)
    results, summary = run_match(config, progress=False, journal=journal, resume=True)
    assert [r.index for r in results] == [0, 1, 2, 3, 4] and not summary.stopped
    assert "stopped" not in table(config, summary)


def _start_match(tmp_path, black_mode: str, games: int) -> subprocess.Popen:
    """``zerogo match`` in a child process with the default SIGINT handling (not the one it may inherit)."""
    args = [sys.executable, "-c", "from gtp.cli import main; main()", "match",
            "--black", fake(black_mode) + f" {tmp_path}", "--white", fake("pass") + f" {tmp_path}",
            "--games", str(games), "--size", "5", "--komi", "0.5", "--sgf-dir", str(tmp_path / "m"), "--quiet"]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not (tmp_path / "m" / "games.jsonl").exists():     # the journal is written once the match runs
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.3)
    return proc


def _engines_left(tmp_path) -> str:
    return subprocess.run(["pgrep", "-af", f"fake_gtp_engine.py .* {tmp_path}"], capture_output=True,
                          text=True).stdout


def test_ctrl_c_once_ends_the_match_after_the_game_in_progress(tmp_path):
    proc = _start_match(tmp_path, "slow-pass:1.5", games=3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Ctrl-C: no new games" in err
    assert "stopped on request after 1 of 3 games" in out
    results = json.loads((tmp_path / "m" / "results.json").read_text())
    assert results["summary"]["stopped"] and [g["result"] for g in results["games"]] == ["W+0.5"]
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["game0000.sgf", "games.jsonl", "results.json"]
    _, rows = load(_manifest(tmp_path, [{"a": "student", "b": "gnugo-10", "dir": "m"}]))
    assert rows[0]["source"] == "m (stopped on request after 1 of 3 games)"
    assert not _engines_left(tmp_path)


@pytest.mark.parametrize("signals", [[signal.SIGINT, signal.SIGINT], [signal.SIGTERM]],
                         ids=["ctrl-c twice", "sigterm"])
def test_ctrl_c_twice_or_sigterm_stops_at_once_and_kills_the_engines(tmp_path, signals):
    proc = _start_match(tmp_path, "slow-pass:60", games=3)
    started = time.monotonic()
    for sig in signals:
        proc.send_signal(sig)
        time.sleep(0.5)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signals[-1] and time.monotonic() - started < 20
    assert "stopped at once: 1 game in progress dropped" in err and "Aborted!" not in err
    _, games = read_journal(tmp_path / "m" / "games.jsonl")
    assert games == [] and sorted(p.name for p in (tmp_path / "m").iterdir()) == ["games.jsonl"]
    time.sleep(0.5)
    assert not _engines_left(tmp_path)


def test_match_status_shows_the_standings_of_a_match_in_progress(tmp_path):
    journal = tmp_path / "games.jsonl"
    config = MatchConfig(fake("pass"), fake("pass"), games=3, size=5, komi=0.5, alternate=True)
    run_match(config, progress=False, journal=str(journal))     # two passes: white wins by komi
    with open(journal, "a", encoding="utf-8") as f:
        f.write('{"index": 3, "black_e')        # the game being played when its line was cut
    out = CliRunner().invoke(match_status_command, [str(tmp_path)])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[:3] == [
        "game   1  A black  W+0.5    score     B won        2 moves    0.0 min thinking",
        "game   2  A white  W+0.5    score     A won        2 moves    0.0 min thinking",
        "game   3  A black  W+0.5    score     B won        2 moves    0.0 min thinking"]
    assert lines[3] == f"A = {config.black}" and "games 3, draws 0" in out.output
    assert "A score 33.3%" in out.output
    brief = CliRunner().invoke(match_status_command, [str(tmp_path), "--no-games"])
    assert brief.output.splitlines()[0] == f"A = {config.black}"


def test_match_status_without_a_journal_is_a_clear_error(tmp_path):
    out = CliRunner().invoke(match_status_command, [str(tmp_path)])
    assert out.exit_code == 1 and "no match journal in" in out.output and "Traceback" not in out.output
    (tmp_path / "games.jsonl").write_text("not json\n")
    out = CliRunner().invoke(match_status_command, [str(tmp_path)])
    assert out.exit_code == 1 and "not a match journal" in out.output

