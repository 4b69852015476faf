"""Numbers from clients and files: NaN/inf komi, odd signs and non-ASCII digits are refused clearly."""

from __future__ import annotations

import math

import pytest

from engine import coords
from engine.game import Game
from engine.rules import Rules, RulesError, check_komi, rules_by_name
from engine.sgf import SgfError, load_sgf
from tests.gtp_session import session


@pytest.mark.parametrize("vertex", ["D²", "D٤", "D４", "D¹⁹", "D 4", "D+4", "D-4", "D4.0", "D0004"])
def test_vertices_take_ascii_digits_only(vertex):
    with pytest.raises(coords.CoordinateError):
        coords.from_gtp(vertex, 19, 19)


def test_plain_vertices_still_parse():
    assert coords.from_gtp("d4", 19, 19) == coords.from_gtp("D4", 19, 19) == 15 * 19 + 3
    assert coords.from_gtp("T19", 19, 19) == 18


@pytest.mark.parametrize("komi", [math.nan, math.inf, -math.inf, 1e999, 1e6, "7.5x", True])
def test_rules_refuse_non_finite_komi(komi):
    with pytest.raises(RulesError, match="komi"):
        Rules(komi=komi)
    with pytest.raises(RulesError, match="komi"):
        rules_by_name("chinese").with_komi(komi)
    with pytest.raises(RulesError):
        Game(9, 9, komi=komi)


def test_finite_komi_kept():
    assert check_komi("6.5") == 6.5 and Rules(komi=-3).komi == -3.0


@pytest.mark.parametrize("km", ["nan", "inf", "1e999", "-inf"])
def test_sgf_with_non_finite_komi_refused(km):
    with pytest.raises(SgfError, match="KM|komi"):
        load_sgf(f"(;GM[1]FF[4]SZ[9]KM[{km}];B[cc])".encode())


def _reply(line: str) -> str:
    return session([line, "kata-get-rules"])[0]


@pytest.mark.parametrize("line", [
    'kata-set-rules {"komi":NaN}', 'kata-set-rules {"komi":Infinity}',
    'kata-set-rules {"komi":1e999}', 'kata-set-rules {"komi":-Infinity,"ko":"SIMPLE"}',
    "komi inf", "komi nan", "komi -inf", "komi 1e999", "komi ٧.٥", "komi 1_0",
    "boardsize +-5", "boardsize -+5", "boardsize ٩", "boardsize ９", "boardsize 1e1",
    "play b D²", "play b D٤", "play b D４", "is_legal b D²",
])
def test_gtp_refuses_bad_numbers_with_a_clear_reply(line):
    replies = session([line, "get_komi", "final_score", "printsgf"])
    assert replies[0].startswith("? ") and "internal error" not in replies[0], replies[0]
    assert math.isfinite(float(replies[1][2:]))
    assert replies[2].startswith("= ") and "nan" not in replies[2] and "inf" not in replies[2]
    assert replies[3].startswith("= ("), replies[3][:80]


def test_gtp_keeps_good_numbers():
    replies = session(['kata-set-rules {"komi":6.5}', "komi -2.5", "boardsize +9", "play b D4",
                       "get_komi"])
    assert all(r.startswith("=") for r in replies), replies
    assert float(replies[-1][2:]) == -2.5


@pytest.mark.parametrize("komi", ["nan", "inf", "-inf"])
def test_command_line_refuses_non_finite_komi(komi):
    import subprocess
    import sys

    from tests.gtp_session import REPO
    proc = subprocess.run([sys.executable, "-c", "from gtp.cli import main; main()", "gtp",
                           "--network", "none", "--komi", komi], cwd=REPO, input="",
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "komi must be a finite number" in proc.stderr
    assert "Traceback" not in proc.stderr
