"""GTP wire conformance: preprocessing, framing, ids, errors, interruption, stdout hygiene."""

from __future__ import annotations

import pytest

from gtp.server.protocol import clean_text, format_reply, parse_command, preprocess
from tests.fake_gtp_player import StreamingPlayer
from tests.gtp_session import LiveSession, make_engine, ok, run_zerogo, session, split_replies


@pytest.mark.parametrize("raw, expected", [
    ("play b d4\r\n", "play b d4"),
    ("play\tb\td4", "play b d4"),
    ("genmove b # think hard", "genmove b"),
    ("# only a comment", ""),
    ("\x01\x02name\x7f\x1b", "name"),
    ("   \t  ", ""),
])
def test_preprocess(raw, expected):
    assert preprocess(raw) == expected


def test_parse_command_with_and_without_id():
    c = parse_command("17 play b D4")
    assert (c.id, c.name, c.args) == ("17", "play", ["b", "D4"])
    c = parse_command("name")
    assert (c.id, c.name, c.args) == (None, "name", [])
    assert parse_command("") is None
    assert parse_command("5").name == ""


def test_format_reply_never_has_an_empty_line_inside():
    assert format_reply("3", True, "a\n\n\nb\n") == "=3 a\nb\n\n"
    assert format_reply(None, False, "unknown command") == "? unknown command\n\n"
    assert format_reply(None, True, "") == "= \n\n"
    assert format_reply("2", True, "\nrow1\nrow2") == "=2 \nrow1\nrow2\n\n"
    assert "\n\n" not in clean_text("x\n \n\ty\n\n")


def test_ids_echoed_on_success_and_failure():
    replies = session(["1 name", "22 frobnicate", "333 protocol_version", "4 play b Z99"])
    assert replies == ["=1 zerogo", "?22 unknown command", "=333 2", "?4 invalid vertex"]


def test_crlf_comments_tabs_control_characters_and_blank_lines():
    raw = "boardsize 9\r\n\r\n# a comment line\n\n  \t \nplay\tB\tD4 # mine\r\n\x01\x02\nlist_stones black\r\n"
    assert session([], raw=raw) == ["= ", "= ", "= D4"]


@pytest.mark.parametrize("line", [
    "\x00\x01play\x02 b", "5", "play", "play b", "play b d4 extra", "genmove", "genmove purple",
    "boardsize nine", "komi lots", "komi nan", "komi inf", "known_command", "time_left b x 0",
    "time_settings 1 2", "fixed_handicap -3", "play b d4d4", "play " + "x" * 10000,
])
def test_malformed_lines_get_an_error_and_the_engine_keeps_serving(line):
    replies = session([line, "name"])
    assert replies[0].startswith("?"), replies
    assert replies[-1] == "= zerogo"


@pytest.mark.parametrize("size", ["0", "1", "26", "-9", "99999999999999999999", "9.5", "1e3"])
def test_unacceptable_board_sizes(size):
    replies = session([f"boardsize {size}", "rectangular_boardsize 9 " + size, "boardsize 25", "showboard"])
    assert replies[:2] == ["? unacceptable size", "? unacceptable size"]
    assert replies[2] == "= "
    assert "Z" in replies[3]


def test_unknown_command_is_canonical_and_not_known():
    replies = session(["kata-frobnicate", "known_command kata-frobnicate", "known_command play"])
    assert replies == ["? unknown command", "= false", "= true"]


def test_list_commands_one_name_a_line_all_known():
    names = ok(session(["list_commands"])[0]).split("\n")
    assert len(names) == len(set(names)) > 40
    for name in names:
        assert name == name.strip() and " " not in name
    replies = session([f"known_command {n}" for n in names])
    assert set(replies) == {"= true"}


def test_quit_is_answered_and_ends_the_session():
    assert session(["1 quit", "name"]) == ["=1 "]


def test_stream_stops_on_any_input_line_and_that_command_is_answered():
    live = LiveSession(make_engine(StreamingPlayer()))
    try:
        live.send("7 kata-analyze b 5 ownership true\n")
        assert live.line() == "=7 "
        first, second = live.line(), live.line()
        for info in (first, second):
            assert info.startswith("info move ") and info.count("info move") == 3
            assert " ownership " in info and len(info.split(" ownership ")[1].split()) == 81
        live.send("8 protocol_version\n")
        rest = []
        while True:
            line = live.line()
            if line == "":
                break
            rest.append(line)
        assert all(r.startswith("info move") for r in rest)
        assert live.line() == "=8 2" and live.line() == ""
    finally:
        live.close()


def test_gogui_interrupt_comment_stops_a_stream_without_a_reply():
    live = LiveSession(make_engine(StreamingPlayer()))
    try:
        live.send("lz-analyze 2\n")
        assert live.line() == "= "
        assert live.line().startswith("info move")
        live.send("# interrupt\n")
        while live.line() != "":
            pass
        live.send("name\n")
        assert live.line() == "= zerogo"
    finally:
        live.close()


def test_stream_with_a_player_that_reports_nothing_is_empty_but_well_framed():
    live = LiveSession(make_engine())
    try:
        live.send("lz-analyze b 1\n")
        assert live.line() == "= "
        live.send("name\n")
        assert live.line() == ""
        assert live.line() == "= zerogo"
    finally:
        live.close()


def test_subprocess_stdout_holds_only_replies_and_logs_go_to_stderr(tmp_path):
    log_file = tmp_path / "engine.log"
    text = "boardsize 9\nplay b e5\ngenmove w\nfinal_score\nloadsgf /no/such/file.sgf\nbogus\nquit\n"
    proc = run_zerogo(text, "--log", str(log_file))
    assert proc.returncode == 0
    replies = split_replies(proc.stdout.decode())
    assert [r[:1] for r in replies] == ["=", "=", "=", "=", "?", "?", "="]
    assert replies[4].startswith("? cannot load file")
    assert "SimplePlayer" in proc.stderr.decode()
    assert "cannot read SGF" in log_file.read_text() or "loadsgf" in log_file.read_text()


def test_invalid_utf8_and_eof_without_quit():
    proc = run_zerogo("name\n\xff\xfe garbage\nprotocol_version")
    replies = split_replies(proc.stdout.decode())
    assert replies[0] == "= zerogo" and replies[1] == "? unknown command" and replies[2] == "= 2"
    assert proc.returncode == 0


def test_playing_never_imports_torch():
    import subprocess
    import sys
    code = ("import io, sys; from gtp.server.cli import run_engine; from gtp.server.players import EngineOptions; "
            "out = io.StringIO(); run_engine(EngineOptions(size=9), io.StringIO('genmove b\\nquit\\n'), out); "
            "print(out.getvalue().startswith('= '), 'torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["True", "False"], proc.stderr
