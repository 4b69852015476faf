"""An input line over MAX_LINE gets one clear ``?`` reply (or none, for a comment); its tail never runs."""

from __future__ import annotations

import subprocess
import sys

from gtp.server.protocol import MAX_LINE
from tests.gtp_session import REPO, make_engine, session


def test_overlong_comment_tail_is_not_a_command():
    raw = "#" + "x" * (MAX_LINE - 1) + "quit\n1 name\n"
    assert session([], make_engine(), raw=raw) == ["=1 zerogo"]


def test_overlong_command_gets_one_reply_and_its_tail_never_runs():
    raw = ("7 play b " + "y" * (3 * MAX_LINE) + " quit\n"
           "8 " + "z" * MAX_LINE + "\n"
           "9 list_stones black\n")
    replies = session([], make_engine(), raw=raw)
    assert replies == [f"?7 line too long (more than {MAX_LINE} characters)",
                       f"?8 line too long (more than {MAX_LINE} characters)", "=9 "]


def test_line_just_under_the_limit_still_runs():
    line = "3 name" + " " * (MAX_LINE - 8) + "\n"
    assert len(line) == MAX_LINE - 1
    assert session([], make_engine(), raw=line + "4 version\n")[0] == "=3 zerogo"


def test_issue_command_does_not_quit():
    data = b"#" + b"x" * ((1 << 20) - 1) + b"quit\n1 name\n"
    proc = subprocess.run([sys.executable, "-c", "from gtp.cli import main; main()", "gtp",
                           "--network", "none"], input=data, capture_output=True, cwd=REPO,
                          timeout=60, check=False)
    assert proc.stdout == b"=1 zerogo\n\n" and proc.returncode == 0
