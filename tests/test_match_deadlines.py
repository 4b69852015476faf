"""zerogo match: every read has a deadline; a stuck engine (even under a shell) loses on time and dies."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
import time

import pytest

from gtp.match.client import GtpClient, GtpTimeout
from gtp.match.referee import MatchConfig, play_game
from gtp.match.runner import read_journal, run_match
from tests.gtp_session import REPO

FAKE = os.path.join(REPO, "tests", "fake_gtp_engine.py")


def fake(mode: str) -> str:
    return f"{sys.executable} {FAKE} {mode}"


def _gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def _closes_in_time(client: GtpClient, seconds: float = 20.0) -> bool:
    t = threading.Thread(target=client.close, daemon=True)
    t.start()
    t.join(seconds)
    return not t.is_alive()


def test_stuck_engine_under_a_shell_is_killed_with_its_group():
    client = GtpClient(["sh", "-c", "sleep 1000; echo never"], timeout=0.5)
    pgid = client.proc.pid
    t = time.monotonic()
    with pytest.raises(GtpTimeout):
        client.send("name")
    assert time.monotonic() - t < 5
    assert _closes_in_time(client), "close() hung on the wrapped engine"
    deadline = time.monotonic() + 5
    while not _gone(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pgid), "the shell's child survived"


def test_quiet_exit_still_kills_what_the_engine_left_behind(tmp_path):
    # The engine answers quit but leaves a child running in its group: close() cleans it up.
    script = "read line; echo '='; echo; (sleep 1000 &) ; exit 0"
    client = GtpClient(["sh", "-c", script], timeout=5)
    pgid = client.proc.pid
    assert _closes_in_time(client)
    deadline = time.monotonic() + 5
    while not _gone(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pgid)


def test_engine_stuck_in_setup_loses_on_time(tmp_path):
    cfg = MatchConfig(fake("pass"), fake("stuck-setup"), games=1, size=9, move_timeout=5, setup_timeout=1.0,
                      sgf_dir=str(tmp_path))
    t = time.monotonic()
    result = play_game(cfg, 0)
    assert time.monotonic() - t < 15
    assert (result.reason, result.winner, result.result) == ("time", "B", "B+T"), result
    assert "W engine did not answer during setup" in result.detail


@pytest.mark.parametrize("white", ["sh -c 'sleep 1000'", fake("slow-start:1000")])
def test_engine_that_never_starts_gives_no_result_not_a_loss(white, tmp_path):
    cfg = MatchConfig(fake("pass"), white, games=1, size=9, setup_timeout=0.5, startup_timeout=1.5,
                      sgf_dir=str(tmp_path))
    t = time.monotonic()
    result = play_game(cfg, 0)
    assert time.monotonic() - t < 15
    assert (result.reason, result.winner, result.result) == ("error", None, "?"), result
    assert "W engine did not start: no answer within 1.5 s" in result.detail


def test_slow_first_start_gets_the_startup_timeout_not_the_setup_timeout(tmp_path):
    # A first run compiles kernels before the engine answers: the game is played, not lost on time.
    cfg = MatchConfig(fake("slow-start:2"), fake("pass"), games=1, size=9, setup_timeout=0.5,
                      startup_timeout=30, sgf_dir=str(tmp_path))
    result = play_game(cfg, 0)
    assert result.reason == "score", result
    assert result.moves == 2


def test_resume_plays_again_a_game_whose_engine_did_not_start(tmp_path):
    # The first run gave the slow engine too little time to start: no result, journalled as such.
    journal = str(tmp_path / "games.jsonl")
    cfg = MatchConfig(fake("slow-start:2"), fake("pass"), games=2, size=9, setup_timeout=0.5,
                      startup_timeout=0.5, sgf_dir=str(tmp_path))
    first, summary = run_match(cfg, progress=False, journal=journal)
    assert [(r.reason, r.winner) for r in first] == [("error", None)] * 2 and summary.no_result == 2
    more = dataclasses.replace(cfg, games=3, startup_timeout=30)       # the key a resume checks is unchanged
    results, summary = run_match(more, progress=False, journal=journal, resume=True)
    assert [(r.index, r.reason) for r in results] == [(0, "score"), (1, "score"), (2, "score")]
    assert summary.no_result == 0 and summary.games == 3
    _, journalled = read_journal(journal)
    assert [r.reason for r in journalled] == ["score"] * 3


def test_engine_stuck_on_play_loses_on_time_not_crash(tmp_path):
    # Black (pass) moves first; white never acknowledges the relayed play.
    cfg = MatchConfig(fake("pass"), fake("stuck-play"), games=1, size=9, move_timeout=30,
                      setup_timeout=1.0, sgf_dir=str(tmp_path))
    t = time.monotonic()
    result = play_game(cfg, 0)
    assert time.monotonic() - t < 15
    assert (result.reason, result.winner) == ("time", "B"), result
    assert "did not acknowledge" in result.detail


def test_genmove_uses_the_move_timeout_not_a_fixed_30_s(tmp_path):
    cfg = MatchConfig(fake("slow"), fake("pass"), games=1, size=9, move_timeout=1.0,
                      setup_timeout=2.0)
    t = time.monotonic()
    result = play_game(cfg, 0)
    assert time.monotonic() - t < 12
    assert (result.reason, result.winner) == ("time", "W"), result


def test_no_process_left_behind_after_a_match_with_a_wrapped_engine(tmp_path):
    marker = f"zerogo-harden-{os.getpid()}"
    cfg = MatchConfig(fake("pass"), f"bash -c '(exec -a {marker} sleep 1000); echo done'", games=1, size=9,
                      setup_timeout=0.5, startup_timeout=0.5)
    play_game(cfg, 0)
    time.sleep(0.2)
    leftovers = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p).startswith(marker)]
    for pid in leftovers:
        os.kill(int(pid), signal.SIGKILL)
    assert not leftovers


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
