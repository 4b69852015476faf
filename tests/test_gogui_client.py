"""GoGui's own rules for reading replies, applied to every view zerogo offers it, and Interrupt.

``gogui_response`` is GoGui's ``GtpClient.readResponse`` (the reply text
starts after the first space of the whole response, and the closing empty
line is cut); ``parse_string_board`` is ``GtpUtil.parseStringBoard`` (rows
from the top, blank lines skipped, "Incomplete string board" when a row is
short). A reply that puts no space after ``=`` before a board loses the
board's first value under these rules: the failure GoGui users saw.
"""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

from tests.gtp_session import REPO, split_replies, zerogo_gtp

NET = os.path.join(REPO, "weights", "zerogo-9x9.onnx")
VERTEX = re.compile(r"^(?:[A-HJ-Z](?:[1-9]|1\d|2[0-5])|PASS)$", re.IGNORECASE)
GFX = ("VAR", "TEXT", "LABEL", "COLOR", "INFLUENCE", "SQUARE", "MARK", "TRIANGLE", "CIRCLE", "CLEAR", "BLACK",
       "WHITE")


class GtpResponseFormatError(AssertionError):
    """GoGui's GtpResponseFormatError."""


def gogui_response(raw: str) -> tuple[bool, str]:
    """GtpClient.readResponse: (error, text) from a whole response ending with its empty line."""
    assert len(raw) >= 3 and raw.endswith("\n\n")
    error = raw[0] != "="
    index = raw.find(" ")
    text = raw[1:len(raw) - 2] if index < 0 else raw[index + 1:len(raw) - 2]
    return error, text


def parse_string_board(text: str, size: int) -> list[list[str]]:
    """GtpUtil.parseStringBoard: result[x][y], rows read from the top, blank lines skipped."""
    lines = text.split("\n")
    result = [[None] * size for _ in range(size)]
    y = size - 1
    while y >= 0:
        if not lines:
            raise GtpResponseFormatError("Incomplete string board")
        line = lines.pop(0)
        if not line.strip():
            continue
        args = line.split()
        if len(args) < size:
            raise GtpResponseFormatError("Incomplete string board")
        for x in range(size):
            result[x][y] = args[x]
        y -= 1
    return result


def parse_double_board(text: str, size: int) -> list[list[float]]:
    """GtpUtil.parseDoubleBoard: a string board of floats."""
    try:
        return [[float(v) for v in col] for col in parse_string_board(text, size)]
    except ValueError:
        raise GtpResponseFormatError("Floating point number expected") from None


def check_view(kind: str, text: str, size: int) -> None:
    """The reply parses as GoGui parses its analyze type."""
    if kind == "dboard":
        board = parse_double_board(text, size)
        assert all(-1.0 <= v <= 1.0 for col in board for v in col)
    elif kind == "sboard":
        parse_string_board(text, size)
    elif kind == "gfx":
        for line in text.strip().split("\n"):
            assert line.split()[0].upper() in GFX, line
            if line.split()[0] in ("VAR", "MARK", "TRIANGLE", "SQUARE", "CIRCLE", "LABEL"):
                words = line.split()[1:]
                points = words[1::2] if line.startswith("VAR") else words[:1] if line.startswith("LABEL") else words
                assert all(VERTEX.match(v) for v in points), line
    elif kind == "var":
        words = text.split()
        assert all(c in "bw" for c in words[::2]) and all(VERTEX.match(v) for v in words[1::2]), text
    elif kind == "plist":
        assert all(VERTEX.match(v) for v in text.split())
    elif kind == "string":
        assert text.strip()
    else:
        raise AssertionError(f"unexpected analyze type {kind}")


def run_gogui_session(size: int, extra: list[str]) -> tuple[list[str], list[str]]:
    """GoGui's start-up, a short game, then ``extra``; (commands, raw replies with their empty line)."""
    setup = ["protocol_version", "name", "version", "list_commands", "gogui-interrupt",
             "gogui-analyze_commands", f"boardsize {size}", "clear_board", "komi 6.5", "time_settings 0 1 0",
             "gogui-setup b C3 w G7", "gogui-setup_player b", "play B E5", "genmove w"]
    commands = setup + extra
    proc = subprocess.run(zerogo_gtp("--network", NET, "--time-per-move", "0.3", "--size", str(size)),
                          input="".join(c + "\n" for c in commands).encode(), capture_output=True,
                          timeout=240, cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    return commands, [r + "\n\n" for r in split_replies(proc.stdout.decode())]


def analyze_entries() -> list[list[str]]:
    _, replies = run_gogui_session(9, [])
    error, text = gogui_response(replies[5])
    assert not error
    return [line.split("/", 2) for line in text.strip().split("\n")]


@pytest.mark.parametrize("size", [9, 19])
def test_every_analyze_command_parses_with_gogui_rules(size):
    entries = analyze_entries()
    kinds = {kind for kind, _, _ in entries}
    assert {"dboard", "sboard", "gfx", "var", "plist", "string"} <= kinds
    labels = " ".join(label.lower() for _, label, _ in entries)
    for word in ("policy", "visit", "ownership", "variation", "score lead", "dead stones"):
        assert word in labels, labels
    commands, replies = run_gogui_session(size, [cmd.replace("%c", "b") for _, _, cmd in entries])
    assert len(replies) == len(commands)
    for raw in replies[:14]:
        assert not gogui_response(raw)[0], raw   # the start-up and setup all succeed
    for (kind, label, _), raw in zip(entries, replies[14:]):
        error, text = gogui_response(raw)
        assert not error, (label, raw)
        check_view(kind, text, size)


def test_without_the_space_gogui_loses_the_first_value():
    # the rule this guards: '=' then a newline would have GoGui read from the first value's space
    raw = "=\n0.1 0.2\n0.3 0.4\n\n"
    with pytest.raises(GtpResponseFormatError, match="Incomplete string board"):
        parse_double_board(gogui_response(raw)[1], 2)
    assert parse_double_board(gogui_response("= \n0.1 0.2\n0.3 0.4\n\n")[1], 2) == [[0.3, 0.1], [0.4, 0.2]]


def test_gogui_setup_places_stones_without_moves_and_policy_view_is_scaled():
    _, replies = run_gogui_session(9, ["undo", "undo", "undo", "list_stones black", "list_stones white",
                                              "zerogo-policy", "zerogo-policy_labels"])
    undo = [gogui_response(r)[0] for r in replies[14:17]]
    assert undo == [False, False, True]      # genmove and E5 are moves; setup stones are not
    black, white = (gogui_response(r)[1].split() for r in replies[17:19])
    assert (black, white) == (["C3"], ["G7"])
    policy = parse_double_board(gogui_response(replies[19])[1], 9)
    values = sorted(v for col in policy for v in col)
    assert values[-1] == pytest.approx(1.0, abs=1e-3)          # the favourite is drawn full size
    assert sum(v > 0.1 for v in values) >= 5                    # and several others visibly
    labels = [line for line in gogui_response(replies[20])[1].split("\n") if line.startswith("LABEL")]
    assert len(labels) >= 5


def _read_reply(proc) -> tuple[str, float]:
    lines = []
    while True:
        line = proc.stdout.readline().decode()
        assert line, "engine closed its output"
        if line == "\n":
            return "".join(lines), time.monotonic()
        lines.append(line)


@pytest.mark.parametrize("how", ["# interrupt", "gogui-interrupt", "2 gogui-interrupt"])
def test_interrupt_stops_a_long_genmove_within_a_fifth_of_a_second(how):
    proc = subprocess.Popen(zerogo_gtp("--network", NET, "--size", "9", "--time-per-move", "30",
                                       "--max-time", "30", "--visits", "1000000"),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        proc.stdin.write(b"boardsize 9\nclear_board\nplay b E5\n")
        proc.stdin.flush()
        for _ in range(3):
            _read_reply(proc)
        proc.stdin.write(b"genmove w\n")
        proc.stdin.flush()
        time.sleep(1.5)
        sent = time.monotonic()
        proc.stdin.write((how + "\n").encode())
        proc.stdin.flush()
        reply, at = _read_reply(proc)
        assert at - sent < 0.2, f"genmove answered {at - sent:.3f} s after the interrupt"
        assert reply.startswith("= ") and VERTEX.match(reply[2:].strip()), reply
        proc.stdin.write(b"list_stones white\n")
        proc.stdin.flush()
        follow, _ = _read_reply(proc)
        if how.endswith("gogui-interrupt"):   # the command itself is answered too, after the move
            assert follow.startswith("=")
            follow, _ = _read_reply(proc)
        assert follow.split()[1:] == [reply[2:].strip()]
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


@pytest.mark.parametrize("command", ["kata-genmove_analyze w 20", "lz-genmove_analyze w 20"])
def test_interrupt_stops_genmove_analyze_too(command):
    proc = subprocess.Popen(zerogo_gtp("--network", NET, "--size", "9", "--time-per-move", "30",
                                       "--max-time", "30", "--visits", "1000000"),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        proc.stdin.write(f"boardsize 9\nclear_board\nplay b E5\n{command}\n".encode())
        proc.stdin.flush()
        for _ in range(3):
            _read_reply(proc)
        time.sleep(1.5)
        sent = time.monotonic()
        proc.stdin.write(b"# interrupt\n")
        proc.stdin.flush()
        reply, at = _read_reply(proc)
        assert at - sent < 0.2, f"answered {at - sent:.3f} s after the interrupt"
        lines = reply.strip("\n").split("\n")
        assert lines[0] == "= " and lines[1].startswith("info move ") and lines[-1].startswith("play ")
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def test_other_input_does_not_cut_a_genmove_short():
    start = time.monotonic()
    proc = subprocess.run(zerogo_gtp("--network", NET, "--size", "9", "--time-per-move", "1.5",
                                     "--max-time", "1.5", "--visits", "1000000"),
                          input=b"boardsize 9\nclear_board\ngenmove b\nname\n", capture_output=True,
                          timeout=60, cwd=REPO, check=False)
    replies = split_replies(proc.stdout.decode())
    assert len(replies) == 4 and replies[-1] == "= zerogo"
    assert time.monotonic() - start > 1.5   # the pipelined 'name' did not interrupt the move
