"""``--ogs-chat``: the search's view after each move as a gtp2ogs chat line on stderr."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.player import CandidateInfo, Decision, SimplePlayer
from tests.gtp_session import REPO, make_engine, ok, session


class _Informed(SimplePlayer):
    """Random moves, with made-up but well-formed candidate info."""

    def genmove(self, game, color, limits=None, cleanup=False):
        move = super().genmove(game, color, limits, cleanup).move
        info = [CandidateInfo(move, 30, 0.625, 2.5, 0.2, 0.6, [move, game.board.pass_move]),
                CandidateInfo(game.board.pass_move, 10, 0.4, -1.0, 0.1, 0.3, [])]
        return Decision(move, info=info)


@pytest.mark.parametrize("channel", ["malkovich", "discussion"])
def test_each_move_writes_one_chat_line_to_stderr(channel, capsys):
    replies = session(["genmove b"], make_engine(_Informed(1), ogs_chat=channel))
    move = ok(replies[0])
    err = capsys.readouterr()
    lines = [line for line in err.err.splitlines() if line.startswith(channel.upper() + ":")]
    assert lines == [f"{channel.upper()}: {move}, win rate 62.5%, score lead +2.5, 40 visits, "
                     f"variation {move} pass"]
    assert channel.upper() not in err.out


def test_off_by_default_and_through_the_command_line(capsys):
    game = "boardsize 9\ngenmove b\nquit\n"
    run = subprocess.run([sys.executable, "-m", "gtp.cli", "gtp", "--network", "none",
                          "--ogs-chat", "malkovich"], input=game, capture_output=True,
                         text=True, timeout=60, cwd=REPO)
    # SimplePlayer has no search info: no chat line, and the game goes on.
    assert run.returncode == 0 and "MALKOVICH" not in run.stderr + run.stdout
    bad = subprocess.run([sys.executable, "-m", "gtp.cli", "gtp", "--ogs-chat", "loud"],
                         input="quit\n", capture_output=True, text=True, timeout=60, cwd=REPO)
    assert bad.returncode == 2 and "--ogs-chat" in bad.stderr
    capsys.readouterr()
    quiet = session(["genmove b"], make_engine(_Informed(1)))
    assert quiet[0].startswith("= ")
    assert "MALKOVICH" not in capsys.readouterr().err
